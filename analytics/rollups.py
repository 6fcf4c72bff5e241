"""Keeping the dashboard rollups equal to the raw tables.

Writers record the days they change in the change log (core.changes) inside their transaction,
knowing nothing of the rollups; `refresh()` (beat, every minute; see `ensure_fresh` for when a
dashboard read does it) recomputes exactly those days from the raw rows.
Recomputing a whole day rather than applying deltas keeps the rollups right after
inserts, edits, deletions and re-analysis alike, at the cost of a few indexed day-sized queries
(about 2 s per day of every source at 5 M items).
"""

import dataclasses
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import wraps

from django.conf import settings
from django.db import connection, transaction
from django.db.models import CharField, Count, Expression, F, Min, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce, NullIf, TruncDate
from django.utils import timezone

from analytics.models import (
    CONTEXT_SCOPES,
    AnswerDaily,
    CaseDaily,
    CaseDurationDaily,
    FeedbackDaily,
    RetentionSnapshot,
    ReviewDaily,
    RollupScope,
    TopicAllDaily,
    TopicDaily,
)
from core.changes import Source, changes_record, local_day
from core.db_routers import replica_reads
from core.models import ChangedDay

SURVEY_KINDS = ("nps", "csat", "ces")
# Durations are bucketed on a log scale: bucket b holds (GROWTH^(b-1), GROWTH^b] minutes.
GROWTH = 1.02
# One advisory-lock id for "a refresh is running" (PostgreSQL); concurrent refreshes would only
# repeat each other's work.
REFRESH_LOCK = 0x566F7A52


def day_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(first, time.min, tzinfo=zone),
        datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
    )


def mark_dirty(source: str, moments: Iterable[datetime | date | None]) -> None:
    """Have these days recomputed at the next refresh, as if their rows had been written."""
    changes_record(source, moments)


def mark_all_dirty() -> int:
    """Every day that has raw rows, for a full rebuild (new install, changed rollup code)."""
    from customers.models import Order
    from feedback.models import FeedbackItem
    from reviews.models import Review
    from support.models import Case
    from surveys.models import Response

    marked = 0
    for source, queryset, field in (
        (Source.FEEDBACK, FeedbackItem.objects.all(), "received_at"),
        (Source.ANSWERS, Response.objects.all(), "submitted_at"),
        (Source.REVIEWS, Review.objects.all(), "created_at"),
        (Source.CASES, Case.objects.all(), "opened_at"),
        (Source.ORDERS, Order.objects.all(), "placed_at"),
    ):
        days = _days_with_rows(queryset, field)
        mark_dirty(source, days)
        marked += len(days)
    return marked


def _days_with_rows(queryset, field: str) -> list[date]:
    """The days with rows, found with one probe of the index on `field` per such day (the first
    row from the start of the next day on) rather than a pass over the whole table, which cost
    a rebuild 26 s at 1 M feedback items (bench/dashboard.py --scale 0.2)."""
    days: list[date] = []
    moment = queryset.aggregate(first=Min(field))["first"]
    while moment is not None:
        days.append(local_day(moment))
        _, next_day = day_bounds(days[-1], days[-1])
        moment = queryset.filter(**{f"{field}__gte": next_day}).aggregate(first=Min(field))["first"]
    return days


# Set while a dashboard read runs (see `fresh_for_the_read`): its rollup queries then skip the check.
_read_checked: ContextVar[bool] = ContextVar("rollups_read_checked", default=False)


def fresh_for_the_read(read: Callable) -> Callable:
    """A selector that reads rollups, checked once however many rollup queries it and the selectors
    it calls make: a dashboard page asks for a dozen, each of which would otherwise repeat the check
    (two queries). Nothing writes during a read, so the first check holds for the rest of it. The
    read itself goes to the read replica where one is configured (core.db_routers)."""

    @wraps(read)
    def checked_once(*args, **kwargs):
        if _read_checked.get():
            return read(*args, **kwargs)
        ensure_fresh()  # on the primary: the change log and any refresh are the primary's
        token = _read_checked.set(True)
        try:
            with replica_reads():
                return read(*args, **kwargs)
        finally:
            _read_checked.reset(token)

    return checked_once


