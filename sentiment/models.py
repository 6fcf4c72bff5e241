from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
        return self.name_en if language == "en" else self.name_es


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
        return f"{self.feedback_id} · {self.sentiment} · {self.model_version}"


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
        return f"{self.topic.slug} ({self.sentiment})"
