from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from customers import selectors, services
from customers.api.serializers import OrderOutputSerializer, OrderUpsertSerializer


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    # Pushing an order creates or updates it, so staff need both permissions.
    required_scopes = {"GET": "orders:read", "POST": "orders:write"}
    staff_permissions = {"GET": "customers.view_order", "POST": ["customers.add_order", "customers.change_order"]}
    serializer_class = OrderOutputSerializer
    lookup_field = "external_id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self):
        return selectors.orders_with_details()

    @extend_schema(
        request=OrderUpsertSerializer,
        responses={
            201: OpenApiResponse(OrderOutputSerializer, description="Order created"),
            200: OpenApiResponse(OrderOutputSerializer, description="Existing order updated"),
        },
        summary="Create or update an order by its external id",
    )
    def create(self, request):
        serializer = OrderUpsertSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        order, created = services.order_upsert(data=serializer.to_order_data())
        order = selectors.orders_with_details().get(pk=order.pk)
        return Response(
            OrderOutputSerializer(order).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
