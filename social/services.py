import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from brands.models import Brand
from brands.services import brand_detect
from core.bulk import UpsertResult
from customers.selectors import CustomerMatch, customer_match
from feedback.models import FeedbackItem
from feedback.services import feedback_items_upsert
from social.models import Connector, Mention

SIGNATURE_PREFIX = "sha256="


@dataclass
class MentionData:
    platform: str
    external_id: str
    text: str
    author_handle: str
    author_followers: int = 0
    url: str = ""
    language: str = ""
    posted_at: datetime | None = None
    is_reply_to_shop: bool = False
    brand: str = ""  # a competitor's slug; empty: detected from the text (the shop's unless it names a rival)


def mentions_upsert(
    *, items: Sequence[MentionData], connector: Connector | None = None, now: datetime | None = None
) -> list[UpsertResult]:
    """Create or update mentions by (platform, external id) in a few set-based queries."""
    now = now or timezone.now()
    results: list[UpsertResult | None] = [None] * len(items)
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        key = (item.platform, item.external_id)
        if key in seen:
            results[index] = UpsertResult(
                "error", errors={"external_id": [f"Also sent as item {seen[key]} of this batch."]}
            )
        else:
            seen[key] = index
    active = list(Brand.objects.filter(is_active=True))  # once per batch, for naming and detecting
    brands = {brand.slug: brand for brand in active}
    for index, item in enumerate(items):
        if results[index] is None and item.brand and item.brand not in brands:
            results[index] = UpsertResult(
                "error", errors={"brand": [gettext("Unknown brand “%(brand)s”.") % {"brand": item.brand}]}
            )
    candidates = [(index, item) for index, item in enumerate(items) if results[index] is None]
    if not candidates:
        return results  # type: ignore[return-value]

    def brand_of(item: MentionData) -> Brand | None:
        if item.brand:
            return None if brands[item.brand].is_own else brands[item.brand]
        return brand_detect(text=item.text, language=item.language, brands=active)

    with transaction.atomic():
        existing = {
            (platform, external_id): (text, brand_id)
            for platform, external_id, text, brand_id in Mention.objects.filter(
                platform__in={item.platform for _, item in candidates},
                external_id__in={item.external_id for _, item in candidates},
            ).values_list("platform", "external_id", "text", "brand_id")
        }
        saved = Mention.objects.bulk_create(
            [
                Mention(
                    platform=item.platform,
                    external_id=item.external_id,
                    url=item.url,
                    author_handle=item.author_handle.lstrip("@"),
                    author_followers=item.author_followers,
                    text=item.text,
                    language=item.language,
                    posted_at=item.posted_at or now,
                    is_reply_to_shop=item.is_reply_to_shop,
                    connector=connector,
                    brand=brand_of(item),
                    received_at=now,
                    updated_at=now,
                )
                for _, item in candidates
            ],
            update_conflicts=True,
            unique_fields=["platform", "external_id"],
            update_fields=[
                "url",
                "author_handle",
                "author_followers",
                "text",
                "language",
                "posted_at",
                "is_reply_to_shop",
                "brand",
                "updated_at",
            ],
        )
        changed = []
        for (index, item), mention in zip(candidates, saved, strict=True):
            previous = existing.get((item.platform, item.external_id))
            results[index] = UpsertResult("created" if previous is None else "updated", mention)
            if previous != (item.text, mention.brand_id):
                changed.append(mention)
        _feedback_items_for_mentions(changed)
    return results  # type: ignore[return-value]


def _mention_customer(mention: Mention) -> CustomerMatch | None:
    # a rival's mention is about them, never one of the shop's customers' feedback
    if mention.brand_id is not None:
        return None
    return customer_match(text=mention.text, handle=mention.author_handle, platform=mention.platform)


def _feedback_items_for_mentions(mentions: list[Mention]) -> None:
    items = []
    for mention in mentions:
        match = _mention_customer(mention)
        items.append(
            FeedbackItem(
                channel=FeedbackItem.Channel.SOCIAL,
                mention_id=mention.pk,
                text=mention.text,
                language=mention.language if mention.language in ("es", "en") else "",
                received_at=mention.posted_at,
                source=mention.platform,
                page_url=mention.url[:500],
                brand_id=mention.brand_id,
                customer_id=match.customer_id if match else None,
                order_id=match.order_id if match else None,
            )
        )
    feedback_items_upsert(link="mention", items=items)


def connector_create(*, name: str, platform: str) -> tuple[Connector, str]:
    secret = secrets.token_urlsafe(32)
    return Connector.objects.create(name=name, platform=platform, secret=secret), secret


@transaction.atomic
def connector_rotate_secret(*, connector: Connector, now: datetime | None = None) -> str:
    """A new secret at once; the old one stays valid for the grace period, so no request is lost."""
    now = now or timezone.now()
    connector = Connector.objects.select_for_update().get(pk=connector.pk)
    connector.previous_secret = connector.secret
    connector.previous_secret_expires_at = now + timedelta(hours=settings.SOCIAL_SECRET_ROTATION_GRACE_HOURS)
    connector.secret = secrets.token_urlsafe(32)
    connector.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return connector.secret


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>." + raw body, hex, as the connector sends it."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


def webhook_is_authentic(
    *, connector: Connector, timestamp: str, signature: str, body: bytes, now: datetime | None = None
) -> bool:
    """A valid signature by a current secret, made within the allowed age (no replays of old requests)."""
    now = now or timezone.now()
    try:
        signed_at = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs(now.timestamp() - signed_at) > settings.SOCIAL_WEBHOOK_MAX_AGE_SECONDS:
        return False
    return any(
        hmac.compare_digest(webhook_signature(secret, timestamp, body), signature or "")
        for secret in connector.valid_secrets(now)
    )
