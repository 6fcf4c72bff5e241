"""Outbound webhooks: what happened in Voz, told to the shop's other systems.

Writing. A service records its event with `webhook_events_record` (or, on the survey submission's
one-round-trip path, sends `webhook_events_statement` with its own statements) inside the
transaction that makes the change. The event row is the outbox: a change that rolls back tells
nobody, and one that commits is told however long Redis or the receiver stay down. Nothing is
written when no active endpoint wants that event type, so a shop without webhooks pays one small
query (or nothing at all on the survey path, where the check rides along in the same statement).

Sending. `webhooks_dispatch` (core.tasks.webhooks_deliver: woken after each commit that recorded
events, and run by beat every minute, which catches whatever was never queued) gives each new event
one delivery per endpoint that wants it and whose API client may read it, then sends the due ones:
a POST of the versioned JSON envelope signed per the Standard Webhooks specification (headers
webhook-id, webhook-timestamp, webhook-signature), with the same webhook-id on every attempt so a
receiver can drop repeats. A claim (a lease on next_attempt_at, taken under SKIP LOCKED) keeps two
runs from sending one delivery twice. A failed attempt is retried with exponential backoff for at
least RETRY_WINDOW; an endpoint whose attempts have all failed for DISABLE_AFTER is disabled and
the API client's owner is emailed in their language.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta

import httpx
from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext

from core.models import (
    Scope,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    WebhookEventType,
)
from core.prepared import Statement
from core.queueing import BatchedHandOver
from core.shop import regional_override

logger = logging.getLogger(__name__)

PAYLOAD_VERSION = 1
# Registered by core.tasks.webhooks_deliver; named here because the task module imports this one.
DELIVER_TASK = "core.webhooks_deliver"
# A failing delivery is retried for at least this long after its first attempt…
RETRY_WINDOW = timedelta(hours=24)
# …and an endpoint whose every attempt failed for this long is switched off.
DISABLE_AFTER = timedelta(days=3)
# Longer than a request may take (TIMEOUT), so a claim never lapses while its request is under way;
# a worker killed mid-send leaves its claim to lapse and the delivery is sent again.
CLAIM_LEASE = timedelta(minutes=2)
TIMEOUT = httpx.Timeout(10.0, connect=5.0)
CLAIM_BATCH = 100
# An endpoint reads only the events its API client could read through the API.
EVENT_SCOPES = {
    WebhookEventType.FEEDBACK_CREATED: Scope.FEEDBACK_READ,
    WebhookEventType.FEEDBACK_ANALYSED: Scope.FEEDBACK_READ,
    WebhookEventType.SURVEY_ANSWERED: Scope.FEEDBACK_READ,
    WebhookEventType.REVIEW_PUBLISHED: Scope.FEEDBACK_READ,
    WebhookEventType.CASE_CREATED: Scope.CASES_READ,
    WebhookEventType.CASE_UPDATED: Scope.CASES_READ,
    WebhookEventType.CASE_SLA_WARNING: Scope.CASES_READ,
    WebhookEventType.CASE_SLA_BREACHED: Scope.CASES_READ,
    WebhookEventType.ALERT_FIRED: Scope.METRICS_READ,
}


def retry_delay(tries: int) -> timedelta:
    """How long to wait after the `tries`-th failed attempt: 10 s, 40 s, 2 min 40 s, … ×4 each
    time, at most 12 h. With the 24 h window that makes nine attempts, the last 27 h 10 min after
    the first. (The 10 s is WEBHOOKS_RETRY_FIRST_SECONDS, which the drill shortens.)"""
    return min(timedelta(seconds=settings.WEBHOOKS_RETRY_FIRST_SECONDS * 4 ** (tries - 1)), timedelta(hours=12))


def iso(moment: datetime | None) -> str | None:
    """Times in payloads: ISO 8601 in UTC, the same wherever the event is written."""
    return moment.astimezone(UTC).isoformat() if moment else None


# ---------------------------------------------------------------------------------------
# Recording (in the writer's transaction)
# ---------------------------------------------------------------------------------------
_wake_dispatcher = BatchedHandOver(
    DELIVER_TASK,
    # events committed within this many milliseconds wake the dispatcher once
    delay=lambda: settings.WEBHOOKS_HANDOVER_DELAY_MS / 1000,
    batch_size=10_000,
)


def _new_msg_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _is_wanted(event_type: str) -> bool:
    return any(
        not events or event_type in events
        for events in WebhookEndpoint.objects.filter(is_active=True).values_list("events", flat=True)
    )


def webhook_events_record(
    event_type: str, items: Iterable[dict] | Callable[[], Iterable[dict]], *, now: datetime | None = None
) -> int:
    """Record events of one type, one per item of data, in the caller's transaction.

    Call it where the change is written, inside its transaction. `items` may be a function that
    builds them, called only when some active endpoint wants this type. Returns how many were
    recorded: none when no endpoint wants them.
    """
    event_type = str(event_type)  # a WebhookEventType is stored (and bound) as its value
    if not _is_wanted(event_type):
        return 0
    items = list(items() if callable(items) else items)
    if not items:
        return 0
    now = now or timezone.now()
    events = WebhookEvent.objects.bulk_create(
        [WebhookEvent(msg_id=_new_msg_id(), event_type=event_type, data=data, created_at=now) for data in items]
    )
    webhooks_deliver_after_commit([event.pk for event in events])
    return len(events)


def webhook_event_record(event_type: str, data: dict | Callable[[], dict], *, now: datetime | None = None) -> int:
    """One event; `data` may be a function that builds it, called only when some endpoint wants it."""
    return webhook_events_record(event_type, (lambda: [data()]) if callable(data) else [data], now=now)


def webhooks_deliver_after_commit(event_ids: Sequence[int]) -> None:
    """Wake the dispatcher once the transaction commits. If the broker is down, beat's run finds them."""
    event_ids = list(event_ids)
    if event_ids:
        transaction.on_commit(lambda: _wake_dispatcher.add(event_ids))


