"""The competitors dashboard: the shop against its rivals, and a win-back email to those who
complained about what the rivals do better."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Max
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from analytics import selectors
from analytics.forms import ComparisonFilterForm, WinBackRequestForm
from analytics.views import csv_response, dashboard_page, number
from core.exceptions import ApplicationError
from core.redirects import redirect_back
from customers.models import Customer
from sentiment.models import Topic
from support.winback import WINBACK_COOLDOWN, winback_send

WINBACK_CANDIDATES = 5


def _detractors_about(topic_slug: str, filters, limit: int = WINBACK_CANDIDATES) -> list:
    """The shop's customers who complained about the topic in the window, most recent first,
    leaving out those already sent a win-back email in the last 30 days."""
    start, end = filters.bounds
    recent = timezone.now() - WINBACK_COOLDOWN
    return list(
        Customer.objects.filter(
            erased_at__isnull=True,
            feedback_items__brand__isnull=True,
            feedback_items__received_at__gte=start,
            feedback_items__received_at__lt=end,
            feedback_items__topic_mentions__topic__slug=topic_slug,
            feedback_items__topic_mentions__sentiment="negative",
        )
        .exclude(winback_emails__created_at__gte=recent)
        .annotate(last_complaint=Max("feedback_items__received_at"))
        .order_by("-last_complaint")[:limit]
    )


def _topic_mix(mentions: dict[str, list[int]], names: dict[str, str]) -> list[dict]:
    """Per topic, its % of the brand's topic mentions in each period (None where there were none)."""
    shown = {slug: counts for slug, counts in mentions.items() if slug in names}
    totals = [sum(column) for column in zip(*shown.values(), strict=True)] if shown else []
    return [
        {
            "slug": slug,
            "name": names[slug],
            "data": [round(100 * n / total, 1) if total else None for n, total in zip(counts, totals, strict=True)],
        }
        for slug, counts in sorted(shown.items(), key=lambda pair: names[pair[0]])
    ]


@login_required
@permission_required("analytics.view_dashboards", raise_exception=True)
def comparison(request):
    form = ComparisonFilterForm(request.GET or None)
    filters = form.to_filters()
    report = selectors.brand_comparison(filters)
    language = (translation.get_language() or "es")[:2]
    if request.GET.get("export") == "csv":
        return csv_response(
            "voz-competitors.csv",
            ["brand", "items", "share_of_voice_%", "negative_%", "net_sentiment", "topic", "complaints_per_100"],
            [
                [
                    brand["name"],
                    brand["items"],
                    number(brand["share_of_voice"]),
                    number(brand["negative_share"]),
                    number(brand["net_sentiment"]),
                    row["slug"],
                    number(row["brands"][brand["slug"]]["complaint_rate"]),
                ]
                for row in report["topics"]
                for brand in report["brands"]
            ],
        )
    worse = [gap for gap in report["gaps"] if gap["difference"] > 0][:3]
    for gap in worse:
        gap["detractors"] = _detractors_about(gap["slug"], filters)
    labels = [p.date().isoformat() for p in report["periods"]]
    topic_names = {row["slug"]: row["topic"].name(language) for row in report["topics"]}
    chart = {
        "labels": labels,
        "brands": [
            {
                "name": brand["name"],
                "share_of_voice": report["series"][brand["slug"]]["share_of_voice"],
                "negative_share": report["series"][brand["slug"]]["negative_share"],
                "negative": brand["negative"],
                "neutral": brand["neutral"],
                "positive": brand["positive"],
            }
            for brand in report["brands"]
        ],
        "topics": [row["topic"].name(language) for row in report["topics"]],
        "complaint_rates": [
            [row["brands"][brand["slug"]]["complaint_rate"] for row in report["topics"]] for brand in report["brands"]
        ],
        # what each brand is talked about, over time: each topic's share of the brand's topic mentions
        "topic_mix": [
            {"name": brand["name"], "topics": _topic_mix(report["series"][brand["slug"]]["topics"], topic_names)}
            for brand in report["brands"]
        ],
        "labels_text": {
            "negative": gettext("Negative"),
            "neutral": gettext("Neutral"),
            "positive": gettext("Positive"),
        },
    }
    return dashboard_page(
        request,
        "brands/comparison.html",
        form,
        filters=filters,
        report=report,
        worse=worse,
        chart=chart,
        has_comments=any(brand["negative"] + brand["neutral"] + brand["positive"] for brand in report["brands"]),
    )


@login_required
@permission_required("support.change_case", raise_exception=True)
@require_POST
def winback(request):
    """Send the win-back email to a detractor listed on the comparison page."""
    form = WinBackRequestForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(gettext("Name a customer by id (and optionally a topic by slug)."))
    customer = get_object_or_404(Customer, pk=form.cleaned_data["customer"], erased_at__isnull=True)
    topic = Topic.objects.filter(slug=form.cleaned_data["topic"]).first()
    try:
        winback_send(customer=customer, topic=topic, actor=request.user)
        messages.success(
            request, gettext("Win-back email on its way to %(name)s.") % {"name": customer.name or customer.email}
        )
    except ApplicationError as error:
        messages.error(request, error.message)
    return redirect_back(request, form.cleaned_data["next"], "brands:comparison")
