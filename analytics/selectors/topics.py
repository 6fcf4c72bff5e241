"""The topics dashboard: what customers talk about, and which complaints are rising."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import replace

from analytics import metrics
from analytics.models import TopicDaily
from analytics.rollups import fresh_for_the_read
from analytics.selectors.common import (
    Filters,
    daily,
    daily_counts,
    mentions_raw,
    period_start,
    raw_counts,
    uses_rollups,
)
from sentiment.models import FeedbackTopic, Topic


def _topic_rows(filters: Filters, *, by_period: bool = True) -> Iterable[dict]:
    """Mentions per topic and sentiment (and period); with a topic filter, that topic's only."""
    # the topic rollups are split by topic already
    if uses_rollups(replace(filters, topic="")):
        rows = daily(TopicDaily, filters).filter(topic__is_active=True)
        if filters.topic:
            rows = rows.filter(topic__slug=filters.topic)
        return daily_counts(rows, "mentions", "topic__slug", "sentiment", by_period=by_period)
    period = filters.period if by_period else None
    return raw_counts(mentions_raw(filters), "feedback__received_at", "topic__slug", "sentiment", period=period)


@fresh_for_the_read
def topic_series(filters: Filters) -> dict:
    """Per topic and period: mentions and negative mentions (current analysis only)."""
    series: dict[str, dict] = {}
    periods = set()
    for row in _topic_rows(filters):
        moment = period_start(row["p"], "day")
        periods.add(moment)
        entry = series.setdefault(row["topic__slug"], {"total": defaultdict(int), "negative": defaultdict(int)})
        entry["total"][moment] += row["n"]
        entry["negative"][moment] += row["n"] if row["sentiment"] == "negative" else 0
    return {
        "periods": sorted(periods),
        "topics": {slug: {k: dict(v) for k, v in entry.items()} for slug, entry in series.items()},
    }


@fresh_for_the_read
def topic_shifts(filters: Filters) -> list[dict]:
    """Topics ranked by how much their negative share rose against the previous period."""

    def shares(window: Filters) -> dict[str, tuple[int, int]]:
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in _topic_rows(window, by_period=False):
            totals[row["topic__slug"]][1] += row["n"]
            if row["sentiment"] == "negative":
                totals[row["topic__slug"]][0] += row["n"]
        return {slug: (negative, total) for slug, (negative, total) in totals.items()}

    return rank_shifts(shares(filters), shares(filters.previous()))


def rank_shifts(now: dict[str, tuple[int, int]], before: dict[str, tuple[int, int]]) -> list[dict]:
    """Per topic, from (negative, total) mentions now and before: the rise of the negative share."""
    names = {topic.slug: topic for topic in Topic.objects.all()}
    result = []
    for slug, (negative, total) in now.items():
        previous_negative, previous_total = before.get(slug, (0, 0))
        share = 100 * negative / total if total else 0.0
        previous_share = 100 * previous_negative / previous_total if previous_total else None
        change = metrics.compare_proportions(negative, total, previous_negative, previous_total)
        result.append(
            {
                "topic": names.get(slug),
                "slug": slug,
                "mentions": total,
                "negative_share": share,
                "previous_negative_share": previous_share,
                "rise": share - previous_share if previous_share is not None else None,
                "is_significant": bool(change and change.is_significant),
            }
        )
    return sorted(result, key=lambda row: (row["rise"] is None, -(row["rise"] or 0), -row["mentions"], row["slug"]))


def topic_examples(filters: Filters, slug: str, limit: int = 3) -> list:
    """Recent negative comments about a topic, with the words that matched it."""
    start, end = filters.bounds
    return list(
        FeedbackTopic.objects.filter(
            topic__slug=slug, sentiment="negative", feedback__received_at__gte=start, feedback__received_at__lt=end
        )
        .select_related("feedback")
        .order_by("-feedback__received_at")[:limit]
    )
