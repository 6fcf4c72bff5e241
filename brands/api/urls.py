from django.urls import path

from brands.api.views import BrandListView, CompetitorMetricsView

urlpatterns = [
    path("brands/", BrandListView.as_view(), name="brand-list"),
    path("metrics/competitors/", CompetitorMetricsView.as_view(), name="metrics-competitors"),
]
