"""Alert rules evaluated by a periodic task; each episode is announced once (email and signed webhook).

A rule fires for a reason, never on noise:
- Every rule needs a minimum volume in its window (`min_volume`, 5 by default): negative items in
  the last day for a spike, answers in the week for NPS and CSAT.
- NPS and CSAT rules fire only when the whole 95 % interval of the week's score is below the
  threshold (its upper bound is), using the same interval the satisfaction dashboard shows.
- A spike compares the last day with the 28 days before it, each day a window of the shop's own
  clock (settings.TIME_ZONE): from this time yesterday to now, and the same hours on each earlier
  day. So a check just after midnight compares like with like, and the day the clocks change has
  the 23 or 25 real hours the shop lived. It fires when the last day is above the baseline's
  mean + k·σ and has at least the minimum volume, and only once the shop has feedback history
  for at least `min_baseline_days` of the 28 days: a day before its first feedback item is
  missing data, not a quiet day.
"""

import hashlib
import hmac
import json
import logging
import statistics
import urllib.request
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone, translation

from analytics import metrics, selectors
from analytics.models import AlertEpisode, AlertRule
from core.models import WebhookEventType
from core.webhooks import iso, webhook_event_record
from feedback.models import FeedbackItem
from support import notify

logger = logging.getLogger(__name__)

BASELINE_DAYS = 28


def rule_value(rule: AlertRule, *, now: datetime) -> tuple[float | None, bool]:
    """(the value watched, whether the alert condition holds)."""
    zone = timezone.get_default_timezone()
    today = timezone.localdate(now, zone)
    week = selectors.Filters(start=today - timedelta(days=6), end=today)
    if rule.kind == AlertRule.Kind.NPS_BELOW:
        nps = selectors.nps_for(week)
        interval = nps.interval
        firing = nps.respondents >= rule.min_volume and interval is not None and interval[1] < rule.threshold
        return nps.score, firing
    if rule.kind == AlertRule.Kind.CSAT_BELOW:
        satisfied, total = selectors.csat_counts(week)
        interval = metrics.wilson_interval(satisfied, total)
        firing = total >= rule.min_volume and interval is not None and interval[1] < rule.threshold
        return (100 * satisfied / total if total else None), firing
    return _spike(rule, now=now, zone=zone)


def shop_days_back(now: datetime, zone: ZoneInfo, days: int) -> list[datetime]:
    """`now` and the same time of the shop's clock on each of the `days` days before it (a time
    the clocks skipped that day is read as after the jump)."""
    wall = timezone.localtime(now, zone).replace(tzinfo=None)
    return [(wall - timedelta(days=back)).replace(tzinfo=zone) for back in range(days + 1)]


def _spike(rule: AlertRule, *, now: datetime, zone: ZoneInfo) -> tuple[float, bool]:
    watched = FeedbackItem.objects.filter(brand__isnull=True)
    if rule.channel:
        watched = watched.filter(channel=rule.channel)
    negative = watched.filter(sentiment="negative")
    if rule.topic_id:
        negative = negative.filter(topic_mentions__topic_id=rule.topic_id, topic_mentions__sentiment="negative")
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
    if len(baseline) < rule.min_baseline_days or last_day < rule.min_volume:
        return float(last_day), False
    mean, sigma = statistics.fmean(baseline), statistics.pstdev(baseline)
    return float(last_day), last_day > mean + rule.sigma * sigma


def alerts_check(*, now: datetime | None = None) -> int:
    """Open an episode when a condition starts to hold (and announce it), close it when it stops."""
    now = now or timezone.now()
    announced = 0
    for rule in AlertRule.objects.filter(is_active=True):
        value, firing = rule_value(rule, now=now)
        open_episode = rule.episodes.filter(ended_at__isnull=True).first()
        if firing and open_episode is None:
            try:
                with transaction.atomic():
                    open_episode = AlertEpisode.objects.create(rule=rule, started_at=now, value=value)
                    # with the episode that makes it happen once
                    webhook_event_record(
                        WebhookEventType.ALERT_FIRED, lambda episode=open_episode: alert_fired_data(episode), now=now
                    )
            except IntegrityError:
                continue  # another run opened it a moment ago
        elif not firing and open_episode is not None:
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
        "threshold": rule.threshold if rule.kind in (AlertRule.Kind.NPS_BELOW, AlertRule.Kind.CSAT_BELOW) else None,
        "topic": rule.topic.slug if rule.topic_id else None,
        "channel": rule.channel or None,
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


def _dashboard_for(rule: AlertRule) -> str:
    return reverse("analytics:topics" if rule.kind == AlertRule.Kind.NEGATIVE_SPIKE else "analytics:satisfaction")


def _notify(rule: AlertRule, episode: AlertEpisode) -> bool:
    """The managers hear it through support's notifications (bell, email, chat, each once per
    episode, retried by its outbox); the rule's own addresses and webhook are sent from here, and
    a failure of those is retried on the next run (notified_at stays empty)."""
    key = f"alert:{episode.pk}"
    notify.alert_announce(
        key=key, rule=rule.name, value=episode.value, signal=_signal_names(rule), url=_dashboard_for(rule)
    )
    managers = {email.lower() for email in notify.people_notified(key=key).values_list("email", flat=True)}
    subject = f"[Voz] {rule.name}: {episode.value:.1f}"
    recipients = [line.strip() for line in rule.emails.splitlines() if line.strip()]
    recipients = [address for address in recipients if address.lower() not in managers]
    try:
        if recipients:
            send_mail(subject, f"{rule.get_kind_display()}\nValue: {episode.value:.1f}", None, recipients)
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
