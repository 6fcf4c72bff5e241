from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from customers.api.serializers import CustomerEraseSerializer, ErasureReportSerializer
from customers.models import Customer
from privacy.api.serializers import CustomerExportSerializer
from privacy.services import customer_data_export, customer_erase


@extend_schema(description=_("The right to erasure: what identifies the customer goes, the numbers stay."))
class CustomerEraseView(APIView):
    required_scopes = {"POST": "personal_data:erase"}
    staff_permissions = {"POST": "customers.erase_customer"}

    @extend_schema(
        request=CustomerEraseSerializer,
        responses={
            200: OpenApiResponse(ErasureReportSerializer, description=_("Erased; what was kept and what was erased")),
            404: OpenApiResponse(description=_("No customer with this external id")),
            409: OpenApiResponse(description=_("Already erased")),
        },
        summary=_("Erase a customer's personal data on their request (keeps orders, scores and labels)"),
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


@extend_schema(
    description=_("The right of access and to portability: a copy of everything Voz holds about one customer.")
)
class CustomerExportView(APIView):
    required_scopes = {"GET": "personal_data:read"}
    staff_permissions = {"GET": "customers.view_personal_data"}

    @extend_schema(
        responses={
            200: OpenApiResponse(CustomerExportSerializer, description=_("The customer's data, as JSON")),
            404: OpenApiResponse(description=_("No customer with this external id")),
        },
        summary=_("Export one customer's data (GDPR art. 15 and 20); each export is audited"),
    )
    def get(self, request, external_id: str):
        customer = get_object_or_404(Customer, external_id=external_id)
        data = customer_data_export(customer=customer, actor=request.user, reason="API")
        response = Response(data)
        response["Content-Disposition"] = f'attachment; filename="voz-customer-{customer.pk}.json"'
        return response
