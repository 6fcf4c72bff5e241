import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext

from brands.models import Brand
from core.audit import audit
from core.bulk import UpsertResult
from core.changes import Source, changes_record, changes_statement
from core.exceptions import ApplicationError
from core.models import WebhookEventType
from core.prepared import rows_upsert
from core.queueing import enqueue
from core.shop import regional_override, shop_settings
from core.webhooks import iso, webhook_events_record
from customers.models import Customer, Order, Product
from feedback.models import FeedbackItem
from feedback.services import feedback_items_upsert
from reviews import moderation
from reviews.models import ModerationRule, Review, ReviewHelpfulVote, ReviewPhoto, ReviewReply
from reviews.photos import PreparedPhoto


@dataclass
class ReviewData:
    source: str
    external_id: str
    rating: int
    title: str = ""
    body: str = ""
    author_name: str = ""
    author_email: str = ""
    order_external_id: str = ""
    product_sku: str = ""
    language: str = ""
    created_at: datetime | None = None
    brand: str = ""  # a competitor's slug (a review of a rival's shop); empty: the shop's own
    has_photos: bool = False  # photos come with it: a person checks them before it is shown


class ReviewNotFound(ApplicationError):
    code = "not_found"
    status_code = 404


def _author_key(data: ReviewData) -> str:
    return (data.author_email or data.author_name).strip().lower()


def _orders_named(items: Sequence[ReviewData]) -> tuple[dict[str, tuple[str, set[str]]], dict[str, tuple[int, int]]]:
    """For the orders the batch names, in one query: order external id -> (customer email, product
    skus), and order external id -> (order pk, customer pk)."""
    ids = {item.order_external_id for item in items if item.order_external_id}
    rows = Order.objects.filter(external_id__in=ids).values_list(
        "external_id", "pk", "customer_id", "customer__email", "items__product__sku"
    )
    orders: dict[str, tuple[str, set[str]]] = {}
    keys: dict[str, tuple[int, int]] = {}
    for external_id, pk, customer_id, email, sku in rows:
        entry = orders.setdefault(external_id, ((email or "").lower(), set()))
        keys[external_id] = (pk, customer_id)
        if sku:
            entry[1].add(sku)
    return orders, keys


def is_verified_buyer(data: ReviewData, orders: dict[str, tuple[str, set[str]]]) -> bool:
    """The named order exists, belongs to the author (by email) and contains the reviewed product."""
    order = orders.get(data.order_external_id)
    if order is None or not data.author_email:
        return False
    email, skus = order
    if email != data.author_email.strip().lower():
        return False
    return not data.product_sku or data.product_sku in skus


