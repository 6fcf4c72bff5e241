from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext

from core.audit import audit
from core.bulk import UpsertResult
from core.exceptions import ApplicationError
from core.models import WebhookEventType
from core.prepared import rows_upsert
from core.webhooks import iso, webhook_events_record
from customers.models import Customer, Order
from feedback.models import MESSAGE_CHANNELS, FeedbackItem, InboundMessage
from feedback.pipeline import feedback_analysis_enqueue

SOURCE_FIELDS = [
    "text",
    "language",
    "customer",
    "order",
    "received_at",
    "source",
    "page_url",
    "device",
    "country",
    "brand",
]
ANALYSIS_RESET = {"analysis_status": FeedbackItem.AnalysisStatus.PENDING, "model_version": "", "taxonomy_version": ""}


def feedback_items_upsert(*, link: str, items: list[FeedbackItem]) -> list[FeedbackItem]:
    """Create or refresh the feedback items of reviews, mentions or messages (`link` names the source).

    Called only for new or reworded sources, so each one is (re)analysed once the transaction commits.
    """
    if not items:
        return []
    for item in items:
        for name, value in ANALYSIS_RESET.items():
            setattr(item, name, value)
    from core.changes import Source, changes_statement

    # One look at the items stored before: a reworded item leaves the analysed set until it is
    # analysed again (its old day changes too), and a customer linked by staff stays linked.
    previous: dict[int, datetime] = {}
    decided_by_staff: dict[int, tuple[int | None, int | None]] = {}
    for source_id, received_at, by_staff, customer_id, order_id in FeedbackItem.objects.filter(
        **{f"{link}_id__in": [getattr(item, f"{link}_id") for item in items]}
    ).values_list(f"{link}_id", "received_at", "customer_set_by_staff", "customer_id", "order_id"):
        previous[source_id] = received_at
        if by_staff:
            decided_by_staff[source_id] = (customer_id, order_id)
    for item in items:
        if getattr(item, f"{link}_id") in decided_by_staff:
            item.customer_id, item.order_id = decided_by_staff[getattr(item, f"{link}_id")]
    rows_upsert(
        items,
        unique_fields=[link],
        update_fields=SOURCE_FIELDS + list(ANALYSIS_RESET),
        also=[changes_statement(Source.FEEDBACK, [*previous.values(), *(item.received_at for item in items)])],
    )
    feedback_analysis_enqueue([item.pk for item in items])
    created = [item for item in items if getattr(item, f"{link}_id") not in previous]
    webhook_events_record(WebhookEventType.FEEDBACK_CREATED, lambda: feedback_created_data(created))
    return items


@dataclass
class MessageData:
    channel: str
    external_id: str
    text: str
    subject: str = ""
    source: str = ""
    author_name: str = ""
    author_email: str = ""
    customer: str = ""  # the customer's external id; empty: found by author_email when it is known
    order: str = ""  # an order's external id
    rating: int | None = None
    language: str = ""
    url: str = ""
    sent_at: datetime | None = None


MESSAGE_UPDATE_FIELDS = [
    "source",
    "author_name",
    "author_email",
    "customer",
    "order",
    "subject",
    "text",
    "rating",
    "language",
    "url",
    "sent_at",
    "updated_at",
]


def _message_people(items: Sequence[MessageData]) -> tuple[dict[str, int], dict[str, int], dict[str, tuple[int, int]]]:
    """customer external id → pk, lower-case email → pk, order external id → (pk, customer pk)."""
    customers = dict(
        Customer.objects.filter(external_id__in={i.customer for i in items if i.customer}).values_list(
            "external_id", "pk"
        )
    )
    emails: dict[str, int] = {}
    for email, pk in (
        Customer.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower__in={i.author_email.lower() for i in items if i.author_email}, erased_at__isnull=True)
        .order_by("pk")
        .values_list("email_lower", "pk")
    ):
        emails.setdefault(email, pk)
    orders = {
        external_id: (pk, customer_id)
        for external_id, pk, customer_id in Order.objects.filter(
            external_id__in={i.order for i in items if i.order}
        ).values_list("external_id", "pk", "customer_id")
    }
    return customers, emails, orders


