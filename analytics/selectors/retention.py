"""The retention dashboard: whether customers come back, by month and by cohort, whether
satisfaction and good service predict it, and why lapsed customers say they left."""

from collections import defaultdict
from datetime import date, datetime, time

from django.db.models.functions import TruncMonth
from django.utils import timezone

from analytics import rollups
from customers.models import Order
from customers.segments import customers_in_segment
from support.models import Case
from support.services import case_sla_states
from surveys.models import Answer, DefectionReason, Question

# Bumped whenever a figure's definition changes, so that snapshots computed the old way are rebuilt.
RETENTION_DEFINITION = 2
# The repurchase figures look at who bought in the last REPURCHASE_WINDOW_MONTHS months (the current
# one included), grouped by what each customer said or lived before those months began.
REPURCHASE_WINDOW_MONTHS = 6
QUARTERS = 5


def retention(
    *, months: int = 12, cohort_months: int = 24, now: datetime | None = None, max_age=None, segment: str = ""
) -> dict:
    """The retention numbers from the snapshot (rebuilt when orders, answers or cases changed, at
    most every 15 minutes); custom windows or a past `now` are computed directly."""
    if months != 12 or cohort_months != 24 or now is not None:
        return retention_figures(months=months, cohort_months=cohort_months, now=now, segment=segment)
    rollups.ensure_fresh()
    kwargs = {} if max_age is None else {"max_age": max_age}
    return retention_from_json(rollups.retention_snapshot(segment=segment, **kwargs))


def retention_from_json(data: dict) -> dict:
    """A snapshot's figures with their dates as dates again."""
    return {
        **data,
        "rates": [{**row, "month": date.fromisoformat(row["month"])} for row in data["rates"]],
        "quarters": [{**row, "quarter": date.fromisoformat(row["quarter"])} for row in data["quarters"]],
        "cohorts": [{**row, "cohort": date.fromisoformat(row["cohort"])} for row in data["cohorts"]],
        "still_buying": [
            {**row, "first_purchase_before": date.fromisoformat(row["first_purchase_before"])}
            for row in data["still_buying"]
        ],
        "repurchase_window_start": date.fromisoformat(data["repurchase_window_start"]),
    }


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, 1)


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _share(returned: int, customers: int) -> dict:
    return {"customers": customers, "returned": returned, "rate": 100 * returned / customers if customers else None}


def _period_rate(period_key: str, period: date, base: set[int], now_buying: set[int], *, is_partial: bool) -> dict:
    returning = len(base & now_buying)
    return {
        period_key: period,
        "base": len(base),
        "returning": returning,
        "rate": 100 * returning / len(base) if base else None,
        "is_partial": is_partial,
    }