def ensure_fresh() -> None:
    """Called by the dashboard reads (once per read, see `fresh_for_the_read`). The RFM segments
    are recomputed first if the nightly run has not happened (see customers.segments). Where beat
    refreshes every minute, a read never pays for a refresh (a busy shop always has a day marked;
    recomputing it costs seconds at millions of rows) unless changes have waited longer than
    ROLLUP_STALE_AFTER, i.e. beat is not running. Without a broker (the embedded default), there is
    no beat, so reads refresh whatever changed."""
    from customers.models import SegmentChange
    from customers.segments import segments_ensure_fresh

    if _read_checked.get():
        return
    segments_ensure_fresh()
    marks, moves = ChangedDay.objects.all(), SegmentChange.objects.all()
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        waited = timezone.now() - settings.ROLLUP_STALE_AFTER
        marks, moves = marks.filter(marked_at__lt=waited), moves.filter(run__computed_at__lt=waited)
    # one query for both: every dashboard read asks this
    if marks.values("pk").union(moves.values("pk"), all=True).exists():
        refresh()


def segment_changes_take() -> int:
    """Customers who entered, left or changed RFM segment since the last look (customers'
    SegmentChange rows): mark the days on which they left something a segment-scoped rollup counts
    from the moment their change counts on (see SegmentMembership), and have the segments'
    retention snapshots rebuilt. Returns the number of days marked.

    A customer who moved counts in the new segment from the run on: their past is not rewritten,
    so only their rows from that moment on (at most a few, of today) are looked for. A customer
    entering counts from their first purchase, usually just made.

    The runs read are deleted, never rows written since: a run's rows commit together.
    """
    from customers.models import CustomerRfm, SegmentChange

    with transaction.atomic():
        runs, since = set(), {}
        for run_id, customer_id, moment in SegmentChange.objects.values_list("run_id", "customer_id", "since"):
            runs.add(run_id)
            if moment is not None:
                since[customer_id] = min(moment, since.get(customer_id, moment))
        if not runs:
            return 0
        if not since:
            days = set()
        elif len(since) > max(CustomerRfm.objects.count(), 1) // 5:
            # the first run, or quintiles shifted for many: the days with any customer's row since
            # the earliest change, found with one pass per table rather than thousands of lookups
            days = _days_of_customers(min(since.values()))
        else:
            days = _days_of_customers(since)
        changes_record(Source.SEGMENTS, days)
        RetentionSnapshot.objects.exclude(segment="").update(is_stale=True)
        SegmentChange.objects.filter(run_id__in=runs).delete()
        return len(days)


CUSTOMER_CHUNK = 5000


def _days_of_customers(since: dict[int, datetime] | datetime) -> set[date]:
    """Every day on which these customers left something a segment-scoped rollup counts, from the
    moment given per customer on (one moment: any customer, from then on)."""
    from feedback.models import FeedbackItem
    from reviews.models import Review
    from support.models import Case
    from surveys.models import Response

    zone = timezone.get_current_timezone()
    days = set()
    if isinstance(since, datetime):
        conditions = [({"customer__isnull": False}, since)]
    else:
        # sorted by moment, so that a chunk's earliest moment is close to each of its customers'
        ordered = sorted(since, key=since.get)
        conditions = [
            ({"customer_id__in": chunk}, since[chunk[0]])
            for chunk in (ordered[start : start + CUSTOMER_CHUNK] for start in range(0, len(ordered), CUSTOMER_CHUNK))
        ]
    for condition, earliest in conditions:
        for model, field in (
            (FeedbackItem, "received_at"),
            (Response, "submitted_at"),
            (Review, "created_at"),
            (Case, "opened_at"),
        ):
            rows = model.objects.filter(**condition)
            if earliest is not None:
                rows = rows.filter(**{f"{field}__gte": earliest})
            rows = rows.annotate(d=TruncDate(field, tzinfo=zone))
            days.update(rows.values_list("d", flat=True).order_by().distinct())
    return days


# A refresh goes a month at a time at most, to keep each transaction short; a full rebuild half a
# year at a time, as each range costs a pass over all the topic mentions (their day is their item's):
# month-long ranges read them 24 times for a two-year shop.
MAX_RANGE_DAYS = 31
REBUILD_RANGE_DAYS = 183


