from django.urls import path

from analytics import digest_views, views

app_name = "analytics"

urlpatterns = [
    path("satisfaction/", views.satisfaction, name="satisfaction"),
    path("topics/", views.topics, name="topics"),
    path("sources/", views.sources, name="sources"),
    path("service/", views.service, name="service"),
    path("retention/", views.retention, name="retention"),
    path("metrics/", views.metrics_doc, name="metrics_doc"),
    path("digest/", digest_views.digest_preview, name="digest"),
    path("digest/unsubscribe/<str:token>/", digest_views.digest_unsubscribe, name="digest-unsubscribe"),
]