def reviews_upsert(*, items: Sequence[ReviewData], now: datetime | None = None) -> list[UpsertResult]:
    """Create or update reviews by (source, external id), a batch at a time, in a few queries.

    Unknown products are an error for that item only. The database's unique constraint and
    ON CONFLICT make two racing requests update one row rather than insert two.
    """
    now = now or timezone.now()
    results: list[UpsertResult | None] = [None] * len(items)
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        key = (item.source, item.external_id)
        if key in seen:
            results[index] = UpsertResult(
                "error", errors={"external_id": [f"Also sent as item {seen[key]} of this batch."]}
            )
        else:
            seen[key] = index

    skus = {item.product_sku for item in items if item.product_sku}
    products = dict(Product.objects.filter(sku__in=skus).values_list("sku", "pk"))
    orders, order_keys = _orders_named(items)
    order_pks = {external_id: pk for external_id, (pk, _) in order_keys.items()}
    order_customers = {external_id: customer_id for external_id, (_, customer_id) in order_keys.items()}
    emails = {item.author_email.strip().lower() for item in items if item.author_email}
    customers = dict(
        Customer.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in=emails)
        .order_by("pk")
        .values_list("email_lower", "pk")
    )
    rules = list(ModerationRule.objects.filter(is_active=True))

    brands = {brand.slug: brand for brand in Brand.objects.filter(slug__in={item.brand for item in items} - {""})}
    candidates = []
    for index, item in enumerate(items):
        if results[index] is not None:
            continue
        if item.brand and item.brand not in brands:
            results[index] = UpsertResult(
                "error", errors={"brand": [gettext("Unknown brand “%(brand)s”.") % {"brand": item.brand}]}
            )
            continue
        if item.product_sku and item.product_sku not in products:
            results[index] = UpsertResult("error", errors={"product_sku": [f"Unknown product {item.product_sku!r}."]})
            continue
        candidates.append((index, item))

    keys = [(item.source, item.external_id) for _, item in candidates]
    authors = {_author_key(item) for _, item in candidates} - {""}

    with transaction.atomic():
        # tuples, not model instances: only these columns are read
        existing = {
            (row.source, row.external_id): row
            for row in Review.objects.filter(
                source__in={k[0] for k in keys}, external_id__in={k[1] for k in keys}
            ).values_list(
                "source",
                "external_id",
                "title",
                "body",
                "status",
                "moderation_reason",
                "created_at",
                "brand_id",
                named=True,
            )
        }
        earlier_texts: dict[tuple[str, str], set[tuple[str, str]]] = {}
        fingerprints = [moderation.text_fingerprint(item.title, item.body) for _, item in candidates]
        for author, fingerprint, source, external_id in Review.objects.filter(
            author_key__in=authors, text_fingerprint__in=set(fingerprints) - {""}
        ).values_list("author_key", "text_fingerprint", "source", "external_id"):
            earlier_texts.setdefault((author, fingerprint), set()).add((source, external_id))
        batch_texts: set[tuple[str, str]] = set()
        rows = []
        for (index, item), fingerprint in zip(candidates, fingerprints, strict=True):
            author = _author_key(item)
            previous = existing.get((item.source, item.external_id))
            others = earlier_texts.get((author, fingerprint), set()) - {(item.source, item.external_id)}
            is_duplicate = bool(author and fingerprint) and ((author, fingerprint) in batch_texts or bool(others))
            batch_texts.add((author, fingerprint))
            rival = brands[item.brand] if item.brand and not brands[item.brand].is_own else None
            text_changed = previous is None or (previous.title, previous.body, previous.brand_id) != (
                item.title,
                item.body,
                rival.pk if rival else None,
            )
            if previous is not None and not text_changed:
                # Same words as before: a staff decision (or the earlier automatic one) stands.
                status, reason = previous.status, previous.moderation_reason
            else:
                verdict = moderation.moderate(
                    title=item.title, body=item.body, language=item.language, rules=rules, is_duplicate=is_duplicate
                )
                status, reason = verdict.status, verdict.reason
                if item.has_photos and status == Review.Status.PUBLISHED:
                    status, reason = Review.Status.PENDING, "photos to check"
            # a rival's review is nobody's purchase here: no customer, order or verified badge
            order_customer = None if rival else order_customers.get(item.order_external_id)
            rows.append(
                (
                    index,
                    text_changed,
                    Review(
                        source=item.source,
                        external_id=item.external_id,
                        product_id=products.get(item.product_sku),
                        rating=item.rating,
                        title=item.title,
                        body=item.body,
                        author_name=item.author_name,
                        author_email=item.author_email,
                        customer_id=None
                        if rival
                        else customers.get(item.author_email.strip().lower()) or order_customer,
                        order_id=None if rival else order_pks.get(item.order_external_id),
                        language=item.language,
                        is_verified_buyer=not rival and is_verified_buyer(item, orders),
                        brand=rival,
                        status=status,
                        moderation_reason=reason,
                        author_key=author,
                        text_fingerprint=fingerprint,
                        created_at=item.created_at or now,
                        received_at=now,
                        updated_at=now,
                    ),
                )
            )
        reviews = [review for _, _, review in rows]
        # the change log's row travels with the upsert: one round trip for both
        rows_upsert(
            reviews,
            unique_fields=["source", "external_id"],
            update_fields=[
                "product",
                "rating",
                "title",
                "body",
                "author_name",
                "author_email",
                "customer",
                "order",
                "language",
                "is_verified_buyer",
                "status",
                "moderation_reason",
                "author_key",
                "text_fingerprint",
                "created_at",
                "brand",
                "updated_at",
            ],
            also=[
                changes_statement(
                    Source.REVIEWS,
                    [review.created_at for review in existing.values()] + [review.created_at for review in reviews],
                )
            ],
        )
        published = []
        for index, _, review in rows:
            previous = existing.get((review.source, review.external_id))
            results[index] = UpsertResult("updated" if previous else "created", review)
            if review.status == Review.Status.PUBLISHED and (previous is None or previous.status != review.status):
                published.append(review)
        webhook_events_record(WebhookEventType.REVIEW_PUBLISHED, lambda: review_published_data(published), now=now)
        _feedback_items_for_reviews([review for _, changed, review in rows if changed])
    return results  # type: ignore[return-value]


