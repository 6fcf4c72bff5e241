"""Alert rules evaluated by a periodic task; each alert is announced once (the managers'
notifications, the rule's own email addresses and its signed webhook).

A rule fires for a reason, never on noise:
- Every rule needs a minimum volume in its window (`min_volume`, 5 by default): negative items in
  the last day for a spike, answers in the week for NPS and CSAT, SLA targets decided (met or
  missed) in the week for the SLA rule.
- NPS and CSAT rules fire only when the whole 95 % interval of the week's score is below the
  threshold (its upper bound is), using the same interval the satisfaction dashboard shows; the
  SLA rule only when the whole 95 % (Wilson) interval of the share of targets missed is above it.
- A spike compares the last day with the 28 days before it, each day a window of the shop's own
  clock (settings.TIME_ZONE): from this time yesterday to now, and the same hours on each earlier
  day. So a check just after midnight compares like with like, and the day the clocks change has
  the 23 or 25 real hours the shop lived. It fires when the last day is above the baseline's
  mean + k·σ and has at least the minimum volume, and only once the shop has feedback history
  for at least `min_baseline_days` of the 28 days: a day before its first feedback item is
  missing data, not a quiet day. It counts raw items, not the daily rollups, because its days
  are these sliding windows rather than calendar days.

A rule may be narrowed to a topic, channel, product, customer segment (RFM or saved) or a
competitor's brand (AlertRule.SCOPES says which suit which signal); the weekly scores and the SLA
share are read through the dashboards' selectors with the same filters, so from the scoped
rollups where those can answer.

After an alert the rule is silent for its cooldown; once it is over, a condition that still (or
again) holds is a new alert. Each alert keeps the evidence behind it as it was when it fired:
the feedback items (the negative items of the day, the comments of the week's detractors or
dissatisfied answers) or the cases that missed their SLA.
"""

import hashlib
import hmac
import json
import logging
import statistics
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q, QuerySet
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext

from analytics import metrics, selectors
from analytics.models import AlertEpisode, AlertRule
from analytics.selectors.common import answers_raw, items_about
from core.models import WebhookEventType
from core.shop import regional_override
from core.webhooks import iso, webhook_event_record
from customers.segments import in_segment_when
from feedback.models import FeedbackItem
from sentiment.models import Topic
from support import notify
from surveys.models import Question

logger = logging.getLogger(__name__)

BASELINE_DAYS = 28
# an alert keeps at most this many items or cases as its evidence (and the total behind them)
EVIDENCE_LIMIT = 200


@dataclass
class Reading:
    """What a check of a rule found: the value watched, whether the alert condition holds, the
    window it was computed over, and how to fetch what is behind it (only when it fires)."""

    value: float | None
    firing: bool
    window: tuple[datetime, datetime]
    feedback: Callable[[], QuerySet] | None = None
    cases: Callable[[], list] | None = None


def rule_filters(rule: AlertRule, *, start, end) -> selectors.Filters:
    """The dashboards' filters for the rule's scope (its scopes that suit its signal)."""
    scopes = AlertRule.SCOPES[rule.kind]
    return selectors.Filters(
        start=start,
        end=end,
        channel=rule.channel if "channel" in scopes else "",
        product=rule.product if "product" in scopes else "",
        segment=rule.segment if "segment" in scopes else "",
        topic=rule.topic.slug if rule.topic_id and "topic" in scopes else "",
    )


def rule_value(rule: AlertRule, *, now: datetime) -> tuple[float | None, bool]:
    """(the value watched, whether the alert condition holds)."""
    reading = rule_reading(rule, now=now)
    return reading.value, reading.firing


