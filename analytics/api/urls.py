from django.urls import path

from analytics.api.views import (
    CompetitorMetricsView,
    RetentionMetricsView,
    SatisfactionMetricsView,
    SegmentListView,
    ServiceMetricsView,
    SourceMetricsView,
    TopicMetricsView,
)

urlpatterns = [
    path("metrics/satisfaction/", SatisfactionMetricsView.as_view(), name="metrics-satisfaction"),
    path("metrics/topics/", TopicMetricsView.as_view(), name="metrics-topics"),
    path("segments/", SegmentListView.as_view(), name="segment-list"),
    path("metrics/sources/", SourceMetricsView.as_view(), name="metrics-sources"),
    path("metrics/service/", ServiceMetricsView.as_view(), name="metrics-service"),
    path("metrics/retention/", RetentionMetricsView.as_view(), name="metrics-retention"),
    path("metrics/competitors/", CompetitorMetricsView.as_view(), name="metrics-competitors"),
]
