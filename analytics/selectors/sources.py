"""The sources dashboard: where feedback comes from — volume and sentiment per source, country or device."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db.models import F

from analytics import metrics
from analytics.models import FeedbackDaily
from analytics.rollups import fresh_for_the_read
from analytics.selectors.common import (
    CONTEXT_DIMENSIONS,
    Filters,
    daily,
    daily_counts,
    feedback_raw,
    period_start,
    raw_counts,
    scope_filters,
)

CONTEXT_TOP = 8  # values drawn one by one over time; the rest are summed as "other"


def context_report(counts: dict[str, dict[str, int]], series: dict[str, dict[datetime, int]]) -> dict:
    """From items per value and label, and per value and period: the rows and lines of the page."""
    values = []
    for value, by_label in counts.items():
        total = sum(by_label.values())
        values.append(
            {
                "value": value,
                "items": total,
                "negative": by_label.get("negative", 0),
                "neutral": by_label.get("neutral", 0),
                "positive": by_label.get("positive", 0),
                "negative_share": 100 * by_label.get("negative", 0) / total if total else None,
                "negative_interval": metrics.wilson_interval(by_label.get("negative", 0), total),
            }
        )
    values.sort(key=lambda row: (-row["items"], row["value"]))
    top = [row["value"] for row in values[:CONTEXT_TOP]]
    periods = sorted({moment for by_period in series.values() for moment in by_period})
    lines = {value: [series.get(value, {}).get(p, 0) for p in periods] for value in top}
    rest = [v for v in series if v not in top]
    if rest:
        lines["*other"] = [sum(series[v].get(p, 0) for v in rest) for p in periods]
    return {"values": values, "periods": periods, "series": lines}


def _context_rows(filters: Filters, dimension: str) -> Iterable[dict]:
    # Read from the dimension's own scope: any other scope filter, or a topic, goes to the raw rows.
    if not filters.topic and not any(scope_filters(filters)):
        rows = daily(FeedbackDaily, filters, every_key_of=dimension)
        return daily_counts(rows, "items", "key", label=F("sentiment"))
    return raw_counts(feedback_raw(filters), "received_at", "label", key=F(dimension), period=filters.period)


@fresh_for_the_read
def feedback_by_context(filters: Filters, dimension: str) -> dict:
    """Per value of the dimension ("" = not known): items, their sentiment, the negative share with
    its interval, and the volume per period of the most frequent values."""
    if dimension not in CONTEXT_DIMENSIONS:
        raise ValueError(dimension)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    series: dict[str, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    for row in _context_rows(filters, dimension):
        key, label = row["key"] or "", row["label"] or ""
        counts[key][label] = counts[key].get(label, 0) + row["n"]
        series[key][period_start(row["p"], "day")] += row["n"]
    return context_report(counts, series)
