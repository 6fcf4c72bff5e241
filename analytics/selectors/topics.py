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


# Below this many mentions in the window a topic's shares swing on one or two comments: it is
# still listed, greyed out, with the reason, so nobody reads a 100 % negative share into 2 comments.
TOPIC_MIN_MENTIONS = 10

SentimentCounts = dict[str, dict[str, int]]  # slug -> {"negative": n, "neutral": n, "positive": n}


def _sentiment_counts(filters: Filters) -> SentimentCounts:
    counts: SentimentCounts = defaultdict(lambda: {"negative": 0, "neutral": 0, "positive": 0})
    for row in _topic_rows(filters, by_period=False):
        counts[row["topic__slug"]][row["sentiment"]] += row["n"]
    return dict(counts)


@fresh_for_the_read
def topic_ranking(filters: Filters) -> list[dict]:
    """Topics by volume in the window, with net sentiment, the negative share and the change since
    the previous window of the same length (see rank_topics)."""
    return rank_topics(_sentiment_counts(filters), _sentiment_counts(filters.previous()))


@fresh_for_the_read
def topic_shifts(filters: Filters) -> list[dict]:
    """Topics ranked by how much their negative share rose against the previous period."""
    return shifts_of(topic_ranking(filters))


def shifts_of(ranking: list[dict]) -> list[dict]:
    """The ranking's rows ordered by the rise of their negative share, largest first."""
    return sorted(ranking, key=lambda row: (row["rise"] is None, -(row["rise"] or 0), -row["mentions"], row["slug"]))


def rank_topics(now: SentimentCounts, before: SentimentCounts) -> list[dict]:
    """Per topic mentioned now, from its mentions by sentiment now and before: volume, net
    sentiment (% positive − % negative), negative share, and their changes; most mentioned first."""
    names = {topic.slug: topic for topic in Topic.objects.all()}
    result = []
    for slug, counts in now.items():
        total = sum(counts.values())
        if not total:
            continue
        previous = before.get(slug, {})
        previous_total = sum(previous.values())
        negative, previous_negative = counts["negative"], previous.get("negative", 0)
        share = 100 * negative / total
        previous_share = 100 * previous_negative / previous_total if previous_total else None
        net = 100 * (counts["positive"] - negative) / total
        previous_net = (
            100 * (previous.get("positive", 0) - previous_negative) / previous_total if previous_total else None
        )
        change = metrics.compare_proportions(negative, total, previous_negative, previous_total)
        result.append(
            {
                "topic": names.get(slug),
                "slug": slug,
                "mentions": total,
                "negative": negative,
                "neutral": counts["neutral"],
                "positive": counts["positive"],
                "net_sentiment": net,
                "previous_mentions": previous_total,
                "mentions_change": total - previous_total,
                "previous_net_sentiment": previous_net,
                "net_change": net - previous_net if previous_net is not None else None,
                "negative_share": share,
                "previous_negative_share": previous_share,
                "rise": share - previous_share if previous_share is not None else None,
                "is_significant": bool(change and change.is_significant),
                "is_below_minimum": total < TOPIC_MIN_MENTIONS,
            }
        )
    return sorted(result, key=lambda row: (-row["mentions"], row["slug"]))


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
