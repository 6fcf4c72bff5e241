from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from onsite.models import Site, WebFeedback


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "public_key", "language", "is_active", "created_at"]
    readonly_fields = ["public_key", "embed_snippet", "created_at"]

    @admin.display(description=_("install"))
    def embed_snippet(self, site: Site) -> str:
        if not site.pk:
            return "—"
        from django.conf import settings

        src = settings.VOZ_PUBLIC_BASE_URL.rstrip("/") + reverse("onsite:widget")
        return format_html(
            '<code>&lt;script src="{}" data-site="{}" async&gt;&lt;/script&gt;</code>', src, site.public_key
        )


@admin.register(WebFeedback)
class WebFeedbackAdmin(admin.ModelAdmin):
    list_display = ["created_at", "site", "rating", "comment", "device", "page_url"]
    list_filter = ["site", "rating", "device"]
    search_fields = ["comment", "page_url"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False