def review_published_data(reviews: Sequence[Review]) -> list[dict]:
    """The data of review.published events (version 1): the shop's own reviews, as shown in public."""
    reviews = [review for review in reviews if review.brand_id is None]
    skus = dict(Product.objects.filter(pk__in={r.product_id for r in reviews if r.product_id}).values_list("pk", "sku"))
    return [
        {
            "id": review.pk,
            "source": review.source,
            "external_id": review.external_id,
            "product_sku": skus.get(review.product_id),
            "rating": review.rating,
            "title": review.title,
            "body": review.body,
            "author_name": review.author_name,
            "language": review.language,
            "is_verified_buyer": review.is_verified_buyer,
            "created_at": iso(review.created_at),
        }
        for review in reviews
    ]


def _feedback_items_for_reviews(reviews: list[Review]) -> None:
    """Every new or reworded review is feedback to analyse."""
    feedback_items_upsert(
        link="review",
        items=[
            FeedbackItem(
                channel=FeedbackItem.Channel.REVIEW,
                review_id=review.pk,
                text=review.text or "—",
                language=review.language if review.language in ("es", "en") else "",
                customer_id=review.customer_id,
                order_id=review.order_id,
                received_at=review.created_at,
                source=review.source,
                brand_id=review.brand_id,
            )
            for review in reviews
        ],
    )


@transaction.atomic
def review_moderate(*, review: Review, status: str, reason: str = "", user=None) -> Review:
    if status not in Review.Status.values:
        raise ApplicationError(f"Unknown status {status!r}.", extra={"status": ["Not a valid choice."]})
    review = Review.objects.select_for_update().get(pk=review.pk)
    was_published = review.status == Review.Status.PUBLISHED
    review.status, review.moderation_reason, review.moderated_by = status, reason, user
    review.save(update_fields=["status", "moderation_reason", "moderated_by", "updated_at"])
    changes_record(Source.REVIEWS, [review.created_at])
    if status == Review.Status.PUBLISHED and not was_published:
        webhook_events_record(WebhookEventType.REVIEW_PUBLISHED, lambda: review_published_data([review]))
    audit("review.moderate", review, actor=user, people_only=True, details={"status": status, "reason": reason})
    return review


@transaction.atomic
def review_reply(*, review: Review, text: str, author=None) -> ReviewReply:
    """Publish (or edit) the shop's reply; the reviewer is emailed the first time, once."""
    text = text.strip()
    if not text:
        raise ApplicationError("A reply needs some text.", extra={"text": ["This field may not be blank."]})
    if len(text) > settings.API_MAX_TEXT_LENGTH:
        raise ApplicationError("The reply is too long.", extra={"text": ["Too long."]})
    reply, _ = ReviewReply.objects.update_or_create(review=review, defaults={"text": text, "author": author})
    audit("review.reply", review, actor=author, summary=text[:200])
    if reply.emailed_at is None and (review.author_email or review.customer_id):
        transaction.on_commit(lambda: _enqueue_reply_email(reply.pk))
    return reply


def _enqueue_reply_email(reply_id: int) -> None:
    from reviews.tasks import review_reply_email

    enqueue(review_reply_email, reply_id)


def review_reply_email_send(*, reply_id: int) -> bool:
    """Email the reply to the reviewer in their language; idempotent (sent at most once)."""
    from django.template.loader import render_to_string

    from customers.emailing import EmailKind, EmailNotAllowed, customer_email_send

    with transaction.atomic():
        reply = (
            ReviewReply.objects.select_for_update(of=("self",))
            .select_related("review__customer", "review__product")
            .filter(pk=reply_id)
            .first()
        )
        if reply is None or reply.emailed_at is not None:
            return False
        review = reply.review
        email = review.author_email or (review.customer.email if review.customer else "")
        if not email:
            return False
        language = next(
            (
                language
                for language in (review.language, review.customer.preferred_language if review.customer else "")
                if language in ("es", "en")
            ),
            shop_settings().default_language,  # a reviewer whose language nobody knows: the shop's
        )
        with regional_override(language):
            subject = render_to_string(
                "reviews/email/reply_subject.txt", {"review": review, "shop_name": shop_settings().name}
            ).strip()
        try:
            customer_email_send(
                kind=EmailKind.REVIEW_REPLY,
                customer=review.customer,
                to=email,
                language=language,
                subject=subject,
                template="reviews/email/reply",
                context={"review": review, "reply": reply},
            )
        except EmailNotAllowed as refused:
            reply.email_refused = refused.reason
            reply.save(update_fields=["email_refused"])
            return False
        reply.emailed_at = timezone.now()
        reply.save(update_fields=["emailed_at"])
    return True


