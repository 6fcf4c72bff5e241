"""PrestaShop's Webservice API, polled: PrestaShop has no order webhooks.

Every few minutes (Celery beat, integrations.tasks.connectors_poll) each PrestaShop connector asks
for the orders changed since its cursor — `/api/orders?output_format=JSON&display=full&
filter[date_upd]=[cursor,now]&date=1&sort=[date_upd_ASC]`, a page at a time — with the Webservice
key as the basic-auth user, then the customers, currencies and languages those orders name. The
range is inclusive, so the newest order of a run is read again by the next one; storing it twice
changes nothing. Times are in the shop's time zone (TIME_ZONE).

Order states are PrestaShop's defaults: 5 "Delivered"; 6 "Canceled", 7 "Refunded" and 8 "Payment
error" cancel the survey.
"""

import time
from dataclasses import dataclass
from decimal import Decimal

import httpx

from customers.services import CustomerData, OrderData, OrderItemData
from integrations.mapping import (
    PayloadInvalid,
    ReceivedOrder,
    as_datetime,
    as_decimal,
    as_dict,
    clean_email,
    customer_external_id,
    quantity_of,
    require,
    shop_zone,
    text,
)

DELIVERED_STATES = {"5"}
CANCELLED_STATES = {"6", "7", "8"}
PAGE_SIZE = 100
TIMEOUT = httpx.Timeout(15.0, connect=5.0)
ATTEMPTS = 3
RETRY_PAUSE_SECONDS = 1.0


class ShopUnreachable(Exception):
    """The shop could not be asked, or refused; `status` is its HTTP status when it answered."""

    def __init__(self, message: str, *, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass
class Client:
    base_url: str
    key: str
    retry_pause: float = RETRY_PAUSE_SECONDS

    def __post_init__(self):
        self._http = httpx.Client(
            base_url=self.base_url.rstrip("/"),
            auth=(self.key, ""),
            timeout=TIMEOUT,
            # connection failures are retried by the transport; 5xx and timeouts below
            transport=httpx.HTTPTransport(retries=2),
            headers={"Accept": "application/json", "User-Agent": "Voz connector"},
            follow_redirects=True,
        )

    def close(self) -> None:
        self._http.close()

    def get(self, resource: str, params: dict) -> dict | list:
        params = {"output_format": "JSON", **params}
        for attempt in range(1, ATTEMPTS + 1):
            try:
                response = self._http.get(f"/api/{resource}", params=params)
            except httpx.HTTPError as error:
                if attempt == ATTEMPTS:
                    raise ShopUnreachable(f"{type(error).__name__}: {error}") from error
            else:
                if response.status_code < 500 or attempt == ATTEMPTS:
                    break
            time.sleep(self.retry_pause * attempt)
        if response.status_code != 200:
            raise ShopUnreachable(f"HTTP {response.status_code} from /api/{resource}", status=response.status_code)
        try:
            return response.json()
        except ValueError as error:
            raise ShopUnreachable(f"/api/{resource} did not answer JSON (is the Webservice enabled?)") from error

    def listing(self, resource: str, params: dict) -> list[dict]:
        """PrestaShop answers `{"orders": [...]}`, or a bare `[]` when nothing matches."""
        body = self.get(resource, params)
        if isinstance(body, list):
            return []
        rows = body.get(resource) if isinstance(body, dict) else None
        if not isinstance(rows, list):
            raise ShopUnreachable(f"/api/{resource} answered an unexpected shape")
        return [row for row in rows if isinstance(row, dict)]

    def orders_changed(self, *, since: str, until: str, offset: int) -> list[dict]:
        return self.listing(
            "orders",
            {
                "display": "full",
                "filter[date_upd]": f"[{since},{until}]",
                "date": "1",
                "sort": "[date_upd_ASC]",
                "limit": f"{offset},{PAGE_SIZE}",
            },
        )

    def by_id(self, resource: str, ids: set[str], fields: str) -> dict[str, dict]:
        if not ids:
            return {}
        rows = self.listing(resource, {"display": f"[{fields}]", "filter[id]": "[" + "|".join(sorted(ids)) + "]"})
        return {str(row.get("id")): row for row in rows}

    def table(self, resource: str, fields: str) -> dict[str, dict]:
        return {str(row.get("id")): row for row in self.listing(resource, {"display": f"[{fields}]"})}


def _newsletter_consent(customer: dict) -> bool | None:
    """The customer's newsletter box in PrestaShop ("1" or "0"); None when the shop does not say.
    Its `optin` is consent to partners' offers, not the shop's own, so it does not count."""
    value = str(customer.get("newsletter", "")).strip()
    return {"1": True, "0": False}.get(value)


def order_read(
    payload: dict, *, prefix: str, customers: dict[str, dict], currencies: dict[str, dict], languages: dict[str, dict]
) -> ReceivedOrder:
    payload = as_dict(payload, "The order")
    order_id = str(require(payload, "id"))
    state = str(payload.get("current_state") or "")
    zone = shop_zone()
    placed_at = as_datetime(require(payload, "date_add"), "date_add", naive_zone=zone)
    updated_at = as_datetime(payload.get("date_upd"), "date_upd", naive_zone=zone, required=False)
    delivered_at = None
    if state in DELIVERED_STATES:
        delivered_at = (
            as_datetime(payload.get("delivery_date"), "delivery_date", naive_zone=zone, required=False)
            or updated_at
            or placed_at
        )
    cancelled_at = (updated_at or placed_at) if state in CANCELLED_STATES else None
    customer = customers.get(str(payload.get("id_customer")), {})
    email = clean_email(customer.get("email"))
    associations = payload.get("associations") if isinstance(payload.get("associations"), dict) else {}
    rows = associations.get("order_rows")
    if not isinstance(rows, list) or not rows:
        raise PayloadInvalid(f"Order {order_id} has no order_rows.")
    items = []
    for row in rows:
        row = as_dict(row, "An order row")
        sku = text(row.get("product_reference"), 100) or f"presta-{require(row, 'product_id')}"
        items.append(
            OrderItemData(
                sku=sku,
                name=text(row.get("product_name"), 300),
                quantity=quantity_of(row.get("product_quantity")),
                unit_price=as_decimal(
                    row.get("unit_price_tax_incl") or row.get("product_price"), "unit_price", default=Decimal(0)
                ),
            )
        )
    name = " ".join(filter(None, [text(customer.get("firstname"), 100), text(customer.get("lastname"), 100)]))
    language = languages.get(str(customer.get("id_lang") or payload.get("id_lang")), {}).get("iso_code", "")
    data = OrderData(
        external_id=f"{prefix}{order_id}",
        customer=CustomerData(
            external_id=customer_external_id(
                prefix, platform_customer_id=payload.get("id_customer"), email=email, platform_order_id=order_id
            ),
            email=email,
            name=name,
            preferred_language=text(language, 2).lower(),
            accepts_marketing=_newsletter_consent(customer),
        ),
        placed_at=placed_at,
        delivered_at=max(delivered_at, placed_at) if delivered_at else None,
        cancelled_at=max(cancelled_at, placed_at) if cancelled_at else None,
        total=as_decimal(payload.get("total_paid_tax_incl") or require(payload, "total_paid"), "total_paid"),
        currency=text(currencies.get(str(payload.get("id_currency")), {}).get("iso_code"), 3) or "EUR",
        items=items,
    )
    return ReceivedOrder(order_id, data, f"state {state}" if state else "", updated_at, has_email=bool(email))
