from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Order


class FeedbackItem(models.Model):
    """One thing a customer said, from any channel; the unit that analysis, cases and dashboards work on."""

    class Channel(models.TextChoices):
        SURVEY = "survey", _("Survey")
        REVIEW = "review", _("Review")
        SOCIAL = "social", _("Social media")

    class AnalysisStatus(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Analysed")
        FAILED = "failed", _("Failed")

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, db_index=True)
    text = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=8, blank=True, help_text=_("ISO code; empty while unknown."))
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback_items",
        verbose_name=_("customer"),
    )
    order = models.ForeignKey(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback_items",
        verbose_name=_("order"),
    )
    survey_answer = models.OneToOneField(
        "surveys.Answer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="feedback_item",
        verbose_name=_("survey answer"),
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    analysis_status = models.CharField(
        _("analysis status"), max_length=10, choices=AnalysisStatus.choices, default=AnalysisStatus.PENDING
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback items")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["analysis_status", "created_at"], name="feedback_analysis_queue")]

    def __str__(self) -> str:
        excerpt = self.text if len(self.text) <= 60 else self.text[:57] + "…"
        return f"[{self.get_channel_display()}] {excerpt}"
