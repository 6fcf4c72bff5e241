from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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

    source = models.CharField(max_length=10, choices=Source.choices)
    day = models.DateField()
    marked_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
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
    token_digest = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
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
