from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Order


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", _("Negative")
    NEUTRAL = "neutral", _("Neutral")
    POSITIVE = "positive", _("Positive")


class FeedbackItem(models.Model):
    """One thing a customer said, from any channel; the unit that analysis, cases and dashboards work on."""

    class Channel(models.TextChoices):
        SURVEY = "survey", _("Survey")
        REVIEW = "review", _("Review")
        SOCIAL = "social", _("Social media")
        WEB = "web", _("Website")
        EMAIL = "email", _("Email")
        CHAT = "chat", _("Chat")
        PHONE = "phone", _("Phone call")
        APP_STORE = "app_store", _("App store")

    class AnalysisStatus(models.TextChoices):
        PENDING = "pending", _("Pending")
        DONE = "done", _("Analysed")
        FAILED = "failed", _("Failed")

    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, db_index=True)
    text = models.TextField(_("text"))
    # Where it came from, as dimensions of the feed, the dashboards and the API: the campaign or
    # referring site (utm_source, else the referrer's domain; "email" for survey invitations; the
    # review site or social platform), the page, the device class and the customer's country.
    # (database defaults too: rows bulk-loaded with SQL that predates these columns stay valid)
    source = models.CharField(_("source"), max_length=120, blank=True, default="", db_default="", db_index=True)
    page_url = models.CharField(_("page"), max_length=500, blank=True, default="", db_default="")
    device = models.CharField(
        _("device"),
        max_length=10,
        blank=True,
        default="",
        db_default="",
        choices=[("desktop", _("Desktop")), ("tablet", _("Tablet")), ("mobile", _("Phone"))],
    )
    country = models.CharField(
        _("country"), max_length=2, blank=True, default="", db_default="", db_index=True, help_text=_("ISO 3166 code")
    )
    # set when the customer's personal data is erased: the text is blank and the labels frozen
    erased_at = models.DateTimeField(_("erased"), null=True, blank=True)
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
    # Staff linked this item to its customer, or unlinked it, by hand: the source sent again (a
    # mention edited, a message redelivered) keeps their decision instead of matching anew.
    customer_set_by_staff = models.BooleanField(
        _("customer set by staff"), default=False, db_default=False, editable=False
    )
    survey_answer = models.OneToOneField(
        "surveys.Answer",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="feedback_item",
        verbose_name=_("survey answer"),
    )
    review = models.OneToOneField(
        "reviews.Review",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="feedback_item",
        verbose_name=_("review"),
    )
    mention = models.OneToOneField(
        "social.Mention",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="feedback_item",
        verbose_name=_("social mention"),
    )
    web_feedback = models.OneToOneField(
        "onsite.WebFeedback",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="feedback_item",
        verbose_name=_("website feedback"),
    )
    inbound_message = models.OneToOneField(
        "feedback.InboundMessage",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="feedback_item",
        verbose_name=_("message"),
    )
    # a competitor's mention or review (None: the shop's own): kept out of every dashboard, case
    # and alert, and compared with the shop's on the competitors page
    brand = models.ForeignKey(
        "brands.Brand",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="feedback_items",
        verbose_name=_("brand"),
    )
    case = models.ForeignKey(
        "support.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback_items",
        verbose_name=_("case"),
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now, db_index=True)
    analysis_status = models.CharField(
        _("analysis status"), max_length=10, choices=AnalysisStatus.choices, default=AnalysisStatus.PENDING
    )
    # Why the analysis of this item failed (after its retries), so staff can see it and re-run it.
    analysis_error = models.CharField(_("analysis error"), max_length=300, blank=True, default="", db_default="")
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    # The current analysis, copied here so that lists, filters and dashboards need no join;
    # every run is kept in sentiment.FeedbackAnalysis.
    language_confidence = models.FloatField(_("language confidence"), null=True, blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=10, choices=Sentiment.choices, blank=True, db_index=True)
    sentiment_score = models.FloatField(_("sentiment score"), null=True, blank=True)
    sentiment_confidence = models.FloatField(_("sentiment confidence"), null=True, blank=True)
    model_version = models.CharField(_("model version"), max_length=64, blank=True)
    taxonomy_version = models.CharField(_("taxonomy version"), max_length=64, blank=True)
    analysed_at = models.DateTimeField(_("analysed at"), null=True, blank=True)
    topics = models.ManyToManyField(
        "sentiment.Topic",
        through="sentiment.FeedbackTopic",
        related_name="feedback_items",
        blank=True,
        verbose_name=_("topics"),
    )

    # A label set by staff overrides the model everywhere and becomes training data.
    sentiment_gold = models.CharField(_("corrected sentiment"), max_length=10, choices=Sentiment.choices, blank=True)
    sentiment_corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("corrected by"),
    )
    sentiment_corrected_at = models.DateTimeField(_("corrected at"), null=True, blank=True)

    class Meta:
        verbose_name = _("feedback item")
        verbose_name_plural = _("feedback items")
        ordering = ["-received_at"]
        # Full-text GIN indexes (one per language) are created by migration 0004 on PostgreSQL only.
        indexes = [models.Index(fields=["analysis_status", "created_at"], name="feedback_analysis_queue")]

    def __str__(self) -> str:
        excerpt = self.text if len(self.text) <= 60 else self.text[:57] + "…"
        return f"[{self.get_channel_display()}] {excerpt}"

    @property
    def effective_sentiment(self) -> str:
        return self.sentiment_gold or self.sentiment


