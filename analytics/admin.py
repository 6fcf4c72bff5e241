from django.contrib import admin

from analytics.models import AlertEpisode, AlertRule


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "threshold", "sigma", "topic", "channel", "is_active"]
    list_filter = ["kind", "is_active"]


@admin.register(AlertEpisode)
class AlertEpisodeAdmin(admin.ModelAdmin):
    list_display = ["rule", "started_at", "ended_at", "value", "notified_at"]
    list_filter = ["rule"]

    def has_add_permission(self, request) -> bool:
        return False
