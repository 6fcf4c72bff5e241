from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from core.personal_data import may_see_personal_data
from customers import selectors, services
from customers.api.serializers import (
    CustomerAttributesSerializer,
    CustomerOutputSerializer,
    OrderOutputSerializer,
    OrderUpsertSerializer,
)


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # Pushing an order creates or updates it, so staff need both permissions.
    required_scopes = {"GET": "orders:read", "POST": "orders:write"}
    staff_permissions = {"GET": "customers.view_order", "POST": ["customers.add_order", "customers.change_order"]}
    serializer_class = OrderOutputSerializer
    lookup_field = "external_id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.orders_with_details()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "personal_data": may_see_personal_data(self.request)}

    @extend_schema(
        request=OrderUpsertSerializer,
        responses={
            201: OpenApiResponse(OrderOutputSerializer, description=_("Order created")),
            200: OpenApiResponse(OrderOutputSerializer, description=_("Existing order updated")),
        },
        summary=_("Create or update an order by its external id"),
    )
    def create(self, request):
        serializer = OrderUpsertSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order, created = services.order_upsert(data=serializer.to_order_data())
        order = selectors.orders_with_details().get(pk=order.pk)
        return Response(
            OrderOutputSerializer(order, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


@extend_schema(description=_("A customer's profile; the shop completes it with attributes its segments can use."))
class CustomerDetailView(APIView):
    required_scopes = {"GET": "orders:read", "PATCH": "orders:write"}
    staff_permissions = {"GET": "customers.view_customer", "PATCH": "customers.change_customer"}

    def _customer(self, external_id: str):
        from customers.models import Customer

        return get_object_or_404(Customer, external_id=external_id)

    def _body(self, request, customer):
        context = {"personal_data": may_see_personal_data(request), "request": request}
        return Response(CustomerOutputSerializer(customer, context=context).data)

    @extend_schema(responses=CustomerOutputSerializer, summary=_("A customer's profile"))
    def get(self, request, external_id: str):
        return self._body(request, self._customer(external_id))

    @extend_schema(
        request=CustomerAttributesSerializer,
        responses={200: CustomerOutputSerializer, 404: OpenApiResponse(description=_("No such customer"))},
        summary=_("Set or remove a customer's attributes (merged into the stored ones)"),
    )
    def patch(self, request, external_id: str):
        customer = self._customer(external_id)
        serializer = CustomerAttributesSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        customer = services.customer_attributes_update(
            customer=customer, changes=serializer.validated_data["attributes"], actor=request.user
        )
        return self._body(request, customer)