def rule_reading(rule: AlertRule, *, now: datetime) -> Reading:
    zone = timezone.get_default_timezone()
    if rule.kind == AlertRule.Kind.NEGATIVE_SPIKE:
        return _spike(rule, now=now, zone=zone)
    today = timezone.localdate(now, zone)
    week = rule_filters(rule, start=today - timedelta(days=6), end=today)
    window = week.bounds
    if rule.kind == AlertRule.Kind.NPS_BELOW:
        nps = selectors.nps_for(week)
        interval = nps.interval
        firing = nps.respondents >= rule.min_volume and interval is not None and interval[1] < rule.threshold
        return Reading(nps.score, firing, window, feedback=lambda: _comments_of(week, Question.Kind.NPS, 6))
    if rule.kind == AlertRule.Kind.CSAT_BELOW:
        satisfied, total = selectors.csat_counts(week)
        interval = metrics.wilson_interval(satisfied, total)
        firing = total >= rule.min_volume and interval is not None and interval[1] < rule.threshold
        value = 100 * satisfied / total if total else None
        return Reading(value, firing, window, feedback=lambda: _comments_of(week, Question.Kind.CSAT, 3))
    counts = selectors.sla_counts(week, now=now)
    decided = counts["first_response_decided"] + counts["resolution_decided"]
    missed = decided - counts["first_response_met"] - counts["resolution_met"]
    interval = metrics.wilson_interval(missed, decided)
    firing = decided >= rule.min_volume and interval is not None and interval[0] > rule.threshold
    value = 100 * missed / decided if decided else None
    return Reading(value, firing, window, cases=lambda: selectors.sla_missed_cases(week, now=now))


def _comments_of(filters: selectors.Filters, kind: str, at_most: int) -> QuerySet:
    """The comments of the window's responses that gave a score of `at_most` or less."""
    low = answers_raw(filters, [kind]).filter(number__lte=at_most).values("response_id")
    return FeedbackItem.objects.filter(survey_answer__response_id__in=low)


def shop_days_back(now: datetime, zone: ZoneInfo, days: int) -> list[datetime]:
    """`now` and the same time of the shop's clock on each of the `days` days before it (a time
    the clocks skipped that day is read as after the jump)."""
    wall = timezone.localtime(now, zone).replace(tzinfo=None)
    return [(wall - timedelta(days=back)).replace(tzinfo=zone) for back in range(days + 1)]


def spike_history(rule: AlertRule) -> QuerySet:
    """The feedback a spike rule's history is read from: the shop's own (or the competitor's it
    names), on its channel. Not narrowed further: a product or segment nobody complained about
    for a month had a quiet month, not missing data."""
    if rule.brand_id:
        watched = FeedbackItem.objects.filter(brand_id=rule.brand_id)
    else:
        watched = FeedbackItem.objects.filter(brand__isnull=True)
    return watched.filter(channel=rule.channel) if rule.channel else watched


def spike_counted(rule: AlertRule, topic_id: int | None) -> QuerySet:
    """The negative items a spike rule counts: its history's, narrowed to its product, customer
    segment and topic (a negative mention of it)."""
    negative = spike_history(rule).filter(sentiment="negative")
    if rule.product:
        negative = items_about(negative, "sku", rule.product)
    if rule.segment:
        negative = negative.filter(in_segment_when(rule.segment, customer="customer_id", moment="received_at"))
    if topic_id:
        negative = negative.filter(topic_mentions__topic_id=topic_id, topic_mentions__sentiment="negative")
    return negative


def _spike(rule: AlertRule, *, now: datetime, zone: ZoneInfo) -> Reading:
    if rule.topic_id or not rule.each_topic:
        return _spike_of(rule, rule.topic_id, now=now, zone=zone)
    # each topic apart: it fires when any topic spikes, with the items of every topic that did
    readings = [
        _spike_of(rule, topic_id, now=now, zone=zone)
        for topic_id in Topic.objects.filter(is_active=True).values_list("pk", flat=True)
    ]
    firing = [reading for reading in readings if reading.firing]
    if not firing:
        loudest = max(readings, key=lambda reading: reading.value or 0, default=None)
        return loudest or Reading(0.0, False, _last_day(now, zone))
    pks = [list(reading.feedback().values_list("pk", flat=True)) for reading in firing]
    return Reading(
        max(reading.value for reading in firing),
        True,
        firing[0].window,
        feedback=lambda: FeedbackItem.objects.filter(pk__in=[pk for group in pks for pk in group]),
    )


