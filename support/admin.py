from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from customers.admin import admin_link
from support import services
from support.models import (
    BusinessCalendar,
    CannedReply,
    Case,
    CaseEvent,
    CaseMessage,
    ChatWebhook,
    ComplaintRules,
    Holiday,
    SLAPolicy,
    Team,
    WinBackEmail,
    WinBackTemplate,
    WorkingPeriod,
)


class ChatWebhookInline(admin.TabularInline):
    model = ChatWebhook
    extra = 0
    fields = ["name", "kind", "url", "is_active"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "email"]
    inlines = [ChatWebhookInline]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]


class WorkingPeriodInline(admin.TabularInline):
    model = WorkingPeriod
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "is_default"]
    inlines = [WorkingPeriodInline, HolidayInline]


@admin.register(SLAPolicy)
class SLAPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "position",
        "name",
        "is_active",
        "is_default",
        "priorities",
        "channels",
        "first_response",
        "next_response",
        "resolution",
        "business_hours_only",
    ]
    list_display_links = ["name"]
    list_editable = ["position", "is_active"]
    filter_horizontal = ["teams"]


@admin.register(ComplaintRules)
class ComplaintRulesAdmin(admin.ModelAdmin):
    list_display = ["__str__", "is_active", "nps_at_most", "csat_at_most", "review_stars_at_most"]

    def has_add_permission(self, request) -> bool:
        return not ComplaintRules.objects.exists()


class CaseMessageInline(admin.StackedInline):
    model = CaseMessage
    fields = ["kind", "author", "text", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    fields = ["created_at", "actor", "kind", "data"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    verbose_name_plural = _("audit trail")

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(admin.ModelAdmin):
    list_display = [
        "pk",
        "subject",
        "status",
        "priority",
        "team",
        "assignee",
        "sla_due_at",
        "opened_at",
        "customer_link",
    ]
    list_filter = ["status", "priority", "team", "assignee"]
    search_fields = ["subject", "customer__email", "customer__name", "social_author"]
    list_select_related = ["customer", "team", "assignee"]
    raw_id_fields = ["customer", "assignee"]
    readonly_fields = [
        "priority_explanation",
        "policy",
        "opened_at",
        "first_response_at",
        "last_response_at",
        "resolved_at",
        "closed_at",
        "sla_due_at",
        "sla_warning_at",
        "channels",
    ]
    inlines = [CaseMessageInline, CaseEventInline]

    @admin.display(description=_("customer"))
    def customer_link(self, case: Case) -> str:
        return admin_link(case.customer) if case.customer_id else case.social_author

    @admin.display(description=_("why this priority"))
    def priority_explanation(self, case: Case) -> str:
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in case.priority_explanation))

    def save_model(self, request, obj, form, change):
        # Status, priority and assignment go through the services, which keep the audit trail and SLA.
        if not change:
            case = services.case_open_manual(
                subject=obj.subject, customer=obj.customer, priority=obj.priority, team=obj.team, actor=request.user
            )
            obj.pk = case.pk
            return
        stored = Case.objects.get(pk=obj.pk)
        Case.objects.filter(pk=obj.pk).update(subject=obj.subject, social_author=obj.social_author)
        if obj.status != stored.status:
            services.case_set_status(case=stored, status=obj.status, actor=request.user)
        if obj.priority != stored.priority:
            services.case_set_priority(case=stored, priority=obj.priority, actor=request.user)
        if obj.assignee_id != stored.assignee_id or obj.team_id != stored.team_id:
            services.case_assign(case=stored, assignee=obj.assignee, team=obj.team, actor=request.user)


@admin.register(WinBackTemplate)
class WinBackTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "subject_es", "subject_en", "is_active"]


@admin.register(WinBackEmail)
class WinBackEmailAdmin(admin.ModelAdmin):
    """What was sent is a record: it is read here, never edited."""

    list_display = ["created_at", "customer", "subject", "sent_by", "emailed_at"]
    list_select_related = ["customer", "sent_by"]
    readonly_fields = [
        "customer",
        "case",
        "topic",
        "language",
        "subject",
        "body",
        "sent_by",
        "created_at",
        "emailed_at",
    ]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(CannedReply)
class CannedReplyAdmin(admin.ModelAdmin):
    list_display = ["title", "language", "is_active", "updated_at"]
    list_filter = ["language", "is_active"]
    search_fields = ["title", "text"]