def _ranges(days: list[date], *, across_gaps: bool = False, rebuild: bool = False) -> list[tuple[date, date]]:
    """Consecutive days grouped, so that a month of dirty days costs one query, not thirty.

    `rebuild`: ranges of up to half a year (REBUILD_RANGE_DAYS) rather than a month.
    `across_gaps`: days that close share a range even with clean days between them, which are
    recomputed too (to what they were). A full rebuild marks only the days that have rows; a
    small shop's year has gaps every few days, and grouping only consecutive ones cost it four times
    as many ranges (the tests' demo shop, 150 orders: 237 instead of 53, a third of its seeding time).
    """
    longest = REBUILD_RANGE_DAYS if rebuild else MAX_RANGE_DAYS
    ranges: list[tuple[date, date]] = []
    for day in sorted(days):
        adjacent = across_gaps or day - ranges[-1][1] <= timedelta(days=1) if ranges else False
        if adjacent and (day - ranges[-1][0]).days < longest:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


def refresh(*, progress=None, across_gaps: bool = False, rebuild: bool = False) -> dict[str, int]:
    """Recompute every dirty day; returns the number of days recomputed per source (`across_gaps`,
    `rebuild`: see `_ranges`; for a rebuild, where the dirty days are every day with rows).

    Each range of days is recomputed and its marks deleted in a transaction of its own, so a long
    rebuild holds no lock for long and keeps what it finished if it is interrupted.
    """
    done: dict[str, int] = defaultdict(int)
    with _refresh_lock() as acquired:
        if not acquired:
            return dict(done)  # another process is refreshing right now
        segment_changes_take()
        marks: dict[str, dict[date, list[int]]] = defaultdict(lambda: defaultdict(list))
        for pk, source, day in ChangedDay.objects.values_list("pk", "source", "day"):
            marks[source][day].append(pk)
        builders = {
            Source.FEEDBACK: _rebuild_feedback,
            Source.ANSWERS: _rebuild_answers,
            Source.REVIEWS: _rebuild_reviews,
            Source.CASES: _rebuild_cases,
            Source.SEGMENTS: _rebuild_segments,
        }
        # A day rebuilt in full for every source already has its segment rows right.
        rebuilt_in_full = set.intersection(*(set(marks[source]) for source in builders if source != Source.SEGMENTS))
        for source, builder in builders.items():
            days = [day for day in marks[source] if source != Source.SEGMENTS or day not in rebuilt_in_full]
            if source == Source.SEGMENTS:
                skipped = [pk for day in rebuilt_in_full for pk in marks[source].get(day, [])]
                ChangedDay.objects.filter(pk__in=skipped).delete()
            for first, last in _ranges(days, across_gaps=across_gaps, rebuild=rebuild):
                seen = [pk for day, pks in marks[source].items() if first <= day <= last for pk in pks]
                with transaction.atomic():
                    _planner_settings_for_rollups()
                    builder(first, last)
                    ChangedDay.objects.filter(pk__in=seen).delete()
                done[source] += (last - first).days + 1
                if progress:
                    progress(source, first, last)
        if max(done.values(), default=0) >= ANALYZE_AFTER_DAYS:
            _analyze_rollups()
        retention_marks = [pk for pks in marks[Source.ORDERS].values() for pk in pks]
        if retention_marks or marks[Source.ANSWERS] or marks[Source.CASES] or marks[Source.SEGMENTS]:
            # Retention is a whole-history figure: recomputing it on every new order would cost a
            # pass over all orders each minute, so it is only flagged here and rebuilt at most
            # every RETENTION_MAX_AGE (see retention_snapshot).
            with transaction.atomic():
                RetentionSnapshot.objects.update(is_stale=True)
                ChangedDay.objects.filter(pk__in=retention_marks).delete()
            done[Source.ORDERS] += len(marks[Source.ORDERS])
    return dict(done)


# A refresh that recomputed this many days of a source (a rebuild, a bulk import) has the planner's
# statistics of the rollups renewed: where autovacuum is off or has not come round yet, a planner
# that still believes a rollup empty chose nested loops that made the topics view four times slower
# (bench/dashboard.py at --scale 0.05). ANALYZE samples, so it costs about a second at any size.
ANALYZE_AFTER_DAYS = 2 * MAX_RANGE_DAYS
ROLLUP_MODELS = (FeedbackDaily, TopicDaily, TopicAllDaily, AnswerDaily, ReviewDaily, CaseDaily, CaseDurationDaily)


