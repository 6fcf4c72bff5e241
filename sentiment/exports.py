import csv
from collections.abc import Iterable, Iterator

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.utils import timezone

from feedback.models import FeedbackItem

CSV_COLUMNS = [
    "id",
    "channel",
    "received_at",
    "language",
    "sentiment",
    "sentiment_score",
    "corrected_sentiment",
    "topics",
    "rating",
    "product",
    "verified_buyer",
    "moderation_status",
    "author",
    "customer",
    "order",
    "text",
]
PERSONAL_COLUMNS = ["email"]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _email(item: FeedbackItem) -> str:
    if item.customer_id:
        return item.customer.email
    return item.review.author_email if item.review_id else ""


def _row(item: FeedbackItem) -> list:
    review = item.review if item.review_id else None
    return [
        item.pk,
        item.channel,
        item.received_at.isoformat(),
        item.language,
        item.sentiment,
        "" if item.sentiment_score is None else f"{item.sentiment_score:.3f}",
        item.sentiment_gold,
        "; ".join(f"{m.topic.slug}:{m.sentiment}" for m in item.topic_mentions.all()),
        review.rating if review else "",
        review.product.sku if review and review.product_id else "",
        ("yes" if review.is_verified_buyer else "no") if review else "",
        review.status if review else "",
        review.author_name if review else (f"@{item.mention.author_handle}" if item.mention_id else ""),
        item.customer.external_id if item.customer_id else "",
        item.order.external_id if item.order_id else "",
        item.text,
    ]


def feedback_csv_lines(
    queryset: QuerySet[FeedbackItem], chunk_size: int = 2000, *, personal_data: bool = False
) -> Iterator[str]:
    """CSV lines produced as the rows are read, so 100,000 items never sit in memory at once.

    The email column is only there for readers allowed to see personal data."""
    writer = csv.writer(_Echo())
    yield "\ufeff"  # spreadsheet programs need the byte order mark to read UTF-8
    yield writer.writerow(CSV_COLUMNS + (PERSONAL_COLUMNS if personal_data else []))
    rows: Iterable[FeedbackItem] = queryset.iterator(chunk_size=chunk_size)
    for item in rows:
        yield writer.writerow(_row(item) + ([_email(item)] if personal_data else []))


def feedback_csv_response(queryset: QuerySet[FeedbackItem], request=None) -> StreamingHttpResponse:
    from core.audit import audit
    from core.personal_data import may_see_personal_data

    personal_data = may_see_personal_data(request)
    audit(
        "export.feedback_csv",
        summary=request.META.get("QUERY_STRING", "")[:500] if request is not None else "",
        details={"with_personal_data": personal_data},
    )
    response = StreamingHttpResponse(
        feedback_csv_lines(queryset, personal_data=personal_data), content_type="text/csv; charset=utf-8"
    )
    filename = f"voz-feedback-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
