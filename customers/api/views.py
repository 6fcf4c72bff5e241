from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.response import Response

from customers import selectors, services
from customers.api.serializers import OrderOutputSerializer, OrderUpsertSerializer


class CanSyncOrders(permissions.BasePermission):
    """Only accounts allowed to both add and change orders may push them (shops' integration users)."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not (user and user.is_authenticated):
            return False
        if request.method in permissions.SAFE_METHODS:
            return user.has_perm("customers.view_order")
        return user.has_perms(["customers.add_order", "customers.change_order"])


class OrderViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [CanSyncOrders]
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
