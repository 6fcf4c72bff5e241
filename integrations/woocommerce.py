"""WooCommerce's order webhooks (order.created, order.updated), read to the order properties of its
REST API (v3), which is what the webhooks carry.

Delivered: status "completed", at date_completed_gmt (else the last modification). Cancelled:
"cancelled", "refunded", "failed" (never paid) or "trash". Times ending in _gmt are UTC; the others
are in the site's time zone, taken as the shop's (TIME_ZONE).
"""

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
    quantity_of,
    require,
    shop_zone,
    text,
)

ORDER_TOPICS = ("order.created", "order.updated")
CANCELLED_STATUSES = ("cancelled", "refunded", "failed", "trash")


def _time(payload: dict, name: str, *, required: bool = False):
    if payload.get(f"{name}_gmt"):
        return as_datetime(payload[f"{name}_gmt"], f"{name}_gmt", required=required)
    return as_datetime(payload.get(name), name, naive_zone=shop_zone(), required=required)


def order_read(payload: dict, *, prefix: str) -> ReceivedOrder:
    payload = as_dict(payload, "The order")
    order_id = str(require(payload, "id"))
    status = text(require(payload, "status"), 40)
    billing = payload.get("billing") if isinstance(payload.get("billing"), dict) else {}
    shipping = payload.get("shipping") if isinstance(payload.get("shipping"), dict) else {}
    email = clean_email(billing.get("email"))
    placed_at = _time(payload, "date_created", required=True)
    modified_at = _time(payload, "date_modified")
    delivered_at = (_time(payload, "date_completed") or modified_at or placed_at) if status == "completed" else None
    cancelled_at = (modified_at or placed_at) if status in CANCELLED_STATUSES else None

    lines = payload.get("line_items")
    if not isinstance(lines, list) or not lines:
        raise PayloadInvalid("An order needs at least one line in 'line_items'.")
    items = []
    for line in lines:
        line = as_dict(line, "A line item")
        product = line.get("variation_id") or line.get("product_id")
        sku = text(line.get("sku"), 100) or (f"woo-{product}" if product else f"woo-line-{require(line, 'id')}")
        items.append(
            OrderItemData(
                sku=sku,
                name=text(line.get("name"), 300),
                quantity=quantity_of(line.get("quantity")),
                unit_price=as_decimal(line.get("price"), "line_items.price", default=Decimal(0)).copy_abs(),
            )
        )
    name = " ".join(filter(None, [text(billing.get("first_name"), 100), text(billing.get("last_name"), 100)]))
    data = OrderData(
        external_id=f"{prefix}{order_id}",
        customer=CustomerData(
            external_id=customer_external_id(
                prefix, platform_customer_id=payload.get("customer_id"), email=email, platform_order_id=order_id
            ),
            email=email,
            name=name,
            # WooCommerce keeps no customer language; multilingual plugins put it in meta_data
            preferred_language=language_of(_meta(payload, "wpml_language") or _meta(payload, "pll_language")),
        ),
        placed_at=placed_at,
        delivered_at=max(delivered_at, placed_at) if delivered_at else None,
        cancelled_at=max(cancelled_at, placed_at) if cancelled_at else None,
        total=as_decimal(require(payload, "total"), "total"),
        currency=text(payload.get("currency"), 3) or "EUR",
        shipping_country=text(shipping.get("country") or billing.get("country"), 2),
        items=items,
    )
    return ReceivedOrder(order_id, data, status, modified_at, has_email=bool(email))


def _meta(payload: dict, key: str) -> str:
    for entry in payload.get("meta_data") or []:
        if isinstance(entry, dict) and entry.get("key") == key and isinstance(entry.get("value"), str):
            return entry["value"]
    return ""
