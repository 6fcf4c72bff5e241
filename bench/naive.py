"""The dashboards' numbers computed the naive way, straight from the raw tables with no rollups:
the oracle the tests hold analytics.selectors to, and what bench/dashboard.py times the rollups
against. Never imported by the application.
"""

from collections import defaultdict
from dataclasses import replace
from datetime import date, datetime

from django.db.models import Count, F, Q
from django.utils import timezone

from analytics import metrics
from analytics.rollups import SLA_COUNTS, effective_sentiment
from analytics.selectors.common import CONTEXT_DIMENSIONS, TRUNC, Filters, period_start
from analytics.selectors.competitors import comparison_channels, comparison_report
from analytics.selectors.service_levels import add_to_groups, channels_label, sla_report
from analytics.selectors.sources import context_report
from analytics.selectors.topics import rank_topics, shifts_of
from customers.models import Order
from customers.segments import customers_in_segment, is_rfm_segment
from feedback.models import FeedbackItem
from reviews.models import Review
from support.services import case_clock_durations, case_sla_states
from surveys.models import Answer, Question


def case_sla_counts(case, *, now: datetime) -> dict[str, int]:
    """The case's contribution to the service-level counts: met or breached per target (a clock
    still running decides nothing yet)."""
    counts = dict.fromkeys(SLA_COUNTS, 0)
    counts["cases"] = 1
    for state in case_sla_states(case, now=now):
        if state.name in ("first_response", "resolution") and state.status in ("met", "breached"):
            counts[f"{state.name}_met"] = int(state.status == "met")
            counts[f"{state.name}_decided"] = 1
    return counts


def case_hours(case) -> dict[str, float]:
    """Business hours from opening to the first response and to resolution, for the targets
    reached: the SLA clock's hours (pauses excluded), the unit the targets are set in."""
    return {target: duration.total_seconds() / 3600 for target, duration in case_clock_durations(case).items()}


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
        answers = _in_segment(answers, filters.segment, customer="response__customer", moment="response__submitted_at")
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


def _in_segment(rows, segment: str, *, customer: str, moment: str):
    """The rows whose customer was in an RFM segment when the row happened (their membership span
    then), or is in a saved segment today."""
    if not is_rfm_segment(segment):
        return rows.filter(**{f"{customer}_id__in": customers_in_segment(segment)})
    customers_in_segment(segment)  # brings the segments up to date, as a dashboard read does
    spans = f"{customer}__segment_memberships"
    then = rows.model.objects.filter(
        Q(**{f"{spans}__until__isnull": True}) | Q(**{f"{spans}__until__gt": F(moment)}),
        **{f"{spans}__segment": segment, f"{spans}__since__lte": F(moment)},
    )
    return rows.filter(pk__in=then.values("pk"))


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
        items = _in_segment(items, filters.segment, customer="customer", moment="received_at")
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


def _mean_naive(name: str, count_name: str, rows, *, low: int, high: int) -> dict[datetime, dict]:
    """Per period, the mean of (period, value, count) rows, its interval fields and the count."""
    counts: dict[datetime, dict[int, int]] = defaultdict(dict)
    for period, value, count in rows:
        counts[period][value] = count
    result = {}
    for period, by_value in counts.items():
        mean = metrics.mean_from_counts(by_value, low=low, high=high)
        result[period] = {
            name: mean.mean,
            f"{name}_interval": mean.interval,
            f"{name}_interval_reason": mean.interval_reason,
            count_name: mean.answers,
        }
    return result


def satisfaction_series_naive(filters: Filters) -> list[dict]:
    """One row per period: NPS (shares, 95 % interval), CSAT % (top-2-box), CES mean, review
    rating and sentiment index, each with its 95 % interval or the reason it has none."""
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
            nps_interval_reason=nps.interval_reason,
            nps_respondents=nps.respondents,
            **{f"{key}_share": value for key, value in nps.shares().items()},
        )
    for r in (
        _answers(filters, Question.Kind.CSAT)
        .annotate(p=trunc("response__submitted_at"))
        .values("p")
        .annotate(total=Count("pk"), satisfied=Count("pk", filter=Q(number__gte=4)))
    ):
        interval = metrics.wilson_interval(r["satisfied"], r["total"]) if r["total"] >= metrics.MIN_ANSWERS else None
        row(r["p"]).update(
            csat=100 * r["satisfied"] / r["total"],
            csat_interval=interval,
            csat_interval_reason=None if interval else metrics.TOO_FEW_ANSWERS,
            csat_answers=r["total"],
        )
    ces = (
        _answers(filters, Question.Kind.CES)
        .annotate(p=trunc("response__submitted_at"))
        .values_list("p", "number")
        .annotate(n=Count("pk"))
    )
    for period, fields in _mean_naive("ces", "ces_answers", ces, low=1, high=7).items():
        row(period).update(fields)
    start, end = filters.bounds
    reviews = Review.objects.filter(status="published", created_at__gte=start, created_at__lt=end, brand__isnull=True)
    if filters.language:
        reviews = reviews.filter(language=filters.language)
    if filters.category:
        reviews = reviews.filter(product__category=filters.category)
    if filters.product:
        reviews = reviews.filter(product__sku=filters.product)
    if filters.segment:
        reviews = _in_segment(reviews, filters.segment, customer="customer", moment="created_at")
    if filters.topic:
        reviews = reviews.filter(pk__in=_mentions_of(filters.topic).values("feedback__review_id"))
    by_rating = reviews.annotate(p=trunc("created_at")).values_list("p", "rating").annotate(n=Count("pk"))
    for period, fields in _mean_naive("rating", "reviews", by_rating, low=1, high=5).items():
        row(period).update(fields)
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
        interval = metrics.net_score_interval(r["positive"], r["total"] - r["positive"] - r["negative"], r["negative"])
        row(r["p"]).update(
            sentiment_index=100 * (r["positive"] - r["negative"]) / r["total"],
            sentiment_interval=interval,
            sentiment_interval_reason=metrics.interval_reason(r["total"], interval),
            feedback=r["total"],
        )
    return [rows[key] for key in sorted(rows)]


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


