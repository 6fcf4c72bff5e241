from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DashboardAccess(models.Model):
    """Carries the permission to see the dashboards (managers); it has no table."""

    class Meta:
        verbose_name = _("dashboard access")
        verbose_name_plural = _("dashboard access")
        managed = False
        default_permissions = ()
        permissions = [("view_dashboards", _("Can see the dashboards (managers)"))]

    def __str__(self) -> str:
        return "dashboards"


class AlertRule(models.Model):
    """A signal managers want pushed to them: a metric crossing a line, or a sudden spike, for the
    whole shop or one slice of it (a topic, channel, product, customer segment or brand)."""

    class Kind(models.TextChoices):
        NPS_BELOW = "nps_below", _("Weekly NPS below the threshold (its whole 95 % interval)")
        CSAT_BELOW = "csat_below", _("Weekly CSAT (%) below the threshold (its whole 95 % interval)")
        NEGATIVE_SPIKE = "negative_spike", _("Negative feedback in the last day above the 28-day mean + k·σ")
        SLA_BREACH_RATE = "sla_breach_rate", _("Weekly share of SLA targets missed (%) above the threshold")

    # which scopes each signal can be narrowed by: survey scores carry no channel, cases no brand,
    # and only feedback items (mentions, reviews) can be a competitor's
    SCOPES = {
        Kind.NEGATIVE_SPIKE: ("topic", "channel", "product", "segment", "brand"),
        Kind.NPS_BELOW: ("topic", "product", "segment"),
        Kind.CSAT_BELOW: ("topic", "product", "segment"),
        Kind.SLA_BREACH_RATE: ("topic", "channel", "product", "segment"),
    }

    # The rules a fresh install starts with are named by code, so each reader sees the name in their
    # language; a manager who renames one gives it their own name (the code is then cleared).
    DEFAULT_NAMES = {
        "negative_spike_any_topic": _("Negative spike on any topic"),
        "weekly_nps_below_0": _("Weekly NPS below 0"),
        "sla_missed_over_10": _("Over 10 % of SLA targets missed this week"),
    }

    name = models.CharField(_("name"), max_length=120)
    default_name = models.CharField(_("default name"), max_length=40, blank=True, editable=False)
    kind = models.CharField(_("signal"), max_length=20, choices=Kind.choices)
    threshold = models.FloatField(
        _("threshold"),
        default=20,
        help_text=_(
            "NPS and CSAT rules fire when even the upper end of the 95 % interval is below it; SLA rules when "
            "even the lower end of the missed share's 95 % interval is above it (in %)."
        ),
    )
    sigma = models.FloatField(_("k (standard deviations)"), default=3, help_text=_("For spike rules."))
    min_volume = models.PositiveIntegerField(
        _("minimum volume"),
        default=5,
        validators=[MinValueValidator(1)],
        help_text=_(
            "A rule never fires on fewer: negative items in the last day for spike rules, answers in the week "
            "for NPS and CSAT rules, SLA targets decided in the week for SLA rules."
        ),
    )
    min_baseline_days = models.PositiveSmallIntegerField(
        _("minimum baseline (days)"),
        default=14,
        validators=[MinValueValidator(1), MaxValueValidator(28)],
        help_text=_("Spike rules: days of feedback history (of the 28 compared) needed before the rule can fire."),
    )
    cooldown_hours = models.PositiveIntegerField(
        _("cooldown (hours)"),
        default=24,
        validators=[MinValueValidator(1), MaxValueValidator(24 * 30)],
        help_text=_(
            "After an alert the rule stays silent this long; if the problem is still there, or back, after it, "
            "the rule alerts again."
        ),
    )
    topic = models.ForeignKey(
        "sentiment.Topic",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("topic"),
        help_text=_("Only what customers said about this topic (for scores: the answers whose comment raised it)."),
    )
    each_topic = models.BooleanField(
        _("each topic apart"),
        default=False,
        help_text=_(
            "Spike rules without a topic: watch every topic on its own, so a spike in one topic is not lost "
            "in the total. The alert lists the items of the topics that spiked."
        ),
    )
    channel = models.CharField(_("channel"), max_length=20, blank=True, help_text=_("Only this channel."))
    product = models.CharField(
        _("product (SKU)"),
        max_length=100,
        blank=True,
        help_text=_("Only feedback, answers and cases about orders or reviews of this product."),
    )
    segment = models.CharField(
        _("customer segment"),
        max_length=60,
        blank=True,
        help_text=_("Only customers of this RFM segment or saved segment."),
    )
    brand = models.ForeignKey(
        "brands.Brand",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("brand"),
        help_text=_("Spike rules: watch a competitor's mentions and reviews instead of the shop's own."),
    )
    emails = models.TextField(_("email to"), blank=True, help_text=_("One address per line."))
    webhook_url = models.URLField(_("webhook URL"), blank=True)
    webhook_secret = models.CharField(_("webhook secret"), max_length=128, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The name in the active language for a rule Voz created, else the name a manager gave it."""
        default = self.DEFAULT_NAMES.get(self.default_name)
        return str(default) if default is not None else self.name


class AlertEpisode(models.Model):
    """One alert of a rule: it opens when the condition holds (and the rule's cooldown since its
    last alert is over) and is announced once, however often it is checked; it closes when the
    condition stops, or when the cooldown is over and a new alert replaces it."""

    rule = models.ForeignKey(AlertRule, on_delete=models.CASCADE, related_name="episodes", verbose_name=_("rule"))
    started_at = models.DateTimeField(_("started"))
    ended_at = models.DateTimeField(null=True, blank=True, verbose_name=_("ended"))
    value = models.FloatField(_("value"))
    notified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("notified"))
    # the rule's own addresses got it: a retry for a failed webhook must not email them again
    emailed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("emailed"))
    # what the value was computed over, and what was behind it, as it was when the alert fired
    window_start = models.DateTimeField(null=True, blank=True, verbose_name=_("window start"))
    window_end = models.DateTimeField(null=True, blank=True, verbose_name=_("window end"))
    evidence_total = models.PositiveIntegerField(default=0, verbose_name=_("items in the window"))
    feedback = models.ManyToManyField("feedback.FeedbackItem", blank=True, related_name="+", verbose_name=_("feedback"))
    cases = models.ManyToManyField("support.Case", blank=True, related_name="+", verbose_name=_("cases"))

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["rule"], condition=models.Q(ended_at__isnull=True), name="one_open_episode")
        ]

    def __str__(self) -> str:
        return f"{self.rule} @ {self.started_at:%Y-%m-%d %H:%M}"


class DigestFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class DigestSubscription(models.Model):
    """A manager's choice about one digest: whether they get it and in which language. Without a
    row a manager gets every digest in the shop's language, so digests work with no setup."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digest_subscriptions", verbose_name=_("user")
    )
    frequency = models.CharField(_("frequency"), max_length=10, choices=DigestFrequency.choices)
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)
    is_subscribed = models.BooleanField(_("subscribed"), default=True)
    changed_at = models.DateTimeField(_("changed"), default=timezone.now)

    class Meta:
        verbose_name = _("digest subscription")
        verbose_name_plural = _("digest subscriptions")
        constraints = [models.UniqueConstraint(fields=["user", "frequency"], name="digest_subscription_once")]

    def __str__(self) -> str:
        return f"{self.user} · {self.frequency} · {'on' if self.is_subscribed else 'off'}"