def _analyze_rollups() -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE " + ", ".join(connection.ops.quote_name(m._meta.db_table) for m in ROLLUP_MODELS))


def _planner_settings_for_rollups() -> None:
    """For the rest of the transaction (PostgreSQL): no JIT compilation, which the planner chose for
    the one-statement-per-rollup counts of even a single day (their cost estimate passes
    jit_above_cost) and which took 0.4 s of a 0.5 s statement; and room to sort and hash a month of
    rows in memory."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")


@contextmanager
def _refresh_lock():
    """One refresh at a time (PostgreSQL advisory lock; SQLite serialises writers anyway)."""
    if connection.vendor != "postgresql":
        yield True
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [REFRESH_LOCK])
        acquired = cursor.fetchone()[0]
    try:
        yield acquired
    finally:
        if acquired:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [REFRESH_LOCK])


def rebuild_all(*, progress=None) -> dict[str, int]:
    from customers.segments import segments_refresh

    segments_refresh()
    mark_all_dirty()
    return refresh(progress=progress, across_gaps=True, rebuild=True)


def rebuild_in_current_zone(*, progress=None) -> dict[str, int]:
    """Every rollup counted again from the raw rows, in the current time zone: after the shop's zone
    changes, a day means other hours, and a day that had rows before may have none now, so the old
    rows all go first (a rebuild only replaces the days it finds). Retention is recomputed too."""
    with transaction.atomic():
        for model in ROLLUP_MODELS:
            model.objects.all().delete()
        RetentionSnapshot.objects.update(is_stale=True)
    done = rebuild_all(progress=progress)
    retention_snapshots_warm()
    return done


# ---------------------------------------------------------------------------------------
# Per-source recomputation of a range of days
# ---------------------------------------------------------------------------------------
ALL_SCOPES = tuple(RollupScope.values)


def _replace(model, first: date, last: date, rows: list) -> None:
    """The range's rollup rows swapped for freshly computed ones (the cases' rows, computed in Python)."""
    model.objects.filter(day__gte=first, day__lte=last).delete()
    model.objects.bulk_create(rows, batch_size=5000)


# Where an item's products are: the rows it applies to, and the product's field (sku, category) as
# an expression from the item. An item with no product there gets a NULL key and counts in none.
ProductPath = tuple[Q, Callable[[str], Expression]]


@dataclass
class _Counted:
    """One scope's counts: rows of (key, *dims, n) to add up, from GROUP BY querysets of their own
    (`parts`) or from the shared counts (see `_Scoped`)."""

    scope: str
    parts: list[QuerySet] = dataclasses.field(default_factory=list)
    # rows without a key (None or "") are left out rather than counted under "": an item about no
    # product is in no product's row
    keyed: bool = False
    # from the shared counts: the column that is the key (None: ""), and whether the competitors'
    # rows count too
    shared_key: str | None = None
    every_brand: bool = False


@dataclass
class _Scoped:
    """A rollup's counts in every scope asked for. The scopes that need no join (all, source,
    country, device, brand) are re-aggregations of one GROUP BY over the rows by every column they
    key on (`shared`, `brand_key` NULL for the shop's own rows): one pass over the range's rows instead
    of one per scope."""

    shared: QuerySet
    counted: list[_Counted]


# NULL and "" are one blank key or value in a rollup, as they were when Python added the rows up
BLANK_WHEN_NULL = ("key", "language", "label")


def _replace_counted(
    model,
    first: date,
    last: date,
    scoped: _Scoped,
    columns: dict[str, str],
    count: str,
    scopes: tuple[str, ...] = ALL_SCOPES,
) -> None:
    """The range's rollup rows (of the given scopes) swapped for freshly counted ones.

    All of them go from the raw tables to the rollup in one INSERT … SELECT … GROUP BY: the rows
    never travel to Python, where fetching, adding up and bulk_create-ing them cost most of a
    rebuild (bench/dashboard.py). `columns` maps the querysets' dims to the rollup's columns.
    """
    old = model.objects.filter(day__gte=first, day__lte=last)
    if set(scopes) != set(ALL_SCOPES):
        old = old.filter(scope__in=scopes)
    old.delete()
    if not scoped.counted:
        return
    qn = connection.ops.quote_name
    dims = ", ".join(qn(dim) for dim in columns)

    def compiled(queryset: QuerySet) -> tuple[str, list]:
        sql, params = queryset.order_by().query.get_compiler(connection=connection).as_sql()
        return sql, list(params)

    # every member names its columns: an untyped literal in a UNION is not one the database can
    # always resolve, hence the typed scope
    scope = f"CAST(%s AS VARCHAR(10)) AS {qn('scope')}"
    members, params = [], []
    for one in scoped.counted:
        if one.parts:
            keyed = f" WHERE {qn('key')} IS NOT NULL AND {qn('key')} <> ''" if one.keyed else ""
            for part in one.parts:
                sql, part_params = compiled(part)
                members.append(f"SELECT {scope}, {qn('key')}, {dims}, {qn('n')} FROM ({sql}) {qn('part')}{keyed}")
                params += [one.scope, *part_params]
        else:
            key = qn(one.shared_key) if one.shared_key else "''"
            own = "" if one.every_brand else f" WHERE {qn('brand_key')} IS NULL"
            members.append(f"SELECT {scope}, {key} AS {qn('key')}, {dims}, {qn('n')} FROM {qn('shared')}{own}")
            params.append(one.scope)
    shared = ""
    if any(not one.parts for one in scoped.counted):
        shared_sql, shared_params = compiled(scoped.shared)
        shared, params = f"WITH {qn('shared')} AS ({shared_sql}) ", shared_params + params
    groups = [f"COALESCE(u.{qn(d)}, '')" if d in BLANK_WHEN_NULL else f"u.{qn(d)}" for d in ("key", *columns)]
    target = ", ".join(qn(name) for name in ("scope", "key", *columns.values(), count))
    with connection.cursor() as cursor:
        cursor.execute(
            f"{shared}INSERT INTO {qn(model._meta.db_table)} ({target}) "
            f"SELECT u.{qn('scope')}, {', '.join(groups)}, SUM(u.{qn('n')}) "
            f"FROM ({' UNION ALL '.join(members)}) u GROUP BY u.{qn('scope')}, {', '.join(groups)}",
            params,
        )


def effective_sentiment():
    """A staff correction overrides the model's label on every dashboard."""
    return Coalesce(NullIf(F("sentiment_gold"), Value("")), F("sentiment"))


# Up to this many days, an item's products are looked up per item (see `_product_paths`).
LOOKUP_DAYS = 7


def _product_paths(first: date, last: date, prefix: str = "") -> list[ProductPath]:
    """An item is about its review's product, or else about every product of its order."""
    from customers.models import Product

    if (last - first).days < LOOKUP_DAYS:
        # A few days' items: their products looked up per item. Joined, the planner took every item
        # of a day for a review's and read all the reviews (a seq scan, or a bitmap of every item's
        # review_id): a cost that grew with the whole table, not with the day.
        def reviewed(field: str) -> Subquery:
            return Subquery(Product.objects.filter(reviews=OuterRef(f"{prefix}review_id")).values(field)[:1])

        return [
            (Q(), reviewed),
            (Q(**{f"{prefix}review__isnull": True}), lambda field: F(f"{prefix}order__items__product__{field}")),
        ]
    # A month's: joined (a lookup per item was seven times slower for a month of a rebuild)
    return [
        (
            Q(**{f"{prefix}review__isnull": False, f"{prefix}review__product__isnull": False}),
            lambda field: F(f"{prefix}review__product__{field}"),
        ),
        (
            Q(**{f"{prefix}review__isnull": True, f"{prefix}order__isnull": False}),
            lambda field: F(f"{prefix}order__items__product__{field}"),
        ),
    ]


def _scoped(
    base,
    dims: tuple[str, ...],
    product_paths: list[ProductPath],
    customer: str,
    moment: str,
    scopes: tuple[str, ...],
    context: str | None = None,
    every_brand=None,
    brand: str = "",
) -> _Scoped:
    """Counts per (scope, key, *dims); within a product or category an item counts once.

    `customer` is the path to the row's customer, whose RFM segment at the row's `moment` is the
    key of the segment scope;
    `context` the path prefix to the feedback item whose source, country and device key the
    context scopes (None: this source has no context scopes);
    `every_brand` the rows with the competitors' too, and `brand` the path to their brand's slug,
    the key of the brand scope (None: this source has no brand scope).
    """
    counted = []
    if RollupScope.ALL in scopes:
        counted.append(_Counted(RollupScope.ALL, shared_key=None))
    shared_columns = {"brand_key": Value(None, output_field=CharField())}
    for scope in CONTEXT_SCOPES if context is not None else ():
        if scope in scopes:
            shared_columns[f"context_{scope}"] = F(f"{context}{scope}")
            counted.append(_Counted(scope, shared_key=f"context_{scope}"))
    shared_rows = base
    if every_brand is not None and RollupScope.BRAND in scopes:
        shared_rows, shared_columns["brand_key"] = every_brand, F(brand)
        counted.append(_Counted(RollupScope.BRAND, shared_key="brand_key", every_brand=True))
    shared = shared_rows.values(*dims, **shared_columns).annotate(n=Count("pk"))
    if RollupScope.SEGMENT in scopes:
        # the segment the customer was in when the row happened (see customers.SegmentMembership)
        spans = f"{customer}__segment_memberships"
        rows = (
            base.filter(
                Q(**{f"{spans}__until__isnull": True}) | Q(**{f"{spans}__until__gt": F(moment)}),
                **{f"{spans}__since__lte": F(moment)},
            )
            .values(*dims, key=F(f"{spans}__segment"))
            .annotate(n=Count("pk"))
        )
        counted.append(_Counted(RollupScope.SEGMENT, [rows]))
    if RollupScope.PRODUCT in scopes:
        for scope, field_name in ((RollupScope.PRODUCT, "sku"), (RollupScope.CATEGORY, "category")):
            # an item about several products counts once in each of them (the order's lines are
            # joined), and once in a category however many of its products are in it
            parts = [
                base.filter(condition).values(*dims, key=key(field_name)).annotate(n=Count("pk", distinct=True))
                for condition, key in product_paths
            ]
            counted.append(_Counted(scope, parts, keyed=True))
    return _Scoped(shared, counted)


def _rebuild_segments(first: date, last: date) -> None:
    """Customers changed segment: only the segment-scoped rows (and the cases, which carry the
    segment as a column) of these days change."""
    only = (RollupScope.SEGMENT,)
    _rebuild_feedback(first, last, scopes=only)
    _rebuild_answers(first, last, scopes=only)
    _rebuild_reviews(first, last, scopes=only)
    _rebuild_cases(first, last)


FEEDBACK_COLUMNS = {"day": "day", "language": "language", "channel": "channel", "label": "sentiment"}
TOPIC_COLUMNS = {
    "day": "day",
    "language": "language",
    "channel": "channel",
    "topic_id": "topic_id",
    "sentiment": "sentiment",
}


def _rebuild_feedback(first: date, last: date, scopes: tuple[str, ...] = ALL_SCOPES) -> None:
    from feedback.models import FeedbackItem
    from sentiment.models import FeedbackTopic

    zone = timezone.get_current_timezone()
    start, end = day_bounds(first, last)
    every_brand = FeedbackItem.objects.filter(
        received_at__gte=start, received_at__lt=end, analysis_status=FeedbackItem.AnalysisStatus.DONE
    ).annotate(day=TruncDate("received_at", tzinfo=zone), label=effective_sentiment())
    dims = ("day", "language", "channel", "label")
    # competitors' items count only in the brand scope (key: their slug; "" the shop's own)
    scoped = _scoped(
        every_brand.filter(brand__isnull=True),
        dims,
        _product_paths(first, last),
        "customer",
        "received_at",
        scopes,
        context="",
        every_brand=every_brand,
        brand="brand__slug",
    )
    _replace_counted(FeedbackDaily, first, last, scoped, FEEDBACK_COLUMNS, "items", scopes)
    every_brand_mention = FeedbackTopic.objects.filter(
        feedback__received_at__gte=start,
        feedback__received_at__lt=end,
        feedback__analysis_status=FeedbackItem.AnalysisStatus.DONE,
    ).annotate(
        day=TruncDate("feedback__received_at", tzinfo=zone),
        language=F("feedback__language"),
        channel=F("feedback__channel"),
    )
    dims = ("day", "language", "channel", "topic_id", "sentiment")
    scoped = _scoped(
        every_brand_mention.filter(feedback__brand__isnull=True),
        dims,
        _product_paths(first, last, "feedback__"),
        "feedback__customer",
        "feedback__received_at",
        scopes,
        context="feedback__",
        every_brand=every_brand_mention,
        brand="feedback__brand__slug",
    )
    _replace_counted(TopicDaily, first, last, scoped, TOPIC_COLUMNS, "mentions", scopes)
    if RollupScope.ALL in scopes:
        _topic_all_copy(first, last)


def _topic_all_copy(first: date, last: date) -> None:
    """TopicAllDaily is TopicDaily's "all" scope again (see the model): copied from the rows just
    written rather than counted a second time."""
    qn = connection.ops.quote_name
    TopicAllDaily.objects.filter(day__gte=first, day__lte=last).delete()
    columns = ", ".join(qn(name) for name in ("day", "language", "channel", "topic_id", "sentiment", "mentions"))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(TopicAllDaily._meta.db_table)} ({columns}) SELECT {columns} "
            f"FROM {qn(TopicDaily._meta.db_table)} "
            f"WHERE {qn('scope')} = %s AND {qn('day')} >= %s AND {qn('day')} <= %s",
            [
                RollupScope.ALL.value,
                connection.ops.adapt_datefield_value(first),
                connection.ops.adapt_datefield_value(last),
            ],
        )