def topic_ranking_naive(filters: Filters) -> list[dict]:
    """Topics by volume, with net sentiment and the change since the previous period."""

    def counts(window: Filters) -> dict[str, dict[str, int]]:
        mentions = _mentions_naive(window)
        return {
            row["topic__slug"]: {key: row[key] for key in ("negative", "neutral", "positive")}
            for row in mentions.values("topic__slug").annotate(
                negative=Count("pk", filter=Q(sentiment="negative")),
                neutral=Count("pk", filter=Q(sentiment="neutral")),
                positive=Count("pk", filter=Q(sentiment="positive")),
            )
        }

    return rank_topics(counts(filters), counts(filters.previous()))


def topic_shifts_naive(filters: Filters) -> list[dict]:
    """Topics ranked by how much their negative share rose against the previous period."""
    return shifts_of(topic_ranking_naive(filters))


def _percentile(values: list[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    index = share * (len(ordered) - 1)
    low, high = int(index), min(int(index) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


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
        cases = _in_segment(cases, filters.segment, customer="customer", moment="opened_at")
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
            "channel": channels_label(case.channels),
        }
        add_to_groups(groups, keys, case_sla_counts(case, now=now))
        for target, hours in case_hours(case).items():
            times[target].append(hours)
    hours = {target: {"median": _percentile(v, 0.5), "p90": _percentile(v, 0.9)} for target, v in times.items()}
    return sla_report(groups, hours, start=start, now=now)


def _month_start(moment: datetime) -> date:
    local = moment.astimezone(timezone.get_current_timezone()).date()
    return local.replace(day=1)


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def retention_naive(
    *, months: int = 12, cohort_months: int = 24, now: datetime | None = None, segment: str = ""
) -> dict:
    """Retention per month and quarter, the monthly cohort table, still buying after one and two
    years, and repurchase by NPS group and by service, for every customer or for the customers of
    one segment — computed order by order.

    Retention rate of a period = customers who bought in the previous period and bought again in
    this one / customers who bought in the previous period. Cohort cell (c, k) = share of customers
    whose first purchase was in month c who bought again in month c + k. Still buying after N years
    = share of the customers whose year c + 12N … c + 12N + 11 is over who bought in it. Repurchase
    = share of customers, each counted once by their latest NPS answer (resolved case) before the
    window of the last six months, who bought in that window.
    """
    from analytics.selectors.retention import QUARTERS, REPURCHASE_WINDOW_MONTHS, RETENTION_DEFINITION
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

    def bought_between(cid: int, first: date, count: int) -> bool:
        last = _add_months(first, count)
        return any(first <= month < last for month in months_by_customer[cid])

    this_month = _month_start(now)

    def rate(key: str, period: date, length: int, *, is_partial: bool) -> dict:
        previous = _add_months(period, -length)
        base = [cid for cid in months_by_customer if bought_between(cid, previous, length)]
        returning = [cid for cid in base if bought_between(cid, period, length)]
        return {
            key: period,
            "base": len(base),
            "returning": len(returning),
            "rate": 100 * len(returning) / len(base) if base else None,
            "is_partial": is_partial,
        }

    rates = [
        rate("month", month, 1, is_partial=month == this_month)
        for month in (_add_months(this_month, -offset) for offset in range(months - 1, -1, -1))
    ]
    this_quarter = date(this_month.year, 3 * ((this_month.month - 1) // 3) + 1, 1)
    quarters = [
        rate("quarter", quarter, 3, is_partial=quarter == this_quarter)
        for quarter in (_add_months(this_quarter, -3 * offset) for offset in range(QUARTERS - 1, -1, -1))
    ]

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
        table.append(
            {
                "cohort": cohort,
                "customers": len(members),
                "cells": cells,
                "last_cell_is_partial": bool(cells) and _add_months(cohort, len(cells)) == this_month,
            }
        )

    still_buying = []
    for years in (1, 2):
        eligible = [cid for cid, ms in months_by_customer.items() if _add_months(ms[0], 12 * years + 12) <= this_month]
        still = [
            cid for cid in eligible if bought_between(cid, _add_months(months_by_customer[cid][0], 12 * years), 12)
        ]
        still_buying.append(
            {
                "years": years,
                "customers": len(eligible),
                "still_buying": len(still),
                "of_10": 10 * len(still) / len(eligible) if eligible else None,
                "first_purchase_before": _add_months(this_month, -12 * years - 11),
            }
        )

    window_start = _add_months(this_month, -(REPURCHASE_WINDOW_MONTHS - 1))

    def bought_in_window(cid: int) -> bool:
        return cid in months_by_customer and bought_between(cid, window_start, REPURCHASE_WINDOW_MONTHS)

    # Does satisfaction predict return? Each customer once, by their latest answer before the window.
    latest_answer: dict[int, tuple[datetime, int, int]] = {}
    for pk, score, customer_id, submitted_at in answers.values_list(
        "pk", "number", "response__customer_id", "response__submitted_at"
    ):
        if _month_start(submitted_at) < window_start:
            latest_answer[customer_id] = max(
                latest_answer.get(customer_id, (submitted_at, pk, score)), (submitted_at, pk, score)
            )
    groups = {"promoters": [0, 0], "passives": [0, 0], "detractors": [0, 0]}
    for customer_id, (_when, _pk, score) in latest_answer.items():
        group = "promoters" if score >= 9 else "passives" if score >= 7 else "detractors"
        groups[group][1] += 1
        groups[group][0] += bought_in_window(customer_id)
    from support.services import case_sla_states

    latest_case: dict[int, object] = {}
    resolved = resolved.select_related("policy__calendar").prefetch_related(
        "pauses", "policy__calendar__periods", "policy__calendar__holidays"
    )
    for case in resolved:
        if _month_start(case.resolved_at) >= window_start:
            continue
        current = latest_case.get(case.customer_id)
        if current is None or (case.resolved_at, case.pk) > (current.resolved_at, current.pk):
            latest_case[case.customer_id] = case
    resolution = {"within_sla": [0, 0], "late": [0, 0]}
    for customer_id, case in latest_case.items():
        states = {state.name: state.status for state in case_sla_states(case, now=now)}
        key = "late" if states.get("resolution") == "breached" else "within_sla"
        resolution[key][1] += 1
        resolution[key][0] += bought_in_window(customer_id)

    def share(pair):
        return {"customers": pair[1], "returned": pair[0], "rate": 100 * pair[0] / pair[1] if pair[1] else None}

    return {
        "definition": RETENTION_DEFINITION,
        "rates": rates,
        "quarters": quarters,
        "cohorts": table,
        "still_buying": still_buying,
        "repurchase_window_start": window_start,
        "by_nps": {key: share(pair) for key, pair in groups.items()},
        "by_resolution": {key: share(pair) for key, pair in resolution.items()},
    }


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
    return context_report(counts, series)


def brand_comparison_naive(filters: Filters) -> dict:
    from feedback.models import FeedbackItem
    from sentiment.models import FeedbackTopic

    start, end = filters.bounds
    items = FeedbackItem.objects.filter(
        received_at__gte=start, received_at__lt=end, analysis_status="done", channel__in=comparison_channels(filters)
    )
    if filters.language:
        items = items.filter(language=filters.language)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    volume: dict[str, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    negative: dict[str, dict[datetime, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        items.annotate(label=effective_sentiment(), p=TRUNC[filters.period]("received_at"), key=F("brand__slug"))
        .values("key", "label", "p")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        key = row["key"] or ""
        counts[key][row["label"] or ""] += row["n"]
        volume[key][row["p"]] += row["n"]
        if row["label"] == "negative":
            negative[key][row["p"]] += row["n"]
    topics: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    topic_volume: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    mentions = (
        FeedbackTopic.objects.filter(feedback__in=items, topic__is_active=True)
        .annotate(p=TRUNC[filters.period]("feedback__received_at"))
        .values("feedback__brand__slug", "topic__slug", "sentiment", "p")
    )
    for row in mentions.annotate(n=Count("pk")):
        key = row["feedback__brand__slug"] or ""
        entry = topics[row["topic__slug"]][key]
        entry[0] += row["n"]
        entry[1] += row["n"] if row["sentiment"] == "negative" else 0
        topic_volume[key][row["topic__slug"]][row["p"]] += row["n"]
    return comparison_report(counts, volume, negative, topics, topic_volume)
