from datetime import timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from core.time_zones import known_time_zones
from customers.models import Customer
from support import business_time


class Priority(models.TextChoices):
    URGENT = "urgent", _("Urgent")
    HIGH = "high", _("High")
    NORMAL = "normal", _("Normal")
    LOW = "low", _("Low")


# Case.social_author of a case opened for someone known only by the address they emailed from
EMAIL_AUTHOR_PREFIX = "email:"

PRIORITY_RANK = {Priority.URGENT: 0, Priority.HIGH: 1, Priority.NORMAL: 2, Priority.LOW: 3}


class Team(models.Model):
    name = models.CharField(_("name"), max_length=100)
    slug = models.SlugField(_("slug"), unique=True)
    email = models.EmailField(_("team email"), blank=True, help_text=_("Warnings for unassigned cases go here."))
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="support_teams", blank=True, verbose_name=_("members")
    )

    class Meta:
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def validate_time_zone(value: str) -> None:
    if value not in known_time_zones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class BusinessCalendar(models.Model):
    name = models.CharField(_("name"), max_length=100)
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[validate_time_zone])
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendars")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="one_default_calendar"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.time_zone})"

    def to_calendar(self) -> business_time.Calendar:
        ZoneInfo(self.time_zone)  # fail early on a zone the system does not know
        periods = tuple(
            business_time.Period(p.weekday, p.start.hour * 60 + p.start.minute, p.end_minute)
            for p in self.periods.all()
        )
        holidays = list(self.holidays.all())
        return business_time.Calendar(
            self.time_zone,
            periods,
            frozenset(h.date for h in holidays if not h.repeats_yearly),
            frozenset((h.date.month, h.date.day) for h in holidays if h.repeats_yearly),
        )


class WorkingPeriod(models.Model):
    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="periods", verbose_name=_("calendar")
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"), help_text=_("00:00 means midnight at the end of the day."))

    class Meta:
        verbose_name = _("working period")
        verbose_name_plural = _("working periods")
        ordering = ["weekday", "start"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    @property
    def end_minute(self) -> int:
        minute = self.end.hour * 60 + self.end.minute
        return minute or business_time.END_OF_DAY

    def clean(self) -> None:
        if (
            self.start is not None
            and self.end is not None
            and self.start.hour * 60 + self.start.minute >= self.end_minute
        ):
            raise ValidationError({"end": _("A period must end after it starts.")})


class Holiday(models.Model):
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.CASCADE, related_name="holidays", verbose_name=_("calendar")
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=100, blank=True)
    repeats_yearly = models.BooleanField(_("every year"), default=False)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date:%d/%m} {self.name}"


class SLAPolicy(models.Model):
    """Service-level targets; the first active policy (by position) whose conditions match applies."""

    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    is_default = models.BooleanField(_("default"), default=False, help_text=_("Applies when no other policy matches."))
    priorities = models.JSONField(_("priorities"), default=list, blank=True, help_text=_("Empty: any priority."))
    channels = models.JSONField(_("channels"), default=list, blank=True, help_text=_("Empty: any channel."))
    teams = models.ManyToManyField(Team, blank=True, verbose_name=_("teams"), help_text=_("Empty: any team."))
    first_response = models.DurationField(_("first response within"), null=True, blank=True)
    next_response = models.DurationField(_("next response within"), null=True, blank=True)
    resolution = models.DurationField(_("resolution within"), null=True, blank=True)
    business_hours_only = models.BooleanField(_("count business hours only"), default=True)
    calendar = models.ForeignKey(
        BusinessCalendar, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("calendar")
    )
    warning_percent = models.PositiveSmallIntegerField(_("warn at (% of target)"), default=75)

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name

    def matches(self, *, priority: str, channels: list[str], team_id: int | None, team_ids: set[int]) -> bool:
        if self.priorities and priority not in self.priorities:
            return False
        if self.channels and not set(channels) & set(self.channels):
            return False
        return not team_ids or team_id in team_ids

    def targets(self) -> dict[str, timedelta]:
        return {
            name: value
            for name, value in (
                ("first_response", self.first_response),
                ("next_response", self.next_response),
                ("resolution", self.resolution),
            )
            if value
        }


