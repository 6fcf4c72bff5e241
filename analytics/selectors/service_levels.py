"""The service-level dashboard: SLA compliance and how long cases take, by period, priority, team
and channel, with the backlog and the customers' satisfaction with the service."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime

from django.db.models import QuerySet, Sum
from django.utils import timezone

from analytics import rollups
from analytics.models import CaseDaily, CaseDurationDaily
from analytics.rollups import SLA_COUNTS, bucket_hours, fresh_for_the_read
from analytics.selectors.common import Filters, feedback_raw, in_segment_when, is_rfm_segment, period_start
from feedback.models import FeedbackItem
from support.models import Case
from support.selectors import cases_sla_clocks, service_csat
from support.sla import BREACHED


def sla_report(groups: dict[str, dict], hours: dict[str, dict], *, start: datetime, now: datetime) -> dict:
    """The service-level page's numbers, from summed counts per group and the duration statistics."""

    def row(counts: dict) -> dict:
        return {
            "cases": counts["cases"],
            **{
                f"{target}_met": 100 * counts[f"{target}_met"] / counts[f"{target}_decided"]
                if counts[f"{target}_decided"]
                else None
                for target in ("first_response", "resolution")
            },
            **{f"{target}_decided": counts[f"{target}_decided"] for target in ("first_response", "resolution")},
        }

    open_cases = Case.objects.filter(status__in=Case.OPEN_STATUSES)
    return {
        "by": {
            kind: {key: row(counts) for key, counts in sorted(values.items(), key=lambda kv: str(kv[0]))}
            for kind, values in groups.items()
        },
        **{f"{target}_hours": stats for target, stats in hours.items()},
        "backlog": open_cases.count(),
        "breached_now": open_cases.filter(sla_due_at__lte=now).count(),
        "service_csat": service_csat(since=start),
    }


def channels_label(codes: list[str]) -> str:
    """ "Reseña, Encuesta" rather than "review,survey": the channels a case came from, by name."""
    names = dict(FeedbackItem.Channel.choices)
    return ", ".join(str(names.get(code, code)) for code in sorted(codes)) or "–"


def add_to_groups(groups: dict[str, dict], keys: dict, counts: dict[str, int]) -> None:
    for kind, key in keys.items():
        bucket = groups[kind].setdefault(key, dict.fromkeys(SLA_COUNTS, 0))
        for field in SLA_COUNTS:
            bucket[field] += counts[field]


def _histogram_percentile(histogram: dict[int, int], share: float) -> float | None:
    """Linear between the two nearest ranks, each value read as its bucket's middle."""
    total = sum(histogram.values())
    if not total:
        return None
    ordered = sorted(histogram)

    def value_at(rank: int) -> float:
        seen = 0
        for bucket in ordered:
            seen += histogram[bucket]
            if seen > rank:
                return bucket_hours(bucket)
        return bucket_hours(ordered[-1])

    index = share * (total - 1)
    low, high = int(index), min(int(index) + 1, total - 1)
    return value_at(low) + (value_at(high) - value_at(low)) * (index - low)


def _uses_rollups(filters: Filters) -> bool:
    if filters.product or filters.category or filters.language or filters.topic:
        return False
    return not filters.segment or is_rfm_segment(filters.segment)


CaseRow = tuple[date, str, str, str, dict[str, int]]  # day, priority, team, channels key, SLA counts


def _rollup_rows(filters: Filters) -> tuple[Iterable[CaseRow], dict[tuple[str, int], int]]:
    rollups.ensure_fresh()
    cases = CaseDaily.objects.filter(day__gte=filters.start, day__lte=filters.end)
    durations = CaseDurationDaily.objects.filter(day__gte=filters.start, day__lte=filters.end)
    if filters.channel:
        cases = cases.filter(channels__contains=f",{filters.channel},")
        durations = durations.filter(channels__contains=f",{filters.channel},")
    if filters.segment:
        cases, durations = cases.filter(segment=filters.segment), durations.filter(segment=filters.segment)
    groups = (
        (row["day"], row["priority"], row["team_name"], row["channels"], {f: row[f"sum_{f}"] for f in SLA_COUNTS})
        for row in cases.values("day", "priority", "team_name", "channels").annotate(
            **{f"sum_{field}": Sum(field) for field in SLA_COUNTS}
        )
    )
    histogram = {
        (row["target"], row["bucket"]): row["n"]
        for row in durations.values("target", "bucket").annotate(n=Sum("cases"))
    }
    return groups, histogram


