from django.urls import path

from feedback import views

app_name = "feedback"

urlpatterns = [
    path("", views.feed, name="feed"),
    path("export.csv", views.feed_export, name="feed-export"),
]