class ComplaintRules(models.Model):
    """Which feedback counts as a complaint and opens (or joins) a case. One row, edited in the admin."""

    is_active = models.BooleanField(_("open cases automatically"), default=True)
    nps_at_most = models.PositiveSmallIntegerField(_("survey NPS at most"), default=6)
    csat_at_most = models.PositiveSmallIntegerField(_("survey CSAT at most"), default=2)
    review_stars_at_most = models.PositiveSmallIntegerField(_("review stars at most"), default=2)
    negative_confidence_at_least = models.FloatField(
        _("negative comment or mention with confidence at least"), default=0.6
    )

    class Meta:
        verbose_name = _("complaint rules")
        verbose_name_plural = _("complaint rules")

    def __str__(self) -> str:
        return str(_("Complaint rules"))

    @classmethod
    def current(cls) -> "ComplaintRules":
        rules = cls.objects.order_by("pk").first()
        return rules or cls.objects.create()


class Case(models.Model):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING_CUSTOMER = "pending_customer", _("Pending customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")

    OPEN_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER)

    subject = models.CharField(_("subject"), max_length=200)
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases", verbose_name=_("customer")
    )
    social_author = models.CharField(
        _("social author"), max_length=160, blank=True, help_text=_("platform:handle when there is no customer")
    )
    channels = models.JSONField(_("channels"), default=list)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    # codes and numbers, worded in the reader's language by support.priority (not sentences: a
    # worker opens the case in one language and staff and API clients read it in theirs)
    priority_factors = models.JSONField(_("why this priority"), default=list, blank=True)
    is_priority_overridden = models.BooleanField(_("priority set by staff"), default=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    team = models.ForeignKey(
        Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases", verbose_name=_("team")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    policy = models.ForeignKey(
        SLAPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="cases", verbose_name=_("SLA policy")
    )
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now, db_index=True)
    first_response_at = models.DateTimeField(_("first response at"), null=True, blank=True)
    last_response_at = models.DateTimeField(_("last response at"), null=True, blank=True)
    awaiting_response_since = models.DateTimeField(
        _("waiting for us since"), null=True, blank=True, help_text=_("Last customer message not yet answered.")
    )
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The earliest moment a target breaches or warns, kept for sorting the inbox and for the checker.
    sla_due_at = models.DateTimeField(_("next SLA due"), null=True, blank=True, db_index=True)
    sla_warning_at = models.DateTimeField(null=True, blank=True, db_index=True, verbose_name=_("SLA warning at"))
    followup_score = models.PositiveSmallIntegerField(_("follow-up answer (1–5)"), null=True, blank=True)
    followup_sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("follow-up sent"))
    # Set by the first move to resolved or closed: the follow-up question is owed from then on, and
    # the sweep sends what a broker outage kept from being queued (notifications.case_followup_send).
    followup_requested_at = models.DateTimeField(
        null=True, blank=True, db_index=True, verbose_name=_("follow-up requested")
    )
    # The case an unhappy follow-up answer came from, when that case had been closed too long to reopen.
    linked_from = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="follow_on_cases",
        verbose_name=_("follows up on"),
    )

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["sla_due_at", "-opened_at"]
        permissions = [("view_all_cases", _("Can see the cases of every team (managers)"))]
        indexes = [models.Index(fields=["status", "sla_due_at"], name="case_inbox_order")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    @property
    def channel_labels(self) -> str:
        from feedback.models import FeedbackItem

        labels = dict(FeedbackItem.Channel.choices)
        return ", ".join(str(labels.get(code, code)) for code in self.channels)

    @property
    def priority_explanation(self) -> list[str]:
        """Why this priority, one line per factor, in the active language."""
        from support.priority import factor_lines  # it reads Priority from this module

        return factor_lines(self.priority_factors)


class CasePause(models.Model):
    """The SLA clock stops while the case waits for the customer; every pause is kept."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="pauses", verbose_name=_("case"))
    started_at = models.DateTimeField(verbose_name=_("started at"))
    ended_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ended at"))

    class Meta:
        verbose_name = _("case pause")
        verbose_name_plural = _("case pauses")
        ordering = ["started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} → {self.ended_at or '…'}"


class CaseMessage(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", _("Public reply")
        NOTE = "note", _("Internal note")
        CUSTOMER = "customer", _("Customer message")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="messages", verbose_name=_("case"))
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("author")
    )
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("emailed at"))
    # A reply Voz cannot deliver (a social post, a chat without an address) is a draft the agent
    # posts by hand; it is a response only once they say they posted it.
    needs_manual_post = models.BooleanField(_("to be posted by hand"), default=False)
    posted_at = models.DateTimeField(_("posted (confirmed by the agent)"), null=True, blank=True)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("posted by"),
    )

    class Meta:
        verbose_name = _("case message")
        verbose_name_plural = _("case messages")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:50]}"

    @property
    def is_unposted_draft(self) -> bool:
        return self.kind == self.Kind.REPLY and self.needs_manual_post and self.posted_at is None


class CaseEvent(models.Model):
    """The audit trail: who changed what on a case, and when."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("case"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("by")
    )
    kind = models.CharField(_("what"), max_length=40)
    data = models.JSONField(default=dict, blank=True, verbose_name=_("details"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("when"))

    class Meta:
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.kind}"