def cases_in(filters: Filters) -> QuerySet:
    """The cases opened in the window that the filters select (the channel too: any of the case's)."""
    start, end = filters.bounds
    cases = Case.objects.filter(opened_at__gte=start, opened_at__lt=end)
    if filters.segment:
        cases = cases.filter(in_segment_when(filters.segment, customer="customer_id", moment="opened_at"))
    if filters.language or filters.topic or filters.product or filters.category:
        # a case is about what its feedback items are about, whenever they arrived
        about = replace(filters, start=date(2000, 1, 1), end=date(2100, 1, 1), channel="", segment="")
        cases = cases.filter(pk__in=feedback_raw(about).filter(case__isnull=False).values("case_id"))
    return cases


def _raw_rows(filters: Filters, *, now: datetime) -> tuple[Iterable[CaseRow], dict[tuple[str, int], int]]:
    """The same rows as the case rollups hold, computed from the cases the filters select."""
    by_group, by_bucket = rollups.case_rows(cases_in(filters), now=now)
    wanted = f",{filters.channel},"
    groups = (
        (day, priority, team, channels, counts)
        for (day, priority, team, channels, _segment), counts in by_group.items()
        if not filters.channel or wanted in channels
    )
    histogram: dict[tuple[str, int], int] = defaultdict(int)
    for (_day, channels, _segment, target, bucket), n in by_bucket.items():
        if not filters.channel or wanted in channels:
            histogram[(target, bucket)] += n
    return groups, histogram


@fresh_for_the_read
def service_levels(filters: Filters, *, now: datetime | None = None) -> dict:
    """SLA compliance of the cases opened in the window, by period, priority, team and channel:
    counts exact, median and 90th percentile from 2 %-wide duration buckets (so within 2 % of the
    exact value). Read from the case rollups, or computed alike from the cases a filter the rollups
    cannot answer (product, category, language, topic, a saved segment) selects."""
    now = now or timezone.now()
    rows, histogram = _rollup_rows(filters) if _uses_rollups(filters) else _raw_rows(filters, now=now)
    groups: dict[str, dict] = {"period": {}, "priority": {}, "team": {}, "channel": {}}
    priorities = dict(Case._meta.get_field("priority").choices)
    for day, priority, team, channels, counts in rows:
        keys = {
            "period": period_start(day, filters.period).date(),
            "priority": str(priorities.get(priority, priority)),
            "team": team or "–",
            "channel": channels_label(channels.strip(",").split(",") if channels else []),
        }
        add_to_groups(groups, keys, counts)
    histograms: dict[str, dict[int, int]] = {"first_response": {}, "resolution": {}}
    for (target, bucket), n in histogram.items():
        histograms[target][bucket] = n
    hours = {
        target: {"median": _histogram_percentile(h, 0.5), "p90": _histogram_percentile(h, 0.9)}
        for target, h in histograms.items()
    }
    return sla_report(groups, hours, start=filters.bounds[0], now=now)


@fresh_for_the_read
def sla_counts(filters: Filters, *, now: datetime | None = None) -> dict[str, int]:
    """The SLA counts (SLA_COUNTS) of the cases opened in the window, summed: the rollups' rows, or
    the same computed from the cases a filter the rollups cannot answer selects."""
    now = now or timezone.now()
    rows, _histogram = _rollup_rows(filters) if _uses_rollups(filters) else _raw_rows(filters, now=now)
    totals = dict.fromkeys(SLA_COUNTS, 0)
    for *_keys, counts in rows:
        for field in SLA_COUNTS:
            totals[field] += counts[field]
    return totals


def sla_missed_cases(filters: Filters, *, now: datetime) -> list[Case]:
    """The cases opened in the window that missed their first-response or resolution target,
    newest first. Their clocks are measured together, as the case rollups measure them."""
    cases = cases_in(filters)
    if filters.channel:
        cases = cases.filter(channels__contains=[filters.channel])
    missed = [
        pk for (pk,), statuses, _ in cases_sla_clocks(cases, now=now, fields=("pk",)) if BREACHED in statuses.values()
    ]
    return list(Case.objects.filter(pk__in=missed).order_by("-opened_at", "-pk"))
