from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.api.views import MetricsView
from brands import selectors
from brands.models import Brand
from brands.views import ComparisonFilterForm


class BrandSerializer(serializers.ModelSerializer):
    class Meta:
        model = Brand
        fields = ["slug", "name", "is_own", "is_active"]
        read_only_fields = fields


class BrandListView(APIView):
    """The brands a review or a mention can name in its `brand` field."""

    required_scopes = {"GET": "feedback:read"}
    staff_permissions = {"GET": "brands.view_brand"}

    @extend_schema(responses=BrandSerializer(many=True), summary="The shop's brand and its competitors")
    def get(self, request):
        return Response(BrandSerializer(Brand.objects.all(), many=True).data)


class CompetitorMetricsView(MetricsView):
    filter_form = ComparisonFilterForm

    @extend_schema(
        parameters=[
            OpenApiParameter("start", OpenApiTypes.DATE, description="First day; default 26 weeks ago"),
            OpenApiParameter("end", OpenApiTypes.DATE, description="Last day, inclusive; default today"),
            OpenApiParameter("period", str, enum=["day", "week", "month"]),
            OpenApiParameter(
                "channel", str, enum=["review", "social"], description="Default: reviews and social posts together"
            ),
            OpenApiParameter("language", str, enum=["es", "en"]),
        ],
        responses=OpenApiTypes.OBJECT,
        summary="Share of voice, sentiment and complaints per topic for the shop and each competitor",
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
