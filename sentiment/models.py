from django.conf import settings
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from feedback.models import FeedbackItem, Sentiment


class Topic(models.Model):
    """One subject customers talk about (delivery, price …), found by lemma patterns.

    Patterns are written on lemmas, one per line, so a single `entregar` covers every
    inflection; accents are optional because customers often leave them out.
    """

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name_es = models.CharField(_("name (Spanish)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    patterns_es = models.TextField(
        _("patterns (Spanish)"),
        blank=True,
        help_text=_("One lemma or phrase per line, e.g. “entregar” or “llegar tarde”."),
    )
    patterns_en = models.TextField(
        _("patterns (English)"),
        blank=True,
        help_text=_("One lemma or phrase per line, e.g. “deliver” or “arrive late”."),
    )
    examples = models.TextField(
        _("example sentences"),
        blank=True,
        help_text=_(
            "5–10 sentences customers might write about this topic, one per line, in Spanish or English. "
            "Comments that resemble them are tagged at once, without retraining."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("topic")
        verbose_name_plural = _("topics")
        ordering = ["slug"]

    def __str__(self) -> str:
        return f"{self.name_es} / {self.name_en}"

    def patterns(self, language: str) -> list[str]:
        raw = self.patterns_es if language == "es" else self.patterns_en if language == "en" else ""
        return [line.strip() for line in raw.splitlines() if line.strip() and not line.strip().startswith("#")]

    def name(self, language: str) -> str:
        return self.name_en if language[:2] == "en" else self.name_es

    def example_sentences(self) -> list[str]:
        return [line.strip() for line in self.examples.splitlines() if line.strip()]


class FeedbackAnalysis(models.Model):
    """One run of the NLP pipeline over one feedback item; older runs are kept as history."""

    feedback = models.ForeignKey(
        FeedbackItem, on_delete=models.CASCADE, related_name="analyses", verbose_name=_("feedback item")
    )
    model_version = models.CharField(_("model version"), max_length=64)
    taxonomy_version = models.CharField(_("taxonomy version"), max_length=64)
    language = models.CharField(_("language"), max_length=8)
    language_confidence = models.FloatField(_("language confidence"))
    sentiment = models.CharField(_("sentiment"), max_length=10, choices=Sentiment.choices)
    score = models.FloatField(_("score"))
    confidence = models.FloatField(_("confidence"))
    sentences = models.JSONField(_("sentences"), default=list)
    topics = models.JSONField(_("topics"), default=list)
    is_current = models.BooleanField(_("current"), default=True)
    analysed_at = models.DateTimeField(_("analysed at"), default=timezone.now)

    class Meta:
        verbose_name = _("feedback analysis")
        verbose_name_plural = _("feedback analyses")
        ordering = ["-analysed_at"]
        constraints = [
            # A redelivered task must not add a second copy of the same result.
            models.UniqueConstraint(
                fields=["feedback", "model_version", "taxonomy_version"], name="analysis_once_per_version"
            ),
            models.UniqueConstraint(
                fields=["feedback"], condition=models.Q(is_current=True), name="analysis_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.feedback_id} · {self.get_sentiment_display()} · {self.model_version}"


class FeedbackTopic(models.Model):
    """A topic found in the current analysis of an item, with the sentiment of what was said about it."""

    feedback = models.ForeignKey(
        FeedbackItem, on_delete=models.CASCADE, related_name="topic_mentions", verbose_name=_("feedback item")
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="mentions", verbose_name=_("topic"))
    sentiment = models.CharField(_("sentiment"), max_length=10, choices=Sentiment.choices)
    score = models.FloatField(_("score"))
    matches = models.JSONField(_("matched words"), default=list)

    class Meta:
        verbose_name = _("topic mention")
        verbose_name_plural = _("topic mentions")
        constraints = [models.UniqueConstraint(fields=["feedback", "topic"], name="feedback_topic_once")]
        indexes = [models.Index(fields=["topic", "sentiment"], name="feedback_topic_sentiment")]

    def __str__(self) -> str:
        return f"{self.topic.name(translation.get_language() or '')} ({self.get_sentiment_display()})"


class SentimentModel(models.Model):
    """One trained sentiment model: its artifact, its figures, and whether it is the one in use.

    Every model is kept, the rejected ones too, so that staff can see why a retrain did not go
    live and roll back to any earlier model in one click. Exactly one is active: the workers read
    which one before every batch.
    """

    class Kind(models.TextChoices):
        FAST = "fast", _("Fast (n-grams)")
        ACCURATE = "accurate", _("Accurate (sentence embeddings)")

    class Status(models.TextChoices):
        TRAINING = "training", _("Training")
        ACCEPTED = "accepted", _("Passed the check")
        REJECTED = "rejected", pgettext_lazy("a model", "Rejected")
        FAILED = "failed", _("Training failed")
        SHIPPED = "shipped", _("Shipped with Voz")

    class RejectionReason(models.TextChoices):
        TOO_FEW_LABELS = "too_few_labels", _("Too few of the shop's labelled items were held out to judge it")
        NOT_BETTER = "not_better", _("Not better than the active model on the shop's held-out items")
        WORSE_ON_BASE = "worse_on_base", _("More than 0.02 below the active model on Voz's own held-out split")

    version = models.CharField(_("version"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.FAST)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.TRAINING)
    # relative to VOZ_MODEL_DIR; a shipped model's is relative to the project (it moves with releases)
    artifact = models.CharField(_("artifact file"), max_length=500, blank=True)
    is_active = models.BooleanField(_("active"), default=False)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    trained_from = models.JSONField(_("trained from"), default=dict, blank=True)
    rejection_reason = models.CharField(
        _("why it was rejected"), max_length=20, choices=RejectionReason.choices, blank=True
    )
    error = models.TextField(_("error"), blank=True)
    progress = models.PositiveSmallIntegerField(_("training progress (%)"), default=0)
    progress_stage = models.CharField(_("training stage"), max_length=80, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("started by"),
    )
    activated_at = models.DateTimeField(_("activated"), null=True, blank=True)
    # Re-analysis of stored feedback after this model was activated: how far it got. The cursor is
    # the last item id done, so a redelivered task carries on where the previous one stopped.
    reanalysis_total = models.PositiveIntegerField(_("items to re-analyse"), default=0)
    reanalysis_done = models.PositiveIntegerField(_("items re-analysed"), default=0)
    reanalysis_cursor = models.BigIntegerField(default=0, editable=False, verbose_name=_("reanalysis cursor"))
    reanalysis_finished_at = models.DateTimeField(_("re-analysis finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("sentiment model")
        verbose_name_plural = _("sentiment models")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=models.Q(is_active=True), name="one_active_model"),
        ]

    def __str__(self) -> str:
        return self.version
