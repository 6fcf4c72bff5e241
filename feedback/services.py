from collections.abc import Sequence

from core.models import WebhookEventType
from core.webhooks import iso, webhook_events_record
from customers.models import Customer, Order
from feedback.models import FeedbackItem
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
    """Create or refresh the feedback items of reviews or mentions (`link` is "review" or "mention").

    Called only for new or reworded sources, so each one is (re)analysed once the transaction commits.
    """
    if not items:
        return []
    for item in items:
        for name, value in ANALYSIS_RESET.items():
            setattr(item, name, value)
    from core.changes import Source, changes_record

    # A reworded item leaves the analysed set until it is analysed again: its old day changes too.
    previous = dict(
        FeedbackItem.objects.filter(**{f"{link}_id__in": [getattr(item, f"{link}_id") for item in items]}).values_list(
            f"{link}_id", "received_at"
        )
    )
    changes_record(Source.FEEDBACK, [*previous.values(), *(item.received_at for item in items)])
    saved = FeedbackItem.objects.bulk_create(
        items, update_conflicts=True, unique_fields=[link], update_fields=SOURCE_FIELDS + list(ANALYSIS_RESET)
    )
    feedback_analysis_enqueue([item.pk for item in saved])
    created = [item for item in saved if getattr(item, f"{link}_id") not in previous]
    webhook_events_record(WebhookEventType.FEEDBACK_CREATED, lambda: feedback_created_data(created))
    return saved


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