def retention_figures(
    *, months: int = 12, cohort_months: int = 24, now: datetime | None = None, segment: str = ""
) -> dict:
    """Retention per month and per quarter, the monthly cohort table, how many of 10 customers are
    still buying after one and two years, and whether satisfaction and good service predict return,
    for every customer or for the customers of one segment.

    Retention rate of a period = customers who bought in the previous period and bought again in
    this one / customers who bought in the previous period (months in the shop's time zone; a
    quarter is three calendar months). The current month and quarter are not over: `is_partial`.
    Cohort cell (c, k) = share of customers whose first purchase was in month c who bought again in
    month c + k; a cohort's last cell is partial when it is the current month.
    Still buying after N years = of the customers whose first purchase month c has a complete year
    c + 12N … c + 12N + 11 behind it, the share who bought in that year.
    Repurchase by NPS group = of the customers who answered NPS before the repurchase window (the
    last REPURCHASE_WINDOW_MONTHS months), each counted once by their latest answer before it, the
    share who bought in the window; by service the same with each customer's latest resolved case.
    Everything follows from the months each customer bought in, read once as distinct
    (customer, month) pairs rather than order by order.
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

    def buyers(first: date, count: int) -> set[int]:
        return set().union(*(bought_in.get(add_months(first, k), set()) for k in range(count)))

    this_month = timezone.localtime(now).date().replace(day=1)
    rates = []
    for offset in range(months - 1, -1, -1):
        month = add_months(this_month, -offset)
        rates.append(
            _period_rate(
                "month",
                month,
                bought_in.get(add_months(month, -1), set()),
                bought_in.get(month, set()),
                is_partial=month == this_month,
            )
        )
    this_quarter = quarter_start(this_month)
    quarters = []
    for offset in range(QUARTERS - 1, -1, -1):
        quarter = add_months(this_quarter, -3 * offset)
        quarters.append(
            _period_rate(
                "quarter",
                quarter,
                buyers(add_months(quarter, -3), 3),
                buyers(quarter, 3),
                is_partial=quarter == this_quarter,
            )
        )

    table = []
    for cohort in sorted(cohorts)[-12:]:
        members = cohorts[cohort]
        cells = []
        for k in range(1, cohort_months + 1):
            month = add_months(cohort, k)
            if month > this_month:
                break
            cells.append(100 * len(members & bought_in.get(month, set())) / len(members))
        is_partial = bool(cells) and add_months(cohort, len(cells)) == this_month
        table.append({"cohort": cohort, "customers": len(members), "cells": cells, "last_cell_is_partial": is_partial})

    still_buying = []
    for years in (1, 2):
        # the year c + 12N … c + 12N + 11 must be over: c + 12N + 12 ≤ this month
        before = add_months(this_month, -12 * years - 11)
        eligible = [cohort for cohort in cohorts if cohort < before]
        customers = sum(len(cohorts[cohort]) for cohort in eligible)
        still = sum(len(cohorts[cohort] & buyers(add_months(cohort, 12 * years), 12)) for cohort in eligible)
        still_buying.append(
            {
                "years": years,
                "customers": customers,
                "still_buying": still,
                "of_10": 10 * still / customers if customers else None,
                "first_purchase_before": before,
            }
        )

    window_start = add_months(this_month, -(REPURCHASE_WINDOW_MONTHS - 1))
    bought_in_window = buyers(window_start, REPURCHASE_WINDOW_MONTHS)
    window_begins = datetime.combine(window_start, time.min, tzinfo=zone)

    groups = {"promoters": [0, 0], "passives": [0, 0], "detractors": [0, 0]}
    latest = (
        answers.filter(response__submitted_at__lt=window_begins)
        .order_by("response__customer_id", "-response__submitted_at", "-pk")
        .values_list("response__customer_id", "number")
    )
    seen: set[int] = set()
    for customer_id, score in latest:
        if customer_id in seen:
            continue
        seen.add(customer_id)
        group = "promoters" if score >= 9 else "passives" if score >= 7 else "detractors"
        groups[group][0] += customer_id in bought_in_window
        groups[group][1] += 1

    resolution = {"within_sla": [0, 0], "late": [0, 0]}
    latest_cases = (
        resolved.filter(resolved_at__lt=window_begins)
        .order_by("customer_id", "-resolved_at", "-pk")
        .select_related("policy__calendar")
        .prefetch_related("pauses", "policy__calendar__periods", "policy__calendar__holidays")
    )
    seen = set()
    for case in latest_cases:
        if case.customer_id in seen:
            continue
        seen.add(case.customer_id)
        states = {state.name: state.status for state in case_sla_states(case, now=now)}
        key = "late" if states.get("resolution") == "breached" else "within_sla"
        resolution[key][0] += case.customer_id in bought_in_window
        resolution[key][1] += 1

    return {
        "definition": RETENTION_DEFINITION,
        "rates": rates,
        "quarters": quarters,
        "cohorts": table,
        "still_buying": still_buying,
        "repurchase_window_start": window_start,
        "by_nps": {key: _share(*pair) for key, pair in groups.items()},
        "by_resolution": {key: _share(*pair) for key, pair in resolution.items()},
    }


def defection_reasons(*, since: datetime | None = None) -> dict:
    """Why lapsed customers left, per month, split into what the shop controls and what it does not
    (each reason's `controllable`, as managers set it)."""
    controllable_reasons = set(DefectionReason.objects.filter(controllable=True).values_list("value", flat=True))
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
    controllable = sum(count for reason, count in totals.items() if reason in controllable_reasons)
    return {
        "totals": totals,
        "answers": answered,
        "controllable_share": 100 * controllable / answered if answered else None,
        "by_month": [
            {
                "month": month,
                "controllable": sum(n for r, n in counts.items() if r in controllable_reasons),
                "uncontrollable": sum(n for r, n in counts.items() if r not in controllable_reasons),
            }
            for month, counts in sorted(by_month.items())
        ],
    }