def _last_day(now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    bounds = shop_days_back(now, zone, 1)
    return bounds[1], bounds[0]


def _spike_of(rule: AlertRule, topic_id: int | None, *, now: datetime, zone: ZoneInfo) -> Reading:
    watched = spike_history(rule)
    negative = spike_counted(rule, topic_id)
    bounds = shop_days_back(now, zone, BASELINE_DAYS + 1)
    # windows[0] is the last day, windows[1:] the baseline, newest first
    windows = [(bounds[back + 1], bounds[back]) for back in range(BASELINE_DAYS + 1)]
    counts = negative.aggregate(
        **{
            f"day_{back}": Count("pk", distinct=True, filter=Q(received_at__gte=start, received_at__lt=end))
            for back, (start, end) in enumerate(windows)
        }
    )
    last_day = counts["day_0"]
    history_starts = watched.aggregate(first=Min("received_at"))["first"]
    baseline = [
        counts[f"day_{back}"]
        for back, (start, _end) in enumerate(windows)
        if back and history_starts is not None and start >= history_starts
    ]
    start, end = windows[0]

    def evidence() -> QuerySet:
        return FeedbackItem.objects.filter(
            pk__in=negative.filter(received_at__gte=start, received_at__lt=end).values("pk")
        )

    if len(baseline) < rule.min_baseline_days or last_day < rule.min_volume:
        return Reading(float(last_day), False, windows[0], feedback=evidence)
    mean, sigma = statistics.fmean(baseline), statistics.pstdev(baseline)
    return Reading(float(last_day), last_day > mean + rule.sigma * sigma, windows[0], feedback=evidence)


def is_cooling_down(rule: AlertRule, *, now: datetime) -> bool:
    """Whether the rule alerted less than its cooldown ago."""
    last = rule.episodes.order_by("-started_at").values_list("started_at", flat=True).first()
    return last is not None and now < last + timedelta(hours=rule.cooldown_hours)


def _episode_open(rule: AlertRule, reading: Reading, *, now: datetime) -> AlertEpisode:
    episode = AlertEpisode.objects.create(
        rule=rule, started_at=now, value=reading.value, window_start=reading.window[0], window_end=reading.window[1]
    )
    if reading.feedback is not None:
        items = reading.feedback().order_by("-received_at")
        episode.evidence_total = items.count()
        episode.feedback.set(list(items.values_list("pk", flat=True)[:EVIDENCE_LIMIT]))
    if reading.cases is not None:
        cases = reading.cases()
        episode.evidence_total = len(cases)
        episode.cases.set(cases[:EVIDENCE_LIMIT])  # the newest
    episode.save(update_fields=["evidence_total"])
    return episode


def alerts_check(*, now: datetime | None = None) -> int:
    """Open an alert when a condition holds and the rule's cooldown is over (and announce it),
    close it when the condition stops."""
    now = now or timezone.now()
    announced = 0
    for rule in AlertRule.objects.filter(is_active=True).select_related("topic"):
        reading = rule_reading(rule, now=now)
        open_episode = rule.episodes.filter(ended_at__isnull=True).first()
        if reading.firing and not is_cooling_down(rule, now=now):
            try:
                with transaction.atomic():
                    if open_episode is not None:
                        # still holding after the cooldown: this alert ends, a new one says so again
                        AlertEpisode.objects.filter(pk=open_episode.pk).update(ended_at=now)
                    open_episode = _episode_open(rule, reading, now=now)
                    # with the episode that makes it happen once
                    webhook_event_record(
                        WebhookEventType.ALERT_FIRED, lambda episode=open_episode: alert_fired_data(episode), now=now
                    )
            except IntegrityError:
                continue  # another run opened it a moment ago
        elif not reading.firing and open_episode is not None:
            open_episode.ended_at = now
            open_episode.save(update_fields=["ended_at"])
            continue
        if open_episode is not None and open_episode.notified_at is None and _notify(rule, open_episode):
            open_episode.notified_at = now
            open_episode.save(update_fields=["notified_at"])
            announced += 1
    return announced


def alert_fired_data(episode: AlertEpisode) -> dict:
    """The data of alert.fired events (version 1)."""
    rule = episode.rule
    return {
        "episode_id": episode.pk,
        "rule": {"id": rule.pk, "name": rule.name, "kind": rule.kind},
        "value": episode.value,
        "threshold": rule.threshold if rule.kind != AlertRule.Kind.NEGATIVE_SPIKE else None,
        "topic": rule.topic.slug if rule.topic_id else None,
        "channel": rule.channel or None,
        "product": rule.product or None,
        "segment": rule.segment or None,
        "brand": rule.brand.slug if rule.brand_id else None,
        "url": settings.VOZ_PUBLIC_BASE_URL + reverse("analytics:alert", kwargs={"pk": episode.pk}),
        "started_at": iso(episode.started_at),
    }


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def _signal_names(rule: AlertRule) -> dict[str, str]:
    names = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names[code] = str(rule.get_kind_display())
    return names


def _rule_names(rule: AlertRule) -> dict[str, str]:
    names = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            names[code] = rule.display_name
    return names


def _alert_email(rule: AlertRule, episode: AlertEpisode, url: str, language: str) -> tuple[str, str]:
    """Subject and body for the rule's own addresses, in their readers' language and numbers."""
    with regional_override(language):
        value = "–" if episode.value is None else number_format(episode.value, 1)
        lines = [
            str(rule.get_kind_display()),
            gettext("Value: %(value)s") % {"value": value},
            f"{settings.VOZ_PUBLIC_BASE_URL}{url}",
        ]
        return f"[Voz] {rule.display_name}: {value}", "\n".join(lines)


def _notify(rule: AlertRule, episode: AlertEpisode) -> bool:
    """The managers hear it through support's notifications (bell, email, chat, each once per
    alert and channel, retried by its outbox); the rule's own addresses and webhook are sent from
    here. A failure is retried on the next run (notified_at stays empty), but the addresses are
    emailed once: a webhook that keeps failing does not send them the alert again."""
    key = f"alert:{episode.pk}"
    url = reverse("analytics:alert", kwargs={"pk": episode.pk})
    notify.alert_announce(key=key, rule=_rule_names(rule), value=episode.value, signal=_signal_names(rule), url=url)
    managers = {email.lower() for email in notify.people_notified(key=key).values_list("email", flat=True)}
    recipients = [line.strip() for line in rule.emails.splitlines() if line.strip()]
    recipients = [address for address in recipients if address.lower() not in managers]
    try:
        if recipients and episode.emailed_at is None:
            for language, addresses in notify.languages_of(recipients).items():
                send_mail(*_alert_email(rule, episode, url, language), None, addresses)
            episode.emailed_at = timezone.now()
            episode.save(update_fields=["emailed_at"])
        if rule.webhook_url:
            body = json.dumps(
                {
                    "rule": rule.name,
                    "kind": rule.kind,
                    "value": episode.value,
                    "started_at": episode.started_at.isoformat(),
                }
            ).encode()
            timestamp = str(int(timezone.now().timestamp()))
            request = urllib.request.Request(
                rule.webhook_url,
                data=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Voz-Timestamp": timestamp,
                    "X-Voz-Signature": webhook_signature(rule.webhook_secret, timestamp, body),
                },
                method="POST",
            )
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
    except Exception:
        logger.warning("Alert %s could not be delivered; will retry", rule.pk, exc_info=True)
        return False
    return True
