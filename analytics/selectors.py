from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta

from django.db.models import Avg, Count, F, Q
from django.db.models.functions import TruncDay, TruncMonth, TruncWeek
from django.utils import timezone

from analytics import metrics
from analytics.rollups import SLA_COUNTS, case_hours, case_sla_counts, effective_sentiment
from customers.models import Order
from feedback.models import FeedbackItem
from reviews.models import Review
from surveys.models import Answer, Question

TRUNC = {"day": TruncDay, "week": TruncWeek, "month": TruncMonth}
# Dimensions of where feedback came from, as FeedbackItem fields and rollup scopes.
CONTEXT_DIMENSIONS = ("source", "country", "device")


@dataclass(frozen=True)
class Filters:
    start: date
    end: date  # inclusive, in the shop's time zone
    period: str = "week"
    language: str = ""
    channel: str = ""
    category: str = ""
    segment: str = ""
    topic: str = ""  # slug: only what was said about this topic
    product: str = ""  # SKU
    # where the feedback came from (feedback and topics only: scores carry no page or device)
    source: str = ""
    country: str = ""
    device: str = ""

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        zone = timezone.get_current_timezone()
        return (
            datetime.combine(self.start, time.min, tzinfo=zone),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=zone),
        )

    def previous(self) -> "Filters":
        length = self.end - self.start + timedelta(days=1)
        return replace(self, start=self.start - length, end=self.start - timedelta(days=1))


def _answers(filters: Filters, kind: str):
    start, end = filters.bounds
    answers = Answer.objects.filter(
        question__kind=kind, number__isnull=False, response__submitted_at__gte=start, response__submitted_at__lt=end
    )
    if filters.language:
        answers = answers.filter(response__language=filters.language)
    if filters.category:
        answers = answers.filter(
            response__invitation__order__in=Order.objects.filter(items__product__category=filters.category).values("pk")
        )
    if filters.segment:
        answers = answers.filter(response__customer_id__in=customers_in_segment(filters.segment))
    if filters.topic:
        # the scores of responses whose comments raised the topic
        answers = answers.filter(
            response_id__in=_mentions_of(filters.topic).values("feedback__survey_answer__response_id")
        )
    if filters.product:
        answers = answers.filter(
            response__invitation__order__in=Order.objects.filter(items__product__sku=filters.product).values("pk")
        )
    return answers


def _mentions_of(slug: str):
    from sentiment.models import FeedbackTopic

    return FeedbackTopic.objects.filter(topic__slug=slug)


def _feedback(filters: Filters):
    start, end = filters.bounds
    items = FeedbackItem.objects.filter(
        received_at__gte=start, received_at__lt=end, analysis_status="done", brand__isnull=True
    )
    if filters.language:
        items = items.filter(language=filters.language)
    if filters.channel:
        items = items.filter(channel=filters.channel)
    if filters.segment:
        items = items.filter(customer_id__in=customers_in_segment(filters.segment))
    if filters.topic:
        items = items.filter(pk__in=_mentions_of(filters.topic).values("feedback_id"))
    for dimension in CONTEXT_DIMENSIONS:
        if getattr(filters, dimension):
            items = items.filter(**{dimension: getattr(filters, dimension)})
    # An item is about its review's product, or else about every product of its order. Filtered
    # through a subquery: a join to order items would repeat an item once per matching line.
    if filters.category:
        items = items.filter(
            pk__in=FeedbackItem.objects.filter(
                Q(review__product__category=filters.category)
                | Q(review__isnull=True, order__items__product__category=filters.category)
            ).values("pk")
        )
    if filters.product:
        items = items.filter(
            pk__in=FeedbackItem.objects.filter(
                Q(review__product__sku=filters.product)
                | Q(review__isnull=True, order__items__product__sku=filters.product)
            ).values("pk")
        )
    return items.annotate(label=effective_sentiment())


def nps_for_naive(filters: Filters) -> metrics.NPS:
    counts = _answers(filters, Question.Kind.NPS).aggregate(
        promoters=Count("pk", filter=Q(number__gte=9)),
        passives=Count("pk", filter=Q(number__in=(7, 8))),
        detractors=Count("pk", filter=Q(number__lte=6)),
    )
    return metrics.NPS(sum(counts.values()), counts["promoters"], counts["passives"], counts["detractors"])