def _rebuild_answers(first: date, last: date, scopes: tuple[str, ...] = ALL_SCOPES) -> None:
    from surveys.models import Answer

    zone = timezone.get_current_timezone()
    start, end = day_bounds(first, last)
    answers = Answer.objects.filter(
        question__kind__in=SURVEY_KINDS,
        number__isnull=False,
        response__submitted_at__gte=start,
        response__submitted_at__lt=end,
    ).annotate(
        day=TruncDate("response__submitted_at", tzinfo=zone),
        language=F("response__language"),
        kind=F("question__kind"),
    )
    scoped = _scoped(
        answers,
        ("day", "language", "kind", "number"),
        [
            (
                Q(response__invitation__order__isnull=False),
                lambda field: F(f"response__invitation__order__items__product__{field}"),
            )
        ],
        "response__customer",
        "response__submitted_at",
        scopes,
    )
    columns = {"day": "day", "language": "language", "kind": "kind", "number": "number"}
    _replace_counted(AnswerDaily, first, last, scoped, columns, "answers", scopes)


def _rebuild_reviews(first: date, last: date, scopes: tuple[str, ...] = ALL_SCOPES) -> None:
    from reviews.models import Review

    zone = timezone.get_current_timezone()
    start, end = day_bounds(first, last)
    reviews = Review.objects.filter(
        status=Review.Status.PUBLISHED, created_at__gte=start, created_at__lt=end, brand__isnull=True
    ).annotate(day=TruncDate("created_at", tzinfo=zone))
    scoped = _scoped(
        reviews,
        ("day", "language", "rating"),
        [(Q(product__isnull=False), lambda field: F(f"product__{field}"))],
        "customer",
        "created_at",
        scopes,
    )
    columns = {"day": "day", "language": "language", "rating": "rating"}
    _replace_counted(ReviewDaily, first, last, scoped, columns, "reviews", scopes)


