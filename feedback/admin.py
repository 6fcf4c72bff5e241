from django.contrib import admin

from feedback.models import InboundAttachment, InboundMessage


class InboundAttachmentInline(admin.TabularInline):
    model = InboundAttachment
    fields = ["filename", "content_type", "size", "file"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    """Messages as they arrived; they change only through the API, the mailbox or an erasure."""

    list_display = ["sent_at", "channel", "source", "author_name", "author_email", "subject", "customer", "case"]
    list_filter = ["channel", "source"]
    search_fields = ["subject", "text", "author_email", "external_id"]
    list_select_related = ["customer", "case"]
    raw_id_fields = ["customer", "order", "case"]
    inlines = [InboundAttachmentInline]
    date_hierarchy = "sent_at"

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
