"""Alert rules evaluated by a periodic task; each episode is announced once (email and signed webhook)."""

import hashlib
import hmac
import json
import logging
import statistics
import urllib.request
from datetime import datetime, timedelta

from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from analytics import selectors
from analytics.models import AlertEpisode, AlertRule
from core.models import WebhookEventType
from core.webhooks import iso, webhook_event_record
from feedback.models import FeedbackItem

logger = logging.getLogger(__name__)


def rule_value(rule: AlertRule, *, now: datetime) -> tuple[float | None, bool]:
    """(the value watched, whether the alert condition holds)."""
    today = timezone.localdate(now)
    week = selectors.Filters(start=today - timedelta(days=6), end=today)
    if rule.kind == AlertRule.Kind.NPS_BELOW:
        score = selectors.nps_for(week).score
        return score, score is not None and score < rule.threshold
    if rule.kind == AlertRule.Kind.CSAT_BELOW:
        satisfied, total = selectors.csat_counts(week)
        value = 100 * satisfied / total if total else None
        return value, value is not None and value < rule.threshold
    negative = FeedbackItem.objects.filter(sentiment="negative", brand__isnull=True)
    if rule.channel:
        negative = negative.filter(channel=rule.channel)
    if rule.topic_id:
        negative = negative.filter(topic_mentions__topic_id=rule.topic_id, topic_mentions__sentiment="negative")
    last_day = negative.filter(received_at__gte=now - timedelta(hours=24), received_at__lt=now).count()
    window_start = now - timedelta(days=29)
    per_day = dict(
        negative.filter(received_at__gte=window_start, received_at__lt=now - timedelta(hours=24))
        .annotate(day=TruncDate("received_at"))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )
    days = [per_day.get((window_start + timedelta(days=i)).date(), 0) for i in range(28)]
    mean, sigma = statistics.fmean(days), statistics.pstdev(days)
    return float(last_day), last_day > mean + rule.sigma * sigma and last_day > 0


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


def _notify(rule: AlertRule, episode: AlertEpisode) -> bool:
    """Email and webhook; a failed delivery is retried on the next run (notified_at stays empty)."""
    subject = f"[Voz] {rule.name}: {episode.value:.1f}"
    recipients = [line.strip() for line in rule.emails.splitlines() if line.strip()]
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
