import re
from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Lower

from customers.models import Customer, Order, OrderItem


def orders_with_details() -> QuerySet[Order]:
    return (
        Order.objects.select_related("customer")
        .prefetch_related(Prefetch("items", queryset=OrderItem.objects.select_related("product")))
        .order_by("-placed_at", "pk")
    )


# What in a message may name an order: "O-000123", "#1001", "pedido 4567-B" (the shop's own numbers)
_ORDER_NUMBER = re.compile(r"#?\b([A-Za-z0-9][A-Za-z0-9_\-/]{2,99})\b")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class CustomerMatch:
    customer_id: int
    order_id: int | None = None
    by: str = ""  # "email", "order" or "handle"


def _handle_keys(platform: str) -> list[str]:
    # a shop keeps a customer's social handles as attributes: "instagram", "x_handle", "handle"
    keys = ["handle", "social_handle"]
    if platform:
        keys += [platform, f"{platform}_handle"]
    return keys


def customer_match(*, email: str = "", text: str = "", handle: str = "", platform: str = "") -> CustomerMatch | None:
    """The one customer a piece of feedback from outside the shop names: by the email it was sent
    with (or one written in it), an order number in its text, or the author's social handle kept in
    the customer's attributes. Nobody when nothing matches or the clues name different customers."""
    customers = Customer.objects.filter(erased_at__isnull=True)
    emails = {email.strip().lower()} if email.strip() else set()
    emails |= {found.lower() for found in _EMAIL.findall(text or "")}
    if emails:
        found = list(
            customers.annotate(email_lower=Lower("email"))
            .filter(email_lower__in=emails)
            .values_list("pk", flat=True)[:2]
        )
        if len(found) == 1:
            return CustomerMatch(found[0], by="email")
    numbers = {token for token in _ORDER_NUMBER.findall(text or "") if any(ch.isdigit() for ch in token)}
    numbers |= {f"#{number}" for number in numbers}
    if numbers:
        orders = list(
            Order.objects.filter(external_id__in=numbers, customer__erased_at__isnull=True).values_list(
                "pk", "customer_id"
            )[:10]
        )
        if len({customer_id for _pk, customer_id in orders}) == 1:
            order_id, customer_id = orders[0]
            return CustomerMatch(customer_id, order_id if len(orders) == 1 else None, by="order")
    handle = handle.strip().lstrip("@")
    if handle:
        condition = Q()
        for key in _handle_keys(platform):
            condition |= Q(**{f"attributes__{key}__iexact": handle}) | Q(**{f"attributes__{key}__iexact": f"@{handle}"})
        found = list(customers.filter(condition).values_list("pk", flat=True)[:2])
        if len(found) == 1:
            return CustomerMatch(found[0], by="handle")
    return None


def customers_search(query: str) -> QuerySet[Customer]:
    """Customers by name, email, external id or one of their order numbers, for the staff's search box."""
    query = query.strip()
    customers = Customer.objects.select_related("rfm").order_by("-created_at", "-pk")
    if not query:
        return customers
    # an order number as the shop writes it, with or without its "#"
    number = query.lstrip("#")
    by_order = Order.objects.filter(Q(external_id__iexact=number) | Q(external_id__iexact=f"#{number}"))
    return customers.filter(
        Q(name__icontains=query)
        | Q(email__icontains=query)
        | Q(external_id__iexact=query)
        | Q(pk__in=by_order.values("customer_id"))
    )