def messages_upsert(*, items: Sequence[MessageData], now: datetime | None = None) -> list[UpsertResult]:
    """Create or update messages by (channel, external id) in a few set-based queries.

    The customer is the one named, else the order's, else the one whose email wrote it. A message
    that is new or reworded becomes (or refreshes) its feedback item, which is analysed, and
    triage may open a case; one that only repeats what was stored changes nothing downstream.
    """
    now = now or timezone.now()
    results: list[UpsertResult | None] = [None] * len(items)
    seen: dict[tuple[str, str], int] = {}
    for index, item in enumerate(items):
        key = (item.channel, item.external_id)
        if key in seen:
            results[index] = UpsertResult(
                "error", errors={"external_id": [f"Also sent as item {seen[key]} of this batch."]}
            )
        else:
            seen[key] = index
    customers, emails, orders = _message_people(items)
    rows: list[tuple[int, InboundMessage]] = []
    for index, item in enumerate(items):
        if results[index] is not None:
            continue
        if item.customer and item.customer not in customers:
            results[index] = UpsertResult("error", errors={"customer": [f"Unknown customer {item.customer!r}."]})
            continue
        if item.order and item.order not in orders:
            results[index] = UpsertResult("error", errors={"order": [f"Unknown order {item.order!r}."]})
            continue
        order_id, order_customer_id = orders.get(item.order, (None, None))
        customer_id = customers.get(item.customer) or order_customer_id or emails.get(item.author_email.lower())
        rows.append(
            (
                index,
                InboundMessage(
                    channel=item.channel,
                    external_id=item.external_id,
                    source=item.source,
                    author_name=item.author_name,
                    author_email=item.author_email,
                    customer_id=customer_id,
                    order_id=order_id,
                    subject=item.subject,
                    text=item.text,
                    rating=item.rating,
                    language=item.language,
                    url=item.url,
                    sent_at=item.sent_at or now,
                    received_at=now,
                    updated_at=now,
                ),
            )
        )
    if not rows:
        return results  # type: ignore[return-value]
    with transaction.atomic():
        existing = {
            (channel, external_id): (subject, text, case_id)
            for channel, external_id, subject, text, case_id in InboundMessage.objects.filter(
                channel__in={m.channel for _, m in rows}, external_id__in={m.external_id for _, m in rows}
            ).values_list("channel", "external_id", "subject", "text", "case_id")
        }
        saved = InboundMessage.objects.bulk_create(
            [message for _, message in rows],
            update_conflicts=True,
            unique_fields=["channel", "external_id"],
            update_fields=MESSAGE_UPDATE_FIELDS,
        )
        changed = []
        for (index, _), message in zip(rows, saved, strict=True):
            previous = existing.get((message.channel, message.external_id))
            results[index] = UpsertResult("created" if previous is None else "updated", message)
            # a reply threaded onto a case is a message there, not a new piece of feedback
            is_on_case = previous is not None and previous[2] is not None
            if not is_on_case and (previous is None or previous[:2] != (message.subject, message.text)):
                changed.append(message)
        feedback_items_upsert(link="inbound_message", items=[_feedback_item_of(message) for message in changed])
    return results  # type: ignore[return-value]


def _feedback_item_of(message: InboundMessage) -> FeedbackItem:
    # The subject of an email or a store review is often the complaint in a few words.
    text = f"{message.subject}\n\n{message.text}" if message.subject else message.text
    return FeedbackItem(
        channel=message.channel,
        inbound_message_id=message.pk,
        text=text,
        language=message.language if message.language in ("es", "en") else "",
        customer_id=message.customer_id,
        order_id=message.order_id,
        received_at=message.sent_at,
        source=message.source,
        page_url=message.url[:500],
    )


def feedback_created_data(items: Sequence[FeedbackItem]) -> list[dict]:
    """The data of feedback.created events (version 1): the shop's own feedback, not a rival's.

    surveys.services writes the same shape for survey comments in SQL; a test holds them together.
    """
    items = [item for item in items if item.brand_id is None]
    customers = dict(
        Customer.objects.filter(pk__in={i.customer_id for i in items if i.customer_id}).values_list("pk", "external_id")
    )
    orders = dict(
        Order.objects.filter(pk__in={i.order_id for i in items if i.order_id}).values_list("pk", "external_id")
    )
    return [
        {
            "id": item.pk,
            "channel": item.channel,
            "source": item.source,
            "text": item.text,
            "language": item.language,
            "received_at": iso(item.received_at),
            "customer": customers.get(item.customer_id),
            "order": orders.get(item.order_id),
        }
        for item in items
    ]


class FeedbackLinkRefused(ApplicationError):
    code = "feedback_link_refused"


# Where a customer is known only by matching clues (an email, an order number, a handle), staff
# may correct the match; surveys and reviews belong to their invitation's or order's customer.
HAND_LINKED_CHANNELS = {FeedbackItem.Channel.SOCIAL, FeedbackItem.Channel.WEB, *MESSAGE_CHANNELS}


@transaction.atomic
def feedback_item_customer_set(*, item: FeedbackItem, customer: Customer | None, actor=None) -> FeedbackItem:
    """Link a piece of feedback to a customer by hand, or unlink it (customer None)."""
    item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    if item.channel not in HAND_LINKED_CHANNELS:
        raise FeedbackLinkRefused(gettext("Survey answers and reviews belong to the customer of their order."))
    if item.brand_id is not None:
        raise FeedbackLinkRefused(gettext("A competitor's mention is not a customer's feedback."))
    if customer is not None and customer.erased_at is not None:
        raise FeedbackLinkRefused(gettext("This customer's personal data was erased."))
    previous = item.customer_id
    item.customer = customer
    if customer is None or (item.order_id and item.order.customer_id != customer.pk):
        item.order = None
    item.customer_set_by_staff = True
    item.save(update_fields=["customer", "order", "customer_set_by_staff"])
    audit(
        "feedback.customer_link" if customer is not None else "feedback.customer_unlink",
        item,
        actor=actor,
        details={"customer": customer.pk if customer is not None else None, "previous": previous},
    )
    return item
