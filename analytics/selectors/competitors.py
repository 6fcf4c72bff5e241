"""The shop against its competitors: share of voice, sentiment and what customers complain about.

Read from the rollups' brand scope (every brand's feedback items and topic mentions, key = the
brand's slug, "" = the shop's own).
"""

from collections import defaultdict
from datetime import datetime

from django.db.models import Sum

from analytics import metrics
from analytics.models import FeedbackDaily, RollupScope, TopicDaily
from analytics.rollups import fresh_for_the_read
from analytics.selectors.common import Filters, daily, period_start
from brands.models import Brand, own_brand_name
from sentiment.models import Topic

# By default the comparison is of what people say in public about each brand: reviews and social
# posts. The shop's own surveys and widget have no counterpart for its rivals.
PUBLIC_CHANNELS = ("review", "social")


def _brands() -> list[dict]:
    rows = [{"slug": "", "name": own_brand_name(), "is_own": True}]
    rows += [
        {"slug": brand.slug, "name": brand.name, "is_own": False}
        for brand in Brand.objects.filter(is_own=False, is_active=True).order_by("name")
    ]
    return rows


def comparison_channels(filters: Filters) -> tuple[str, ...]:
    return (filters.channel,) if filters.channel else PUBLIC_CHANNELS


@fresh_for_the_read
def comparison_report(
    counts: dict[str, dict[str, int]],
    volume: dict[str, dict[datetime, int]],
    negative_by_period: dict[str, dict[datetime, int]],
    topics: dict[str, dict[str, list[int]]],
    topic_volume: dict[str, dict[str, dict[datetime, int]]],
) -> dict:
    """From items per brand and label, per brand and period, and topic mentions per brand: the page."""
    brands = _brands()
    total_voice = sum(sum(by_label.values()) for by_label in counts.values())
    for brand in brands:
        by_label = counts.get(brand["slug"], {})
        items = sum(by_label.values())
        negative, positive = by_label.get("negative", 0), by_label.get("positive", 0)
        brand.update(
            items=items,
            share_of_voice=100 * items / total_voice if total_voice else None,
            negative=negative,
            neutral=by_label.get("neutral", 0),
            positive=positive,
            negative_share=100 * negative / items if items else None,
            negative_interval=metrics.wilson_interval(negative, items),
            net_sentiment=100 * (positive - negative) / items if items else None,
        )
    periods = sorted({moment for series in volume.values() for moment in series})
    period_totals = [sum(series.get(p, 0) for series in volume.values()) for p in periods]
    series = {}
    for brand in brands:
        items_per_period = [volume.get(brand["slug"], {}).get(p, 0) for p in periods]
        negatives = [negative_by_period.get(brand["slug"], {}).get(p, 0) for p in periods]
        by_topic = topic_volume.get(brand["slug"], {})
        series[brand["slug"]] = {
            # the topic mix over time: mentions of each topic per period
            "topics": {slug: [by_topic[slug].get(p, 0) for p in periods] for slug in sorted(by_topic)},
            "items": items_per_period,
            "share_of_voice": [
                100 * n / total if total else None for n, total in zip(items_per_period, period_totals, strict=True)
            ],
            "negative_share": [
                100 * bad / n if n else None for bad, n in zip(negatives, items_per_period, strict=True)
            ],
        }
    items_of = {brand["slug"]: brand["items"] for brand in brands}
    names = {topic.slug: topic for topic in Topic.objects.filter(is_active=True)}
    topic_rows = []
    for slug, by_brand in sorted(topics.items()):
        if slug not in names:
            continue
        topic_rows.append(
            {
                "slug": slug,
                "topic": names[slug],
                "brands": {
                    brand["slug"]: {
                        "mentions": by_brand.get(brand["slug"], [0, 0])[0],
                        "negative": by_brand.get(brand["slug"], [0, 0])[1],
                        # complaints about the topic per 100 things said about the brand: volumes differ
                        "complaint_rate": 100 * by_brand.get(brand["slug"], [0, 0])[1] / items_of[brand["slug"]]
                        if items_of[brand["slug"]]
                        else None,
                    }
                    for brand in brands
                },
            }
        )
    gaps = []
    for row in topic_rows:
        own = row["brands"][""]
        for brand in brands[1:]:
            rival = row["brands"][brand["slug"]]
            if own["complaint_rate"] is None or rival["complaint_rate"] is None or not own["negative"]:
                continue
            change = metrics.compare_proportions(
                own["negative"], items_of[""], rival["negative"], items_of[brand["slug"]]
            )
            gaps.append(
                {
                    "topic": row["topic"],
                    "slug": row["slug"],
                    "rival": brand,
                    "own_rate": own["complaint_rate"],
                    "rival_rate": rival["complaint_rate"],
                    # "2.0× as often as at Rival X"; None when the rival had no complaints at all
                    "ratio": own["complaint_rate"] / rival["complaint_rate"] if rival["complaint_rate"] else None,
                    "difference": own["complaint_rate"] - rival["complaint_rate"],
                    "is_significant": bool(change and change.is_significant),
                }
            )
    # the differences beyond the noise first, the largest first
    gaps.sort(key=lambda gap: (not gap["is_significant"], -gap["difference"], gap["slug"], gap["rival"]["slug"]))
    return {"brands": brands, "periods": periods, "series": series, "topics": topic_rows, "gaps": gaps}


@fresh_for_the_read
def brand_comparison(filters: Filters) -> dict:
    channels = comparison_channels(filters)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    volume: dict[str, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    negative: dict[str, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    unfiltered = Filters(start=filters.start, end=filters.end, period=filters.period, language=filters.language)
    rows = daily(FeedbackDaily, unfiltered, every_key_of=RollupScope.BRAND).filter(channel__in=channels)
    for row in rows.values("key", "sentiment", "p").annotate(n=Sum("items")):
        moment = period_start(row["p"], "day")
        counts[row["key"]][row["sentiment"]] += row["n"]
        volume[row["key"]][moment] += row["n"]
        if row["sentiment"] == "negative":
            negative[row["key"]][moment] += row["n"]
    topics: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    topic_volume: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    mentions = daily(TopicDaily, unfiltered, every_key_of=RollupScope.BRAND).filter(
        channel__in=channels, topic__is_active=True
    )
    for row in mentions.values("key", "topic__slug", "sentiment", "p").annotate(n=Sum("mentions")):
        entry = topics[row["topic__slug"]][row["key"]]
        entry[0] += row["n"]
        entry[1] += row["n"] if row["sentiment"] == "negative" else 0
        topic_volume[row["key"]][row["topic__slug"]][period_start(row["p"], "day")] += row["n"]
    return comparison_report(counts, volume, negative, topics, topic_volume)
