from django.urls import path

from analytics import competitor_views as views

# The competitors page kept its URL names (brands:comparison, brands:winback) when it moved here.
app_name = "brands"

urlpatterns = [
    path("", views.comparison, name="comparison"),
    path("winback/", views.winback, name="winback"),
]
