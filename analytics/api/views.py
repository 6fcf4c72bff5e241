from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics import selectors
from analytics.api.serializers import RetentionResponseSerializer, SatisfactionResponseSerializer
from analytics.forms import (
    ComparisonFilterForm,
    ContextDimensionForm,
    ContextFilterForm,
    RetentionFilterForm,
    SatisfactionFilterForm,
)
from analytics.views import chart_rows
from customers.models import CustomerRfm, SavedSegment

SEGMENT_HELP = format_lazy(
    _("An RFM segment ({segments}) or a saved segment's slug (see /api/v1/segments/)"),
    segments=", ".join(CustomerRfm.Segment.values),
)
FILTER_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.DATE, description=_("First day (shop's time zone); default 26 weeks ago")),
    OpenApiParameter("end", OpenApiTypes.DATE, description=_("Last day, inclusive; default today")),
    OpenApiParameter("period", str, enum=["day", "week", "month"]),
    OpenApiParameter("channel", str, enum=["survey", "review", "social", "web"]),
    OpenApiParameter("language", str, enum=["es", "en"]),
    OpenApiParameter("category", str),
    OpenApiParameter("product", str, description=_("SKU")),
    OpenApiParameter("topic", str, description=_("Topic slug, e.g. delivery")),
    OpenApiParameter("segment", str, description=SEGMENT_HELP),
]
CONTEXT_PARAMETERS = [
    *FILTER_PARAMETERS,
    OpenApiParameter("source", str, description=_("utm_source or referring domain, e.g. google.com")),
    OpenApiParameter("country", str, description=_("ISO 3166 code, e.g. ES")),
    OpenApiParameter("device", str, enum=["desktop", "tablet", "mobile"]),
]


def _invalid(form) -> serializers.ValidationError:
    return serializers.ValidationError(
        {field: [error["message"] for error in errors] for field, errors in form.errors.get_json_data().items()}
    )


class MetricsView(APIView):
    required_scopes = {"GET": "metrics:read"}
    staff_permissions = {"GET": "analytics.view_dashboards"}
    filter_form = SatisfactionFilterForm

    def filters(self, request) -> selectors.Filters:
        form = self.filter_form(request.query_params or None)
        if form.is_bound and not form.is_valid():
            raise _invalid(form)
        return form.to_filters()


def _change(change) -> dict | None:
    if change is None:
        return None
    return {
        "difference": change.difference,
        "z": change.z,
        "is_significant": change.is_significant,
        "p_value": change.p_value,
        "test": change.test,
        "reason": change.reason,
    }


class SatisfactionMetricsView(MetricsView):
    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses=SatisfactionResponseSerializer,
        summary=_(
            "NPS, CSAT (top-2-box), CES (higher is easier), rating and sentiment per period, with 95 % intervals"
        ),
    )
    def get(self, request):
        filters = self.filters(request)
        summary = selectors.satisfaction_summary(filters)
        nps = summary["nps"]
        return Response(
            {
                "start": filters.start,
                "end": filters.end,
                "period": filters.period,
                "series": chart_rows(selectors.satisfaction_series(filters)),
                "summary": {
                    "nps": nps.score,
                    "nps_interval": nps.interval,
                    "nps_interval_reason": nps.interval_reason,
                    "nps_respondents": nps.respondents,
                    "nps_change": _change(summary["nps_change"]),
                    **{key: summary[key] for key in SUMMARY_KEYS},
                    "csat_change": _change(summary["csat_change"]),
                },
            }
        )


SUMMARY_KEYS = [
    key
    for name, count in (("csat", "csat_answers"), ("ces", "ces_answers"), ("rating", "reviews"))
    for key in (name, f"{name}_interval", f"{name}_interval_reason", count)
] + ["sentiment_index", "sentiment_interval", "sentiment_interval_reason", "feedback"]


class TopicMetricsView(MetricsView):
    filter_form = ContextFilterForm

    @extend_schema(
        parameters=CONTEXT_PARAMETERS,
        responses=OpenApiTypes.OBJECT,
        summary=_("Topic volume and negative share, ranked by rise"),
    )
    def get(self, request):
        filters = self.filters(request)
        return Response(
            {
                "topics": [
                    {
                        key: row[key]
                        for key in (
                            "slug",
                            "mentions",
                            "negative_share",
                            "previous_negative_share",
                            "rise",
                            "is_significant",
                        )
                    }
                    for row in selectors.topic_shifts(filters)
                ],
                "series": _topic_series(selectors.topic_series(filters)),
            }
        )


def _topic_series(series: dict) -> dict:
    """Per topic, mentions and negative mentions for every period (zeros where none)."""
    periods = series["periods"]
    return {
        "periods": [moment.date().isoformat() for moment in periods],
        "topics": {
            slug: {kind: [data[kind].get(moment, 0) for moment in periods] for kind in ("total", "negative")}
            for slug, data in sorted(series["topics"].items())
        },
    }


