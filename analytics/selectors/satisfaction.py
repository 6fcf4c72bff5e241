"""The satisfaction dashboard: NPS, CSAT, CES, review ratings and the sentiment index per period."""

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from django.db.models import F

from analytics import metrics
from analytics.models import AnswerDaily, FeedbackDaily, ReviewDaily
from analytics.rollups import fresh_for_the_read
from analytics.selectors.common import (
    Filters,
    answers_raw,
    daily,
    daily_counts,
    feedback_raw,
    period_start,
    raw_counts,
    reviews_raw,
    uses_rollups,
)
from surveys.models import Question

SCORE_KINDS = (Question.Kind.NPS, Question.Kind.CSAT, Question.Kind.CES)


def _answer_rows(filters: Filters, kinds: Iterable[str], *, by_period: bool = True) -> Iterable[dict]:
    """Answers per number and kind (and period): `kind`, `number`, `n` (and `p`)."""
    if uses_rollups(filters):
        rows = daily(AnswerDaily, filters, channel=False).filter(kind__in=kinds)
        return daily_counts(rows, "answers", "kind", "number", by_period=by_period)
    period = filters.period if by_period else None
    return raw_counts(answers_raw(filters, kinds), "response__submitted_at", "kind", "number", period=period)


def _answer_counts(filters: Filters, kind: str) -> dict[int, int]:
    counts: dict[int, int] = defaultdict(int)
    for row in _answer_rows(filters, [kind], by_period=False):
        counts[row["number"]] += row["n"]
    return counts


def _nps_from(counts: dict[int, int]) -> metrics.NPS:
    promoters = sum(n for number, n in counts.items() if number >= 9)
    passives = sum(n for number, n in counts.items() if number in (7, 8))
    detractors = sum(n for number, n in counts.items() if number <= 6)
    return metrics.NPS(promoters + passives + detractors, promoters, passives, detractors)


@fresh_for_the_read
def nps_for(filters: Filters) -> metrics.NPS:
    return _nps_from(_answer_counts(filters, Question.Kind.NPS))


@fresh_for_the_read
def csat_counts(filters: Filters) -> tuple[int, int]:
    counts = _answer_counts(filters, Question.Kind.CSAT)
    return sum(n for number, n in counts.items() if number >= 4), sum(counts.values())


def _review_rows(filters: Filters) -> Iterable[dict]:
    if uses_rollups(filters):
        return daily_counts(daily(ReviewDaily, filters, channel=False), "reviews", "rating")
    return raw_counts(reviews_raw(filters), "created_at", "rating", period=filters.period)


def _feedback_rows(filters: Filters) -> Iterable[dict]:
    if uses_rollups(filters):
        return daily_counts(daily(FeedbackDaily, filters), "items", label=F("sentiment"))
    return raw_counts(feedback_raw(filters), "received_at", "label", period=filters.period)


@fresh_for_the_read
def satisfaction_series(filters: Filters) -> list[dict]:
    """One row per period: NPS (shares, 95 % interval), CSAT %, CES mean, review rating, sentiment index."""
    rows: dict[datetime, dict] = {}
    answers: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in _answer_rows(filters, SCORE_KINDS):
        answers[(period_start(row["p"], "day"), row["kind"])][row["number"]] += row["n"]
    for (moment, kind), counts in sorted(answers.items()):
        row = rows.setdefault(moment, {"period": moment})
        if kind == Question.Kind.NPS:
            nps = _nps_from(counts)
            row.update(
                nps=nps.score,
                nps_interval=nps.interval,
                nps_respondents=nps.respondents,
                **{f"{key}_share": value for key, value in nps.shares().items()},
            )
        elif kind == Question.Kind.CSAT:
            satisfied, total = sum(n for number, n in counts.items() if number >= 4), sum(counts.values())
            row.update(csat=100 * satisfied / total, csat_interval=metrics.wilson_interval(satisfied, total))
        elif kind == Question.Kind.CES:
            row.update(ces=sum(number * n for number, n in counts.items()) / sum(counts.values()))
    ratings: dict[datetime, list[int]] = defaultdict(lambda: [0, 0])
    for row in _review_rows(filters):
        bucket = ratings[period_start(row["p"], "day")]
        bucket[0] += row["rating"] * row["n"]
        bucket[1] += row["n"]
    for moment, (stars, count) in ratings.items():
        rows.setdefault(moment, {"period": moment}).update(rating=stars / count, reviews=count)
    feedback: dict[datetime, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in _feedback_rows(filters):
        feedback[period_start(row["p"], "day")][row["label"] or ""] += row["n"]
    for moment, counts in feedback.items():
        total = sum(counts.values())
        rows.setdefault(moment, {"period": moment}).update(
            sentiment_index=100 * (counts["positive"] - counts["negative"]) / total, feedback=total
        )
    return [rows[key] for key in sorted(rows)]


@fresh_for_the_read
def satisfaction_summary(filters: Filters) -> dict:
    """The period's headline numbers and how they moved against the previous period of the same length."""
    current, previous = nps_for(filters), nps_for(filters.previous())
    csat_now, csat_before = csat_counts(filters), csat_counts(filters.previous())
    return {
        "nps": current,
        "nps_change": metrics.compare_nps(current, previous),
        "nps_previous": previous,
        "csat": 100 * csat_now[0] / csat_now[1] if csat_now[1] else None,
        "csat_interval": metrics.wilson_interval(*csat_now),
        "csat_change": metrics.compare_proportions(*csat_now, *csat_before),
    }
