"""Shopify's order webhooks, read to the fields of its Order and Refund resources.

Delivered: a fulfilment whose shipment_status is "delivered" (carrier tracking), at that
fulfilment's time; a shop without tracking has fulfilled orders only, which count as delivered when
fulfilled — the survey's delay after delivery covers the transit. Cancelled: `cancelled_at`, or a
`financial_status` of "refunded" (in full); a refund arriving alone (refunds/create) cancels the
order once the refunds add up to its total.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from customers.services import CustomerData, OrderData, OrderItemData
from integrations.mapping import (
    PayloadInvalid,
    ReceivedOrder,
    as_datetime,
    as_decimal,
    as_dict,
    clean_email,
    customer_external_id,
    language_of,
    latest,
    quantity_of,
    require,
    text,
)

ORDER_TOPICS = ("orders/create", "orders/paid", "orders/fulfilled", "orders/cancelled", "orders/updated")
REFUND_TOPIC = "refunds/create"
PRIVACY_TOPICS = ("customers/data_request", "customers/redact", "shop/redact")
SUBSCRIBED_TOPICS = (*ORDER_TOPICS[:4], REFUND_TOPIC, *PRIVACY_TOPICS)


# Shopify's email_marketing_consent.state; "pending" (double opt-in not confirmed) is not consent yet
CONSENT_STATES = {"subscribed": True, "not_subscribed": False, "unsubscribed": False}


def marketing_consent_of(payload: dict, customer: dict) -> bool | None:
    """The customer's email marketing consent as Shopify states it, most specific first: the
    customer's email_marketing_consent, then its older accepts_marketing, then the checkout's box."""
    consent = customer.get("email_marketing_consent")
    if isinstance(consent, dict) and consent.get("state") in CONSENT_STATES:
        return CONSENT_STATES[consent["state"]]
    for value in (customer.get("accepts_marketing"), payload.get("buyer_accepts_marketing")):
        if isinstance(value, bool):
            return value
    return None


def order_read(payload: dict, *, prefix: str) -> ReceivedOrder:
    payload = as_dict(payload, "The order")
    order_id = str(require(payload, "id"))
    customer = payload.get("customer") if isinstance(payload.get("customer"), dict) else {}
    email = clean_email(payload.get("email") or payload.get("contact_email") or customer.get("email"))
    name = " ".join(filter(None, [text(customer.get("first_name"), 100), text(customer.get("last_name"), 100)]))
    placed_at = as_datetime(payload.get("processed_at") or payload.get("created_at"), "created_at")
    updated_at = as_datetime(payload.get("updated_at"), "updated_at", required=False)

    fulfilments = [item for item in payload.get("fulfillments") or [] if isinstance(item, dict)]
    delivered = [
        as_datetime(item.get("updated_at") or item.get("created_at"), "fulfillments.updated_at")
        for item in fulfilments
        if item.get("shipment_status") == "delivered"
    ]
    delivered_at = latest(*delivered)
    if delivered_at is None and payload.get("fulfillment_status") == "fulfilled":
        delivered_at = latest(*(as_datetime(item.get("created_at"), "fulfillments.created_at") for item in fulfilments))
        delivered_at = delivered_at or updated_at
    cancelled_at = as_datetime(payload.get("cancelled_at"), "cancelled_at", required=False)
    if cancelled_at is None and payload.get("financial_status") == "refunded":
        cancelled_at = updated_at or placed_at

    lines = payload.get("line_items")
    if not isinstance(lines, list) or not lines:
        raise PayloadInvalid("An order needs at least one line in 'line_items'.")
    items = []
    for line in lines:
        line = as_dict(line, "A line item")
        sku = text(line.get("sku"), 100) or (
            f"shopify-{line['product_id']}" if line.get("product_id") else f"shopify-line-{require(line, 'id')}"
        )
        items.append(
            OrderItemData(
                sku=sku,
                name=text(line.get("title") or line.get("name"), 300),
                quantity=quantity_of(line.get("quantity")),
                unit_price=as_decimal(line.get("price"), "line_items.price", default=Decimal(0)),
            )
        )
    shipping = payload.get("shipping_address") if isinstance(payload.get("shipping_address"), dict) else {}
    data = OrderData(
        external_id=f"{prefix}{order_id}",
        customer=CustomerData(
            external_id=customer_external_id(
                prefix, platform_customer_id=customer.get("id"), email=email, platform_order_id=order_id
            ),
            email=email,
            name=name,
            preferred_language=language_of(payload.get("customer_locale") or customer.get("locale")),
            accepts_marketing=marketing_consent_of(payload, customer),
        ),
        placed_at=placed_at,
        delivered_at=max(delivered_at, placed_at) if delivered_at else None,
        cancelled_at=max(cancelled_at, placed_at) if cancelled_at else None,
        total=as_decimal(require(payload, "total_price"), "total_price"),
        currency=text(payload.get("currency"), 3) or "EUR",
        shipping_country=text(shipping.get("country_code"), 2),
        items=items,
    )
    status = "cancelled" if cancelled_at else payload.get("fulfillment_status") or payload.get("financial_status")
    return ReceivedOrder(order_id, data, text(status, 40), updated_at, has_email=bool(email))


@dataclass(frozen=True)
class ReceivedRefund:
    refund_id: str
    platform_order_id: str
    amount: Decimal
    created_at: datetime


def refund_read(payload: dict) -> ReceivedRefund:
    """A refund's money back: the sum of its successful refund transactions (else of its lines)."""
    payload = as_dict(payload, "The refund")
    transactions = [item for item in payload.get("transactions") or [] if isinstance(item, dict)]
    amount = sum(
        (
            as_decimal(item.get("amount"), "transactions.amount", default=Decimal(0))
            for item in transactions
            if item.get("kind") == "refund" and item.get("status") in ("success", None)
        ),
        Decimal(0),
    )
    if not transactions:
        amount = sum(
            (
                as_decimal(line.get("subtotal"), "refund_line_items.subtotal", default=Decimal(0))
                for line in payload.get("refund_line_items") or []
                if isinstance(line, dict)
            ),
            Decimal(0),
        )
    return ReceivedRefund(
        refund_id=str(require(payload, "id")),
        platform_order_id=str(require(payload, "order_id")),
        amount=amount,
        created_at=as_datetime(payload.get("created_at") or payload.get("processed_at"), "created_at"),
    )


@dataclass(frozen=True)
class ReceivedPrivacyRequest:
    kind: str
    platform_customer_id: str
    email: str
    platform_order_ids: list[str]


def privacy_request_read(topic: str, payload: dict) -> ReceivedPrivacyRequest:
    from integrations.models import PrivacyRequest

    payload = as_dict(payload, "The request")
    require(payload, "shop_domain")
    if topic == "shop/redact":
        return ReceivedPrivacyRequest(PrivacyRequest.Kind.SHOP_REDACT, "", "", [])
    customer = as_dict(require(payload, "customer"), "'customer'")
    orders = payload.get("orders_requested") or payload.get("orders_to_redact") or []
    if not isinstance(orders, list):
        raise PayloadInvalid("'orders_requested' must be a list of order ids.")
    kind = (
        PrivacyRequest.Kind.DATA_REQUEST if topic == "customers/data_request" else PrivacyRequest.Kind.CUSTOMER_REDACT
    )
    return ReceivedPrivacyRequest(
        kind=kind,
        platform_customer_id=text(customer.get("id"), 64),
        email=clean_email(customer.get("email")),
        platform_order_ids=[text(order, 64) for order in orders][:1000],
    )
