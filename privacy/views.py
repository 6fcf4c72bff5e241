from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import get_object_or_404

from core.personal_data import may_see_personal_data
from customers.models import Customer
from privacy.services import customer_data_export


@login_required
def customer_export(request, pk: int):
    """The staff's download of a customer's data, to hand over on their request (the button on the
    customer's admin page)."""
    if not may_see_personal_data(request):
        raise PermissionDenied
    customer = get_object_or_404(Customer, pk=pk)
    data = customer_data_export(customer=customer, actor=request.user, reason="staff download")
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="voz-customer-{customer.pk}.json"'
    return response