class SLANotice(models.Model):
    """A pre-breach warning or breach notification, recorded so each is sent once."""

    class Kind(models.TextChoices):
        WARNING = "warning", _("About to breach")
        BREACH = "breach", _("Breached")
        ESCALATION = "escalation", _("Escalated")

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sla_notices", verbose_name=_("case"))
    target = models.CharField(max_length=20, verbose_name=_("target"))
    kind = models.CharField(max_length=10, choices=Kind.choices, verbose_name=_("kind"))
    due_at = models.DateTimeField(verbose_name=_("due at"))
    sent_at = models.DateTimeField(default=timezone.now, verbose_name=_("sent at"))

    class Meta:
        verbose_name = _("SLA notice")
        verbose_name_plural = _("SLA notices")
        constraints = [models.UniqueConstraint(fields=["case", "target", "kind", "due_at"], name="sla_notice_once")]

    def __str__(self) -> str:
        return f"{self.kind} {self.target} (case {self.case_id})"


class WinBackTemplate(models.Model):
    """The follow-up email staff send to win a dissatisfied customer back, one text per language.
    {name}, {topic} and {shop} are filled in for each customer."""

    name = models.CharField(_("name"), max_length=120, default="Win-back")
    subject_es = models.CharField(_("subject (Spanish)"), max_length=200)
    body_es = models.TextField(_("text (Spanish)"))
    subject_en = models.CharField(_("subject (English)"), max_length=200)
    body_en = models.TextField(_("text (English)"))
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        verbose_name = _("win-back email template")
        verbose_name_plural = _("win-back email templates")
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=models.Q(is_active=True), name="one_winback_template"
            )
        ]

    def __str__(self) -> str:
        return self.name


class WinBackEmail(models.Model):
    """A personalised follow-up sent to a customer: what was sent, by whom, about what; it shows on
    the customer's timeline."""

    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.CASCADE, related_name="winback_emails", verbose_name=_("customer")
    )
    case = models.ForeignKey(
        Case, on_delete=models.SET_NULL, null=True, blank=True, related_name="winback_emails", verbose_name=_("case")
    )
    topic = models.ForeignKey(
        "sentiment.Topic", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("topic")
    )
    language = models.CharField(_("language"), max_length=8)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("sent by")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)
    # written by the nightly rule (support.winback.winback_rule_run) rather than by a person
    is_automatic = models.BooleanField(_("sent by the rule"), default=False, db_default=False)
    # why it did not go out after all (the customer unsubscribed or bounced meanwhile)
    not_sent_reason = models.CharField(_("not sent because"), max_length=40, blank=True, default="", db_default="")

    class Meta:
        verbose_name = _("win-back email")
        verbose_name_plural = _("win-back emails")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.customer} · {self.subject}"


# ---------------------------------------------------------------------------------------
# Staff notifications: who hears about a case or an alert, and how (support/notify.py)
# ---------------------------------------------------------------------------------------
class NotificationEvent(models.TextChoices):
    NEW_COMPLAINT = "new_complaint", _("New complaint")
    SLA_WARNING = "sla_warning", _("SLA about to breach")
    SLA_BREACH = "sla_breach", _("SLA breached")
    SLA_ESCALATION = "sla_escalation", _("SLA breach escalated")
    ALERT = "alert", _("Alert fired")


def _default_language() -> str:
    return settings.LANGUAGE_CODE


def _default_time_zone() -> str:
    return settings.TIME_ZONE