def _subscribed_sql() -> str:
    table = connection.ops.quote_name(WebhookEndpoint._meta.db_table)
    if connection.vendor == "postgresql":
        wants = "(e.events = '[]'::jsonb OR jsonb_exists(e.events, %s))"
    else:
        wants = "(e.events = '[]' OR EXISTS (SELECT 1 FROM json_each(e.events) WHERE json_each.value = %s))"
    return f"EXISTS (SELECT 1 FROM {table} e WHERE e.is_active AND {wants})"


def webhook_events_statement(
    event_type: str, data: dict, *, rows: str, params: Sequence, key: str, fill: dict[str, str], now: datetime
) -> Statement:
    """The INSERT that records one event per row of `rows` (a FROM … WHERE … clause over rows the
    same statements wrote), for a writer that sends its statements together (core.prepared).

    `data` is each event's data but for the keys of `fill`, SQL expressions over those rows (their
    ids, which only the database knows yet); `key` is an expression unique per row. It returns the
    ids of the events it wrote (none when no active endpoint wants this type): hand them to
    `webhooks_deliver_after_commit`.
    """
    event_type = str(event_type)
    table = connection.ops.quote_name(WebhookEvent._meta.db_table)
    if connection.vendor == "postgresql":
        document = "CAST(%s AS jsonb)"
        for name, expression in fill.items():
            # jsonb_set gives NULL for a NULL value: a JSON null is meant
            document = f"jsonb_set({document}, '{{{name}}}', COALESCE(to_jsonb({expression}), 'null'::jsonb))"
    else:
        pairs = "".join(f", '$.{name}', {expression}" for name, expression in fill.items())
        document = f"json_set(%s{pairs})"
    sql = (
        f"INSERT INTO {table} (msg_id, event_type, data, created_at)"
        f" SELECT CAST(%s AS TEXT) || {key}, %s, {document}, %s {rows} AND {_subscribed_sql()} RETURNING id"
    )
    moment = connection.ops.adapt_datetimefield_value(now)
    prefix = f"{_new_msg_id()}_"
    return Statement(sql, [prefix, event_type, json.dumps(data, cls=DjangoJSONEncoder), moment, *params, event_type])


# ---------------------------------------------------------------------------------------
# What is sent
# ---------------------------------------------------------------------------------------
def webhook_body(event: WebhookEvent) -> bytes:
    """The envelope every endpoint receives, the same bytes on every attempt."""
    envelope = {
        "type": event.event_type,
        "version": PAYLOAD_VERSION,
        "timestamp": iso(event.created_at),
        "data": event.data,
    }
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":"), cls=DjangoJSONEncoder).encode()


