"""The retention dashboard: whether customers come back, by month and by cohort, whether
satisfaction and good service predict it, and why lapsed customers say they left."""

from collections import defaultdict
from datetime import date, datetime

from django.db.models import Exists, OuterRef
from django.db.models.functions import TruncMonth
from django.utils import timezone

from analytics import rollups
from analytics.selectors.common import customers_in_segment
from customers.models import Order
from support.models import Case
from support.services import case_sla_states
from surveys.models import Answer, Question


def retention(
    *, months: int = 12, cohort_months: int = 24, now: datetime | None = None, max_age=None, segment: str = ""
) -> dict:
    """The retention numbers from the snapshot (rebuilt when orders, answers or cases changed, at
    most every 15 minutes); custom windows or a past `now` are computed directly."""
    if months != 12 or cohort_months != 24 or now is not None:
        return retention_figures(months=months, cohort_months=cohort_months, now=now, segment=segment)
    rollups.ensure_fresh()
    kwargs = {} if max_age is None else {"max_age": max_age}
    data = rollups.retention_snapshot(segment=segment, **kwargs)
    return {
        **data,
        "rates": [{**row, "month": date.fromisoformat(row["month"])} for row in data["rates"]],
        "cohorts": [{**row, "cohort": date.fromisoformat(row["cohort"])} for row in data["cohorts"]],
    }


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def _share(returned: int, customers: int) -> dict:
    return {"customers": customers, "returned": returned, "rate": 100 * returned / customers if customers else None}


def retention_figures(
    *, months: int = 12, cohort_months: int = 24, now: datetime | None = None, segment: str = ""
) -> dict:
    """Retention rate per month, the monthly cohort table and whether satisfaction predicts return,
    for every customer or for the customers of one segment.

    Retention rate of a month = customers who bought in it and had bought before / customers who
    had bought before it. Cohort cell (c, k) = share of customers whose first purchase was in month
    c who bought again in month c + k. Everything follows from the months each customer bought in,
    read once as distinct (customer, month) pairs rather than order by order.
    """
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
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

    first_month: dict[int, date] = {}
    bought_in: dict[date, set[int]] = defaultdict(set)
    pairs = (
        orders.annotate(month=TruncMonth("placed_at", tzinfo=zone))
        .values_list("customer_id", "month")
        .order_by()
        .distinct()
    )
    for customer_id, moment in pairs:
        month = moment.date() if isinstance(moment, datetime) else moment
        bought_in[month].add(customer_id)
        if customer_id not in first_month or month < first_month[customer_id]:
            first_month[customer_id] = month
    cohorts: dict[date, set[int]] = defaultdict(set)
    for customer_id, month in first_month.items():
        cohorts[month].add(customer_id)

    this_month = timezone.localtime(now).date().replace(day=1)
    rates = []
    for offset in range(months - 1, -1, -1):
        month = _add_months(this_month, -offset)
        base = sum(len(members) for cohort, members in cohorts.items() if cohort < month)
        returning = sum(1 for cid in bought_in.get(month, ()) if first_month[cid] < month)
        rates.append(
            {"month": month, "base": base, "returning": returning, "rate": 100 * returning / base if base else None}
        )

    table = []
    for cohort in sorted(cohorts)[-12:]:
        members = cohorts[cohort]
        cells = []
        for k in range(1, cohort_months + 1):
            month = _add_months(cohort, k)
            if month > this_month:
                break
            cells.append(100 * len(members & bought_in.get(month, set())) / len(members))
        table.append({"cohort": cohort, "customers": len(members), "cells": cells})

    # Does satisfaction predict return? Share of each group that bought again after answering.
    bought_after_answering = Exists(
        orders.filter(customer_id=OuterRef("response__customer_id"), placed_at__gt=OuterRef("response__submitted_at"))
    )
    groups = {"promoters": [0, 0], "passives": [0, 0], "detractors": [0, 0]}
    for score, returned in answers.annotate(returned=bought_after_answering).values_list("number", "returned"):
        group = "promoters" if score >= 9 else "passives" if score >= 7 else "detractors"
        groups[group][0] += returned
        groups[group][1] += 1

    bought_after_resolution = Exists(
        orders.filter(customer_id=OuterRef("customer_id"), placed_at__gt=OuterRef("resolved_at"))
    )
    resolution = {"within_sla": [0, 0], "late": [0, 0]}
    resolved = (
        resolved.annotate(returned=bought_after_resolution)
        .select_related("policy__calendar")
        .prefetch_related("pauses", "policy__calendar__periods", "policy__calendar__holidays")
    )
    for case in resolved:
        states = {state.name: state.status for state in case_sla_states(case, now=now)}
        key = "late" if states.get("resolution") == "breached" else "within_sla"
        resolution[key][0] += case.returned
        resolution[key][1] += 1

    return {
        "rates": rates,
        "cohorts": table,
        "by_nps": {key: _share(*pair) for key, pair in groups.items()},
        "by_resolution": {key: _share(*pair) for key, pair in resolution.items()},
    }


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
