from django.urls import path

from analytics import alert_views, digest_views, views

app_name = "analytics"

urlpatterns = [
    path("satisfaction/", views.satisfaction, name="satisfaction"),
    path("topics/", views.topics, name="topics"),
    path("sources/", views.sources, name="sources"),
    path("service/", views.service, name="service"),
    path("retention/", views.retention, name="retention"),
    path("metrics/", views.metrics_doc, name="metrics_doc"),
    path("alerts/", alert_views.alert_rules, name="alerts"),
    path("alerts/new/", alert_views.alert_rule_new, name="alert-rule-new"),
    path("alerts/<int:pk>/", alert_views.alert_rule_edit, name="alert-rule"),
    path("alerts/<int:pk>/toggle/", alert_views.alert_rule_toggle, name="alert-rule-toggle"),
    path("alerts/<int:pk>/delete/", alert_views.alert_rule_delete, name="alert-rule-delete"),
    path("alerts/fired/<int:pk>/", alert_views.alert_detail, name="alert"),
    path("digest/", digest_views.digest_preview, name="digest"),
    path("digest/unsubscribe/<str:token>/", digest_views.digest_unsubscribe, name="digest-unsubscribe"),
]