def review_replies_email_unsent() -> int:
    """Queue the emails of replies that were never sent (the broker may have been down)."""
    ids = list(
        ReviewReply.objects.filter(emailed_at__isnull=True, email_refused="")
        .exclude(review__author_email="", review__customer__isnull=True)
        .values_list("pk", flat=True)
    )
    for reply_id in ids:
        _enqueue_reply_email(reply_id)
    return len(ids)


# ---------------------------------------------------------------------------------------------
# Shoppers on the product page
# ---------------------------------------------------------------------------------------------

HELPFUL_VOTES_PER_VOTER_PER_DAY = 30


class HelpfulVoteRefused(ApplicationError):
    code = "vote_refused"
    status_code = 429


def helpful_voter_key(*, address: str, day: date) -> str:
    """Who votes, without a cookie and without keeping their address: a keyed hash of the address
    and the day. Tomorrow the same address is someone new, and nobody can turn a key back into
    an address without the server's secret."""
    message = f"helpful-vote|{address}|{day.isoformat()}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


@transaction.atomic
def review_vote_helpful(*, review: Review, address: str, now: datetime | None = None) -> tuple[bool, int]:
    """Count a shopper's "helpful" once per review and address a day; (counted, the new total).

    Voting again the same day is not an error (the button may be pressed twice) but counts nothing;
    more than HELPFUL_VOTES_PER_VOTER_PER_DAY votes a day from one address is refused."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    key = helpful_voter_key(address=address, day=day)
    if review.status != Review.Status.PUBLISHED or review.brand_id is not None:
        raise ReviewNotFound("No such review.")
    if ReviewHelpfulVote.objects.filter(voter_key=key, day=day).count() >= HELPFUL_VOTES_PER_VOTER_PER_DAY:
        raise HelpfulVoteRefused("Too many votes from this address today.")
    _, created = ReviewHelpfulVote.objects.get_or_create(
        review=review, voter_key=key, defaults={"day": day, "created_at": now}
    )
    if created:
        Review.objects.filter(pk=review.pk).update(helpful_count=F("helpful_count") + 1)
    return created, Review.objects.values_list("helpful_count", flat=True).get(pk=review.pk)


# ---------------------------------------------------------------------------------------------
# Photos
# ---------------------------------------------------------------------------------------------


def review_photos_add(*, review: Review, photos: Sequence[PreparedPhoto]) -> list[ReviewPhoto]:
    """Attach photos already checked and re-encoded (reviews.photos.photo_prepare) to a review.

    They are shown only while the review is published, and a person must see them first: a
    review published by the automatic checks goes back to moderation when photos come with it."""
    import uuid

    from django.core.files.base import ContentFile

    if not photos:
        return []
    saved = []
    for photo in photos[: settings.REVIEW_PHOTOS_PER_REVIEW]:
        name = f"{uuid.uuid4().hex}.jpg"  # nothing of the customer's file name is kept
        row = ReviewPhoto(review=review, width=photo.width, height=photo.height)
        row.image.save(name, ContentFile(photo.full), save=False)
        row.thumbnail.save(name, ContentFile(photo.thumbnail), save=False)
        row.save()
        saved.append(row)
    if review.status == Review.Status.PUBLISHED:
        Review.objects.filter(pk=review.pk).update(
            status=Review.Status.PENDING, moderation_reason="photos to check", updated_at=timezone.now()
        )
        review.status = Review.Status.PENDING
    return saved


def review_photos_delete(*, review_ids: Sequence[int]) -> int:
    """Remove reviews' photos, rows now and files once the transaction commits (an erasure)."""
    photos = list(ReviewPhoto.objects.filter(review_id__in=review_ids))
    for photo in photos:
        for file in (photo.image, photo.thumbnail):
            if file:
                transaction.on_commit(lambda name=file.name, storage=file.storage: storage.delete(name))
    ReviewPhoto.objects.filter(pk__in=[p.pk for p in photos]).delete()
    return len(photos)