def duration_bucket(hours: float) -> int:
    """0: no time at all (in business hours, a case answered before the shop opened); 1: up to a
    minute; then 2 %-wide buckets."""
    minutes = max(hours * 60, 0.0)
    if minutes == 0:
        return 0
    return 1 if minutes <= 1 else 1 + math.ceil(math.log(minutes) / math.log(GROWTH))


def bucket_hours(bucket: int) -> float:
    """The middle (geometric) of a bucket, in hours."""
    if bucket <= 0:
        return 0.0
    if bucket == 1:
        return 1 / 60
    return GROWTH ** (bucket - 1.5) / 60


def channels_key(channels: list[str]) -> str:
    return f",{','.join(sorted(channels))}," if channels else ""


SLA_COUNTS = ("cases", "first_response_met", "first_response_decided", "resolution_met", "resolution_decided")


def case_rows(cases, *, now: datetime) -> tuple[dict[tuple, dict[str, int]], dict[tuple, int]]:
    """The case rollups' rows of these cases: SLA counts per (day, priority, team, channels,
    segment) and duration-bucket counts per (day, channels, segment, target, bucket). The same
    counts as bench/naive.py's `case_sla_counts` and `case_hours` give case by case, computed for all at once."""
    from customers.segments import segment_when
    from support.selectors import cases_sla_clocks
    from support.sla import BREACHED, MET

    cases = cases.annotate(segment_then=Coalesce(segment_when(customer="customer_id", moment="opened_at"), Value("")))
    groups: dict[tuple, dict[str, int]] = defaultdict(lambda: dict.fromkeys(SLA_COUNTS, 0))
    durations: dict[tuple, int] = defaultdict(int)
    fields = ("opened_at", "priority", "team__name", "channels", "segment_then")
    for (opened_at, priority, team, channels, segment), statuses, clocks in cases_sla_clocks(
        cases, now=now, fields=fields
    ):
        day, channels = local_day(opened_at), channels_key(channels)
        totals = groups[(day, priority, team or "", channels, segment)]
        totals["cases"] += 1
        for target, status in statuses.items():
            if status in (MET, BREACHED):
                totals[f"{target}_met"] += status == MET
                totals[f"{target}_decided"] += 1
        for target, clock in clocks.items():
            durations[(day, channels, segment, target, duration_bucket(clock.total_seconds() / 3600))] += 1
    return groups, durations


