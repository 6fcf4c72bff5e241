import uuid
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import models
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from customers.models import Customer, Order

TOKEN_SALT = "voz.surveys.invitation"


def default_invitation_delay() -> timedelta:
    return timedelta(days=settings.SURVEY_INVITATION_DELAY_DAYS)


def default_invitation_lifetime() -> timedelta:
    return timedelta(days=settings.SURVEY_INVITATION_LIFETIME_DAYS)


def default_reminder_after() -> timedelta:
    return timedelta(days=settings.SURVEY_REMINDER_AFTER_DAYS)


class Translated:
    """Read a field stored once per language (`title_es`, `title_en`) in the active language."""

    @staticmethod
    def pick(obj, field_name: str, language: str | None = None) -> str:
        language = (language or translation.get_language() or settings.LANGUAGE_CODE)[:2]
        value = getattr(obj, f"{field_name}_{language}", "") or ""
        return value or getattr(obj, f"{field_name}_{settings.LANGUAGE_CODE}", "")


class Survey(models.Model):
    class Trigger(models.TextChoices):
        ORDER_DELIVERED = "order_delivered", _("After an order is delivered")
        MANUAL = "manual", _("Sent by hand")
        WEB_INTERCEPT = "web_intercept", _("Offered on the website")

    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    title_es = models.CharField(_("title (Spanish)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200)
    intro_es = models.TextField(_("introduction (Spanish)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    thanks_es = models.TextField(_("thank-you text (Spanish)"), blank=True)
    thanks_en = models.TextField(_("thank-you text (English)"), blank=True)
    trigger = models.CharField(_("trigger"), max_length=30, choices=Trigger.choices, default=Trigger.ORDER_DELIVERED)
    is_active = models.BooleanField(_("active"), default=True)
    asks_for_reviews = models.BooleanField(
        _("asks for product reviews"),
        default=True,
        help_text=_("After the survey, invite the customer to review each product of the order (verified reviews)."),
    )
    invitation_delay = models.DurationField(
        _("delay after delivery"),
        default=default_invitation_delay,
        help_text=_("How long after delivery the invitation is sent."),
    )
    invitation_lifetime = models.DurationField(
        _("link valid for"),
        default=default_invitation_lifetime,
        help_text=_("After this the link shows an expiry page."),
    )
    reminder_after = models.DurationField(
        _("reminder after"),
        null=True,
        blank=True,
        default=default_reminder_after,
        help_text=_("One reminder this long after sending if unanswered. Empty: no reminder."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.title_es or self.slug

    def title(self, language: str | None = None) -> str:
        return Translated.pick(self, "title", language)

    def intro(self, language: str | None = None) -> str:
        return Translated.pick(self, "intro", language)

    def thanks(self, language: str | None = None) -> str:
        return Translated.pick(self, "thanks", language)


class Question(models.Model):
    class Kind(models.TextChoices):
        NPS = "nps", _("Net Promoter Score (0–10)")
        CSAT = "csat", _("Customer satisfaction (1–5)")
        CES = "ces", _("Customer effort (1–7)")
        RATING = "rating", _("Star rating (1–5)")
        SINGLE_CHOICE = "single_choice", _("Single choice")
        MULTIPLE_CHOICE = "multiple_choice", _("Multiple choice")
        OPEN_TEXT = "open_text", _("Open text")

    class Operator(models.TextChoices):
        LTE = "lte", _("is at most")
        GTE = "gte", _("is at least")
        EQ = "eq", _("equals")
        NE = "ne", _("differs from")
        INCLUDES = "includes", _("includes the choice")

    SCALES = {
        Kind.NPS: (0, 10),
        Kind.CSAT: (1, 5),
        Kind.CES: (1, 7),
        Kind.RATING: (1, 5),
    }
    CHOICE_KINDS = {Kind.SINGLE_CHOICE, Kind.MULTIPLE_CHOICE}

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions", verbose_name=_("survey"))
    code = models.SlugField(_("code"), max_length=60, help_text=_("Stable name for exports and the API, e.g. 'nps'."))
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    prompt_es = models.CharField(_("question (Spanish)"), max_length=400)
    prompt_en = models.CharField(_("question (English)"), max_length=400)
    help_es = models.CharField(_("help text (Spanish)"), max_length=400, blank=True)
    help_en = models.CharField(_("help text (English)"), max_length=400, blank=True)
    is_required = models.BooleanField(_("required"), default=True)
    max_length = models.PositiveIntegerField(_("maximum length"), default=2000, help_text=_("For open text."))
    show_if_question = models.ForeignKey(
        "self",
        on_delete=models.RESTRICT,
        null=True,
        blank=True,
        related_name="dependent_questions",
        verbose_name=_("show only if question"),
    )
    show_if_operator = models.CharField(_("operator"), max_length=10, choices=Operator.choices, blank=True)
    show_if_value = models.CharField(
        _("value"), max_length=60, blank=True, help_text=_("A number for scales, a choice value for choices.")
    )

    class Meta:
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        ordering = ["survey", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "code"], name="question_code_unique_in_survey"),
            models.CheckConstraint(
                condition=models.Q(show_if_question__isnull=True, show_if_operator="")
                | models.Q(show_if_question__isnull=False) & ~models.Q(show_if_operator=""),
                name="question_condition_complete",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.survey.slug}/{self.code}"

    def prompt(self, language: str | None = None) -> str:
        return Translated.pick(self, "prompt", language)

    def help_text(self, language: str | None = None) -> str:
        return Translated.pick(self, "help", language)

    @property
    def scale(self) -> tuple[int, int] | None:
        return self.SCALES.get(self.kind)

    @property
    def has_choices(self) -> bool:
        return self.kind in self.CHOICE_KINDS

    @property
    def is_conditional(self) -> bool:
        return self.show_if_question_id is not None


class Choice(models.Model):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices", verbose_name=_("question"))
    value = models.SlugField(_("value"), max_length=60)
    label_es = models.CharField(_("label (Spanish)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        ordering = ["question", "position", "pk"]
        constraints = [models.UniqueConstraint(fields=["question", "value"], name="choice_value_unique_in_question")]

    def __str__(self) -> str:
        return self.label_es or self.value

    def label(self, language: str | None = None) -> str:
        return Translated.pick(self, "label", language)


class Invitation(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        OPENED = "opened", _("Opened")
        ANSWERED = "answered", _("Answered")
        EXPIRED = "expired", _("Expired")
        # the order was cancelled or refunded before the email went out
        CANCELLED = "cancelled", _("Cancelled")
        # the customer unsubscribed, or their address bounced or reported spam (customers.emailing)
        SUPPRESSED = "suppressed", _("Not sent: unsubscribed or bounced")

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="invitations", verbose_name=_("survey"))
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="invitations", null=True, blank=True, verbose_name=_("order")
    )
    # empty for a website visitor the shop did not identify (an intercept survey)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="invitations",
        null=True,
        blank=True,
        verbose_name=_("customer"),
    )
    intercept = models.ForeignKey(
        "onsite.Intercept",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="invitations",
        verbose_name=_("intercept survey"),
    )
    # Where an intercept survey was offered: the visitor's random id (the widget keeps it in the
    # browser) for the cooldown, and the page, for the context of what they answer.
    visitor_id = models.CharField(_("visitor"), max_length=64, blank=True, default="", db_default="")
    page_url = models.CharField(_("page"), max_length=500, blank=True, default="", db_default="")
    referrer = models.CharField(_("referrer"), max_length=500, blank=True, default="", db_default="")
    country = models.CharField(_("country"), max_length=2, blank=True, default="", db_default="")
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default="es")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    reviews_submitted_at = models.DateTimeField(_("products reviewed at"), null=True, blank=True)
    send_attempts = models.PositiveSmallIntegerField(_("send attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]
        constraints = [
            # One invitation per order and survey, whatever runs the scheduler concurrently.
            models.UniqueConstraint(fields=["order", "survey"], name="invitation_once_per_order_and_survey"),
        ]
        indexes = [
            models.Index(fields=["status", "created_at"], name="invitation_status_created"),
            models.Index(fields=["customer", "created_at"], name="invitation_customer_created"),
            models.Index(
                fields=["visitor_id", "created_at"],
                name="invitation_visitor_created",
                condition=~models.Q(visitor_id=""),
            ),
        ]

    def __str__(self) -> str:
        who = self.customer.email if self.customer_id else _("website visitor")
        return f"{self.survey.slug} → {who} ({self.get_status_display()})"

    @property
    def token(self) -> str:
        """The signed token of the survey link; it cannot be forged or altered without SECRET_KEY."""
        return signing.Signer(salt=TOKEN_SALT).sign(self.public_id.hex)

    @property
    def url(self) -> str:
        from django.urls import reverse

        return settings.VOZ_PUBLIC_BASE_URL + reverse("surveys:answer", kwargs={"token": self.token})

    def is_expired_at(self, moment) -> bool:
        return self.status in (self.Status.EXPIRED, self.Status.CANCELLED) or moment >= self.expires_at

    @staticmethod
    def public_id_from_token(token: str) -> uuid.UUID | None:
        try:
            return uuid.UUID(hex=signing.Signer(salt=TOKEN_SALT).unsign(token))
        except (signing.BadSignature, ValueError):
            return None


class Response(models.Model):
    # One response per invitation, enforced by the database so that two tabs or a double click
    # can never store two.
    invitation = models.OneToOneField(
        Invitation, on_delete=models.CASCADE, related_name="response", verbose_name=_("invitation")
    )
    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses", verbose_name=_("survey"))
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="survey_responses",
        null=True,
        blank=True,
        verbose_name=_("customer"),
    )
    order = models.ForeignKey(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="survey_responses",
        verbose_name=_("order"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now, db_index=True)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    user_agent = models.CharField(_("user agent"), max_length=400, blank=True)

    class Meta:
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        who = self.customer.email if self.customer_id else _("website visitor")
        return f"{self.survey.slug} · {who} · {self.submitted_at:%Y-%m-%d}"


class Answer(models.Model):
    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers", verbose_name=_("response"))
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers", verbose_name=_("question"))
    number = models.SmallIntegerField(_("number"), null=True, blank=True)
    text = models.TextField(_("text"), blank=True)
    choices = models.JSONField(_("choices"), default=list, blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        ordering = ["response", "question__position"]
        constraints = [models.UniqueConstraint(fields=["response", "question"], name="answer_once_per_question")]
        indexes = [models.Index(fields=["question", "number"], name="answer_question_number")]

    def __str__(self) -> str:
        return f"{self.question.code}: {self.display_value}"

    @property
    def display_value(self) -> str:
        if self.number is not None:
            return str(self.number)
        if self.choices:
            return ", ".join(self.choices)
        return self.text


class DefectionReason(models.Model):
    """A reason a lapsed customer can give for leaving, as the defection survey offers it.

    Managers edit them; the survey's question offers the active ones (surveys.services.
    defection_reasons_apply), and the retention dashboard splits answers by `controllable`: what the
    shop can change (service, price) from what it cannot (the customer moved away).
    """

    value = models.SlugField(_("code"), max_length=60, unique=True, help_text=_("Kept in answers; do not reuse."))
    label_es = models.CharField(_("label (Spanish)"), max_length=200)
    label_en = models.CharField(_("label (English)"), max_length=200)
    controllable = models.BooleanField(_("within our control"), default=False)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    is_active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("defection reason")
        verbose_name_plural = _("defection reasons")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.label_es or self.value

    def label(self, language: str | None = None) -> str:
        return Translated.pick(self, "label", language)
