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
    return _answer_counts_by_kind(filters, [kind])[kind]


def _answer_counts_by_kind(filters: Filters, kinds: Iterable[str]) -> dict[str, dict[int, int]]:
    """Answers per number, for each kind, in one query."""
    counts: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in _answer_rows(filters, kinds, by_period=False):
        counts[row["kind"]][row["number"]] += row["n"]
    return counts


def _nps_from(counts: dict[int, int]) -> metrics.NPS:
    promoters = sum(n for number, n in counts.items() if number >= 9)
    passives = sum(n for number, n in counts.items() if number in (7, 8))
    detractors = sum(n for number, n in counts.items() if number <= 6)
    return metrics.NPS(promoters + passives + detractors, promoters, passives, detractors)


@fresh_for_the_read
def nps_for(filters: Filters) -> metrics.NPS:
    return _nps_from(_answer_counts(filters, Question.Kind.NPS))


def _top_two_box(counts: dict[int, int]) -> tuple[int, int]:
    """(answers of 4 or 5 of 5, all answers): CSAT is the first as a share of the second."""
    return sum(n for number, n in counts.items() if number >= 4), sum(counts.values())


@fresh_for_the_read
def csat_counts(filters: Filters) -> tuple[int, int]:
    return _top_two_box(_answer_counts(filters, Question.Kind.CSAT))


def _review_rows(filters: Filters) -> Iterable[dict]:
    if uses_rollups(filters):
        return daily_counts(daily(ReviewDaily, filters, channel=False), "reviews", "rating")
    return raw_counts(reviews_raw(filters), "created_at", "rating", period=filters.period)


def _feedback_rows(filters: Filters) -> Iterable[dict]:
    if uses_rollups(filters):
        return daily_counts(daily(FeedbackDaily, filters), "items", label=F("sentiment"))
    return raw_counts(feedback_raw(filters), "received_at", "label", period=filters.period)


def _csat_from(counts: dict[int, int]) -> dict:
    """CSAT is top-2-box: the share of answers that are 4 or 5 of 5."""
    satisfied, total = _top_two_box(counts)
    interval = metrics.proportion_interval(satisfied, total)
    return {
        "csat": 100 * satisfied / total if total else None,
        "csat_interval": interval,
        "csat_interval_reason": metrics.interval_reason(total, interval),
        "csat_answers": total,
    }


def _mean_fields(name: str, mean: metrics.Mean) -> dict:
    return {
        name: mean.mean,
        f"{name}_interval": mean.interval,
        f"{name}_interval_reason": mean.interval_reason,
    }


def _ces_from(counts: dict[int, int]) -> dict:
    """CES: the mean of 1–7 answers, where 7 is "very easy" (higher is easier)."""
    return {**_mean_fields("ces", metrics.mean_from_counts(counts, low=1, high=7)), "ces_answers": sum(counts.values())}


def _rating_from(counts: dict[int, int]) -> dict:
    return {**_mean_fields("rating", metrics.mean_from_counts(counts, low=1, high=5)), "reviews": sum(counts.values())}


def _sentiment_from(counts: dict[str, int]) -> dict:
    """Sentiment index: share of positive minus share of negative items, ×100 (a net score)."""
    total = sum(counts.values())
    interval = metrics.net_score_interval(
        counts.get("positive", 0),
        total - counts.get("positive", 0) - counts.get("negative", 0),
        counts.get("negative", 0),
    )
    return {
        "sentiment_index": 100 * (counts.get("positive", 0) - counts.get("negative", 0)) / total if total else None,
        "sentiment_interval": interval,
        "sentiment_interval_reason": metrics.interval_reason(total, interval),
        "feedback": total,
    }


def _nps_fields(nps: metrics.NPS) -> dict:
    return {
        "nps": nps.score,
        "nps_interval": nps.interval,
        "nps_interval_reason": nps.interval_reason,
        "nps_respondents": nps.respondents,
        **{f"{key}_share": value for key, value in nps.shares().items()},
    }


@fresh_for_the_read
def satisfaction_series(filters: Filters) -> list[dict]:
    """One row per period: NPS (shares, 95 % interval), CSAT % (top-2-box), CES mean, review
    rating and sentiment index, each with its 95 % interval or the reason it has none."""
    rows: dict[datetime, dict] = {}
    answers: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in _answer_rows(filters, SCORE_KINDS):
        answers[(period_start(row["p"], "day"), row["kind"])][row["number"]] += row["n"]
    for (moment, kind), counts in sorted(answers.items()):
        row = rows.setdefault(moment, {"period": moment})
        if kind == Question.Kind.NPS:
            row.update(_nps_fields(_nps_from(counts)))
        elif kind == Question.Kind.CSAT:
            row.update(_csat_from(counts))
        elif kind == Question.Kind.CES:
            row.update(_ces_from(counts))
    ratings: dict[datetime, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in _review_rows(filters):
        ratings[period_start(row["p"], "day")][row["rating"]] += row["n"]
    for moment, counts in ratings.items():
        rows.setdefault(moment, {"period": moment}).update(_rating_from(counts))
    feedback: dict[datetime, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in _feedback_rows(filters):
        feedback[period_start(row["p"], "day")][row["label"] or ""] += row["n"]
    for moment, counts in feedback.items():
        rows.setdefault(moment, {"period": moment}).update(_sentiment_from(counts))
    return [rows[key] for key in sorted(rows)]


@fresh_for_the_read
def satisfaction_summary(filters: Filters) -> dict:
    """The window's headline numbers with their intervals, and how NPS and CSAT moved against the
    previous window of the same length (exact tests while samples are small; no verdict below
    metrics.MIN_ANSWERS)."""
    # every score of the window in one query, and of the window before in another
    now = _answer_counts_by_kind(filters, SCORE_KINDS)
    before = _answer_counts_by_kind(filters.previous(), (Question.Kind.NPS, Question.Kind.CSAT))
    current, previous = _nps_from(now[Question.Kind.NPS]), _nps_from(before[Question.Kind.NPS])
    csat_now, csat_before = now[Question.Kind.CSAT], _top_two_box(before[Question.Kind.CSAT])
    ratings: dict[int, int] = defaultdict(int)
    for row in _review_rows(filters):
        ratings[row["rating"]] += row["n"]
    feedback: dict[str, int] = defaultdict(int)
    for row in _feedback_rows(filters):
        feedback[row["label"] or ""] += row["n"]
    return {
        "nps": current,
        "nps_change": metrics.compare_nps(current, previous),
        "nps_previous": previous,
        **_csat_from(csat_now),
        "csat_change": metrics.compare_proportions(*_top_two_box(csat_now), *csat_before, minimum=metrics.MIN_ANSWERS),
        "csat_previous_answers": csat_before[1],
        **_ces_from(now[Question.Kind.CES]),
        **_rating_from(ratings),
        **_sentiment_from(feedback),
    }