class SourceMetricsView(MetricsView):
    filter_form = ContextFilterForm

    @extend_schema(
        parameters=[
            OpenApiParameter("dimension", str, enum=["source", "country", "device"], description=_("Default: source")),
            *CONTEXT_PARAMETERS,
        ],
        responses=OpenApiTypes.OBJECT,
        summary=_("Feedback volume and sentiment by source, country or device, with the volume per period"),
    )
    def get(self, request):
        dimension_form = ContextDimensionForm(request.query_params)
        if not dimension_form.is_valid():
            raise _invalid(dimension_form)
        dimension = dimension_form.cleaned_data["dimension"] or "source"
        filters = self.filters(request)
        report = selectors.feedback_by_context(filters, dimension)
        return Response(
            {
                "dimension": dimension,
                "start": filters.start,
                "end": filters.end,
                "period": filters.period,
                "values": report["values"],
                "periods": [moment.date().isoformat() for moment in report["periods"]],
                # the most frequent values one by one; "*other" sums the rest
                "series": report["series"],
            }
        )


class ServiceMetricsView(MetricsView):
    @extend_schema(
        parameters=FILTER_PARAMETERS,
        responses=OpenApiTypes.OBJECT,
        summary=_("SLA compliance, response times, backlog"),
        description=(
            _(
                "`first_response_hours` and `resolution_hours` (median, p90) are business hours as the SLA clock "
                "counts them: the working hours of the case's policy calendar, pauses excluded (every hour for a "
                "round-the-clock policy), so they compare with the targets."
            )
        ),
    )
    def get(self, request):
        levels = selectors.service_levels(self.filters(request))
        levels["by"] = {kind: {str(key): row for key, row in rows.items()} for kind, rows in levels["by"].items()}
        return Response(levels)


class RetentionMetricsView(MetricsView):
    @extend_schema(
        parameters=[OpenApiParameter("segment", str, description=SEGMENT_HELP)],
        responses=RetentionResponseSerializer,
        summary=_(
            "Retention per month and quarter, cohorts, still buying after 1 and 2 years, repurchase by NPS "
            "group and by SLA, defection reasons"
        ),
    )
    def get(self, request):
        form = RetentionFilterForm(request.query_params)
        if not form.is_valid():
            raise _invalid(form)
        data = selectors.retention(segment=form.cleaned_data["segment"])
        defection = selectors.defection_reasons()
        return Response(
            {
                "rates": data["rates"],
                "quarters": data["quarters"],
                "cohorts": data["cohorts"],
                "still_buying": data["still_buying"],
                "repurchase_window_start": data["repurchase_window_start"],
                "repurchase_by_nps": data["by_nps"],
                "repurchase_by_resolution": data["by_resolution"],
                "defection": defection,
            }
        )


class SegmentSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=["rfm", "saved"])
    customers = serializers.IntegerField(help_text=_("Customers in the segment now"))


@extend_schema(description=_("Every segment a filter accepts: the RFM ones and the shop's saved segments."))
class SegmentListView(APIView):
    required_scopes = {"GET": "metrics:read"}
    staff_permissions = {"GET": "analytics.view_dashboards"}

    @extend_schema(responses=SegmentSerializer(many=True), summary=_("Customer segments usable as filters"))
    def get(self, request):
        from django.db.models import Count
        from django.utils import translation

        from customers.segments import segments_ensure_fresh

        segments_ensure_fresh()
        sizes = dict(CustomerRfm.objects.values_list("segment").annotate(n=Count("pk")))
        with translation.override("en"):
            rows = [
                {"slug": code, "name": str(label), "kind": "rfm", "customers": sizes.get(code, 0)}
                for code, label in CustomerRfm.Segment.choices
            ]
        rows += [
            {"slug": saved.slug, "name": saved.name, "kind": "saved", "customers": saved.customers().count()}
            for saved in SavedSegment.objects.all()
        ]
        return Response(SegmentSerializer(rows, many=True).data)


class CompetitorMetricsView(MetricsView):
    filter_form = ComparisonFilterForm

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description=_("First day; default 26 weeks ago")),
            OpenApiParameter("end", OpenApiTypes.DATE, description=_("Last day, inclusive; default today")),
            OpenApiParameter("period", str, enum=["day", "week", "month"]),
            OpenApiParameter(
                "channel", str, enum=["review", "social"], description=_("Default: reviews and social posts together")
            ),
            OpenApiParameter("language", str, enum=["es", "en"]),
        ],
        responses=OpenApiTypes.OBJECT,
        summary=_("Share of voice, sentiment and complaints per topic for the shop and each competitor"),
    )
    def get(self, request):
        filters = self.filters(request)
        report = selectors.brand_comparison(filters)
        return Response(
            {
                "start": filters.start,
                "end": filters.end,
                "period": filters.period,
                # slug "" is the shop's own brand
                "brands": report["brands"],
                "periods": [moment.date().isoformat() for moment in report["periods"]],
                "series": report["series"],
                "topics": [{"slug": row["slug"], "brands": row["brands"]} for row in report["topics"]],
                "gaps": [
                    {
                        "topic": gap["slug"],
                        "rival": gap["rival"]["slug"],
                        "own_complaints_per_100": gap["own_rate"],
                        "rival_complaints_per_100": gap["rival_rate"],
                        "ratio": gap["ratio"],
                        "is_significant": gap["is_significant"],
                    }
                    for gap in report["gaps"]
                ],
            }
        )
