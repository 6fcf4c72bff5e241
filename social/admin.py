from django.contrib import admin, messages
from django.db import models
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from social import services
from social.models import Connector, Mention


@admin.register(Mention)
class MentionAdmin(admin.ModelAdmin):
    # a link typed without a scheme is https (Django 6 will assume so; 5.2 still warns about http)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = ["posted_at", "platform", "author_handle", "author_followers", "short_text", "is_reply_to_shop"]
    list_filter = ["platform", "is_reply_to_shop", "language", "posted_at"]
    search_fields = ["text", "author_handle", "external_id"]
    date_hierarchy = "posted_at"
    readonly_fields = ["received_at", "updated_at", "connector"]

    @admin.display(description=_("text"))
    def short_text(self, mention: Mention) -> str:
        return mention.text if len(mention.text) <= 80 else mention.text[:77] + "…"


@admin.register(Connector)
class ConnectorAdmin(admin.ModelAdmin):
    list_display = ["name", "platform", "is_active", "webhook_url", "previous_secret_expires_at", "created_at"]
    fields = ["name", "platform", "is_active", "webhook_url", "previous_secret_expires_at"]
    readonly_fields = ["webhook_url", "previous_secret_expires_at"]
    actions = ["rotate_secret"]

    @admin.display(description=_("webhook URL"))
    def webhook_url(self, connector: Connector) -> str:
        if not connector.pk:
            return "–"
        return reverse("social-webhook", args=[connector.public_id])

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        connector, secret = services.connector_create(name=obj.name, platform=obj.platform)
        obj.pk, obj.public_id = connector.pk, connector.public_id
        self._show_secret_once(request, connector, secret)

    def _show_secret_once(self, request, connector: Connector, secret: str) -> None:
        self.message_user(
            request,
            format_html(
                "{} <code>{}</code>",
                _("Signing secret for “%(name)s” — give it to the connector now, it will not be shown again:")
                % {"name": connector.name},
                secret,
            ),
            messages.WARNING,
        )

    @admin.action(
        description=_("Rotate the signing secret (the old one keeps working for a grace period)"),
        permissions=["change"],
    )
    def rotate_secret(self, request, queryset):
        for connector in queryset:
            self._show_secret_once(request, connector, services.connector_rotate_secret(connector=connector))
