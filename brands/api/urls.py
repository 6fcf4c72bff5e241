from django.urls import path

from brands.api.views import BrandListView

urlpatterns = [
    path("brands/", BrandListView.as_view(), name="brand-list"),
]
