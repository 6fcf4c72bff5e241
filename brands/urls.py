from django.urls import path

from brands import views

app_name = "brands"

urlpatterns = [
    path("", views.comparison, name="comparison"),
    path("winback/", views.winback, name="winback"),
]