class StaffProfile(models.Model):
    """What Voz needs to know to reach a staff member: language, time zone and quiet hours."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_profile", verbose_name=_("user")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default=_default_language)
    time_zone = models.CharField(
        _("time zone"), max_length=64, default=_default_time_zone, validators=[validate_time_zone]
    )
    quiet_from = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_until = models.TimeField(_("quiet hours until"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return str(self.user)


class NotificationPreference(models.Model):
    """One person's choice for one event; without a row the defaults apply (every channel, at once)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notification_preferences",
        verbose_name=_("user"),
    )
    event = models.CharField(_("event"), max_length=20, choices=NotificationEvent.choices)
    in_app = models.BooleanField(_("in the app"), default=True)
    email = models.BooleanField(_("email"), default=True)
    chat = models.BooleanField(_("team chat"), default=True)
    in_digest = models.BooleanField(_("in the digest instead of at once"), default=False)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [models.UniqueConstraint(fields=["user", "event"], name="one_preference_per_event")]

    def __str__(self) -> str:
        return f"{self.user} · {self.event}"


class ChatWebhook(models.Model):
    """A team's chat channel, reached by an incoming webhook."""

    class Kind(models.TextChoices):
        SLACK = "slack", _("Slack, Mattermost or Rocket.Chat (incoming webhook)")
        TEAMS = "teams", _("Microsoft Teams (workflow webhook)")

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="chat_webhooks", verbose_name=_("team"))
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.SLACK)
    url = models.URLField(_("webhook URL"), max_length=500)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("chat webhook")
        verbose_name_plural = _("chat webhooks")
        ordering = ["team__name", "name"]

    def __str__(self) -> str:
        return f"{self.team} · {self.name}"

    @property
    def masked_url(self) -> str:
        """The address without its secret part (a Slack or Teams webhook URL is its own password)."""
        scheme, _sep, rest = self.url.partition("://")
        host = rest.split("/", 1)[0]
        return f"{scheme}://{host}/…{self.url[-4:]}" if len(rest) > len(host) + 4 else self.url


class Notification(models.Model):
    """One event for one recipient: a person (bell, email, chat) or a team mailbox (email only).

    It is the outbox: its deliveries are sent from it, and `event_key` with the recipient is
    unique, so however often an event is announced each recipient hears it once. Items a person
    wants in the digest carry `deliver_in_digest` and get no immediate email; the digest marks
    them `digested_at` once it has sent them."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("recipient"),
    )
    address = models.EmailField(_("team mailbox"), blank=True)
    event = models.CharField(_("event"), max_length=20, choices=NotificationEvent.choices)
    event_key = models.CharField(max_length=120, verbose_name=_("event key"))
    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, null=True, blank=True, related_name="notifications", verbose_name=_("case")
    )
    data = models.JSONField(default=dict, blank=True, verbose_name=_("data"))
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    show_in_app = models.BooleanField(default=True, verbose_name=_("show in app"))
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    deliver_in_digest = models.BooleanField(_("in the digest"), default=False)
    digested_at = models.DateTimeField(null=True, blank=True, verbose_name=_("digested at"))

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "event_key"],
                condition=models.Q(recipient__isnull=False),
                name="notification_once_per_person",
            ),
            models.UniqueConstraint(
                fields=["address", "event_key"],
                condition=models.Q(recipient__isnull=True),
                name="notification_once_per_mailbox",
            ),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.event} → {self.recipient or self.address}"


class NotificationDelivery(models.Model):
    """One message on one channel, retried with backoff until it goes or is given up (and shown)."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        CHAT = "chat", _("Team chat")

    class Status(models.TextChoices):
        PENDING = "pending", pgettext_lazy("delivery", "Waiting")
        SENT = "sent", pgettext_lazy("delivery", "Sent")
        FAILED = "failed", pgettext_lazy("delivery", "Failed")

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("notification")
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    # A team channel hears an event once, whoever of its members asked for chat.
    event_key = models.CharField(max_length=120, verbose_name=_("event key"))
    webhook = models.ForeignKey(
        ChatWebhook, on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("chat webhook")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("notification delivery")
        verbose_name_plural = _("notification deliveries")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"],
                condition=models.Q(channel="email"),
                name="one_email_per_notification",
            ),
            models.UniqueConstraint(
                fields=["event_key", "webhook"], condition=models.Q(channel="chat"), name="one_chat_post_per_event"
            ),
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"], condition=models.Q(status="pending"), name="notification_delivery_due"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status} ({self.notification_id})"


class CannedReply(models.Model):
    """A saved answer agents insert into a reply and then adapt. {customer_name} and {order_number}
    are filled in for the case at hand; managers keep the texts."""

    title = models.CharField(_("title"), max_length=120)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    text = models.TextField(_("text"), help_text=_("{customer_name} and {order_number} are filled in for each case."))
    is_active = models.BooleanField(_("in use"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("canned reply")
        verbose_name_plural = _("canned replies")
        ordering = ["language", "title"]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"
