from django.urls import path

from sentiment import views

app_name = "feedback"

urlpatterns = [
    path("", views.feed, name="feed"),
    path("export.csv", views.feed_export, name="feed-export"),
]