def _rebuild_cases(first: date, last: date, *, now: datetime | None = None) -> None:
    from support.models import Case

    start, end = day_bounds(first, last)
    groups, durations = case_rows(
        Case.objects.filter(opened_at__gte=start, opened_at__lt=end), now=now or timezone.now()
    )
    _replace(
        CaseDaily,
        first,
        last,
        [
            CaseDaily(day=day, priority=priority, team_name=team, channels=channels, segment=segment, **totals)
            for (day, priority, team, channels, segment), totals in groups.items()
        ],
    )
    _replace(
        CaseDurationDaily,
        first,
        last,
        [
            CaseDurationDaily(day=day, channels=channels, segment=segment, target=target, bucket=bucket, cases=n)
            for (day, channels, segment, target, bucket), n in durations.items()
        ],
    )


RETENTION_MAX_AGE = timedelta(minutes=15)


def retention_snapshot(
    *, segment: str = "", max_age: timedelta = RETENTION_MAX_AGE, now: datetime | None = None
) -> dict:
    """The retention numbers of every customer or of one segment's customers."""
    from analytics.selectors.retention import RETENTION_DEFINITION

    now = now or timezone.now()
    snapshot = RetentionSnapshot.objects.filter(segment=segment).order_by("-computed_at").first()
    if (
        snapshot is None
        # computed with an earlier definition of the figures
        or snapshot.data.get("definition") != RETENTION_DEFINITION
        or local_day(snapshot.computed_at).replace(day=1) != local_day(now).replace(day=1)
        or (_is_stale(snapshot) and now - snapshot.computed_at >= max_age)
    ):
        snapshot = retention_snapshot_rebuild(segment=segment, now=now)
    return snapshot.data


