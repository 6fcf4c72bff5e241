"""What the three platforms' order payloads have in common once read: one `ReceivedOrder`.

Each platform module (shopify, woocommerce, prestashop) turns its own payload into this, using the
field names of the platform's public documentation; anything that does not fit raises
PayloadInvalid, which the webhook answers with a 400 naming the problem.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.dateparse import parse_datetime

from customers.services import OrderData


class PayloadInvalid(ValueError):
    """The platform sent something that is not an order we can read; the message says why."""


@dataclass(frozen=True)
class ReceivedOrder:
    platform_order_id: str
    data: OrderData
    platform_status: str
    platform_updated_at: datetime | None
    has_email: bool


def require(payload: dict, key: str):
    value = payload.get(key)
    if value in (None, ""):
        raise PayloadInvalid(f"Missing field {key!r}.")
    return value


def as_dict(value, what: str) -> dict:
    if not isinstance(value, dict):
        raise PayloadInvalid(f"{what} must be a JSON object.")
    return value


def as_decimal(value, field: str, *, default: Decimal | None = None) -> Decimal:
    if value in (None, "") and default is not None:
        return default
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError) as error:
        raise PayloadInvalid(f"{field!r} is not a number: {value!r}.") from error
    if not number.is_finite() or abs(number) >= Decimal("1e10"):
        raise PayloadInvalid(f"{field!r} is out of range: {value!r}.")
    return number.quantize(Decimal("0.01"))


def as_datetime(value, field: str, *, naive_zone: str = "UTC", required: bool = True) -> datetime | None:
    """An ISO 8601 or "YYYY-MM-DD HH:MM:SS" time; one without an offset is read in `naive_zone`.

    PrestaShop writes "0000-00-00 00:00:00" for a date it does not have."""
    if value in (None, "") or (isinstance(value, str) and value.startswith("0000-00-00")):
        if required:
            raise PayloadInvalid(f"Missing field {field!r}.")
        return None
    try:
        moment = parse_datetime(str(value).strip())
    except ValueError:
        moment = None
    if moment is None:
        raise PayloadInvalid(f"{field!r} is not a date and time: {value!r}.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC if naive_zone == "UTC" else ZoneInfo(naive_zone))
    return moment


def shop_zone() -> str:
    return settings.TIME_ZONE


def latest(*moments: datetime | None) -> datetime | None:
    present = [moment for moment in moments if moment is not None]
    return max(present) if present else None


def language_of(locale: str | None) -> str:
    code = (locale or "").strip().lower()[:2]
    return code if code in {code for code, _name in settings.LANGUAGES} else ""


def customer_external_id(prefix: str, *, platform_customer_id, email: str, platform_order_id: str) -> str:
    """The shop's customer id when it has one; a guest is known by their email (hashed: the id is
    shown in places the email is not), and someone with neither is only this order's buyer."""
    if platform_customer_id not in (None, "", 0, "0"):
        return f"{prefix}c{platform_customer_id}"[:100]
    if email:
        return f"{prefix}e{hashlib.sha256(email.strip().lower().encode()).hexdigest()[:20]}"
    return f"{prefix}o{platform_order_id}"[:100]


def clean_email(value) -> str:
    email = str(value or "").strip()
    return email if "@" in email and len(email) <= 254 else ""


def text(value, limit: int) -> str:
    return str(value or "").strip()[:limit]


def quantity_of(value) -> int:
    quantity = as_decimal(value, "quantity", default=Decimal(1))
    return int(min(max(quantity, Decimal(1)), Decimal(100_000)))
