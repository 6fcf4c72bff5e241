from django.contrib import admin
from django.db import transaction
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from customers.admin import admin_link
from surveys import services
from surveys.models import Answer, Choice, DefectionReason, Invitation, Question, Response, Survey


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    fk_name = "survey"
    fields = [
        ("code", "position", "kind", "is_required"),
        ("prompt_es", "prompt_en"),
        ("help_es", "help_en"),
        ("show_if_question", "show_if_operator", "show_if_value"),
        "max_length",
    ]
    show_change_link = True


def _days_and_hours(delta) -> str:
    """A survey's delay in the reader's language ("2 días"), not Python's "2 days, 0:00:00"."""
    if delta is None:
        return "—"
    hours = delta.seconds // 3600
    parts = [ngettext("%(count)d day", "%(count)d days", delta.days) % {"count": delta.days}] if delta.days else []
    if hours or not parts:
        parts.append(ngettext("%(count)d hour", "%(count)d hours", hours) % {"count": hours})
    return " ".join(parts)


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ["slug", "title_es", "trigger", "is_active", "delay", "reminder"]
    list_filter = ["is_active", "trigger"]
    search_fields = ["slug", "title_es", "title_en"]
    inlines = [QuestionInline]

    @admin.display(description=_("delay after delivery"), ordering="invitation_delay")
    def delay(self, survey: Survey) -> str:
        return _days_and_hours(survey.invitation_delay)

    @admin.display(description=_("reminder after"), ordering="reminder_after")
    def reminder(self, survey: Survey) -> str:
        return _days_and_hours(survey.reminder_after)

    # Managers may change surveys, in the survey editor (/surveys/), which versions an answered
    # survey; here they only read them, and admins keep the raw form.
    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None) -> bool:
        return request.user.is_superuser


class ChoiceInline(admin.TabularInline):
    model = Choice
    extra = 0


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "prompt_es", "is_required", "show_if_question"]
    list_filter = ["survey", "kind"]
    search_fields = ["code", "prompt_es", "prompt_en"]
    inlines = [ChoiceInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "customer_link",
        "order_link",
        "survey",
        "status",
        "language",
        "created_at",
        "sent_at",
        "answered_at",
    ]
    list_filter = ["status", "survey", "language", "created_at"]
    search_fields = ["customer__email", "customer__name", "customer__external_id", "order__external_id"]
    list_select_related = ["customer", "order", "survey"]
    date_hierarchy = "created_at"
    raw_id_fields = ["customer", "order"]
    readonly_fields = [
        "public_id",
        "survey_link",
        "created_at",
        "sent_at",
        "reminded_at",
        "opened_at",
        "answered_at",
        "send_attempts",
        "last_error",
        "response_link",
    ]

    @admin.display(description=_("customer"), ordering="customer__name")
    def customer_link(self, invitation: Invitation) -> str:
        return admin_link(invitation.customer)

    @admin.display(description=_("order"))
    def order_link(self, invitation: Invitation) -> str:
        return admin_link(invitation.order, invitation.order.external_id if invitation.order else None)

    @admin.display(description=_("survey link"))
    def survey_link(self, invitation: Invitation) -> str:
        return format_html('<a href="{0}" target="_blank" rel="noopener">{0}</a>', invitation.url)

    @admin.display(description=_("response"))
    def response_link(self, invitation: Invitation) -> str:
        response = getattr(invitation, "response", None)
        return admin_link(response)


class AnswerInline(admin.TabularInline):
    model = Answer
    extra = 0
    can_delete = False
    fields = ["question", "display_value", "feedback_link"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("answer"))
    def display_value(self, answer: Answer) -> str:
        return answer.display_value

    @admin.display(description=_("feedback item"))
    def feedback_link(self, answer: Answer) -> str:
        return admin_link(getattr(answer, "feedback_item", None), _("open"))

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("question", "feedback_item")


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):
    list_display = ["submitted_at", "customer_link", "survey", "nps", "language"]
    list_filter = ["survey", "language", "submitted_at"]
    search_fields = ["customer__email", "customer__name", "order__external_id"]
    list_select_related = ["customer", "survey"]
    date_hierarchy = "submitted_at"
    readonly_fields = ["invitation", "survey", "customer", "order", "submitted_at", "language", "user_agent"]
    inlines = [AnswerInline]

    def get_queryset(self, request):
        from django.db.models import OuterRef, Subquery

        nps = Answer.objects.filter(response=OuterRef("pk"), question__kind=Question.Kind.NPS).values("number")[:1]
        return super().get_queryset(request).annotate(_nps=Subquery(nps))

    @admin.display(description="NPS", ordering="_nps")
    def nps(self, response: Response):
        return response._nps

    @admin.display(description=_("customer"), ordering="customer__name")
    def customer_link(self, response: Response) -> str:
        return admin_link(response.customer)

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(DefectionReason)
class DefectionReasonAdmin(admin.ModelAdmin):
    """Managers edit the reasons; the defection survey's question follows at once."""

    list_display = ("label_es", "label_en", "value", "controllable", "position", "is_active")
    list_editable = ("position", "is_active")
    ordering = ("position", "pk")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(services.defection_reasons_apply)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(services.defection_reasons_apply)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        transaction.on_commit(services.defection_reasons_apply)