# The channels whose words reach Voz as messages (pushed by the shop's tools or read from its mailbox).
MESSAGE_CHANNELS = [
    FeedbackItem.Channel.EMAIL,
    FeedbackItem.Channel.CHAT,
    FeedbackItem.Channel.PHONE,
    FeedbackItem.Channel.APP_STORE,
]
MESSAGE_CHANNEL_CHOICES = [(channel.value, channel.label) for channel in MESSAGE_CHANNELS]


class InboundMessage(models.Model):
    """What a customer said on a channel Voz does not run itself: an email, a chat, a phone call an
    agent noted, an app-store review. The shop's tools push them by (channel, external id), so a
    repeated delivery updates the one row; inbound email is keyed by its Message-ID.

    A message becomes a feedback item (analysed, and a complaint opens a case) unless it is a reply
    in a case's email thread: then it is a message on that case, and `case` says which.
    """

    channel = models.CharField(_("channel"), max_length=20, choices=MESSAGE_CHANNEL_CHOICES, db_index=True)
    external_id = models.CharField(_("external id"), max_length=255)
    source = models.CharField(
        _("source"),
        max_length=60,
        blank=True,
        help_text=_("The tool or store it came from, e.g. zendesk, google_play."),
    )
    author_name = models.CharField(_("author"), max_length=200, blank=True)
    author_email = models.EmailField(_("author email"), max_length=254, blank=True)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
        verbose_name=_("customer"),
    )
    order = models.ForeignKey(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
        verbose_name=_("order"),
    )
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    text = models.TextField(_("text"))
    rating = models.PositiveSmallIntegerField(_("stars"), null=True, blank=True, help_text=_("1–5, app stores only."))
    language = models.CharField(_("language"), max_length=8, blank=True)
    url = models.CharField(_("link"), max_length=500, blank=True)
    sent_at = models.DateTimeField(_("sent at"), db_index=True)
    case = models.ForeignKey(
        "support.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
        verbose_name=_("case"),
    )
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-sent_at"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"], name="inbound_message_once_per_channel")
        ]

    def __str__(self) -> str:
        return f"[{self.get_channel_display()}] {self.subject or self.text[:60]}"


class InboundAttachment(models.Model):
    """A file that came with an inbound email, kept when under INBOUND_EMAIL_MAX_ATTACHMENT_BYTES."""

    message = models.ForeignKey(
        InboundMessage, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("message")
    )
    filename = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("type"), max_length=120)
    size = models.PositiveIntegerField(_("size (bytes)"))
    file = models.FileField(_("file"), upload_to="inbound/%Y/%m/")

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.filename