def webhook_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks: "v1," and the base64 HMAC-SHA256 of "{id}.{timestamp}.{body}", keyed with
    the base64-decoded part of the secret after "whsec_"."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def webhook_headers(endpoint: WebhookEndpoint, event: WebhookEvent, body: bytes, *, at: datetime) -> dict[str, str]:
    timestamp = int(at.timestamp())
    return {
        "content-type": "application/json",
        "user-agent": "Voz-Webhooks/1",
        "webhook-id": event.msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhook_signature(endpoint.secret, event.msg_id, timestamp, body),
    }


# ---------------------------------------------------------------------------------------
# Dispatching
# ---------------------------------------------------------------------------------------
def events_fan_out(*, now: datetime | None = None, batch: int = 1000) -> int:
    """Give every event not yet fanned out one delivery per endpoint that wants it; returns how
    many deliveries were created. An endpoint added later does not receive older events."""
    created = 0
    while True:
        now_ = now or timezone.now()
        with transaction.atomic():
            events = list(
                WebhookEvent.objects.select_for_update(skip_locked=True)
                .filter(fanned_out_at__isnull=True)
                .order_by("pk")
                .only("pk", "event_type", "created_at")[:batch]
            )
            if not events:
                return created
            endpoints = [
                endpoint
                for endpoint in WebhookEndpoint.objects.filter(is_active=True, client__is_active=True).select_related(
                    "client"
                )
            ]
            deliveries = [
                WebhookDelivery(event_id=event.pk, endpoint_id=endpoint.pk, next_attempt_at=now_, created_at=now_)
                for event in events
                for endpoint in endpoints
                if endpoint.wants(event.event_type)
                and endpoint.created_at <= event.created_at
                and endpoint.client.has_scope(EVENT_SCOPES[event.event_type])
            ]
            WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True)
            WebhookEvent.objects.filter(pk__in=[event.pk for event in events]).update(fanned_out_at=now_)
            created += len(deliveries)
        if len(events) < batch:
            return created


def _deliveries_claim(*, now: datetime, skip_endpoints: set[int], limit: int) -> list[WebhookDelivery]:
    """Take due deliveries for this run: their next attempt moves a lease ahead, so another run
    (or this one's next loop) leaves them alone until they are done."""
    with transaction.atomic():
        claimed = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                status=WebhookDelivery.Status.PENDING,
                next_attempt_at__lte=now,
                endpoint__is_active=True,
                endpoint__client__is_active=True,
            )
            .exclude(endpoint_id__in=skip_endpoints)
            .select_related("event", "endpoint")
            .order_by("next_attempt_at", "pk")[:limit]
        )
        WebhookDelivery.objects.filter(pk__in=[d.pk for d in claimed]).update(next_attempt_at=now + CLAIM_LEASE)
    return claimed


def webhooks_dispatch(*, now: datetime | None = None, time_budget: float = 50.0) -> dict[str, int]:
    """Fan out new events, then send every due delivery; safe to run as often and as many times
    at once as anyone likes. Returns counts of what happened."""
    counts = {"fanned_out": events_fan_out(now=now), "delivered": 0, "failed": 0, "postponed": 0}
    # After one failure an endpoint gets no more requests in this run: a dead receiver costs one
    # request (and one timeout at most) per run, not one per waiting delivery.
    failing: set[int] = set()
    deadline = time.monotonic() + time_budget
    with httpx.Client(timeout=TIMEOUT, follow_redirects=False) as http:
        while time.monotonic() < deadline:
            claimed = _deliveries_claim(now=now or timezone.now(), skip_endpoints=failing, limit=CLAIM_BATCH)
            if not claimed:
                break
            for delivery in claimed:
                if delivery.endpoint_id in failing or time.monotonic() >= deadline:
                    # due again at once, as it was before the claim
                    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.next_attempt_at)
                    counts["postponed"] += 1
                    continue
                if delivery_attempt(delivery, http=http, now=now):
                    counts["delivered"] += 1
                else:
                    counts["failed"] += 1
                    failing.add(delivery.endpoint_id)
    return counts


