from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.exceptions import ApplicationError
from customers.admin import admin_link
from feedback.models import FeedbackItem, Sentiment
from sentiment import learning, selectors, services
from sentiment.models import FeedbackAnalysis, FeedbackTopic, SentimentModel, Topic


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ["slug", "name_es", "name_en", "is_active", "mention_count", "updated_at"]
    list_filter = ["is_active"]
    search_fields = ["slug", "name_es", "name_en", "patterns_es", "patterns_en", "examples"]
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

    @admin.action(description=_("Re-tag past feedback with the current taxonomy"), permissions=["change"])
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
    return admin.action(description=description, permissions=["change"])(action)


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

    @admin.action(description=_("Analyse again now"), permissions=["change"])
    def reanalyse(self, request, queryset):
        written = services.feedback_reanalyse(ids=list(queryset.values_list("pk", flat=True)), force=True)
        self.message_user(
            request,
            ngettext("%(count)d item analysed.", "%(count)d items analysed.", written) % {"count": written},
            messages.SUCCESS,
        )


def _f1(figures: dict, slice_name: str, which: str):
    value = figures.get(slice_name, {}).get(which, {}).get("macro_f1")
    return None if value is None else f"{value:.3f}"


@admin.register(SentimentModel)
class SentimentModelAdmin(admin.ModelAdmin):
    """Every model, with the figures that decided whether it went live; activate or roll back in one click."""

    list_display = [
        "version",
        "kind",
        "status_text",
        "is_active",
        "shop_figures",
        "base_figures",
        "labels_used",
        "work_in_progress",
        "created_at",
        "switch_button",
    ]
    list_filter = ["status", "kind", "is_active"]
    fields = [
        "version",
        "kind",
        "status",
        "rejection_reason",
        "error",
        "is_active",
        "activated_at",
        "shop_figures",
        "base_figures",
        "labels_used",
        "work_in_progress",
        "figures",
        "trained_from",
        "artifact",
        "created_at",
        "created_by",
    ]
    readonly_fields = fields
    actions = None

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(function)

        return [
            path("retrain/", view(self.retrain_view), name="sentiment_sentimentmodel_retrain"),
            path("rollback/", view(self.rollback_view), name="sentiment_sentimentmodel_rollback"),
            path("<int:model_id>/activate/", view(self.activate_view), name="sentiment_sentimentmodel_activate"),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "previous_model": selectors.model_previous(),
            # the page reloads itself while a retrain or a re-analysis is running, to show progress
            "work_running": SentimentModel.objects.filter(status=SentimentModel.Status.TRAINING).exists()
            or SentimentModel.objects.filter(is_active=True, reanalysis_finished_at__isnull=True).exists(),
        }
        return super().changelist_view(request, extra_context)

    # -- columns ---------------------------------------------------------------------------
    @admin.display(description=_("status"), ordering="status")
    def status_text(self, model: SentimentModel) -> str:
        if model.status == SentimentModel.Status.REJECTED and model.rejection_reason:
            return format_html("{}: {}", model.get_status_display(), model.get_rejection_reason_display())
        if model.status == SentimentModel.Status.FAILED:
            return format_html("{}: {}", model.get_status_display(), model.error[:120])
        return model.get_status_display()

    @admin.display(description=_("macro-F1 on the shop's held-out items (this model / the one it was compared with)"))
    def shop_figures(self, model: SentimentModel) -> str:
        return self._pair(model, "shop_holdout")

    @admin.display(description=_("macro-F1 on Voz's held-out split (this model / the one it was compared with)"))
    def base_figures(self, model: SentimentModel) -> str:
        return self._pair(model, "base_holdout")

    def _pair(self, model: SentimentModel, slice_name: str) -> str:
        candidate, active = _f1(model.figures, slice_name, "candidate"), _f1(model.figures, slice_name, "active")
        if candidate is None:
            return "–"
        items = model.figures[slice_name]["candidate"].get("n", 0)
        return format_html(
            "{} / {} <small>({})</small>",
            candidate,
            active or "–",
            ngettext("%(count)d item", "%(count)d items", items) % {"count": items},
        )

    @admin.display(description=_("shop labels used"))
    def labels_used(self, model: SentimentModel) -> str:
        sources = model.trained_from.get("by_source")
        if sources is None:
            return "–"
        names = {
            "correction": _("staff corrections"),
            "survey": _("survey scores"),
            "review": _("review stars"),
            "web": _("website ratings"),
        }
        return ", ".join(f"{names.get(source, source)}: {count}" for source, count in sorted(sources.items())) or "0"

    @admin.display(description=_("progress"))
    def work_in_progress(self, model: SentimentModel) -> str:
        if model.status == SentimentModel.Status.TRAINING:
            return _("training: %(percent)d %%") % {"percent": model.progress}
        if model.is_active and model.reanalysis_total:
            done = min(model.reanalysis_done, model.reanalysis_total)
            if model.reanalysis_finished_at:
                return _("re-analysed %(done)d of %(total)d items") % {"done": done, "total": model.reanalysis_total}
            return _("re-analysing: %(done)d of %(total)d items") % {"done": done, "total": model.reanalysis_total}
        return "–"

    @admin.display(description="")
    def switch_button(self, model: SentimentModel) -> str:
        if model.is_active or model.status not in (SentimentModel.Status.ACCEPTED, SentimentModel.Status.SHIPPED):
            return ""
        # a submit button of the change list's own form (which carries the CSRF token), sent elsewhere
        return format_html(
            '<button type="submit" class="button" formaction="{}" formmethod="post">{}</button>',
            reverse("admin:sentiment_sentimentmodel_activate", args=[model.pk]),
            _("Activate"),
        )

    # -- one-click actions -------------------------------------------------------------------
    def _act(self, request, action, success):
        if not self.has_change_permission(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            model = action()
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            self.message_user(request, success(model), messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:sentiment_sentimentmodel_changelist"))

    def retrain_view(self, request):
        return self._act(
            request,
            lambda: learning.model_retrain_start(user=request.user),
            lambda model: _(
                "Retraining from the shop's labels has started; its progress shows in this list. "
                "The new model goes live only if it does better on the shop's held-out items."
            ),
        )

    def rollback_view(self, request):
        return self._act(
            request,
            lambda: learning.model_rollback(user=request.user),
            lambda model: (
                _("Rolled back to %(version)s; stored feedback is being re-analysed with it.")
                % {"version": model.version}
            ),
        )

    def activate_view(self, request, model_id: int):
        return self._act(
            request,
            lambda: learning.model_activate(model_id=model_id, user=request.user),
            lambda model: (
                _("%(version)s is now active; stored feedback is being re-analysed with it.")
                % {"version": model.version}
            ),
        )
