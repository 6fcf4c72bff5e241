import base64
import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class AuditEvent(models.Model):
    """Something a person or an API client did to the shop's data: who, what, to which record, when.

    Written by the services where staff act (see core.audit), and mirrored from the Django admin's
    own change log, so the trail is in one place. Never edited or deleted through the app.
    """

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    # kept as text so the trail still names the actor after the account or token is deleted
    actor_label = models.CharField(_("who"), max_length=160)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    target_type = models.CharField(_("record type"), max_length=60, blank=True)
    target_id = models.CharField(_("record"), max_length=64, blank=True)
    summary = models.TextField(_("summary"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit log")
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target")]
        default_permissions = ("view",)

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label}: {self.action} {self.target_type} {self.target_id}"


class ChangedDay(models.Model):
    """A day on which rows of a source table were written, edited or deleted: the change log.

    Writers record their own changes here (core.changes.changes_record) in the same transaction as
    the write, so a reader that keeps derived tables (the dashboard rollups) finds what changed on
    its own and never misses a committed change. Writers know nothing of who reads it. Append-only,
    one row per write: concurrent writers never wait on each other's row, and a reader deletes only
    the rows it read, so a write landing while it works keeps its day recorded.
    """

    class Source(models.TextChoices):
        FEEDBACK = "feedback", "feedback"
        ANSWERS = "answers", "answers"
        REVIEWS = "reviews", "reviews"
        CASES = "cases", "cases"
        ORDERS = "orders", "orders"
        # customers moved between RFM segments: only what is counted per segment changes
        SEGMENTS = "segments", "segments"

    source = models.CharField(max_length=10, choices=Source.choices, verbose_name=_("source"))
    day = models.DateField(verbose_name=_("day"))
    marked_at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("marked at"))

    class Meta:
        verbose_name = _("changed day")
        verbose_name_plural = _("changed days")
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.source} {self.day}"


class Scope(models.TextChoices):
    FEEDBACK_READ = "feedback:read", _("Read feedback, reviews, mentions and ratings")
    FEEDBACK_WRITE = "feedback:write", _("Send reviews, mentions and messages; correct labels")
    ORDERS_READ = "orders:read", _("Read orders")
    ORDERS_WRITE = "orders:write", _("Send and update orders")
    CASES_READ = "cases:read", _("Read support cases and their messages")
    CASES_WRITE = "cases:write", _("Open and update cases, reply and add notes")
    SURVEYS_READ = "surveys:read", _("Read surveys, their questions and the answers")
    SURVEYS_WRITE = "surveys:write", _("Send a survey to a customer about an order")
    METRICS_READ = "metrics:read", _("Read dashboard metrics")
    PERSONAL_DATA_READ = "personal_data:read", _("See customers' email addresses and names (API and exports)")
    PERSONAL_DATA_ERASE = "personal_data:erase", _("Erase a customer's personal data on their request")


