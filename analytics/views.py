import csv
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext

from analytics import metrics, selectors
from analytics.forms import (
    CONTEXT_DIMENSION_LABELS,
    ContextDimensionForm,
    ContextFilterForm,
    RetentionFilterForm,
    SatisfactionFilterForm,
)
from customers.segments import is_rfm_segment
from feedback.models import FeedbackItem
from surveys.selectors import funnel_total

SERIES_KEYS = (
    "nps",
    "nps_interval",
    "nps_interval_reason",
    "promoters_share",
    "passives_share",
    "detractors_share",
    "csat",
    "csat_interval",
    "csat_interval_reason",
    "ces",
    "ces_interval",
    "ces_interval_reason",
    "rating",
    "rating_interval",
    "rating_interval_reason",
    "sentiment_index",
    "sentiment_interval",
    "sentiment_interval_reason",
    "nps_respondents",
    "csat_answers",
    "ces_answers",
    "feedback",
    "reviews",
)


def metrics_doc_html(language: str) -> str:
    """docs/metrics.md (English) or docs/metrics.es.md (Spanish) as HTML; raw HTML in the files is
    escaped, not passed through."""
    from markdown_it import MarkdownIt

    name = "metrics.es.md" if language.startswith("es") else "metrics.md"
    text = (settings.BASE_DIR / "docs" / name).read_text(encoding="utf-8")
    return MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table").render(text)


@login_required
@permission_required("analytics.view_dashboards", raise_exception=True)
def metrics_doc(request):
    """How Voz computes its numbers, in the staff member's language (linked from every dashboard)."""
    html = metrics_doc_html(translation.get_language() or settings.LANGUAGE_CODE)
    return render(request, "analytics/metrics_doc.html", {"nav": "dashboards", "html": mark_safe(html)})


def chart_rows(series: list[dict]) -> list[dict]:
    """The satisfaction series as the page's charts, the API and the CSV all read it."""

    def iso(moment) -> str:
        return moment.date().isoformat() if hasattr(moment, "date") else date.isoformat(moment)

    return [{"period": iso(row["period"]), **{key: row.get(key) for key in SERIES_KEYS}} for row in series]


def interval_note(reason: str | None, answers: int | None) -> str:
    """Why a figure has no interval, in the staff's language ("" when it has one)."""
    if reason == metrics.TOO_FEW_ANSWERS:
        return gettext("too few answers (n = %(n)s)") % {"n": answers or 0}
    if reason == metrics.ALL_ANSWERS_EQUAL:
        return gettext("every answer the same (n = %(n)s): no spread to estimate from") % {"n": answers or 0}
    return ""


# (figure, its answers) for the interval notes of a series row
INTERVAL_FIGURES = (
    ("nps", "nps_respondents"),
    ("csat", "csat_answers"),
    ("ces", "ces_answers"),
    ("rating", "reviews"),
    ("sentiment", "feedback"),
)


def with_interval_notes(row: dict) -> dict:
    return {
        **row,
        **{
            f"{name}_note": interval_note(row.get(f"{name}_interval_reason"), row.get(count))
            for name, count in INTERVAL_FIGURES
        },
    }