def csat_counts_naive(filters: Filters) -> tuple[int, int]:
    counts = _answers(filters, Question.Kind.CSAT).aggregate(
        total=Count("pk"), satisfied=Count("pk", filter=Q(number__gte=4))
    )
    return counts["satisfied"], counts["total"]


def satisfaction_series_naive(filters: Filters) -> list[dict]:
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
    reviews = Review.objects.filter(status="published", created_at__gte=start, created_at__lt=end, brand__isnull=True)
    if filters.language:
        reviews = reviews.filter(language=filters.language)
    if filters.category:
        reviews = reviews.filter(product__category=filters.category)
    if filters.product:
        reviews = reviews.filter(product__sku=filters.product)
    if filters.segment:
        reviews = reviews.filter(customer_id__in=customers_in_segment(filters.segment))
    if filters.topic:
        reviews = reviews.filter(pk__in=_mentions_of(filters.topic).values("feedback__review_id"))
    for r in reviews.annotate(p=trunc("created_at")).values("p").annotate(rating=Avg("rating"), reviews=Count("pk")):
        row(r["p"]).update(rating=float(r["rating"]), reviews=r["reviews"])
    for r in (
        _feedback(filters)
        .annotate(p=trunc("received_at"))
        .values("p")
        .annotate(
            total=Count("pk"),
            positive=Count("pk", filter=Q(label="positive")),
            negative=Count("pk", filter=Q(label="negative")),
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


def _mentions_naive(filters: Filters):
    """Topic mentions of the filtered items; with a topic filter, that topic's only."""
    from sentiment.models import FeedbackTopic

    mentions = FeedbackTopic.objects.filter(feedback_id__in=_feedback(filters).values("pk"), topic__is_active=True)
    return mentions.filter(topic__slug=filters.topic) if filters.topic else mentions


def topic_series_naive(filters: Filters) -> dict:
    """Per topic and period: mentions and negative mentions (current analysis only)."""
    mentions = _mentions_naive(filters)
    trunc = TRUNC[filters.period]
    rows = (
        mentions.annotate(p=trunc("feedback__received_at"))
        .values("p", "topic__slug")
        .annotate(total=Count("pk"), negative=Count("pk", filter=Q(sentiment="negative")))
        .order_by("p", "topic__slug")
    )
    periods = sorted({row["p"] for row in rows})
    series: dict[str, dict] = {}
    for row in rows:
        entry = series.setdefault(row["topic__slug"], {"total": {}, "negative": {}})
        entry["total"][row["p"]] = row["total"]
        entry["negative"][row["p"]] = row["negative"]
    return {"periods": periods, "topics": series}


def topic_shifts_naive(filters: Filters) -> list[dict]:
    """Topics ranked by how much their negative share rose against the previous period."""

    def shares(window: Filters) -> dict[str, tuple[int, int]]:
        mentions = _mentions_naive(window)
        return {
            row["topic__slug"]: (row["negative"], row["total"])
            for row in mentions.values("topic__slug").annotate(
                total=Count("pk"), negative=Count("pk", filter=Q(sentiment="negative"))
            )
        }

    return _rank_shifts(shares(filters), shares(filters.previous()))


def _rank_shifts(now: dict[str, tuple[int, int]], before: dict[str, tuple[int, int]]) -> list[dict]:
    from sentiment.models import Topic

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
    from sentiment.models import FeedbackTopic

    start, end = filters.bounds
    return list(
        FeedbackTopic.objects.filter(
            topic__slug=slug, sentiment="negative", feedback__received_at__gte=start, feedback__received_at__lt=end
        )
        .select_related("feedback")
        .order_by("-feedback__received_at")[:limit]
    )


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = share * (len(ordered) - 1)
    low, high = int(index), min(int(index) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def _sla_report(groups: dict[str, dict], hours: dict[str, dict], *, start: datetime, now: datetime) -> dict:
    """The service-level page's numbers, from summed counts per group and the duration statistics."""
    from support.models import Case
    from support.selectors import service_csat

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


def _channels_label(codes: list[str]) -> str:
    """ "Reseña, Encuesta" rather than "review,survey": the channels a case came from, by name."""
    names = dict(FeedbackItem.Channel.choices)
    return ", ".join(str(names.get(code, code)) for code in sorted(codes)) or "–"


def _add_to_groups(groups: dict[str, dict], keys: dict, counts: dict[str, int]) -> None:
    for kind, key in keys.items():
        bucket = groups[kind].setdefault(key, dict.fromkeys(SLA_COUNTS, 0))
        for field in SLA_COUNTS:
            bucket[field] += counts[field]


def service_levels_naive(filters: Filters, *, now: datetime | None = None) -> dict:
    """SLA compliance of the cases opened in the window, by period, priority, team and channel.

    Computed case by case from the SLA clocks (exact, including pauses and business hours): the
    reference that the rollups (`service_levels`) are tested and benchmarked against.
    """
    from support.models import Case

    now = now or timezone.now()
    start, end = filters.bounds
    cases = (
        Case.objects.filter(opened_at__gte=start, opened_at__lt=end)
        .select_related("policy__calendar", "team")
        .prefetch_related("pauses", "policy__calendar__periods", "policy__calendar__holidays")
    )
    if filters.segment:
        cases = cases.filter(customer_id__in=customers_in_segment(filters.segment))
    if filters.language or filters.topic or filters.product or filters.category:
        # a case is about what its feedback items are about, whenever they arrived
        about = replace(filters, start=date(2000, 1, 1), end=date(2100, 1, 1), channel="", segment="")
        cases = cases.filter(pk__in=_feedback(about).filter(case__isnull=False).values("case_id"))
    groups: dict[str, dict] = {"period": {}, "priority": {}, "team": {}, "channel": {}}
    times: dict[str, list[float]] = {"first_response": [], "resolution": []}
    for case in cases:
        if filters.channel and filters.channel not in case.channels:
            continue
        keys = {
            "period": period_start(timezone.localtime(case.opened_at).date(), filters.period).date(),
            "priority": case.get_priority_display(),
            "team": case.team.name if case.team else "–",
            "channel": _channels_label(case.channels),
        }
        _add_to_groups(groups, keys, case_sla_counts(case, now=now))
        for target, hours in case_hours(case).items():
            times[target].append(hours)
    hours = {target: {"median": _percentile(v, 0.5), "p90": _percentile(v, 0.9)} for target, v in times.items()}
    return _sla_report(groups, hours, start=start, now=now)


def _month_start(moment: datetime) -> date:
    local = moment.astimezone(timezone.get_current_timezone()).date()
    return local.replace(day=1)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def _months_between(start: date, end: date) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def retention_naive(
    *, months: int = 12, cohort_months: int = 24, now: datetime | None = None, segment: str = ""
) -> dict:
    """Retention rate per month, the monthly cohort table and whether satisfaction predicts return,
    for every customer or for the customers of one RFM segment.

    Retention rate of a month = customers who bought in it and had bought before / customers who
    had bought before it. Cohort cell (c, k) = share of customers whose first purchase was in month
    c who bought again in month c + k.
    """
    from customers.models import Order
    from support.models import Case

    now = now or timezone.now()
    orders = Order.objects.all()
    # a website visitor the shop did not identify has no purchases to come back to
    answers = Answer.objects.filter(
        question__kind=Question.Kind.NPS, number__isnull=False, response__customer__isnull=False
    )
    resolved = Case.objects.filter(resolved_at__isnull=False, customer__isnull=False)
    if segment:
        in_segment = customers_in_segment(segment)
        orders = orders.filter(customer_id__in=in_segment)
        answers = answers.filter(response__customer_id__in=in_segment)
        resolved = resolved.filter(customer_id__in=in_segment)
    purchases: dict[int, list[datetime]] = {}
    for customer_id, placed_at in orders.order_by("placed_at").values_list("customer_id", "placed_at"):
        purchases.setdefault(customer_id, []).append(placed_at)
    months_by_customer = {cid: sorted({_month_start(p) for p in times}) for cid, times in purchases.items()}

    this_month = _month_start(now)
    rates = []
    for offset in range(months - 1, -1, -1):
        month = _add_months(this_month, -offset)
        before = [cid for cid, ms in months_by_customer.items() if ms[0] < month]
        returning = [cid for cid in before if month in months_by_customer[cid]]
        rates.append(
            {
                "month": month,
                "base": len(before),
                "returning": len(returning),
                "rate": 100 * len(returning) / len(before) if before else None,
            }
        )

    cohorts: dict[date, list[int]] = {}
    for cid, ms in months_by_customer.items():
        cohorts.setdefault(ms[0], []).append(cid)
    table = []
    for cohort in sorted(cohorts)[-12:]:
        members = cohorts[cohort]
        cells = []
        for k in range(1, cohort_months + 1):
            month = _add_months(cohort, k)
            if month > this_month:
                break
            active = sum(1 for cid in members if month in months_by_customer[cid])
            cells.append(100 * active / len(members))
        table.append({"cohort": cohort, "customers": len(members), "cells": cells})

    # Does satisfaction predict return? Share of each group that bought again after answering.
    groups = {"promoters": [0, 0], "passives": [0, 0], "detractors": [0, 0]}
    answers = answers.values_list("number", "response__customer_id", "response__submitted_at")
    for score, customer_id, submitted_at in answers:
        group = "promoters" if score >= 9 else "passives" if score >= 7 else "detractors"
        groups[group][1] += 1
        groups[group][0] += any(p > submitted_at for p in purchases.get(customer_id, []))
    from support.services import case_sla_states

    resolution = {"within_sla": [0, 0], "late": [0, 0]}
    resolved = resolved.select_related("policy__calendar").prefetch_related(
        "pauses", "policy__calendar__periods", "policy__calendar__holidays"
    )
    for case in resolved:
        states = {state.name: state.status for state in case_sla_states(case, now=now)}
        key = "late" if states.get("resolution") == "breached" else "within_sla"
        resolution[key][1] += 1
        resolution[key][0] += any(p > case.resolved_at for p in purchases.get(case.customer_id, []))

    def share(pair):
        return {"customers": pair[1], "returned": pair[0], "rate": 100 * pair[0] / pair[1] if pair[1] else None}

    return {
        "rates": rates,
        "cohorts": table,
        "by_nps": {key: share(pair) for key, pair in groups.items()},
        "by_resolution": {key: share(pair) for key, pair in resolution.items()},
    }


RFM_SEGMENTS = {
    "champions": "Champions",
    "loyal": "Loyal",
    "new": "New",
    "at_risk": "At risk",
    "hibernating": "Hibernating",
}


def _quintile_scores(values: dict[int, float], *, higher_is_better: bool = True) -> dict[int, int]:
    """1–5 by rank: the top fifth of customers gets 5."""
    ordered = sorted(values, key=lambda key: (values[key], key), reverse=not higher_is_better)
    total = len(ordered)
    return {key: 1 + (index * 5) // total for index, key in enumerate(ordered)} if total else {}


def rfm_scores(*, now: datetime | None = None) -> dict[int, dict]:
    """Recency, frequency and monetary value per customer, each scored 1–5 by quintile, and a segment."""
    from django.db.models import Max, Sum

    from customers.models import Order

    now = now or timezone.now()
    rows = Order.objects.values("customer_id").annotate(last=Max("placed_at"), orders=Count("pk"), spent=Sum("total"))
    recency = {r["customer_id"]: (now - r["last"]).days for r in rows}
    frequency = {r["customer_id"]: r["orders"] for r in rows}
    monetary = {r["customer_id"]: float(r["spent"] or 0) for r in rows}
    r_score = _quintile_scores(recency, higher_is_better=False)
    f_score = _quintile_scores(frequency)
    m_score = _quintile_scores(monetary)
    result = {}
    for customer_id in recency:
        r, f, m = r_score[customer_id], f_score[customer_id], m_score[customer_id]
        result[customer_id] = {"r": r, "f": f, "m": m, "segment": rfm_segment(r, f)}
    return result


def rfm_segment(recency: int, frequency: int) -> str:
    """Segments on the recency × frequency grid (the usual RFM map, simplified to five)."""
    if recency >= 4 and frequency >= 4:
        return "champions"
    if recency >= 4 and frequency <= 2:
        return "new"
    if recency <= 2 and frequency >= 3:
        return "at_risk"
    if recency <= 2:
        return "hibernating"
    return "loyal"


def customers_in_segment(segment: str):
    """The customers of an RFM segment as of the last segment refresh (a subquery)."""
    from analytics.segments import customers_in_segment

    return customers_in_segment(segment)


CONTROLLABLE_REASONS = {"poor_service", "price", "better_offer"}


def defection_reasons(*, since: datetime | None = None) -> dict:
    """Why lapsed customers left, per month, split into what the shop controls and what it does not."""
    answers = Answer.objects.filter(question__code="defection_reason", question__survey__slug="lapsed-customers")
    if since is not None:
        answers = answers.filter(response__submitted_at__gte=since)
    rows = answers.annotate(month=TruncMonth("response__submitted_at")).values_list("month", "choices")
    by_month: dict[date, dict[str, int]] = {}
    totals: dict[str, int] = {}
    for month, choices in rows:
        for reason in choices:
            bucket = by_month.setdefault(month.date() if hasattr(month, "date") else month, {})
            bucket[reason] = bucket.get(reason, 0) + 1
            totals[reason] = totals.get(reason, 0) + 1
    answered = sum(totals.values())
    controllable = sum(count for reason, count in totals.items() if reason in CONTROLLABLE_REASONS)
    return {
        "totals": totals,
        "answers": answered,
        "controllable_share": 100 * controllable / answered if answered else None,
        "by_month": [
            {
                "month": month,
                "controllable": sum(n for r, n in counts.items() if r in CONTROLLABLE_REASONS),
                "uncontrollable": sum(n for r, n in counts.items() if r not in CONTROLLABLE_REASONS),
            }
            for month, counts in sorted(by_month.items())
        ],
    }


# ---------------------------------------------------------------------------------------
# The same numbers from the rollups (analytics.rollups): what the dashboards and the API read.
# A filter the rollups cannot answer (a topic on the satisfaction numbers, which would need every
# score split by what the comment was about, or two of product, category and segment at once) falls
# back to the raw tables.
# ---------------------------------------------------------------------------------------
def _scope_filters(filters: Filters) -> tuple[str, ...]:
    return (filters.product, filters.category, filters.segment, *(getattr(filters, d) for d in CONTEXT_DIMENSIONS))


def _uses_rollups(filters: Filters) -> bool:
    from analytics.segments import is_rfm_segment

    # the rollups know RFM segments; a saved segment's members are found in the raw tables
    saved_segment = filters.segment and not is_rfm_segment(filters.segment)
    return not filters.topic and not saved_segment and sum(map(bool, _scope_filters(filters))) <= 1


def _scope(filters: Filters) -> dict:
    from analytics.models import RollupScope

    if filters.product:
        return {"scope": RollupScope.PRODUCT, "key": filters.product}
    if filters.category:
        return {"scope": RollupScope.CATEGORY, "key": filters.category}
    if filters.segment:
        return {"scope": RollupScope.SEGMENT, "key": filters.segment}
    for dimension in CONTEXT_DIMENSIONS:
        if getattr(filters, dimension):
            return {"scope": dimension, "key": getattr(filters, dimension)}
    return {"scope": RollupScope.ALL, "key": ""}


def _daily(model, filters: Filters, *, channel: bool = True, every_key_of: str = ""):
    """The filtered rollup rows; `every_key_of` a scope: its rows for every key, not the filters' scope."""
    from analytics import rollups

    rollups.ensure_fresh()
    scope = {"scope": every_key_of} if every_key_of else _scope(filters)
    rows = model.objects.filter(day__gte=filters.start, day__lte=filters.end, **scope)
    if filters.language:
        rows = rows.filter(language=filters.language)
    if channel and filters.channel:
        rows = rows.filter(channel=filters.channel)
    # Summing days into weeks or months in the database returns a few hundred rows, not thousands.
    return rows.annotate(p=F("day") if filters.period == "day" else TRUNC[filters.period]("day"))


def period_start(day: date, period: str) -> datetime:
    """The period a local day belongs to, as the aware local midnight that starts it."""
    if period == "week":
        day = day - timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def _answer_counts(filters: Filters, kind: str) -> dict[int, int]:
    from django.db.models import Sum

    from analytics.models import AnswerDaily

    rows = _daily(AnswerDaily, filters, channel=False).filter(kind=kind).values("number").annotate(n=Sum("answers"))
    return {row["number"]: row["n"] for row in rows}


def _nps_from(counts: dict[int, int]) -> metrics.NPS:
    promoters = sum(n for number, n in counts.items() if number >= 9)
    passives = sum(n for number, n in counts.items() if number in (7, 8))
    detractors = sum(n for number, n in counts.items() if number <= 6)
    return metrics.NPS(promoters + passives + detractors, promoters, passives, detractors)


def nps_for(filters: Filters) -> metrics.NPS:
    if not _uses_rollups(filters):
        return nps_for_naive(filters)
    return _nps_from(_answer_counts(filters, Question.Kind.NPS))


def csat_counts(filters: Filters) -> tuple[int, int]:
    if not _uses_rollups(filters):
        return csat_counts_naive(filters)
    counts = _answer_counts(filters, Question.Kind.CSAT)
    return sum(n for number, n in counts.items() if number >= 4), sum(counts.values())


def satisfaction_series(filters: Filters) -> list[dict]:
    from django.db.models import Sum

    from analytics.models import AnswerDaily, FeedbackDaily, ReviewDaily

    if not _uses_rollups(filters):
        return satisfaction_series_naive(filters)
    rows: dict[datetime, dict] = {}
    answers: dict[tuple, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for row in _daily(AnswerDaily, filters, channel=False).values("p", "kind", "number").annotate(n=Sum("answers")):
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
    for row in _daily(ReviewDaily, filters, channel=False).values("p", "rating").annotate(n=Sum("reviews")):
        bucket = ratings[period_start(row["p"], "day")]
        bucket[0] += row["rating"] * row["n"]
        bucket[1] += row["n"]
    for moment, (stars, count) in ratings.items():
        rows.setdefault(moment, {"period": moment}).update(rating=stars / count, reviews=count)
    feedback: dict[datetime, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in _daily(FeedbackDaily, filters).values("p", "sentiment").annotate(n=Sum("items")):
        feedback[period_start(row["p"], "day")][row["sentiment"]] += row["n"]
    for moment, counts in feedback.items():
        total = sum(counts.values())
        rows.setdefault(moment, {"period": moment}).update(
            sentiment_index=100 * (counts["positive"] - counts["negative"]) / total, feedback=total
        )
    return [rows[key] for key in sorted(rows)]


def _topic_rows(filters: Filters, *, by_period: bool = True):
    from django.db.models import Sum

    from analytics.models import TopicDaily

    fields = ("p", "topic__slug", "sentiment") if by_period else ("topic__slug", "sentiment")
    rows = _daily(TopicDaily, filters).filter(topic__is_active=True)
    if filters.topic:
        rows = rows.filter(topic__slug=filters.topic)
    return rows.values(*fields).annotate(n=Sum("mentions"))


def topic_series(filters: Filters) -> dict:
    if not _uses_rollups(replace(filters, topic="")):  # the topic rollups are split by topic already
        return topic_series_naive(filters)
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


def topic_shifts(filters: Filters) -> list[dict]:
    if not _uses_rollups(replace(filters, topic="")):
        return topic_shifts_naive(filters)

    def shares(window: Filters) -> dict[str, tuple[int, int]]:
        totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for row in _topic_rows(window, by_period=False):
            totals[row["topic__slug"]][1] += row["n"]
            if row["sentiment"] == "negative":
                totals[row["topic__slug"]][0] += row["n"]
        return {slug: (negative, total) for slug, (negative, total) in totals.items()}

    return _rank_shifts(shares(filters), shares(filters.previous()))


def _histogram_percentile(histogram: dict[int, int], share: float) -> float | None:
    """Like _percentile (linear between the two nearest ranks), each value read as its bucket's middle."""
    from analytics.rollups import bucket_hours

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


def service_levels(filters: Filters, *, now: datetime | None = None) -> dict:
    """As service_levels_naive, from the case rollups: counts exact, median and 90th percentile
    from 2 %-wide duration buckets (so within 2 % of the exact value)."""
    from django.db.models import Sum

    from analytics import rollups
    from analytics.models import CaseDaily, CaseDurationDaily
    from analytics.segments import is_rfm_segment
    from support.models import Case

    if filters.product or filters.category or filters.language or filters.topic:
        return service_levels_naive(filters, now=now)
    if filters.segment and not is_rfm_segment(filters.segment):
        return service_levels_naive(filters, now=now)
    now = now or timezone.now()
    rollups.ensure_fresh()
    cases = CaseDaily.objects.filter(day__gte=filters.start, day__lte=filters.end)
    durations = CaseDurationDaily.objects.filter(day__gte=filters.start, day__lte=filters.end)
    if filters.channel:
        cases = cases.filter(channels__contains=f",{filters.channel},")
        durations = durations.filter(channels__contains=f",{filters.channel},")
    if filters.segment:
        cases, durations = cases.filter(segment=filters.segment), durations.filter(segment=filters.segment)
    groups: dict[str, dict] = {"period": {}, "priority": {}, "team": {}, "channel": {}}
    priorities = dict(Case._meta.get_field("priority").choices)
    for row in cases.values("day", "priority", "team_name", "channels").annotate(
        **{f"sum_{field}": Sum(field) for field in SLA_COUNTS}
    ):
        keys = {
            "period": period_start(row["day"], filters.period).date(),
            "priority": str(priorities.get(row["priority"], row["priority"])),
            "team": row["team_name"] or "–",
            "channel": _channels_label(row["channels"].strip(",").split(",") if row["channels"] else []),
        }
        _add_to_groups(groups, keys, {field: row[f"sum_{field}"] for field in SLA_COUNTS})
    histograms: dict[str, dict[int, int]] = {"first_response": {}, "resolution": {}}
    for row in durations.values("target", "bucket").annotate(n=Sum("cases")):
        histograms[row["target"]][row["bucket"]] = row["n"]
    hours = {
        target: {"median": _histogram_percentile(h, 0.5), "p90": _histogram_percentile(h, 0.9)}
        for target, h in histograms.items()
    }
    return _sla_report(groups, hours, start=filters.bounds[0], now=now)


def retention(
    *, months: int = 12, cohort_months: int = 24, now: datetime | None = None, max_age=None, segment: str = ""
) -> dict:
    """The retention numbers from the snapshot (rebuilt when orders, answers or cases changed, at
    most every 15 minutes); custom windows or a past `now` are computed directly."""
    from analytics import rollups

    if months != 12 or cohort_months != 24 or now is not None:
        return retention_naive(months=months, cohort_months=cohort_months, now=now, segment=segment)
    rollups.ensure_fresh()
    kwargs = {} if max_age is None else {"max_age": max_age}
    data = rollups.retention_snapshot(segment=segment, **kwargs)
    return {
        **data,
        "rates": [{**row, "month": date.fromisoformat(row["month"])} for row in data["rates"]],
        "cohorts": [{**row, "cohort": date.fromisoformat(row["cohort"])} for row in data["cohorts"]],
    }


# ---------------------------------------------------------------------------------------
# Where feedback comes from: volume and sentiment per source, country or device
# ---------------------------------------------------------------------------------------
CONTEXT_TOP = 8  # values drawn one by one over time; the rest are summed as "other"


def _context_report(counts: dict[str, dict[str, int]], series: dict[str, dict[datetime, int]]) -> dict:
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


def feedback_by_context_naive(filters: Filters, dimension: str) -> dict:
    if dimension not in CONTEXT_DIMENSIONS:
        raise ValueError(dimension)
    items = _feedback(filters)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for row in items.values(dimension, "label").annotate(n=Count("pk")):
        by_label = counts[row[dimension] or ""]
        by_label[row["label"] or ""] = by_label.get(row["label"] or "", 0) + row["n"]
    series: dict[str, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    rows = items.annotate(p=TRUNC[filters.period]("received_at")).values("p", dimension).annotate(n=Count("pk"))
    for row in rows:
        series[row[dimension] or ""][row["p"]] += row["n"]
    return _context_report(counts, series)


def feedback_by_context(filters: Filters, dimension: str) -> dict:
    """Per value of the dimension ("" = not known): items, their sentiment, the negative share with
    its interval, and the volume per period of the most frequent values."""
    from django.db.models import Sum

    from analytics.models import FeedbackDaily

    if dimension not in CONTEXT_DIMENSIONS:
        raise ValueError(dimension)
    # Read from the dimension's own scope: any other scope filter, or a topic, goes to the raw rows.
    if filters.topic or any(_scope_filters(filters)):
        return feedback_by_context_naive(filters, dimension)
    rows = _daily(FeedbackDaily, filters, every_key_of=dimension)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    series: dict[str, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows.values("key", "sentiment", "p").annotate(n=Sum("items")):
        by_label = counts[row["key"]]
        by_label[row["sentiment"]] = by_label.get(row["sentiment"], 0) + row["n"]
        series[row["key"]][period_start(row["p"], "day")] += row["n"]
    return _context_report(counts, series)
