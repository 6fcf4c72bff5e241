import csv
from datetime import date

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext

from analytics import selectors
from analytics.forms import (
    CONTEXT_DIMENSION_LABELS,
    ContextDimensionForm,
    ContextFilterForm,
    RetentionFilterForm,
    SatisfactionFilterForm,
)
from feedback.models import FeedbackItem
from sentiment.models import Topic


def chart_rows(series: list[dict]) -> list[dict]:
    def iso(moment) -> str:
        return moment.date().isoformat() if hasattr(moment, "date") else date.isoformat(moment)

    keys = (
        "nps",
        "nps_interval",
        "promoters_share",
        "passives_share",
        "detractors_share",
        "csat",
        "ces",
        "rating",
        "sentiment_index",
        "nps_respondents",
        "feedback",
        "reviews",
    )
    return [{"period": iso(row["period"]), **{key: row.get(key) for key in keys}} for row in series]


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
def satisfaction(request):
    form = SatisfactionFilterForm(request.GET or None)
    filters = form.to_filters()
    series = selectors.satisfaction_series(filters)
    if request.GET.get("export") == "csv":
        return csv_response(
            "voz-satisfaction.csv",
            [
                "period",
                "nps",
                "nps_low",
                "nps_high",
                "respondents",
                "promoters_%",
                "passives_%",
                "detractors_%",
                "csat_%",
                "ces",
                "review_rating",
                "sentiment_index",
            ],
            [
                [
                    row["period"].date().isoformat(),
                    number(row.get("nps")),
                    number((row.get("nps_interval") or (None, None))[0]),
                    number((row.get("nps_interval") or (None, None))[1]),
                    row.get("nps_respondents", ""),
                    number(row.get("promoters_share")),
                    number(row.get("passives_share")),
                    number(row.get("detractors_share")),
                    number(row.get("csat")),
                    number(row.get("ces"), 2),
                    number(row.get("rating"), 2),
                    number(row.get("sentiment_index")),
                ]
                for row in series
            ],
        )
    return render(
        request,
        "analytics/satisfaction.html",
        {
            "nav": "dashboards",
            "form": form,
            "filters": filters,
            "summary": selectors.satisfaction_summary(filters),
            "chart_rows": chart_rows(series),
            "chart_labels": {
                "detractors": gettext("Detractors"),
                "passives": gettext("Passives"),
                "promoters": gettext("Promoters"),
                "csat": gettext("CSAT %"),
                "rating": gettext("Review rating"),
                "sentiment": gettext("Sentiment index"),
            },
            "rows": series,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


def _highlight(text: str, words: list[str]) -> str:
    """The comment with the words that matched its topic wrapped in <mark> (escaped first)."""
    from django.utils.html import escape

    html = escape(text)
    for word in sorted(set(words), key=len, reverse=True):
        html = html.replace(escape(word), f"<mark>{escape(word)}</mark>")
    return html


@login_required
@permission_required("analytics.view_dashboards", raise_exception=True)
def topics(request):
    from django.utils.safestring import mark_safe

    form = ContextFilterForm(request.GET or None)
    filters = form.to_filters()
    series = selectors.topic_series(filters)
    shifts = selectors.topic_shifts(filters)
    if request.GET.get("export") == "csv":
        return csv_response(
            "voz-topics.csv",
            ["topic", "mentions", "negative_%", "previous_negative_%", "rise_pp", "significant"],
            [
                [
                    row["slug"],
                    row["mentions"],
                    number(row["negative_share"]),
                    number(row["previous_negative_share"]),
                    number(row["rise"]),
                    "yes" if row["is_significant"] else "no",
                ]
                for row in shifts
            ],
        )
    for row in shifts[:5]:
        row["examples"] = [
            {"item": mention.feedback, "html": mark_safe(_highlight(mention.feedback.text, mention.matches))}
            for mention in selectors.topic_examples(filters, row["slug"])
        ]
    periods = series["periods"]
    language = (translation.get_language() or "es")[:2]
    names = {topic.slug: topic.name(language) for topic in Topic.objects.all()}
    chart = {
        "labels": [p.date().isoformat() for p in periods],
        "topics": [
            {
                "slug": slug,
                "name": names.get(slug, slug),
                "total": [data["total"].get(p, 0) for p in periods],
                "negative_share": [
                    (100 * data["negative"].get(p, 0) / data["total"][p]) if data["total"].get(p) else None
                    for p in periods
                ],
            }
            for slug, data in sorted(series["topics"].items())
        ],
    }
    return render(
        request,
        "analytics/topics.html",
        {"nav": "dashboards", "form": form, "filters": filters, "shifts": shifts, "chart": chart},
        status=400 if form.is_bound and not form.is_valid() else 200,
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
    invalid = (form.is_bound and not form.is_valid()) or not dimension_form.is_valid()
    return render(
        request,
        "analytics/context.html",
        {
            "nav": "dashboards",
            "form": form,
            "dimension_form": dimension_form,
            "dimension": dimension,
            "dimension_label": CONTEXT_DIMENSION_LABELS[dimension],
            "filters": filters,
            "report": report,
            "chart": chart,
        },
        status=400 if invalid else 200,
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
    return render(
        request,
        "analytics/service.html",
        {"nav": "dashboards", "form": form, "filters": filters, "levels": levels, "chart": chart},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@login_required
@permission_required("analytics.view_dashboards", raise_exception=True)
def retention(request):
    from django.utils.translation import gettext

    form = RetentionFilterForm(request.GET)
    segment = form.cleaned_data["segment"] if form.is_valid() else ""
    data = selectors.retention(segment=segment)
    if request.GET.get("export") == "csv":
        width = max((len(row["cells"]) for row in data["cohorts"]), default=0)
        return csv_response(
            "voz-cohorts.csv",
            ["first_purchase", "customers", *[f"month_{k}_%" for k in range(1, width + 1)]],
            [
                [row["cohort"].isoformat(), row["customers"], *[number(cell) for cell in row["cells"]]]
                for row in data["cohorts"]
            ],
        )
    defection = selectors.defection_reasons()
    chart = {
        "defection_labels": [row["month"].isoformat() for row in defection["by_month"]],
        "controllable": [row["controllable"] for row in defection["by_month"]],
        "uncontrollable": [row["uncontrollable"] for row in defection["by_month"]],
        "controllable_label": gettext("Within our control (service, price, better offer)"),
        "uncontrollable_label": gettext("Outside our control (moved, no longer needed, other)"),
        "labels": [row["month"].isoformat() for row in data["rates"]],
        "rates": [row["rate"] for row in data["rates"]],
        "rate_label": gettext("Retention rate (%)"),
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
        "group_label": gettext("Bought again afterwards (%)"),
    }
    width = max((len(row["cells"]) for row in data["cohorts"]), default=0)
    for row in data["cohorts"]:
        # Heat-map shading: the share itself, capped so the text stays readable.
        row["shaded"] = [{"value": value, "alpha": round(min(value, 60) / 100, 2)} for value in row["cells"]]
    return render(
        request,
        "analytics/retention.html",
        {
            "nav": "dashboards",
            "form": form,
            "data": data,
            "chart": chart,
            "offsets": range(1, width + 1),
            "defection": defection,
        },
        status=200 if form.is_valid() else 400,
    )
