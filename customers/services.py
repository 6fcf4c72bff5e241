from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction

from analytics import rollups
from core.exceptions import ApplicationError
from customers.models import Customer, Order, OrderItem, Product


class OrderRejected(ApplicationError):
    code = "order_rejected"


class OrderCustomerConflict(OrderRejected):
    status_code = 409
    code = "order_customer_conflict"


@dataclass(frozen=True)
class CustomerData:
    external_id: str
    email: str
    name: str = ""
    preferred_language: str = ""


@dataclass(frozen=True)
class OrderItemData:
    sku: str
    name: str = ""
    category: str = ""
    quantity: int = 1
    unit_price: Decimal | None = None


@dataclass(frozen=True)
class OrderData:
    external_id: str
    customer: CustomerData
    placed_at: datetime
    total: Decimal
    currency: str = "EUR"
    delivered_at: datetime | None = None
    items: list[OrderItemData] = field(default_factory=list)


SUPPORTED_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def customer_upsert(*, data: CustomerData) -> Customer:
    """Create the customer or bring its contact details up to date; an unknown language keeps the old one."""
    language = data.preferred_language.lower()[:2] if data.preferred_language else ""
    defaults = {"email": data.email.strip(), "name": data.name.strip()}
    if language in SUPPORTED_LANGUAGES:
        defaults["preferred_language"] = language
    customer, created = Customer.objects.get_or_create(external_id=data.external_id, defaults=defaults)
    if not created:
        changed = [name for name, value in defaults.items() if value and getattr(customer, name) != value]
        for name in changed:
            setattr(customer, name, defaults[name])
        if changed:
            customer.save(update_fields=changed)
    return customer


def products_upsert(*, items: Iterable[OrderItemData]) -> dict[str, Product]:
    products: dict[str, Product] = {}
    for item in items:
        product, created = Product.objects.get_or_create(
            sku=item.sku, defaults={"name": item.name or item.sku, "category": item.category}
        )
        changed = []
        if not created and item.name and product.name != item.name:
            product.name = item.name
            changed.append("name")
        if not created and item.category and product.category != item.category:
            product.category = item.category
            changed.append("category")
        if changed:
            product.save(update_fields=changed)
        products[item.sku] = product
    return products


def _merge_item_lines(items: Iterable[OrderItemData]) -> list[OrderItemData]:
    """Shops sometimes send one product on two lines; an order holds it once with the summed quantity."""
    merged: dict[str, OrderItemData] = {}
    for item in items:
        if item.sku in merged:
            previous = merged[item.sku]
            merged[item.sku] = OrderItemData(
                sku=item.sku,
                name=item.name or previous.name,
                category=item.category or previous.category,
                quantity=previous.quantity + item.quantity,
                unit_price=item.unit_price if item.unit_price is not None else previous.unit_price,
            )
        else:
            merged[item.sku] = item
    return list(merged.values())


@transaction.atomic
def order_upsert(*, data: OrderData) -> tuple[Order, bool]:
    """Create or update an order by its external id, with its customer, products and items.

    Returns the order and whether it was created. Items sent replace the stored ones, because the
    shop's system is the source of truth for what an order contains.
    """
    if data.delivered_at and data.delivered_at < data.placed_at:
        raise OrderRejected(
            "The order cannot be delivered before it was placed.",
            extra={"delivered_at": ["Must not be earlier than placed_at."]},
        )
    if data.total < 0:
        raise OrderRejected("The order total cannot be negative.", extra={"total": ["Must be 0 or more."]})
    if not data.items:
        raise OrderRejected("An order needs at least one item.", extra={"items": ["At least one item is required."]})
    if any(item.quantity < 1 for item in data.items):
        raise OrderRejected("Item quantities must be at least 1.", extra={"items": ["Quantity must be at least 1."]})

    customer = customer_upsert(data=data.customer)
    items = _merge_item_lines(data.items)
    products = products_upsert(items=items)

    fields = {
        "customer": customer,
        "placed_at": data.placed_at,
        "delivered_at": data.delivered_at,
        "total": data.total,
        "currency": data.currency.upper(),
    }
    order = Order.objects.select_for_update().filter(external_id=data.external_id).first()
    created = order is None
    if created:
        # A concurrent request may commit this order after the lookup; get_or_create then returns it.
        order, created = Order.objects.get_or_create(external_id=data.external_id, defaults=fields)
    if not created and order.customer_id != customer.pk:
        raise OrderCustomerConflict(
            f"Order {data.external_id} belongs to another customer.",
            extra={"customer": ["An existing order cannot move to another customer."]},
        )
    if not created:
        for name, value in fields.items():
            setattr(order, name, value)
        order.save()
        order.items.all().delete()
        # Its feedback and survey answers count under the order's products in the rollups.
        rollups.mark_dirty(rollups.Source.FEEDBACK, order.feedback_items.values_list("received_at", flat=True))
        from surveys.models import Response

        rollups.mark_dirty(
            rollups.Source.ANSWERS,
            Response.objects.filter(invitation__order=order).values_list("submitted_at", flat=True),
        )
    rollups.mark_dirty(rollups.Source.ORDERS, [order.placed_at])
    OrderItem.objects.bulk_create(
        OrderItem(order=order, product=products[item.sku], quantity=item.quantity, unit_price=item.unit_price)
        for item in items
    )
    return order, created
