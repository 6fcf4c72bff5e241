"""What every dashboard's selectors share: the filters, where their numbers are read from, and the
raw rows behind a filter the rollups cannot answer.

The dashboards read per-day counts from the rollups (analytics.rollups). A filter the rollups cannot
answer (a topic on the satisfaction numbers, which would need every score split by what the comment
was about; a saved segment; two of product, category, segment, source, country and device at once)
gets the same per-day counts from the filtered raw rows instead, so both paths end in the same
arithmetic.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.db.models import Count, F, Q, QuerySet, Sum
from django.db.models.functions import TruncDate, TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from analytics import rollups
from analytics.models import RollupScope, TopicAllDaily, TopicDaily
from customers.models import Order
from customers.segments import in_segment_when, is_rfm_segment
from feedback.models import FeedbackItem
from reviews.models import Review
from sentiment.models import FeedbackTopic
from surveys.models import Answer

TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
# Dimensions of where feedback came from, as FeedbackItem fields and rollup scopes.
CONTEXT_DIMENSIONS = ("source", "country", "device")


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive, in the shop's time zone
    period: str = "week"
    language: str = ""
    channel: str = ""
    category: str = ""
    segment: str = ""
    topic: str = ""  # slug: only what was said about this topic
    product: str = ""  # SKU
    # where the feedback came from (feedback and topics only: scores carry no page or device)
    source: str = ""
    country: str = ""
    device: str = ""

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )

    def previous(self) -> "Filters":
        length = self.end - self.start + timedelta(days=1)
        return replace(self, start=self.start - length, end=self.start - timedelta(days=1))


def period_start(day: date, period: str) -> datetime:
    """The period a local day belongs to, as the aware local midnight that starts it."""
    if period == "week":
        day = day - timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


# ---------------------------------------------------------------------------------------
# The rollups
# ---------------------------------------------------------------------------------------
def scope_filters(filters: Filters) -> tuple[str, ...]:
    return (filters.product, filters.category, filters.segment, *(getattr(filters, d) for d in CONTEXT_DIMENSIONS))


def uses_rollups(filters: Filters) -> bool:
    # the rollups know RFM segments; a saved segment's members are found in the raw tables
    saved_segment = filters.segment and not is_rfm_segment(filters.segment)
    return not filters.topic and not saved_segment and sum(map(bool, scope_filters(filters))) <= 1


def _scope(filters: Filters) -> dict:
    if filters.product:
        return {"scope": RollupScope.PRODUCT, "key": filters.product}
    if filters.category:
        return {"scope": RollupScope.CATEGORY, "key": filters.category}
    if filters.segment:
        return {"scope": RollupScope.SEGMENT, "key": filters.segment}
    for dimension in CONTEXT_DIMENSIONS:
        if getattr(filters, dimension):
            return {"scope": dimension, "key": getattr(filters, dimension)}
    return {"scope": RollupScope.ALL, "key": ""}


# Rollups whose "all" scope is kept in a compact table of its own as well, read for the whole shop.
ALL_ITEMS = {TopicDaily: TopicAllDaily}


def daily(model, filters: Filters, *, channel: bool = True, every_key_of: str = "") -> QuerySet:
    """The filtered rollup rows; `every_key_of` a scope: its rows for every key, not the filters' scope."""
    rollups.ensure_fresh()
    scope = {"scope": every_key_of} if every_key_of else _scope(filters)
    if scope == {"scope": RollupScope.ALL, "key": ""} and model in ALL_ITEMS:
        model, scope = ALL_ITEMS[model], {}
    rows = model.objects.filter(day__gte=filters.start, day__lte=filters.end, **scope)
    if filters.language:
        rows = rows.filter(language=filters.language)
    if channel and filters.channel:
        rows = rows.filter(channel=filters.channel)
    # Summing days into weeks or months in the database returns a few hundred rows, not thousands.
    return rows.annotate(p=F("day") if filters.period == "day" else TRUNC[filters.period]("day"))


def daily_counts(rows: QuerySet, count: str, *fields: str, by_period: bool = True, **expressions) -> QuerySet:
    """Rollup rows summed per period (`p`, the date that starts it) and the given fields."""
    return rows.values(*(("p",) if by_period else ()), *fields, **expressions).annotate(n=Sum(count))


