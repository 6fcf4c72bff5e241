from django.db import models
from django.utils.translation import gettext_lazy as _


class DashboardAccess(models.Model):
    """Carries the permission to see the dashboards (managers); it has no table."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_dashboards", _("Can see the dashboards (managers)"))]

    def __str__(self) -> str:
        return "dashboards"


class AlertRule(models.Model):
    """A signal managers want pushed to them: a metric crossing a line, or a sudden spike."""

    class Kind(models.TextChoices):
        NPS_BELOW = "nps_below", _("Weekly NPS below the threshold")
        CSAT_BELOW = "csat_below", _("Weekly CSAT (%) below the threshold")
        NEGATIVE_SPIKE = "negative_spike", _("Negative feedback in the last 24 h above the 28-day mean + k·σ")

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("signal"), max_length=20, choices=Kind.choices)
    threshold = models.FloatField(_("threshold"), default=20, help_text=_("For NPS and CSAT rules."))
    sigma = models.FloatField(_("k (standard deviations)"), default=3, help_text=_("For spike rules."))
    topic = models.ForeignKey(
        "sentiment.Topic", on_delete=models.CASCADE, null=True, blank=True, help_text=_("Spike rules: only this topic.")
    )
    channel = models.CharField(_("channel"), max_length=20, blank=True, help_text=_("Spike rules: only this channel."))
    emails = models.TextField(_("email to"), blank=True, help_text=_("One address per line."))
    webhook_url = models.URLField(_("webhook URL"), blank=True)
    webhook_secret = models.CharField(_("webhook secret"), max_length=128, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")

    def __str__(self) -> str:
        return self.name


class AlertEpisode(models.Model):
    """One stretch of time a rule's condition held; it is announced once, however often it is checked."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="episodes")
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    value = models.FloatField()
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["rule"], condition=models.Q(ended_at__isnull=True), name="one_open_episode")
        ]

    def __str__(self) -> str:
        return f"{self.rule} @ {self.started_at:%Y-%m-%d %H:%M}"
