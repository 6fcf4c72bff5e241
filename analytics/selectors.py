from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, Q
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from analytics import metrics
from feedback.models import FeedbackItem
from reviews.models import Review
from surveys.models import Answer, Question

TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive, in the shop's time zone
    period: str = "week"
    language: str = ""
    channel: str = ""
    category: str = ""

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )

    def previous(self) -> "Filters":
        length = self.end - self.start + timedelta(days=1)
        return Filters(
            self.start - length, self.start - timedelta(days=1), self.period, self.language, self.channel, self.category
        )


def _answers(filters: Filters, kind: str):
    start, end = filters.bounds
    answers = Answer.objects.filter(
        question__kind=kind, number__isnull=False, response__submitted_at__gte=start, response__submitted_at__lt=end
    )
    if filters.language:
        answers = answers.filter(response__language=filters.language)
    if filters.category:
        answers = answers.filter(response__invitation__order__items__product__category=filters.category).distinct()
    return answers


def _feedback(filters: Filters):
    start, end = filters.bounds
    items = FeedbackItem.objects.filter(received_at__gte=start, received_at__lt=end, analysis_status="done")
    if filters.language:
        items = items.filter(language=filters.language)
    if filters.channel:
        items = items.filter(channel=filters.channel)
    return items


def nps_for(filters: Filters) -> metrics.NPS:
    counts = _answers(filters, Question.Kind.NPS).aggregate(
        promoters=Count("pk", filter=Q(number__gte=9)),
        passives=Count("pk", filter=Q(number__in=(7, 8))),
        detractors=Count("pk", filter=Q(number__lte=6)),
    )
    return metrics.NPS(sum(counts.values()), counts["promoters"], counts["passives"], counts["detractors"])


def csat_counts(filters: Filters) -> tuple[int, int]:
    counts = _answers(filters, Question.Kind.CSAT).aggregate(
        total=Count("pk"), satisfied=Count("pk", filter=Q(number__gte=4))
    )
    return counts["satisfied"], counts["total"]


def satisfaction_series(filters: Filters) -> list[dict]:
    """One row per period: NPS (shares, 95 % interval), CSAT %, CES mean, review rating, sentiment index."""
    trunc = TRUNC[filters.period]
    rows: dict[datetime, dict] = {}

    def row(moment):
        return rows.setdefault(moment, {"period": moment})

    for r in (
        _answers(filters, Question.Kind.NPS)
        .annotate(p=trunc("response__submitted_at"))
        .values("p")
        .annotate(
            promoters=Count("pk", filter=Q(number__gte=9)),
            passives=Count("pk", filter=Q(number__in=(7, 8))),
            detractors=Count("pk", filter=Q(number__lte=6)),
        )
    ):
        nps = metrics.NPS(
            r["promoters"] + r["passives"] + r["detractors"], r["promoters"], r["passives"], r["detractors"]
        )
        row(r["p"]).update(
            nps=nps.score,
            nps_interval=nps.interval,
            nps_respondents=nps.respondents,
            **{f"{key}_share": value for key, value in nps.shares().items()},
        )
    for r in (
        _answers(filters, Question.Kind.CSAT)
        .annotate(p=trunc("response__submitted_at"))
        .values("p")
        .annotate(total=Count("pk"), satisfied=Count("pk", filter=Q(number__gte=4)))
    ):
        row(r["p"]).update(
            csat=100 * r["satisfied"] / r["total"], csat_interval=metrics.wilson_interval(r["satisfied"], r["total"])
        )
    for r in (
        _answers(filters, Question.Kind.CES)
        .annotate(p=trunc("response__submitted_at"))
        .values("p")
        .annotate(ces=Avg("number"))
    ):
        row(r["p"]).update(ces=float(r["ces"]))
    start, end = filters.bounds
    reviews = Review.objects.filter(status="published", created_at__gte=start, created_at__lt=end)
    if filters.language:
        reviews = reviews.filter(language=filters.language)
    if filters.category:
        reviews = reviews.filter(product__category=filters.category)
    for r in reviews.annotate(p=trunc("created_at")).values("p").annotate(rating=Avg("rating"), reviews=Count("pk")):
        row(r["p"]).update(rating=float(r["rating"]), reviews=r["reviews"])
    for r in (
        _feedback(filters)
        .annotate(p=trunc("received_at"))
        .values("p")
        .annotate(
            total=Count("pk"),
            positive=Count("pk", filter=Q(sentiment="positive")),
            negative=Count("pk", filter=Q(sentiment="negative")),
        )
    ):
        row(r["p"]).update(sentiment_index=100 * (r["positive"] - r["negative"]) / r["total"], feedback=r["total"])
    return [rows[key] for key in sorted(rows)]


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