def csv_response(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


def number(value, digits: int = 1) -> str:
    return "" if value is None else f"{value:.{digits}f}"


@login_required
@permission_required("analytics.view_dashboards", raise_exception=True)
def dashboard_page(request, template: str, form, *more_forms, **context) -> HttpResponse:
    """A dashboard with its filter form (`form` in the template). Filters that do not validate still
    show the page, with their errors and the defaults in force, as a 400."""
    invalid = any(each.is_bound and not each.is_valid() for each in (form, *more_forms))
    filters = context.get("filters")
    if filters is not None and filters.segment:
        context["segment_meaning"] = segment_meaning(filters.segment)
    return render(request, template, {"nav": "dashboards", "form": form, **context}, status=400 if invalid else 200)


def segment_meaning(segment: str) -> str:
    """What a segment's figures are over time, said under the filters (see customers.SegmentMembership)."""
    if is_rfm_segment(segment):
        return gettext(
            "Each answer, review, comment and case counts in the segment its customer was in when it arrived: "
            "a customer who changes segment counts in the new one from then on, and past figures stay as they were."
        )
    return gettext("A saved segment counts what its customers of today said and did, whenever it was.")


# The dashboard's channel filter names feedback channels; a survey's comments are "survey" when it
# was emailed and "web" when the website offered it. Other channels invite nobody.
FUNNEL_CHANNEL_OF = {"": "", FeedbackItem.Channel.SURVEY: "email", FeedbackItem.Channel.WEB: "web"}


def response_funnel(filters) -> dict | None:
    """Invited → opened → answered for the invitations sent in the dashboard's window, for its chart."""
    if filters.channel not in FUNNEL_CHANNEL_OF:
        return None
    zone = timezone.get_current_timezone()
    since = datetime.combine(filters.start, time.min, tzinfo=zone)
    until = datetime.combine(filters.end + timedelta(days=1), time.min, tzinfo=zone)
    funnel = funnel_total(since=since, until=until, channel=FUNNEL_CHANNEL_OF[filters.channel])
    return {
        "funnel": funnel,
        "steps": [
            ("invited", pgettext("survey funnel", "Invited"), funnel.invited, 100 if funnel.invited else 0),
            ("opened", pgettext("survey funnel", "Opened"), funnel.opened, funnel.opened_rate or 0),
            ("answered", pgettext("survey funnel", "Answered"), funnel.answered, funnel.response_rate or 0),
        ],
    }


def satisfaction(request):
    form = SatisfactionFilterForm(request.GET or None)
    filters = form.to_filters()
    series = selectors.satisfaction_series(filters)
    if request.GET.get("export") == "csv":
        return satisfaction_csv(chart_rows(series))
    return dashboard_page(
        request,
        "analytics/satisfaction.html",
        form,
        filters=filters,
        summary=summary_for_page(selectors.satisfaction_summary(filters)),
        chart_rows=[with_interval_notes(row) for row in chart_rows(series)],
        chart_labels={
            "detractors": gettext("Detractors"),
            "passives": gettext("Passives"),
            "promoters": gettext("Promoters"),
            "csat": gettext("CSAT (4 or 5 of 5), in %"),
            "rating": gettext("Review rating"),
            "ces": gettext("Customer effort (1–7, higher is easier)"),
            "sentiment": gettext("Sentiment index"),
            "interval": gettext("%(level)s interval") % {"level": "95 %"},
        },
        rows=[with_interval_notes(row) for row in series],
        min_answers=metrics.MIN_ANSWERS,
        response_funnel=response_funnel(filters),
        # a chart with nothing to draw says what it waits for instead
        has_data={
            "nps": any(row.get("nps_respondents") for row in series),
            "csat": any(row.get("csat_answers") or row.get("reviews") for row in series),
            "sentiment": any(row.get("feedback") for row in series),
        },
    )


SATISFACTION_CSV_COLUMNS = [
    ("period", "period", None),
    ("nps", "nps", 1),
    ("nps_low", ("nps_interval", 0), 1),
    ("nps_high", ("nps_interval", 1), 1),
    ("respondents", "nps_respondents", None),
    ("promoters_%", "promoters_share", 1),
    ("passives_%", "passives_share", 1),
    ("detractors_%", "detractors_share", 1),
    ("csat_%", "csat", 1),
    ("ces", "ces", 2),
    ("review_rating", "rating", 2),
    ("sentiment_index", "sentiment_index", 1),
    ("nps_interval_note", "nps_interval_reason", None),
    ("csat_low_%", ("csat_interval", 0), 1),
    ("csat_high_%", ("csat_interval", 1), 1),
    ("csat_answers", "csat_answers", None),
    ("csat_interval_note", "csat_interval_reason", None),
    ("ces_low", ("ces_interval", 0), 2),
    ("ces_high", ("ces_interval", 1), 2),
    ("ces_answers", "ces_answers", None),
    ("ces_interval_note", "ces_interval_reason", None),
    ("review_rating_low", ("rating_interval", 0), 2),
    ("review_rating_high", ("rating_interval", 1), 2),
    ("reviews", "reviews", None),
    ("review_rating_interval_note", "rating_interval_reason", None),
    ("sentiment_low", ("sentiment_interval", 0), 1),
    ("sentiment_high", ("sentiment_interval", 1), 1),
    ("feedback_items", "feedback", None),
    ("sentiment_interval_note", "sentiment_interval_reason", None),
]


def satisfaction_csv(rows: list[dict]) -> HttpResponse:
    """The API's series, column by column; the first twelve columns are those of earlier versions."""

    def cell(row: dict, key, digits):
        value = (row.get(key[0]) or (None, None))[key[1]] if isinstance(key, tuple) else row.get(key)
        if value is None:
            return ""
        return number(value, digits) if digits is not None else value

    return csv_response(
        "voz-satisfaction.csv",
        [name for name, _key, _digits in SATISFACTION_CSV_COLUMNS],
        [[cell(row, key, digits) for _name, key, digits in SATISFACTION_CSV_COLUMNS] for row in rows],
    )


def change_text(change: metrics.Change | None, answers: tuple[int, int]) -> str:
    """The verdict on a change, never claiming more than its test can carry."""
    if change is None:
        return ""
    if change.reason == metrics.TOO_FEW_ANSWERS:
        return gettext("too few answers to compare (n = %(now)s and %(before)s)") % {
            "now": answers[0],
            "before": answers[1],
        }
    test = {
        "exact_permutation": gettext("exact permutation test"),
        "fisher_exact": gettext("Fisher's exact test"),
        "z": gettext("z test"),
    }[change.test]
    p = "< 0.001" if change.p_value < 0.001 else f"= {change.p_value:.3f}"
    if translation.get_language() == "es":
        p = p.replace(".", ",")
    if change.is_significant:
        return gettext("a real change (p %(p)s, %(test)s)") % {"p": p, "test": test}
    return gettext("within the noise (p %(p)s, %(test)s)") % {"p": p, "test": test}


def summary_for_page(summary: dict) -> dict:
    """The summary with the sentences the KPI cards show."""
    nps, previous = summary["nps"], summary["nps_previous"]
    page = with_interval_notes(
        {**summary, "nps_interval_reason": nps.interval_reason, "nps_respondents": nps.respondents}
    )
    page["nps_change_text"] = change_text(summary["nps_change"], (nps.respondents, previous.respondents))
    page["csat_change_text"] = change_text(
        summary["csat_change"], (summary["csat_answers"], summary["csat_previous_answers"])
    )
    return page


def _highlight(text: str, words: list[str]) -> str:
    """The comment with the words that matched its topic wrapped in <mark> (escaped first)."""
    from django.utils.html import escape

    html = escape(text)
    for word in sorted(set(words), key=len, reverse=True):
        html = html.replace(escape(word), f"<mark>{escape(word)}</mark>")
    return html


def signed(value: float | int | None, digits: int = 0) -> str:
    """A change as people write it: "+12", "−3" (a real minus sign), "0"; "" when unknown."""
    if value is None:
        return ""
    rounded = round(value, digits)
    text = number_format(abs(rounded), digits)
    return f"+{text}" if rounded > 0 else f"\u2212{text}" if rounded < 0 else text


# A week's cell with fewer mentions is not shaded: one negative comment out of one is "100 %", and
# a dark cell would shout it.
HEATMAP_CELL_MIN_MENTIONS = 3


def topic_heatmap(filters, ranking: list[dict]) -> dict:
    """Topic × week cells of negative share, in the ranking's order; every week of the window is a
    column, the ones the window cuts short flagged."""
    weekly = replace(filters, period="week")
    series = selectors.topic_series(weekly)["topics"]
    first = selectors.period_start(filters.start, "week")
    weeks = []
    while first.date() <= filters.end:
        weeks.append(
            {
                "start": first,
                "is_partial": first.date() < filters.start or first.date() + timedelta(days=6) > filters.end,
            }
        )
        first = selectors.period_start(first.date() + timedelta(days=7), "week")
    rows = []
    for row in ranking:
        data = series.get(row["slug"], {"total": {}, "negative": {}})
        cells = []
        for week in weeks:
            total = data["total"].get(week["start"], 0)
            negative = data["negative"].get(week["start"], 0)
            share = 100 * negative / total if total else None
            cells.append(
                {
                    "total": total,
                    "negative": negative,
                    "share": share,
                    # the shade is the share, capped so dark text stays readable (4.5:1) on the darkest cell
                    "alpha": round(0.6 * share / 100, 2)
                    if total >= HEATMAP_CELL_MIN_MENTIONS and not row["is_below_minimum"]
                    else 0,
                }
            )
        rows.append({**row, "cells": cells})
    return {"weeks": weeks, "rows": rows}


@login_required
@permission_required("analytics.view_dashboards", raise_exception=True)
def topics(request):
    from django.utils.safestring import mark_safe

    form = ContextFilterForm(request.GET or None)
    filters = form.to_filters()
    ranking = selectors.topic_ranking(filters)
    shifts = selectors.shifts_of(ranking)
    if request.GET.get("export") == "csv":
        return csv_response(
            "voz-topics.csv",
            [
                "topic",
                "mentions",
                "previous_mentions",
                "net_sentiment",
                "previous_net_sentiment",
                "negative_%",
                "previous_negative_%",
                "rise_pp",
                "significant",
                "below_minimum_volume",
            ],
            [
                [
                    row["slug"],
                    row["mentions"],
                    row["previous_mentions"],
                    number(row["net_sentiment"]),
                    number(row["previous_net_sentiment"]),
                    number(row["negative_share"]),
                    number(row["previous_negative_share"]),
                    number(row["rise"]),
                    "yes" if row["is_significant"] else "no",
                    "yes" if row["is_below_minimum"] else "no",
                ]
                for row in shifts
            ],
        )
    language = (translation.get_language() or "es")[:2]
    days = (filters.end - filters.start).days + 1
    for row in ranking:
        row["name"] = row["topic"].name(language) if row["topic"] else row["slug"]
        row["why_greyed"] = (
            gettext("too few mentions (n = %(n)s)") % {"n": row["mentions"]} if row["is_below_minimum"] else ""
        )
    for row in shifts[:5]:
        row["examples"] = [
            {"item": mention.feedback, "html": mark_safe(_highlight(mention.feedback.text, mention.matches))}
            for mention in selectors.topic_examples(filters, row["slug"])
        ]
    chart = {
        "topics": [
            {
                "slug": row["slug"],
                "name": row["name"],
                # the bar's tick: the name, then its net sentiment and the change in volume
                "detail": gettext("net %(net)s · %(change)s mentions")
                % {
                    "net": signed(row["net_sentiment"]),
                    "change": signed(row["mentions_change"]),
                },
                "mentions": row["mentions"],
                "net_sentiment": round(row["net_sentiment"], 1),
                "is_below_minimum": row["is_below_minimum"],
            }
            for row in ranking
        ],
        "dataset": gettext("Mentions"),
    }
    return dashboard_page(
        request,
        "analytics/topics.html",
        form,
        filters=filters,
        ranking=ranking,
        shifts=shifts,
        heatmap=topic_heatmap(filters, ranking),
        chart=chart,
        days=days,
        # a bar and its two-line label per topic
        chart_height=80 + 46 * len(ranking),
        min_mentions=selectors.TOPIC_MIN_MENTIONS,
        cell_min_mentions=HEATMAP_CELL_MIN_MENTIONS,
    )


def context_value_label(dimension: str, value: str) -> str:
    if value == "*other":
        return gettext("Other")
    if not value:
        return gettext("Direct or unknown") if dimension == "source" else gettext("Unknown")
    if dimension == "device":
        return str(dict(FeedbackItem._meta.get_field("device").choices).get(value, value))
    return value


@login_required
@permission_required("analytics.view_dashboards", raise_exception=True)
def sources(request):
    form = ContextFilterForm(request.GET or None)
    dimension_form = ContextDimensionForm(request.GET)
    dimension = (dimension_form.cleaned_data.get("dimension") if dimension_form.is_valid() else "") or "source"
    filters = form.to_filters()
    report = selectors.feedback_by_context(filters, dimension)
    if request.GET.get("export") == "csv":
        return csv_response(
            f"voz-feedback-by-{dimension}.csv",
            [dimension, "items", "negative", "neutral", "positive", "negative_%", "negative_low_%", "negative_high_%"],
            [
                [
                    row["value"],
                    row["items"],
                    row["negative"],
                    row["neutral"],
                    row["positive"],
                    number(row["negative_share"]),
                    number((row["negative_interval"] or (None, None))[0]),
                    number((row["negative_interval"] or (None, None))[1]),
                ]
                for row in report["values"]
            ],
        )
    shown = report["values"][: selectors.CONTEXT_TOP * 2]
    for row in report["values"]:
        row["label"] = context_value_label(dimension, row["value"])
    chart = {
        "values": [row["label"] for row in shown],
        "negative": [row["negative"] for row in shown],
        "neutral": [row["neutral"] for row in shown],
        "positive": [row["positive"] for row in shown],
        "labels": [p.date().isoformat() for p in report["periods"]],
        "series": [
            {"name": context_value_label(dimension, value), "data": data} for value, data in report["series"].items()
        ],
        "negative_label": gettext("Negative"),
        "neutral_label": gettext("Neutral"),
        "positive_label": gettext("Positive"),
    }
    return dashboard_page(
        request,
        "analytics/context.html",
        form,
        dimension_form,
        dimension_form=dimension_form,
        dimension=dimension,
        dimension_label=CONTEXT_DIMENSION_LABELS[dimension],
        filters=filters,
        report=report,
        chart=chart,
    )


@login_required
@permission_required("analytics.view_dashboards", raise_exception=True)
def service(request):
    from django.utils.translation import gettext

    form = SatisfactionFilterForm(request.GET or None)
    filters = form.to_filters()
    levels = selectors.service_levels(filters)
    if request.GET.get("export") == "csv":
        return csv_response(
            "voz-service-levels.csv",
            ["group", "value", "cases", "first_response_on_time_%", "resolved_on_time_%"],
            [
                [kind, str(key), row["cases"], number(row["first_response_met"]), number(row["resolution_met"])]
                for kind, rows in levels["by"].items()
                for key, row in rows.items()
            ],
        )
    by_period = levels["by"]["period"]
    chart = {
        "labels": [period.isoformat() for period in by_period],
        "first_response_met": [row["first_response_met"] for row in by_period.values()],
        "resolution_met": [row["resolution_met"] for row in by_period.values()],
        "opened": [row["cases"] for row in by_period.values()],
        "first_label": gettext("First response on time (%)"),
        "resolution_label": gettext("Resolved on time (%)"),
        "cases_label": gettext("Cases opened"),
    }
    return dashboard_page(
        request,
        "analytics/service.html",
        form,
        filters=filters,
        levels=levels,
        chart=chart,
        has_cases=any(row["cases"] for row in by_period.values()),
    )


def retention_csv(data: dict, table: str) -> HttpResponse:
    """The cohort table (default) or the monthly and quarterly retention rates, with what is partial."""
    if table == "rates":
        return csv_response(
            "voz-retention-rates.csv",
            ["period_kind", "period", "bought_in_previous_period", "bought_again", "retention_%", "partial"],
            [
                [kind, row[key].isoformat(), row["base"], row["returning"], number(row["rate"]), yes_no(row)]
                for kind, key, rows in (("month", "month", data["rates"]), ("quarter", "quarter", data["quarters"]))
                for row in rows
            ],
        )
    width = max((len(row["cells"]) for row in data["cohorts"]), default=0)
    return csv_response(
        "voz-cohorts.csv",
        ["first_purchase", "customers", *[f"month_{k}_%" for k in range(1, width + 1)], "last_cell_partial"],
        [
            [
                row["cohort"].isoformat(),
                row["customers"],
                *[number(cell) for cell in row["cells"]],
                *[""] * (width - len(row["cells"])),
                "yes" if row["last_cell_is_partial"] else "no",
            ]
            for row in data["cohorts"]
        ],
    )


def yes_no(row: dict) -> str:
    return "yes" if row["is_partial"] else "no"


@login_required
@permission_required("analytics.view_dashboards", raise_exception=True)
def retention(request):
    form = RetentionFilterForm(request.GET)
    segment = form.cleaned_data["segment"] if form.is_valid() else ""
    data = selectors.retention(segment=segment)
    if request.GET.get("export") == "csv":
        return retention_csv(data, request.GET.get("table", ""))
    defection = selectors.defection_reasons()
    window_start = data["repurchase_window_start"]
    chart = {
        "defection_labels": [row["month"].isoformat() for row in defection["by_month"]],
        "controllable": [row["controllable"] for row in defection["by_month"]],
        "uncontrollable": [row["uncontrollable"] for row in defection["by_month"]],
        "controllable_label": gettext("Within our control (service, price, better offer)"),
        "uncontrollable_label": gettext("Outside our control (moved, no longer needed, other)"),
        "labels": [row["month"].isoformat() for row in data["rates"]],
        "rates": [row["rate"] for row in data["rates"]],
        "partial": [row["is_partial"] for row in data["rates"]],
        "bases": [row["base"] for row in data["rates"]],
        "rate_label": gettext("Bought again, of last month's buyers (%)"),
        "partial_label": gettext("partial: the month is not over"),
        "base_label": gettext("bought the month before"),
        "groups": [
            gettext("Promoters"),
            gettext("Passives"),
            gettext("Detractors"),
            gettext("Resolved within SLA"),
            gettext("Resolved late"),
        ],
        "group_rates": [
            data["by_nps"]["promoters"]["rate"],
            data["by_nps"]["passives"]["rate"],
            data["by_nps"]["detractors"]["rate"],
            data["by_resolution"]["within_sla"]["rate"],
            data["by_resolution"]["late"]["rate"],
        ],
        "group_customers": [
            data["by_nps"]["promoters"]["customers"],
            data["by_nps"]["passives"]["customers"],
            data["by_nps"]["detractors"]["customers"],
            data["by_resolution"]["within_sla"]["customers"],
            data["by_resolution"]["late"]["customers"],
        ],
        "group_label": gettext("Bought in the window (%)"),
        "customers_label": gettext("customers"),
    }
    width = max((len(row["cells"]) for row in data["cohorts"]), default=0)
    for row in data["cohorts"]:
        # Heat-map shading: the share itself, capped so the text stays readable.
        last = len(row["cells"]) - 1
        row["shaded"] = [
            {
                "value": value,
                "alpha": round(min(value, 60) / 100, 2),
                "is_partial": row["last_cell_is_partial"] and index == last,
            }
            for index, value in enumerate(row["cells"])
        ]
    groups = [
        (gettext("Promoters (9–10)"), data["by_nps"]["promoters"]),
        (gettext("Passives (7–8)"), data["by_nps"]["passives"]),
        (gettext("Detractors (0–6)"), data["by_nps"]["detractors"]),
    ]
    services = [
        (gettext("Resolved within SLA"), data["by_resolution"]["within_sla"]),
        (gettext("Resolved late"), data["by_resolution"]["late"]),
    ]
    return dashboard_page(
        request,
        "analytics/retention.html",
        form,
        data=data,
        chart=chart,
        offsets=range(1, width + 1),
        defection=defection,
        window_start=window_start,
        nps_groups=groups,
        service_groups=services,
        has_data={
            "retention": any(row["base"] for row in data["rates"]),
            "groups": any(chart["group_customers"]),
        },
    )
