from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.api.serializers import CustomerEraseSerializer, ErasureReportSerializer
from customers.models import Customer
from privacy.services import customer_erase


class CustomerEraseView(APIView):
    """The right to erasure: what identifies the customer goes, the numbers stay."""

    required_scopes = {"POST": "personal_data:erase"}
    staff_permissions = {"POST": "customers.erase_customer"}

    @extend_schema(
        request=CustomerEraseSerializer,
        responses={
            200: OpenApiResponse(ErasureReportSerializer, description="Erased; what was kept and what was erased"),
            404: OpenApiResponse(description="No customer with this external id"),
            409: OpenApiResponse(description="Already erased"),
        },
        summary="Erase a customer's personal data on their request (keeps orders, scores and labels)",
    )
    def post(self, request, external_id: str):
        serializer = CustomerEraseSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = get_object_or_404(Customer, external_id=external_id)
        report = customer_erase(customer=customer, reason=serializer.validated_data["reason"], actor=request.user)
        data = report.as_dict()
        customer.refresh_from_db(fields=["external_id"])
        data["customer"] = customer.external_id
        del data["customer_id"]
        return Response(ErasureReportSerializer(data).data)
