from django.db.models import Prefetch, QuerySet

from customers.models import Order, OrderItem


def orders_with_details() -> QuerySet[Order]:
    return (
        Order.objects.select_related("customer")
        .prefetch_related(Prefetch("items", queryset=OrderItem.objects.select_related("product")))
        .order_by("-placed_at", "pk")
    )
