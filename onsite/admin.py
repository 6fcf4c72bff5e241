from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from onsite.models import Intercept, Site, WebFeedback


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["name", "public_key", "language", "is_active", "created_at"]
    readonly_fields = ["public_key", "embed_snippet", "identity_secret", "created_at"]

    @admin.display(description=_("install"))
    def embed_snippet(self, site: Site) -> str:
        if not site.pk:
            return "—"
        from django.conf import settings

        src = settings.VOZ_PUBLIC_BASE_URL.rstrip("/") + reverse("onsite:widget")
        return format_html(
            '<code>&lt;script src="{}" data-site="{}" async&gt;&lt;/script&gt;</code><p class="help">{}</p>',
            src,
            site.public_key,
            _(
                'For a signed-in customer add data-customer="their id" and data-customer-signature="the '
                'hex HMAC-SHA256 of that id with the identity secret", computed on your server: their answers '
                "are then theirs, and one cooldown covers email invitations and the website."
            ),
        )


@admin.register(Intercept)
class InterceptAdmin(admin.ModelAdmin):
    list_display = ["name", "site", "survey", "page_patterns", "sample_percent", "cooldown_days", "is_active"]
    list_filter = ["site", "is_active"]
    fieldsets = [
        (None, {"fields": ["site", "survey", "name", "is_active"]}),
        (_("When"), {"fields": ["page_patterns", "seconds_on_page", "scroll_percent"]}),
        (_("Whom"), {"fields": ["sample_percent", "cooldown_days"]}),
        (_("Invitation text"), {"fields": ["prompt_es", "prompt_en"]}),
    ]


@admin.register(WebFeedback)
class WebFeedbackAdmin(admin.ModelAdmin):
    list_display = ["created_at", "site", "rating", "comment", "device", "page_url"]
    list_filter = ["site", "rating", "device"]
    search_fields = ["comment", "page_url"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request) -> bool:
        return False
