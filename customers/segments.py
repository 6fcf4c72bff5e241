"""RFM scores and segments, kept in a table (CustomerRfm) so that filters read them, and saved
segments over customers' attributes, RFM segment and purchases.

Scores are quintiles over all customers, so one customer's purchase can move others: the whole
table is recomputed nightly (beat) rather than per order. A run records which customers entered,
left or changed segment (SegmentChange) and nothing more: what is counted per segment elsewhere
(the dashboards' rollups) finds from those rows on its own which of its figures to recompute.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import CustomerRfm, Order, SavedSegment, SegmentChange, SegmentMembership, SegmentRun

# A read recomputes the segments itself only when the nightly run has not happened (no broker, or
# beat down for a day).
SEGMENT_MAX_AGE = timedelta(hours=25)
CHUNK = 5000


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _quintile_scores(values: dict[int, float], *, higher_is_better: bool = True) -> dict[int, int]:
    """1–5 by rank: the top fifth of customers gets 5. Ranks are tie-aware: customers with equal
    values share their average rank (the mid-rank), so they always get the same score, whatever
    their ids or the order they were stored in. A score is 1 + ⌊5 × (mid-rank − 1) / n⌋, which
    without ties is the plain quintile of the rank."""
    total = len(values)
    if not total:
        return {}
    ordered = sorted(values.values(), reverse=not higher_is_better)
    first_index: dict[float, int] = {}
    last_index: dict[float, int] = {}
    for index, value in enumerate(ordered):
        first_index.setdefault(value, index)
        last_index[value] = index
    # scores are computed once per distinct value, from twice the 0-based mid-rank to stay in integers
    score_of = {value: 1 + (5 * (first_index[value] + last_index[value])) // (2 * total) for value in first_index}
    return {key: score_of[value] for key, value in values.items()}


def rfm_scores(*, now: datetime | None = None) -> dict[int, dict]:
    """Recency, frequency and monetary value per customer, each scored 1–5 by quintile, a segment,
    and the first purchase (`first`)."""
    now = now or timezone.now()
    rows = list(
        Order.objects.values("customer_id").annotate(
            first=Min("placed_at"), last=Max("placed_at"), orders=Count("pk"), spent=Sum("total")
        )
    )
    recency = {r["customer_id"]: (now - r["last"]).days for r in rows}
    frequency = {r["customer_id"]: r["orders"] for r in rows}
    monetary = {r["customer_id"]: float(r["spent"] or 0) for r in rows}
    first = {r["customer_id"]: r["first"] for r in rows}
    r_score = _quintile_scores(recency, higher_is_better=False)
    f_score = _quintile_scores(frequency)
    m_score = _quintile_scores(monetary)
    result = {}
    for customer_id in recency:
        r, f, m = r_score[customer_id], f_score[customer_id], m_score[customer_id]
        result[customer_id] = {"r": r, "f": f, "m": m, "segment": rfm_segment(r, f), "first": first[customer_id]}
    return result


def rfm_segment(recency: int, frequency: int) -> str:
    """Segments on the recency × frequency grid (the usual RFM map, simplified to five)."""
    if recency >= 4 and frequency >= 4:
        return CustomerRfm.Segment.CHAMPIONS
    if recency >= 4 and frequency <= 2:
        return CustomerRfm.Segment.NEW
    if recency <= 2 and frequency >= 3:
        return CustomerRfm.Segment.AT_RISK
    if recency <= 2:
        return CustomerRfm.Segment.HIBERNATING
    return CustomerRfm.Segment.LOYAL


def segments_refresh(*, now: datetime | None = None) -> SegmentRun:
    """Score every customer again; for those who entered, left or changed segment, close their
    membership span and open the next (see SegmentMembership). What it writes grows with the number
    of customers who moved, never with how much they bought or said before."""
    now = now or timezone.now()
    scores = rfm_scores(now=now)
    with transaction.atomic():
        stored = {
            row[0]: row[1:]
            for row in CustomerRfm.objects.values_list("customer_id", "segment", "recency", "frequency", "monetary")
        }
        gone = [cid for cid in stored if cid not in scores]
        changed_segment = [cid for cid, row in scores.items() if cid not in stored or stored[cid][0] != row["segment"]]
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
        since = _memberships_move(
            {cid: scores[cid]["segment"] for cid in changed_segment},
            gone,
            first_purchase={cid: scores[cid]["first"] for cid in changed_segment},
            now=now,
        )
        run = SegmentRun.objects.create(computed_at=now, customers=len(scores), changed=len(since))
        SegmentChange.objects.bulk_create(
            [SegmentChange(run=run, customer_id=cid, since=moment) for cid, moment in since.items()], batch_size=CHUNK
        )
        return run


def _memberships_move(
    segments: dict[int, str], gone: list[int], *, first_purchase: dict[int, datetime], now: datetime
) -> dict[int, datetime]:
    """Close the open span of each customer who moved or left, open one for each who moved or
    entered; returns, per customer, the moment from which their rows count differently.

    A customer entering for the first time is in their segment from their first purchase; one
    coming back (their orders had gone) from the end of their last span, so spans never overlap.
    """
    moved = list(segments) + gone
    open_spans: set[int] = set()
    last_end: dict[int, datetime] = {}
    for ids in _chunks(moved):
        for cid, until in SegmentMembership.objects.filter(customer_id__in=ids).values_list("customer_id", "until"):
            if until is None:
                open_spans.add(cid)
            elif cid not in last_end or until > last_end[cid]:
                last_end[cid] = until
        SegmentMembership.objects.filter(customer_id__in=ids, until__isnull=True).update(until=now)
    since = {cid: now for cid in gone if cid in open_spans}
    for cid in segments:
        if cid in open_spans:
            since[cid] = now
        else:
            since[cid] = max(filter(None, (first_purchase[cid], last_end.get(cid))))
    SegmentMembership.objects.bulk_create(
        [SegmentMembership(customer_id=cid, segment=segment, since=since[cid]) for cid, segment in segments.items()],
        batch_size=CHUNK,
    )
    return since


def segments_ensure_fresh() -> None:
    last = SegmentRun.objects.order_by("-computed_at").values_list("computed_at", flat=True).first()
    if last is None or timezone.now() - last > SEGMENT_MAX_AGE:
        segments_refresh()


def is_rfm_segment(segment: str) -> bool:
    return segment in CustomerRfm.Segment.values


def in_segment_when(segment: str, *, customer: str, moment: str) -> Q:
    """Rows whose customer was in the segment when the row happened: what a segment's figures mean
    on the dashboards for an RFM segment (see SegmentMembership). A saved segment is its customers
    today. `customer` (the customer's id) and `moment` are paths from the row."""
    if not is_rfm_segment(segment):
        return Q(**{f"{customer}__in": customers_in_segment(segment)})
    segments_ensure_fresh()
    spans = SegmentMembership.objects.filter(
        Q(until__isnull=True) | Q(until__gt=OuterRef(moment)),
        customer_id=OuterRef(customer),
        segment=segment,
        since__lte=OuterRef(moment),
    )
    return Q(Exists(spans))


def segment_when(*, customer: str, moment: str) -> Subquery:
    """The RFM segment the row's customer was in when the row happened (None: in none), for a row
    read one at a time (a case); `customer` and `moment` are paths from the row."""
    spans = SegmentMembership.objects.filter(
        Q(until__isnull=True) | Q(until__gt=OuterRef(moment)),
        customer_id=OuterRef(customer),
        since__lte=OuterRef(moment),
    )
    return Subquery(spans.values("segment")[:1])


def customers_in_segment(segment: str) -> QuerySet:
    """The customers of an RFM segment or a saved segment (by slug), as a subquery of ids."""
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
    saved = list(SavedSegment.objects.values_list("slug", "name"))
    choices: list = [("", _("Any")), (_("RFM"), list(CustomerRfm.Segment.choices))]
    if saved:
        choices.append((_("Saved segments"), saved))
    return choices
