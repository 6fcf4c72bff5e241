from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from customers.admin import admin_link
from feedback.models import FeedbackItem, Sentiment
from sentiment import services
from sentiment.models import FeedbackAnalysis, FeedbackTopic, Topic


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


class FeedbackTopicInline(admin.TabularInline):
    model = FeedbackTopic
    fields = ["topic", "sentiment", "score", "matches"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("topics (current analysis)")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class FeedbackAnalysisInline(admin.TabularInline):
    model = FeedbackAnalysis
    fields = ["analysed_at", "is_current", "language", "sentiment", "score", "confidence", "model_version", "sentences"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("analysis history")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


def _correct_action(label: str, description):
    def action(modeladmin, request, queryset):
        for item in queryset:
            services.feedback_sentiment_correct(item=item, label=label, user=request.user)
        modeladmin.message_user(
            request,
            ngettext("%(count)d label corrected.", "%(count)d labels corrected.", queryset.count())
            % {"count": queryset.count()},
            messages.SUCCESS,
        )

    action.__name__ = f"correct_sentiment_{label or 'clear'}"
    return admin.action(description=description)(action)


@admin.register(FeedbackItem)
class FeedbackItemAdmin(admin.ModelAdmin):
    list_display = [
        "received_at",
        "channel",
        "short_text",
        "language",
        "sentiment_badge",
        "topic_list",
        "customer_link",
        "analysis_status",
    ]
    list_filter = [
        "channel",
        "sentiment",
        "sentiment_gold",
        "language",
        ("topics", admin.RelatedOnlyFieldListFilter),
        "analysis_status",
        "model_version",
        "received_at",
    ]
    search_fields = ["text", "customer__email", "customer__name", "order__external_id"]
    list_select_related = ["customer"]
    date_hierarchy = "received_at"
    raw_id_fields = ["customer", "order", "survey_answer"]
    readonly_fields = [
        "created_at",
        "response_link",
        "language_confidence",
        "sentiment",
        "sentiment_score",
        "sentiment_confidence",
        "model_version",
        "taxonomy_version",
        "analysed_at",
        "analysis_error",
        "sentiment_gold",
        "sentiment_corrected_by",
        "sentiment_corrected_at",
        "why",
    ]
    exclude = ["topics"]
    inlines = [FeedbackTopicInline, FeedbackAnalysisInline]
    actions = [
        _correct_action(Sentiment.NEGATIVE, _("Correct sentiment to negative")),
        _correct_action(Sentiment.NEUTRAL, _("Correct sentiment to neutral")),
        _correct_action(Sentiment.POSITIVE, _("Correct sentiment to positive")),
        _correct_action("", _("Withdraw the sentiment correction")),
        "reanalyse",
    ]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("topic_mentions__topic")

    @admin.display(description=_("text"))
    def short_text(self, item: FeedbackItem) -> str:
        return item.text if len(item.text) <= 90 else item.text[:87] + "…"

    @admin.display(description=_("sentiment"), ordering="sentiment")
    def sentiment_badge(self, item: FeedbackItem) -> str:
        if item.sentiment_gold:
            return f"{item.get_sentiment_gold_display()} ✔"
        if not item.sentiment:
            return "–"
        if item.sentiment_score is None:  # a label without a score: imported, or set by an older model
            return str(item.get_sentiment_display())
        return f"{item.get_sentiment_display()} ({item.sentiment_score:+.2f})"

    @admin.display(description=_("topics"))
    def topic_list(self, item: FeedbackItem) -> str:
        return ", ".join(f"{m.topic.slug} ({m.sentiment[:3]})" for m in item.topic_mentions.all()) or "–"

    @admin.display(description=_("why these topics"))
    def why(self, item: FeedbackItem) -> str:
        mentions = list(item.topic_mentions.all())
        if not mentions:
            return "–"
        return format_html_join(
            "",
            "<div><strong>{}</strong> ({}): {}</div>",
            ((m.topic.slug, m.get_sentiment_display(), ", ".join(m.matches)) for m in mentions),
        )

    @admin.display(description=_("customer"), ordering="customer__name")
    def customer_link(self, item: FeedbackItem) -> str:
        return admin_link(item.customer)

    @admin.display(description=_("survey response"))
    def response_link(self, item: FeedbackItem) -> str:
        return admin_link(item.survey_answer.response if item.survey_answer_id else None)

    @admin.action(description=_("Analyse again now"))
    def reanalyse(self, request, queryset):
        written = services.feedback_reanalyse(ids=list(queryset.values_list("pk", flat=True)), force=True)
        self.message_user(
            request,
            ngettext("%(count)d item analysed.", "%(count)d items analysed.", written) % {"count": written},
            messages.SUCCESS,
        )
