import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.changes import Source, changes_record
from core.exceptions import ApplicationError
from core.queueing import enqueue
from customers.models import ConsentSource, Customer, MarketingConsent, Order, OrderItem, Product


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
    # merged into the stored ones; a key sent as None or "" is removed
    attributes: dict[str, str | None] = field(default_factory=dict)
    # the shop's record of marketing consent (customers.emailing.consent_record); None: not said
    accepts_marketing: bool | None = None


class CustomerAttributesInvalid(ApplicationError):
    code = "customer_attributes_invalid"


ATTRIBUTE_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_ATTRIBUTES = 30
MAX_ATTRIBUTE_LENGTH = 200
# the ones shops send most; any other key is welcome
COMMON_ATTRIBUTES = ("age_band", "gender", "city", "region", "loyalty_tier")


def attributes_normalise(raw) -> dict[str, str | None]:
    """Keys lower-cased ("Loyalty Tier" → "loyalty_tier"), values as trimmed strings, None to remove.

    Raises CustomerAttributesInvalid naming every bad key, so a shop fixes its feed in one go."""
    if not isinstance(raw, dict):
        raise CustomerAttributesInvalid("Attributes must be an object of key → value.")
    normalised: dict[str, str | None] = {}
    errors: dict[str, list[str]] = {}
    for key, value in raw.items():
        clean_key = re.sub(r"[\s-]+", "_", str(key).strip().lower())
        if not ATTRIBUTE_KEY.match(clean_key):
            errors[str(key)[:60]] = ["Keys are letters, digits and _ (at most 40), starting with a letter."]
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            normalised[clean_key] = None
        elif isinstance(value, bool | int | float | str):
            text = str(value).strip() if not isinstance(value, bool) else ("true" if value else "false")
            if len(text) > MAX_ATTRIBUTE_LENGTH:
                errors[clean_key] = [f"At most {MAX_ATTRIBUTE_LENGTH} characters."]
            else:
                normalised[clean_key] = text
        else:
            errors[clean_key] = ["A value is a string, a number or true/false."]
    if errors:
        raise CustomerAttributesInvalid("Some attributes are invalid.", extra=errors)
    return normalised


def _merged_attributes(stored: dict, changes: dict[str, str | None]) -> dict[str, str]:
    merged = dict(stored or {})
    for key, value in changes.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    if len(merged) > MAX_ATTRIBUTES:
        raise CustomerAttributesInvalid(f"A customer holds at most {MAX_ATTRIBUTES} attributes.")
    return merged


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
    shipping_country: str = ""
    delivered_at: datetime | None = None
    # cancelled, or refunded in full
    cancelled_at: datetime | None = None
    items: list[OrderItemData] = field(default_factory=list)


# Registered by surveys.tasks.invitations_cancel_for_order: an order cancelled (or refunded in full)
# must not be surveyed; the survey layer, above this one, withdraws what it had planned.
ORDER_CANCELLED = "customers.order_cancelled"


SUPPORTED_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def customer_upsert(*, data: CustomerData) -> Customer:
    """Create the customer or bring its contact details up to date; an unknown language keeps the old one."""
    language = data.preferred_language.lower()[:2] if data.preferred_language else ""
    contact = {"email": data.email.strip(), "name": data.name.strip()}
    if language in SUPPORTED_LANGUAGES:
        contact["preferred_language"] = language
    changes = attributes_normalise(data.attributes) if data.attributes else {}
    # attributes_changed_at tells whoever counts saved segments over attributes that members changed
    customer, created = Customer.objects.get_or_create(
        external_id=data.external_id,
        defaults={
            **contact,
            "attributes": _merged_attributes({}, changes),
            "attributes_changed_at": timezone.now() if changes else None,
        },
    )
    if not created:
        changed = [name for name, value in contact.items() if value and getattr(customer, name) != value]
        for name in changed:
            setattr(customer, name, contact[name])
        attributes = _merged_attributes(customer.attributes, changes)
        if attributes != customer.attributes:
            customer.attributes, customer.attributes_changed_at = attributes, timezone.now()
            changed += ["attributes", "attributes_changed_at"]
        if changed:
            customer.save(update_fields=changed)
    if data.accepts_marketing is not None and data.accepts_marketing != (
        customer.marketing_consent == MarketingConsent.GRANTED
    ):
        from customers.emailing import consent_record

        consent_record(customer=customer, granted=data.accepts_marketing, source=ConsentSource.SHOP)
        customer.refresh_from_db(fields=["marketing_consent", "marketing_consent_source", "marketing_consent_at"])
    return customer


@transaction.atomic
def customer_attributes_update(*, customer: Customer, changes: dict[str, str | None], actor=None) -> Customer:
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at is not None:
        raise CustomerAttributesInvalid("This customer's personal data was erased.")
    attributes = _merged_attributes(customer.attributes, attributes_normalise(changes))
    if attributes != customer.attributes:
        customer.attributes = attributes
        customer.attributes_changed_at = timezone.now()
        customer.save(update_fields=["attributes", "attributes_changed_at"])
        from core.audit import audit

        audit("customer.attributes", customer, actor=actor, details={"keys": sorted(changes)})
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
        "shipping_country": data.shipping_country.upper(),
        "cancelled_at": data.cancelled_at,
    }
    order = Order.objects.select_for_update().filter(external_id=data.external_id).first()
    was_cancelled = order is not None and order.cancelled_at is not None
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
        changes_record(Source.FEEDBACK, order.feedback_items.values_list("received_at", flat=True))
        changes_record(
            Source.ANSWERS,
            order.invitations.filter(response__isnull=False).values_list("response__submitted_at", flat=True),
        )
    changes_record(Source.ORDERS, [order.placed_at])
    OrderItem.objects.bulk_create(
        OrderItem(order=order, product=products[item.sku], quantity=item.quantity, unit_price=item.unit_price)
        for item in items
    )
    if order.cancelled_at is not None and not was_cancelled and not created:
        _announce_cancelled(order.pk)
    return order, created


def _announce_cancelled(order_id: int) -> None:
    # A new order cannot have an invitation yet; the scheduler skips cancelled orders by itself, and
    # an invitation still pending when the hand-over is lost is withdrawn when it would be sent.
    transaction.on_commit(lambda: enqueue(ORDER_CANCELLED, order_id))


@transaction.atomic
def order_cancel(*, external_id: str, at: datetime) -> Order | None:
    """Mark a known order cancelled (a refund in full arrives without the order); None if unknown."""
    order = Order.objects.select_for_update().filter(external_id=external_id).first()
    if order is None or order.cancelled_at is not None:
        return order
    order.cancelled_at = max(at, order.placed_at)
    order.save(update_fields=["cancelled_at", "updated_at"])
    changes_record(Source.ORDERS, [order.placed_at])
    _announce_cancelled(order.pk)
    return order
