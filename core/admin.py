from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core import api_clients
from core.models import ApiClient, AuditEvent, Scope


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: a trail that could be edited from the app would prove nothing."""

    list_display = ["at", "actor_label", "action", "target_type", "target_id", "summary", "ip_address"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_label", "target_id", "summary"]
    date_hierarchy = "at"
    list_select_related = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ApiClientForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("scopes"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = ApiClient
        fields = ["name", "scopes", "is_active"]


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["name", "token_hint", "scope_list", "is_active", "created_at", "last_used_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "token_prefix"]
    readonly_fields = ["token_hint", "created_at", "last_used_at"]
    actions = ["rotate_token"]

    @admin.display(description=_("token"))
    def token_hint(self, client: ApiClient) -> str:
        return f"voz_{client.token_prefix}_…" if client.token_prefix else "–"

    @admin.display(description=_("scopes"))
    def scope_list(self, client: ApiClient) -> str:
        return ", ".join(client.scopes) or "–"

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        client, token = api_clients.api_client_create(name=obj.name, scopes=form.cleaned_data["scopes"])
        obj.pk, obj.token_prefix = client.pk, client.token_prefix
        self._show_token_once(request, client, token)

    def _show_token_once(self, request, client: ApiClient, token: str) -> None:
        self.message_user(
            request,
            format_html(
                "{} <code>{}</code>",
                _("Token for “%(name)s” — copy it now, it will not be shown again:") % {"name": client.name},
                token,
            ),
            messages.WARNING,
        )

    @admin.action(description=_("Rotate the token (the old one stops working)"))
    def rotate_token(self, request, queryset):
        for client in queryset:
            self._show_token_once(request, client, api_clients.api_client_rotate_token(client=client))