def _is_stale(snapshot: RetentionSnapshot) -> bool:
    """Flagged by a refresh, or, for a saved segment, its members may have changed since: one over
    attributes gains and loses customers as the shop edits their attributes. (An RFM segment's
    moves reach the snapshot through the segment run and the refresh's flag.)"""
    from customers.models import Customer
    from customers.segments import is_rfm_segment

    if snapshot.is_stale:
        return True
    if not snapshot.segment or is_rfm_segment(snapshot.segment):
        return False
    return Customer.objects.filter(attributes_changed_at__gt=snapshot.computed_at).exists()


def retention_snapshot_rebuild(*, segment: str = "", now: datetime | None = None) -> RetentionSnapshot:
    from analytics.selectors.retention import retention_figures

    now = now or timezone.now()
    data = retention_figures(now=now, segment=segment)
    with transaction.atomic():
        RetentionSnapshot.objects.filter(segment=segment).delete()
        return RetentionSnapshot.objects.create(computed_at=now, segment=segment, data=_jsonable(data))


def retention_snapshots_warm(*, now: datetime | None = None) -> None:
    """Beat keeps the snapshot of every customer and of each segment that has been asked for."""
    retention_snapshot(now=now)
    for segment in RetentionSnapshot.objects.exclude(segment="").values_list("segment", flat=True).distinct():
        retention_snapshot(segment=segment, now=now)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value