class DigestDelivery(models.Model):
    """One digest owed to one manager for one period: written before it is sent, so a beat that
    fires twice or a retried task never sends a period twice, and a lost hand-over is sent later."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    frequency = models.CharField(max_length=10, choices=DigestFrequency.choices, verbose_name=_("frequency"))
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created"))
    emailed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("emailed"))

    class Meta:
        verbose_name = _("digest sent")
        verbose_name_plural = _("digests sent")
        ordering = ["-period_start"]
        constraints = [
            models.UniqueConstraint(fields=["user", "frequency", "period_start"], name="digest_once_per_period")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.frequency} {self.period_start}"


# ---------------------------------------------------------------------------------------
# Rollups: per-day counts that the dashboards read instead of the raw tables. They hold
# counts per value (an NPS of 7, a 4-star rating, a negative mention), never averages, so any
# set of days, products or languages can be added up exactly. A day is a day in the shop's
# time zone. Each row belongs to a scope: "all" (every item once), "product" (once per SKU the
# item is about) or "category" (once per category) — so a filter never double-counts. Feedback
# and topic mentions also have the context scopes "source", "country" and "device" (key = the
# value, "" when unknown): every item once in each.
# ---------------------------------------------------------------------------------------
class RollupScope(models.TextChoices):
    ALL = "all", "all"
    PRODUCT = "product", "product"
    CATEGORY = "category", "category"
    SEGMENT = "segment", "segment"
    SOURCE = "source", "source"
    COUNTRY = "country", "country"
    DEVICE = "device", "device"
    BRAND = "brand", "brand"  # every brand's items, the competitors' included (key: slug, "" = own)


CONTEXT_SCOPES = (RollupScope.SOURCE, RollupScope.COUNTRY, RollupScope.DEVICE)


class ScopedDay(models.Model):
    """A day's counts within a scope: all items, one product (key = SKU), one category or one RFM
    segment (each row in the segment its customer was in when it arrived: customers.SegmentMembership)."""

    day = models.DateField(db_index=True, verbose_name=_("day"))  # a refresh deletes and rewrites whole days
    scope = models.CharField(max_length=10, choices=RollupScope.choices, verbose_name=_("scope"))
    key = models.CharField(max_length=200, blank=True, verbose_name=_("key"))
    language = models.CharField(max_length=8, blank=True, verbose_name=_("language"))

    class Meta:
        abstract = True


class FeedbackDaily(ScopedDay):
    """Analysed feedback items per day, language, channel and (effective) sentiment."""

    channel = models.CharField(max_length=20, verbose_name=_("channel"))
    sentiment = models.CharField(max_length=10, blank=True, verbose_name=_("sentiment"))
    items = models.PositiveIntegerField(verbose_name=_("items"))

    class Meta:
        verbose_name = _("daily feedback count")
        verbose_name_plural = _("daily feedback counts")
        indexes = [models.Index(fields=["scope", "key", "day"], name="feedback_daily_lookup")]

    def __str__(self) -> str:
        return f"{self.day} {self.scope}:{self.key} {self.channel} {self.sentiment} = {self.items}"


class TopicDaily(ScopedDay):
    """Topic mentions per day, language, channel, topic and the sentiment of what was said about it."""

    channel = models.CharField(max_length=20, verbose_name=_("channel"))
    topic = models.ForeignKey("sentiment.Topic", on_delete=models.CASCADE, related_name="+", verbose_name=_("topic"))
    sentiment = models.CharField(max_length=10, verbose_name=_("sentiment"))
    mentions = models.PositiveIntegerField(verbose_name=_("mentions"))

    class Meta:
        verbose_name = _("daily topic count")
        verbose_name_plural = _("daily topic counts")
        indexes = [models.Index(fields=["scope", "key", "day"], name="topic_daily_lookup")]

    def __str__(self) -> str:
        return f"{self.day} {self.scope}:{self.key} topic {self.topic_id} {self.sentiment} = {self.mentions}"


class TopicAllDaily(models.Model):
    """TopicDaily's "all" scope again, in a table of its own: the topics page reads it most, and
    among the other scopes' rows its rows lay spread over 240 times as many pages (bench/dashboard.py
    at --scale 0.05: 26,763 buffers read against 110, 84 ms against 15 for 26 weeks)."""

    day = models.DateField(db_index=True, verbose_name=_("day"))
    language = models.CharField(max_length=8, blank=True, verbose_name=_("language"))
    channel = models.CharField(max_length=20, verbose_name=_("channel"))
    topic = models.ForeignKey("sentiment.Topic", on_delete=models.CASCADE, related_name="+", verbose_name=_("topic"))
    sentiment = models.CharField(max_length=10, verbose_name=_("sentiment"))
    mentions = models.PositiveIntegerField(verbose_name=_("mentions"))

    class Meta:
        verbose_name = _("daily topic count of the whole shop")
        verbose_name_plural = _("daily topic counts of the whole shop")

    def __str__(self) -> str:
        return f"{self.day} topic {self.topic_id} {self.sentiment} = {self.mentions}"


class AnswerDaily(ScopedDay):
    """Survey answers per day, language, question kind (NPS, CSAT, CES) and the number given."""

    kind = models.CharField(max_length=10, verbose_name=_("kind"))
    number = models.SmallIntegerField(verbose_name=_("score"))
    answers = models.PositiveIntegerField(verbose_name=_("answers"))

    class Meta:
        verbose_name = _("daily answer count")
        verbose_name_plural = _("daily answer counts")
        indexes = [models.Index(fields=["scope", "key", "day"], name="answer_daily_lookup")]

    def __str__(self) -> str:
        return f"{self.day} {self.scope}:{self.key} {self.kind}={self.number} × {self.answers}"


class ReviewDaily(ScopedDay):
    """Published reviews per day (written), language and star rating."""

    rating = models.PositiveSmallIntegerField(verbose_name=_("rating"))
    reviews = models.PositiveIntegerField(verbose_name=_("reviews"))

    class Meta:
        verbose_name = _("daily review count")
        verbose_name_plural = _("daily review counts")
        indexes = [models.Index(fields=["scope", "key", "day"], name="review_daily_lookup")]

    def __str__(self) -> str:
        return f"{self.day} {self.scope}:{self.key} {self.rating}★ × {self.reviews}"


class CaseDaily(models.Model):
    """Cases by the day they opened, priority, team and channels, with their SLA outcomes."""

    day = models.DateField(db_index=True, verbose_name=_("day"))
    priority = models.CharField(max_length=10, verbose_name=_("priority"))
    team_name = models.CharField(max_length=120, blank=True, verbose_name=_("team name"))
    # ",review,social," so that one channel is found with a substring match
    channels = models.CharField(max_length=120, blank=True, verbose_name=_("channels"))
    segment = models.CharField(max_length=20, blank=True, verbose_name=_("segment"))  # the customer's RFM segment
    cases = models.PositiveIntegerField(verbose_name=_("cases"))
    first_response_met = models.PositiveIntegerField(verbose_name=_("first response met"))
    first_response_decided = models.PositiveIntegerField(verbose_name=_("first response decided"))
    resolution_met = models.PositiveIntegerField(verbose_name=_("resolution met"))
    resolution_decided = models.PositiveIntegerField(verbose_name=_("resolution decided"))

    class Meta:
        verbose_name = _("daily case count")
        verbose_name_plural = _("daily case counts")

    def __str__(self) -> str:
        return f"{self.day} {self.priority} {self.team_name} = {self.cases}"


class CaseDurationDaily(models.Model):
    """How long cases took, as a histogram on a logarithmic scale (2 % wide buckets), so that
    medians and 90th percentiles over any range of days come from a few hundred rows."""

    day = models.DateField(db_index=True, verbose_name=_("day"))
    channels = models.CharField(max_length=120, blank=True, verbose_name=_("channels"))
    segment = models.CharField(max_length=20, blank=True, verbose_name=_("segment"))
    target = models.CharField(max_length=20, verbose_name=_("target"))
    bucket = models.PositiveSmallIntegerField(verbose_name=_("bucket"))
    cases = models.PositiveIntegerField(verbose_name=_("cases"))

    class Meta:
        verbose_name = _("daily case duration count")
        verbose_name_plural = _("daily case duration counts")

    def __str__(self) -> str:
        return f"{self.day} {self.target} bucket {self.bucket} × {self.cases}"


class RetentionSnapshot(models.Model):
    """The retention numbers, computed from all orders at once and kept until orders, answers or
    cases change; they are whole-history figures, so there is nothing to add up per day."""

    computed_at = models.DateTimeField(verbose_name=_("computed at"))
    segment = models.CharField(
        max_length=40, blank=True, verbose_name=_("segment")
    )  # "" = every customer; an RFM or saved segment
    data = models.JSONField(verbose_name=_("data"))
    is_stale = models.BooleanField(default=False, verbose_name=_("is stale"))

    class Meta:
        verbose_name = _("retention snapshot")
        verbose_name_plural = _("retention snapshots")

    def __str__(self) -> str:
        return f"retention @ {self.computed_at:%Y-%m-%d %H:%M}"
