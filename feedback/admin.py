from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from customers.admin import admin_link
from feedback.models import FeedbackItem


@admin.register(FeedbackItem)
class FeedbackItemAdmin(admin.ModelAdmin):
    list_display = ["received_at", "channel", "short_text", "language", "customer_link", "analysis_status"]
    list_filter = ["channel", "language", "analysis_status", "received_at"]
    search_fields = ["text", "customer__email", "customer__name", "order__external_id"]
    list_select_related = ["customer"]
    date_hierarchy = "received_at"
    raw_id_fields = ["customer", "order", "survey_answer"]
    readonly_fields = ["created_at", "response_link"]

    @admin.display(description=_("text"))
    def short_text(self, item: FeedbackItem) -> str:
        return item.text if len(item.text) <= 90 else item.text[:87] + "…"

    @admin.display(description=_("customer"), ordering="customer__name")
    def customer_link(self, item: FeedbackItem) -> str:
        return admin_link(item.customer)

    @admin.display(description=_("survey response"))
    def response_link(self, item: FeedbackItem) -> str:
        return admin_link(item.survey_answer.response if item.survey_answer_id else None)
