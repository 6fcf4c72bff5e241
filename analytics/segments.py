"""RFM segments kept in a table (CustomerRfm), so that filters and rollups read them.

Scores are quintiles over all customers, so one customer's purchase can move others: the whole
table is recomputed nightly (beat) rather than per order. Customers who changed segment get the
days of their feedback, answers, reviews and cases marked, and the next rollup refresh rewrites
only the segment-scoped rows of those days.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models.functions import TruncDate
from django.utils import timezone

from analytics.models import CustomerRfm, RetentionSnapshot, SegmentRun
from core.changes import Source, changes_record

# A read recomputes the segments itself only when the nightly run has not happened (no broker, or
# beat down for a day).
SEGMENT_MAX_AGE = timedelta(hours=25)
CHUNK = 5000


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def segments_refresh(*, now: datetime | None = None) -> SegmentRun:
    from analytics.selectors import rfm_scores

    now = now or timezone.now()
    scores = rfm_scores(now=now)
    with transaction.atomic():
        stored = {
            row[0]: row[1:]
            for row in CustomerRfm.objects.values_list("customer_id", "segment", "recency", "frequency", "monetary")
        }
        gone = [cid for cid in stored if cid not in scores]
        changed_segment = [cid for cid, row in scores.items() if cid not in stored or stored[cid][0] != row["segment"]]
        changed_segment += gone
        rewrite = [
            CustomerRfm(
                customer_id=cid, recency=row["r"], frequency=row["f"], monetary=row["m"], segment=row["segment"]
            )
            for cid, row in scores.items()
            if stored.get(cid) != (row["segment"], row["r"], row["f"], row["m"])
        ]
        for ids in _chunks(gone):
            CustomerRfm.objects.filter(customer_id__in=ids).delete()
        CustomerRfm.objects.bulk_create(
            rewrite,
            batch_size=CHUNK,
            update_conflicts=True,
            unique_fields=["customer"],
            update_fields=["recency", "frequency", "monetary", "segment"],
        )
        if len(changed_segment) > max(len(scores), 1) // 5:
            # the first run, or quintiles shifted for many: every day with a customer's row, found
            # with one pass per table rather than thousands of lookups by customer
            _mark_days_of(None)
        else:
            _mark_days_of(changed_segment)
        if changed_segment:
            RetentionSnapshot.objects.exclude(segment="").update(is_stale=True)
        return SegmentRun.objects.create(computed_at=now, customers=len(scores), changed=len(changed_segment))


def _mark_days_of(customer_ids: list[int] | None) -> None:
    """Every day on which these customers (None: any customer) left something a segment-scoped
    rollup counts."""
    from feedback.models import FeedbackItem
    from reviews.models import Review
    from support.models import Case
    from surveys.models import Response

    zone = timezone.get_current_timezone()
    days = set()
    chunks = (
        [{"customer__isnull": False}]
        if customer_ids is None
        else [{"customer_id__in": ids} for ids in _chunks(customer_ids)]
    )
    for condition in chunks:
        for model, field in (
            (FeedbackItem, "received_at"),
            (Response, "submitted_at"),
            (Review, "created_at"),
            (Case, "opened_at"),
        ):
            rows = model.objects.filter(**condition).annotate(d=TruncDate(field, tzinfo=zone))
            days.update(rows.values_list("d", flat=True).distinct())
    changes_record(Source.SEGMENTS, days)


def segments_ensure_fresh() -> None:
    last = SegmentRun.objects.order_by("-computed_at").values_list("computed_at", flat=True).first()
    if last is None or timezone.now() - last > SEGMENT_MAX_AGE:
        segments_refresh()


def is_rfm_segment(segment: str) -> bool:
    return segment in CustomerRfm.Segment.values


def customers_in_segment(segment: str):
    """The customers of an RFM segment or a saved segment (by slug), as a subquery of ids."""
    from analytics.models import SavedSegment

    if is_rfm_segment(segment):
        segments_ensure_fresh()
        return CustomerRfm.objects.filter(segment=segment).values("customer_id")
    saved = SavedSegment.objects.filter(slug=segment).first()
    if saved is None:
        return CustomerRfm.objects.none().values("customer_id")
    if saved.rfm_segments:
        segments_ensure_fresh()
    return saved.customers().values("pk")


def segment_choices() -> list[tuple[str, object]]:
    """For a filter's select: the RFM segments, then the saved ones (grouped)."""
    from django.utils.translation import gettext_lazy as _

    from analytics.models import SavedSegment

    saved = list(SavedSegment.objects.values_list("slug", "name"))
    choices: list = [("", _("Any")), (_("RFM"), list(CustomerRfm.Segment.choices))]
    if saved:
        choices.append((_("Saved segments"), saved))
    return choices


def segment_exists(segment: str) -> bool:
    from analytics.models import SavedSegment

    return is_rfm_segment(segment) or SavedSegment.objects.filter(slug=segment).exists()
