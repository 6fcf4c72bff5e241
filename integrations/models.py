from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    FEEDBACK_READ = "feedback:read", _("Read feedback, reviews, mentions and ratings")
    FEEDBACK_WRITE = "feedback:write", _("Send reviews and mentions; correct labels")
    ORDERS_READ = "orders:read", _("Read orders")
    ORDERS_WRITE = "orders:write", _("Send and update orders")
    CASES_READ = "cases:read", _("Read support cases and their messages")
    CASES_WRITE = "cases:write", _("Open and update cases, reply and add notes")
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