# ---------------------------------------------------------------------------------------
# The raw rows, for what the rollups cannot answer
# ---------------------------------------------------------------------------------------
def raw_counts(rows: QuerySet, moment: str, *fields: str, period: str | None = None, **expressions) -> Iterator[dict]:
    """Like daily_counts, counted from raw rows: per local day of `moment`, folded into periods."""
    zone = timezone.get_current_timezone()
    if period is None:
        yield from rows.values(*fields, **expressions).annotate(n=Count("pk"))
        return
    by_day = rows.values(*fields, **expressions, day=TruncDate(moment, tzinfo=zone)).annotate(n=Count("pk"))
    for row in by_day:
        yield {**row, "p": period_start(row.pop("day"), period).date()}


def mentions_of(slug: str) -> QuerySet:
    return FeedbackTopic.objects.filter(topic__slug=slug)


def _ordered_with(field: str, value: str) -> QuerySet:
    return Order.objects.filter(**{f"items__product__{field}": value}).values("pk")


def answers_raw(filters: Filters, kinds: Iterable[str]) -> QuerySet:
    """The survey scores behind the filters, with their question's kind as `kind`."""
    start, end = filters.bounds
    answers = Answer.objects.filter(
        question__kind__in=kinds,
        number__isnull=False,
        response__submitted_at__gte=start,
        response__submitted_at__lt=end,
    )
    if filters.language:
        answers = answers.filter(response__language=filters.language)
    if filters.category:
        answers = answers.filter(response__invitation__order__in=_ordered_with("category", filters.category))
    if filters.product:
        answers = answers.filter(response__invitation__order__in=_ordered_with("sku", filters.product))
    if filters.segment:
        answers = answers.filter(
            in_segment_when(filters.segment, customer="response__customer_id", moment="response__submitted_at")
        )
    if filters.topic:
        # the scores of responses whose comments raised the topic
        answers = answers.filter(
            response_id__in=mentions_of(filters.topic).values("feedback__survey_answer__response_id")
        )
    return answers.annotate(kind=F("question__kind"))


def reviews_raw(filters: Filters) -> QuerySet:
    start, end = filters.bounds
    reviews = Review.objects.filter(status="published", created_at__gte=start, created_at__lt=end, brand__isnull=True)
    if filters.language:
        reviews = reviews.filter(language=filters.language)
    if filters.category:
        reviews = reviews.filter(product__category=filters.category)
    if filters.product:
        reviews = reviews.filter(product__sku=filters.product)
    if filters.segment:
        reviews = reviews.filter(in_segment_when(filters.segment, customer="customer_id", moment="created_at"))
    if filters.topic:
        reviews = reviews.filter(pk__in=mentions_of(filters.topic).values("feedback__review_id"))
    return reviews


def feedback_raw(filters: Filters) -> QuerySet:
    """The shop's analysed feedback items behind the filters, with their effective sentiment as `label`."""
    start, end = filters.bounds
    items = FeedbackItem.objects.filter(
        received_at__gte=start, received_at__lt=end, analysis_status="done", brand__isnull=True
    )
    if filters.language:
        items = items.filter(language=filters.language)
    if filters.channel:
        items = items.filter(channel=filters.channel)
    if filters.segment:
        items = items.filter(in_segment_when(filters.segment, customer="customer_id", moment="received_at"))
    if filters.topic:
        items = items.filter(pk__in=mentions_of(filters.topic).values("feedback_id"))
    for dimension in CONTEXT_DIMENSIONS:
        if getattr(filters, dimension):
            items = items.filter(**{dimension: getattr(filters, dimension)})
    for field, value in (("category", filters.category), ("sku", filters.product)):
        if value:
            items = items_about(items, field, value)
    return items.annotate(label=rollups.effective_sentiment())


def items_about(items: QuerySet, field: str, value: str) -> QuerySet:
    """The feedback items about a product (`field` "sku") or a category: an item is about its
    review's product, or else about every product of its order. Filtered through a subquery: a
    join to order items would repeat an item once per matching line."""
    return items.filter(
        pk__in=FeedbackItem.objects.filter(
            Q(**{f"review__product__{field}": value})
            | Q(review__isnull=True, **{f"order__items__product__{field}": value})
        ).values("pk")
    )


def mentions_raw(filters: Filters) -> QuerySet:
    """Topic mentions of the filtered items; with a topic filter, that topic's only."""
    mentions = FeedbackTopic.objects.filter(feedback_id__in=feedback_raw(filters).values("pk"), topic__is_active=True)
    return mentions.filter(topic__slug=filters.topic) if filters.topic else mentions
