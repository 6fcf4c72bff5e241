from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from sentiment import services
from sentiment.models import FeedbackAnalysis, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_es", "name_en", "is_active", "mention_count", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["slug", "name_es", "name_en", "patterns_es", "patterns_en"]
    actions = ["retag_past_feedback"]

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(mention_total=Count("mentions"))

    @admin.display(description=_("mentions"), ordering="mention_total")
    def mention_count(self, topic: Topic) -> int:
        return topic.mention_total

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and form.has_changed():
            self.message_user(
                request,
                _(
                    "New feedback is tagged with these patterns from now on. Use the action “Re-tag past "
                    "feedback” to apply them to what was already analysed."
                ),
                messages.INFO,
            )

    @admin.action(description=_("Re-tag past feedback with the current taxonomy"))
    def retag_past_feedback(self, request, queryset):
        count = services.feedback_retag_all()
        self.message_user(
            request,
            ngettext(
                "%(count)d feedback item queued for re-tagging.",
                "%(count)d feedback items queued for re-tagging.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(FeedbackAnalysis)
class FeedbackAnalysisAdmin(admin.ModelAdmin):
    list_display = ["analysed_at", "feedback", "language", "sentiment", "score", "model_version", "is_current"]
    list_filter = ["is_current", "sentiment", "language", "model_version"]
    raw_id_fields = ["feedback"]
    list_select_related = ["feedback"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
