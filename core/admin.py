from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import PeriodicTask

from core import api_clients, webhooks
from core.models import (
    ApiClient,
    AuditEvent,
    Scope,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
)
from core.shop import shop_settings


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
        fields = ["name", "scopes", "is_active", "owner", "owner_language"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_language"].required = False
        if self.instance._state.adding:
            # offered first: the shop's language rather than the model's default, the server's
            self.initial["owner_language"] = shop_settings().default_language

    def clean_owner_language(self) -> str:
        # the shop's language, as for anyone Voz writes to without knowing theirs: not the server's
        return self.cleaned_data["owner_language"] or shop_settings().default_language


class WebhookEndpointForm(forms.ModelForm):
    url = forms.URLField(label=_("URL"), max_length=500, assume_scheme="https")
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=WebhookEventType.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("Leave every box empty to receive every event."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["client", "url", "description", "events", "is_active"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError(_("Enter an http:// or https:// address."))
        return url


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    form = ApiClientForm
    list_display = ["name", "token_hint", "scope_list", "webhook_endpoints", "is_active", "created_at", "last_used_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "token_prefix"]
    readonly_fields = ["token_hint", "webhook_endpoints", "created_at", "last_used_at"]
    actions = ["rotate_token"]
    autocomplete_fields = ["owner"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(endpoint_count=Count("webhook_endpoints"))

    @admin.display(description=_("webhook endpoints"))
    def webhook_endpoints(self, client: ApiClient) -> str:
        if not client.pk:
            return "–"
        endpoints = reverse("admin:core_webhookendpoint_changelist") + f"?client__id__exact={client.pk}"
        add = reverse("admin:core_webhookendpoint_add") + f"?client={client.pk}"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            endpoints,
            ngettext("%(count)d endpoint", "%(count)d endpoints", client.endpoint_count)
            % {"count": client.endpoint_count},
            add,
            _("add one"),
        )

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
        client, token = api_clients.api_client_create(
            name=obj.name,
            scopes=form.cleaned_data["scopes"],
            owner=form.cleaned_data["owner"],
            owner_language=form.cleaned_data["owner_language"],
        )
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

    @admin.action(description=_("Rotate the token (the old one stops working)"), permissions=["change"])
    def rotate_token(self, request, queryset):
        for client in queryset:
            self._show_token_once(request, client, api_clients.api_client_rotate_token(client=client))


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    """Where each API client is told what happens in Voz. Admins only, like the clients: the
    signing secret is the receiver's proof that a request comes from Voz."""

    form = WebhookEndpointForm
    list_display = ["url", "client", "event_list", "is_active", "failing_since", "disabled_at", "delivery_log"]
    list_filter = ["client", "is_active"]
    search_fields = ["url", "description", "client__name"]
    readonly_fields = ["secret", "created_at", "failing_since", "disabled_at"]
    actions = ["rotate_secret"]

    @admin.display(description=_("events"))
    def event_list(self, endpoint: WebhookEndpoint) -> str:
        return ", ".join(endpoint.events) or _("every event")

    @admin.display(description=_("delivery log"))
    def delivery_log(self, endpoint: WebhookEndpoint) -> str:
        url = reverse("admin:core_webhookdelivery_changelist") + f"?endpoint__id__exact={endpoint.pk}"
        return format_html('<a href="{}">{}</a>', url, _("deliveries"))

    def save_model(self, request, obj, form, change):
        if change and "is_active" in form.changed_data and obj.is_active:
            # switched back on by hand: it starts with a clean record
            obj.disabled_at, obj.failing_since = None, None
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Rotate the signing secret (the old one stops working)"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        for endpoint in queryset:
            webhooks.webhook_endpoint_rotate_secret(endpoint=endpoint, user=request.user)
        self.message_user(request, _("New secrets are shown on each endpoint's page."), messages.WARNING)


class WebhookAttemptInline(admin.TabularInline):
    model = WebhookAttempt
    fields = ["at", "status_code", "latency_ms", "error"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("core.view_webhookdelivery")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: what was sent where, how the endpoint answered, and Redeliver."""

    change_form_template = "admin/core/webhookdelivery/change_form.html"
    list_display = [
        "created_at",
        "event_type",
        "webhook_id",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_latency_ms",
        "next_attempt_at",
    ]
    list_filter = ["status", "event__event_type", "endpoint"]
    search_fields = ["event__msg_id", "endpoint__url"]
    list_select_related = ["event", "endpoint"]
    readonly_fields = [
        "event_type",
        "webhook_id",
        "endpoint",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "delivered_at",
        "last_status_code",
        "last_latency_ms",
        "last_error",
        "payload",
    ]
    fields = readonly_fields
    inlines = [WebhookAttemptInline]
    actions = ["redeliver"]

    @admin.display(description=_("event"), ordering="event__event_type")
    def event_type(self, delivery: WebhookDelivery) -> str:
        return delivery.event.get_event_type_display()

    @admin.display(description=_("webhook id"))
    def webhook_id(self, delivery: WebhookDelivery) -> str:
        return delivery.event.msg_id

    @admin.display(description=_("payload"))
    def payload(self, delivery: WebhookDelivery) -> str:
        return format_html("<pre>{}</pre>", webhooks.webhook_body(delivery.event).decode())

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_redeliver_permission(self, request) -> bool:
        return request.user.has_perm("core.redeliver_webhookdelivery")

    def get_urls(self):
        return [
            path(
                "<int:delivery_id>/redeliver/",
                self.admin_site.admin_view(self.redeliver_view),
                name="core_webhookdelivery_redeliver",
            ),
            *super().get_urls(),
        ]

    def redeliver_view(self, request, delivery_id: int):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_redeliver_permission(request):
            raise PermissionDenied
        delivery = get_object_or_404(WebhookDelivery.objects.select_related("event", "endpoint"), pk=delivery_id)
        self._redeliver(request, [delivery])
        return HttpResponseRedirect(reverse("admin:core_webhookdelivery_change", args=[delivery.pk]))

    @admin.action(description=_("Redeliver"), permissions=["redeliver"])
    def redeliver(self, request, queryset):
        self._redeliver(request, list(queryset.select_related("event", "endpoint")))

    def _redeliver(self, request, deliveries: list[WebhookDelivery]) -> None:
        for delivery in deliveries:
            webhooks.webhook_delivery_redeliver(delivery=delivery, user=request.user)
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery will be sent again in a moment, under the same webhook id.",
                "%(count)d deliveries will be sent again in a moment, under the same webhook id.",
                len(deliveries),
            )
            % {"count": len(deliveries)},
            messages.SUCCESS,
        )
        if any(not delivery.endpoint.is_active for delivery in deliveries):
            self.message_user(request, _("Its endpoint is switched off: switch it on to send it."), messages.WARNING)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_redeliver": self.has_redeliver_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)


def for_who_may_change(func):
    """Third-party actions (django-celery-beat's, allauth's) declare no permission, so anyone who
    may see the rows could run them; they switch jobs on and off or verify addresses: changes."""

    def action(modeladmin, request, queryset):
        return func(modeladmin, request, queryset)

    action.__name__ = func.__name__
    action.allowed_permissions = ("change",)
    return action


admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):
    def _get_base_actions(self):
        return [
            (func if getattr(func, "allowed_permissions", None) else for_who_may_change(func), name, description)
            for func, name, description in super()._get_base_actions()
        ]