class ApiClient(models.Model):
    """A shop system that calls the REST API with a secret token and a set of scopes.

    Only a SHA-256 digest of the token is stored: the token is shown once, when it is created
    or rotated. The public prefix finds the row without scanning every digest.
    """

    name = models.CharField(_("name"), max_length=120)
    token_prefix = models.CharField(_("token prefix"), max_length=16, unique=True, editable=False)
    token_digest = models.CharField(max_length=64, editable=False, verbose_name=_("token digest"))
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # who answers for the shop system: told by email when one of its webhook endpoints is disabled
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
        help_text=_("Told by email, in the language below, when a webhook endpoint of this client is disabled."),
    )
    owner_language = models.CharField(
        _("owner's language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (voz_{self.token_prefix}_…)"

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class WebhookEventType(models.TextChoices):
    FEEDBACK_CREATED = "feedback.created", _("Feedback received")
    FEEDBACK_ANALYSED = "feedback.analysed", _("Feedback analysed")
    CASE_CREATED = "case.created", _("Case opened")
    CASE_UPDATED = "case.updated", _("Case updated")
    CASE_SLA_WARNING = "case.sla_warning", _("Case about to breach a target")
    CASE_SLA_BREACHED = "case.sla_breached", _("Case breached a target")
    SURVEY_ANSWERED = "survey.answered", _("Survey answered")
    REVIEW_PUBLISHED = "review.published", _("Review published")
    ALERT_FIRED = "alert.fired", _("Alert fired")


def webhook_secret_new() -> str:
    """A signing secret in the Standard Webhooks form: "whsec_" and 24 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


class WebhookEndpoint(models.Model):
    """A URL of an API client's system that is told what happens in Voz (core.webhooks).

    Requests are signed with `secret` per the Standard Webhooks specification. An endpoint that
    keeps failing is switched off (disabled_at says when and why it is off).
    """

    client = models.ForeignKey(
        ApiClient, on_delete=models.CASCADE, related_name="webhook_endpoints", verbose_name=_("API client")
    )
    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(
        _("events"), default=list, blank=True, help_text=_("Leave every box empty to receive every event.")
    )
    secret = models.CharField(_("signing secret"), max_length=80, default=webhook_secret_new, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    # since when every attempt has failed (empty once one succeeds): three days of it disable the endpoint
    failing_since = models.DateTimeField(_("failing since"), null=True, blank=True, editable=False)
    disabled_at = models.DateTimeField(_("disabled automatically"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["client__name", "url"]

    def __str__(self) -> str:
        return self.url

    def wants(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


class WebhookEvent(models.Model):
    """The outbox: something that happened, written in the same transaction as the change itself.

    `data` is what the event says, frozen when it happened; `msg_id` is the webhook-id every
    endpoint receives it under, however often it is sent. The dispatcher gives it one delivery per
    endpoint that wanted it (fanned_out_at).
    """

    msg_id = models.CharField(_("webhook id"), max_length=80, unique=True)
    event_type = models.CharField(_("event"), max_length=40, choices=WebhookEventType.choices)
    data = models.JSONField(_("data"))
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    fanned_out_at = models.DateTimeField(null=True, blank=True, editable=False, verbose_name=_("fanned out at"))

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        default_permissions = ()
        indexes = [
            models.Index(
                fields=["id"], name="webhook_event_not_fanned_out", condition=models.Q(fanned_out_at__isnull=True)
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.msg_id}"


class WebhookDelivery(models.Model):
    """One event for one endpoint: sent until the endpoint answers 2xx, or for at least a day."""

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("webhook delivery", "pending")
        DELIVERED = "delivered", pgettext_lazy("webhook delivery", "delivered")
        FAILED = "failed", pgettext_lazy("webhook delivery", "failed")

    event = models.ForeignKey(
        WebhookEvent, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("event")
    )
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("endpoint")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # attempts since the first try or the last Redeliver: the backoff and the retry window follow them
    tries = models.PositiveIntegerField(default=0, verbose_name=_("tries"))
    first_try_at = models.DateTimeField(null=True, blank=True, verbose_name=_("first try at"))
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    last_latency_ms = models.PositiveIntegerField(_("latency (ms)"), null=True, blank=True)
    last_error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        default_permissions = ("view",)
        permissions = [("redeliver_webhookdelivery", _("Can redeliver a webhook"))]
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="webhook_delivery_once_per_endpoint")]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event.event_type} → {self.endpoint.url}"


class WebhookAttempt(models.Model):
    """One request to an endpoint and how it went: the delivery log."""

    delivery = models.ForeignKey(
        WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log", verbose_name=_("delivery")
    )
    at = models.DateTimeField(_("when"))
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    latency_ms = models.PositiveIntegerField(_("latency (ms)"))
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("attempt")
        verbose_name_plural = _("attempts")
        ordering = ["-at", "-pk"]
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.status_code or self.error[:40]}"


def _hex_colour(value: str) -> None:
    import re

    from django.core.exceptions import ValidationError

    if not re.fullmatch(r"#[0-9a-fA-F]{6}", value or ""):
        raise ValidationError(_("Enter a colour as #RRGGBB."), code="invalid")


# The shop's country (ISO 3166): for now it decides the order of English dates, US or day first.
SHOP_REGIONS = [
    ("ES", _("Spain")),
    ("MX", _("Mexico")),
    ("AR", _("Argentina")),
    ("CO", _("Colombia")),
    ("CL", _("Chile")),
    ("PE", _("Peru")),
    ("EC", _("Ecuador")),
    ("UY", _("Uruguay")),
    ("PY", _("Paraguay")),
    ("BO", _("Bolivia")),
    ("VE", _("Venezuela")),
    ("CR", _("Costa Rica")),
    ("PA", _("Panama")),
    ("GT", _("Guatemala")),
    ("DO", _("Dominican Republic")),
    ("US", _("United States")),
    ("GB", _("United Kingdom")),
    ("IE", _("Ireland")),
    ("PT", _("Portugal")),
    ("FR", _("France")),
    ("DE", _("Germany")),
    ("IT", _("Italy")),
]


def _time_zone(value: str) -> None:
    from django.core.exceptions import ValidationError

    from core.time_zones import known_time_zones

    if value and value not in known_time_zones():
        raise ValidationError(_("Choose a time zone from the list, e.g. Europe/Madrid."), code="invalid")


class ShopSettings(models.Model):
    """The shop's own settings, edited by managers on the Settings page: one row (pk 1).

    An empty field means "as configured in the environment" (VOZ_SHOP_NAME, DEFAULT_FROM_EMAIL,
    SURVEY_*): a fresh install works from its env file, and what a manager saves here wins.
    Read it through core.shop.shop_settings(), which caches it.
    """

    shop_name = models.CharField(_("shop name"), max_length=120, blank=True)
    logo = models.ImageField(_("logo"), upload_to="shop/", blank=True)
    sender_name = models.CharField(_("sender name"), max_length=120, blank=True)
    sender_email = models.EmailField(_("sender address"), blank=True)
    reply_to_email = models.EmailField(_("reply-to address"), blank=True)
    default_language = models.CharField(_("default language"), max_length=8, choices=settings.LANGUAGES, blank=True)
    region = models.CharField(
        _("region"),
        max_length=2,
        choices=SHOP_REGIONS,
        blank=True,
        help_text=_("Where the shop is. English dates are day first (03/12/2026) except for the United States."),
    )
    survey_delay_days = models.PositiveSmallIntegerField(_("days after delivery"), null=True, blank=True)
    survey_reminder_days = models.PositiveSmallIntegerField(
        _("reminder after (days)"), null=True, blank=True, help_text=_("0: no reminder.")
    )
    survey_cooldown_days = models.PositiveSmallIntegerField(_("days between two surveys"), null=True, blank=True)
    brand_colour = models.CharField(_("brand colour"), max_length=7, default="#1f5fbf", validators=[_hex_colour])
    brand_text_colour = models.CharField(
        _("text on brand colour"), max_length=7, default="#ffffff", validators=[_hex_colour]
    )
    retention_months = models.PositiveSmallIntegerField(
        _("keep customer data for (months)"),
        null=True,
        blank=True,
        help_text=_(
            "Customers with no order, answer, review, message or case for this long are anonymised: their "
            "personal data and what they wrote go, the figures stay. Empty: kept."
        ),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[_time_zone],
        help_text=_(
            "Where the shop's days start and end: dashboard days and weeks, business hours and digests. "
            "Empty: as the environment says."
        ),
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("shop settings")
        verbose_name_plural = _("shop settings")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="shop_settings_single_row")]

    def __str__(self) -> str:
        return str(_("Shop settings"))