def delivery_attempt(delivery: WebhookDelivery, *, http: httpx.Client, now: datetime | None = None) -> bool:
    """Send one delivery once and record how it went; True when the endpoint answered 2xx."""
    event, endpoint = delivery.event, delivery.endpoint
    at = now or timezone.now()
    body = webhook_body(event)
    status_code, error = None, ""
    started = time.perf_counter()
    try:
        response = http.post(endpoint.url, content=body, headers=webhook_headers(endpoint, event, body, at=at))
        status_code = response.status_code
        if not 200 <= status_code < 300:
            answer = response.text.strip()[:300]
            error = f"HTTP {status_code}: {answer}" if answer else f"HTTP {status_code}"
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
    latency_ms = round((time.perf_counter() - started) * 1000)
    _attempt_record(delivery, at=at, status_code=status_code, latency_ms=latency_ms, error=error)
    return not error


@transaction.atomic
def _attempt_record(delivery: WebhookDelivery, *, at: datetime, status_code: int | None, latency_ms: int, error: str):
    WebhookAttempt.objects.create(delivery=delivery, at=at, status_code=status_code, latency_ms=latency_ms, error=error)
    delivery.attempts += 1
    delivery.tries += 1
    delivery.first_try_at = delivery.first_try_at or at
    delivery.last_status_code, delivery.last_latency_ms, delivery.last_error = status_code, latency_ms, error
    if not error:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = WebhookDelivery.Status.DELIVERED, at, None
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id, failing_since__isnull=False).update(failing_since=None)
    else:
        if at - delivery.first_try_at >= RETRY_WINDOW:
            delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
        else:
            delivery.next_attempt_at = at + retry_delay(delivery.tries)
        _endpoint_failed(delivery.endpoint_id, at=at)
    delivery.save(
        update_fields=[
            "attempts",
            "tries",
            "first_try_at",
            "last_status_code",
            "last_latency_ms",
            "last_error",
            "status",
            "delivered_at",
            "next_attempt_at",
        ]
    )


def _endpoint_failed(endpoint_id: int, *, at: datetime) -> None:
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint_id)
    if endpoint.failing_since is None:
        endpoint.failing_since = at
        endpoint.save(update_fields=["failing_since"])
    elif endpoint.is_active and at - endpoint.failing_since >= DISABLE_AFTER:
        endpoint.is_active, endpoint.disabled_at = False, at
        endpoint.save(update_fields=["is_active", "disabled_at"])
        logger.warning("Webhook endpoint %s disabled after failing since %s", endpoint.url, endpoint.failing_since)
        transaction.on_commit(lambda: _owner_tell_disabled(endpoint_id))


def _owner_tell_disabled(endpoint_id: int) -> None:
    endpoint = WebhookEndpoint.objects.select_related("client__owner").get(pk=endpoint_id)
    client = endpoint.client
    owner = client.owner
    if owner is None or not owner.email:
        logger.warning("Webhook endpoint %s disabled; API client %s has no owner with an email", endpoint.url, client)
        return
    last = WebhookAttempt.objects.filter(delivery__endpoint=endpoint).order_by("-at", "-pk").first()
    context = {
        "endpoint": endpoint,
        "client": client,
        "owner": owner,
        "last_error": last.error if last else "",
        "admin_url": settings.VOZ_PUBLIC_BASE_URL.rstrip("/") + f"/admin/core/webhookendpoint/{endpoint.pk}/change/",
    }
    with regional_override(client.owner_language):
        subject = gettext("Voz stopped sending webhooks to %(url)s") % {"url": endpoint.url}
        body = render_to_string("core/webhook_endpoint_disabled_email.txt", context)
    try:
        send_mail(subject, body, None, [owner.email])
    except Exception:  # the endpoint stays disabled either way; the admin shows it
        logger.warning("Could not email %s about webhook endpoint %s", owner.email, endpoint.url, exc_info=True)


# ---------------------------------------------------------------------------------------
# Staff actions
# ---------------------------------------------------------------------------------------
@transaction.atomic
def webhook_delivery_redeliver(*, delivery: WebhookDelivery, user=None, now: datetime | None = None) -> None:
    """Send a delivery again soon, under the same webhook-id, with a fresh round of retries."""
    from core.audit import audit

    now = now or timezone.now()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=now, tries=0, first_try_at=None
    )
    audit("webhook.redeliver", delivery, actor=user, summary=str(delivery)[:200])
    webhooks_deliver_after_commit([delivery.event_id])


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, user=None) -> str:
    from core.audit import audit
    from core.models import webhook_secret_new

    endpoint.secret = webhook_secret_new()
    endpoint.save(update_fields=["secret"])
    audit("webhook_endpoint.rotate_secret", endpoint, actor=user, summary=endpoint.url)
    return endpoint.secret
