"""Staff notifications: who hears about a case or an alert, on which channel, and when.

Who, with no setup (each list falls back to the next so that an event never reaches nobody):
- a new complaint: the agents of the case's team (its members in the "Support agents" group, or
  all its members), all agents when the case has no team or the team has none, else the managers;
- an SLA warning: the assignee, or the team's agents while nobody is assigned;
- an SLA breach: the assignee and the team's managers (the team's members in "Managers", else
  every manager, else the admins); still breached `SLA_ESCALATE_AFTER` later, it escalates one
  level, to the admins;
- a fired alert: the managers (the admins when there are none).
While a case has no assignee its warnings and breaches also go to the team mailbox, if it has one.

How: each person's preferences (one row per event, defaults: every channel, at once). Digest
items are stored with `deliver_in_digest` for the digest to pick up; quiet hours, in the person's
own time zone, hold their emails until the hours end (the bell shows the item at once, and a
team chat is not held for one member's night).

Reliability: `notify` writes the outbox (a Notification per recipient, a NotificationDelivery per
channel) in the caller's transaction, with unique constraints that make a repeated announcement
a no-op. After the commit the deliveries are handed to a task, and `deliveries_send_due` (beat,
every minute) sends whatever is due: retries, emails held by quiet hours, hand-overs lost with the
broker. A failed send stays pending with its next attempt after an exponential backoff; after
MAX_ATTEMPTS it is marked failed, which the staff pages show with a retry button.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.db.models.functions import Lower
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext

from core.roles import AGENTS, MANAGERS
from core.shop import regional_override, shop_settings
from support.models import (
    Case,
    ChatWebhook,
    Notification,
    NotificationDelivery,
    NotificationEvent,
    NotificationPreference,
    SLANotice,
    StaffProfile,
    Team,
)

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 12
BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_LONGEST = timedelta(hours=6)


# ---------------------------------------------------------------------------------------
# Who
# ---------------------------------------------------------------------------------------
def _people() -> QuerySet:
    return get_user_model().objects.filter(is_active=True)


def admins() -> list:
    return list(_people().filter(is_superuser=True).order_by("pk"))


def managers_of(team: Team | None) -> list:
    """The team's managers; every manager when the team has none; the admins when nobody manages."""
    managers = _people().filter(groups__name=MANAGERS)
    if team is not None:
        found = list(managers.filter(support_teams=team).order_by("pk"))
        if found:
            return found
    return list(managers.order_by("pk")) or admins()


def agents_of(team: Team | None) -> list:
    """The team's agents (or members); every agent without a team; the managers when there are no agents."""
    if team is not None:
        members = _people().filter(support_teams=team)
        found = list(members.filter(groups__name=AGENTS).order_by("pk")) or list(members.order_by("pk"))
        if found:
            return found
    return list(_people().filter(groups__name=AGENTS).order_by("pk")) or managers_of(team)


# ---------------------------------------------------------------------------------------
# Preferences and quiet hours
# ---------------------------------------------------------------------------------------
def preference_for(user, event: str) -> NotificationPreference:
    """The stored choice, or the default (every channel, at once) as an unsaved row."""
    found = NotificationPreference.objects.filter(user=user, event=event).first()
    return found or NotificationPreference(user=user, event=event)


def profile_for(user) -> StaffProfile:
    """The stored profile, or the defaults (the shop's language and time zone) as an unsaved row."""
    found = StaffProfile.objects.filter(user=user).first() if user.pk else None
    return found or StaffProfile(user=user)


def languages_of(addresses: Iterable[str]) -> dict[str, list[str]]:
    """Email addresses grouped by the language their readers chose: a staff member's own (their
    profile), the shop's default for an address that is nobody's account."""
    addresses = list(addresses)
    people = _people().annotate(address=Lower("email")).filter(address__in={a.lower() for a in addresses})
    chosen = {person.address: profile_for(person).language for person in people.select_related("staff_profile")}
    grouped: dict[str, list[str]] = {}
    for address in addresses:
        grouped.setdefault(chosen.get(address.lower()) or shop_settings().default_language, []).append(address)
    return grouped


def quiet_until(profile: StaffProfile, now: datetime) -> datetime | None:
    """When the person's quiet hours end, if `now` falls inside them (a span may cross midnight)."""
    if profile.quiet_from is None or profile.quiet_until is None or profile.quiet_from == profile.quiet_until:
        return None
    zone = ZoneInfo(profile.time_zone)
    local = now.astimezone(zone)
    start, end, clock = profile.quiet_from, profile.quiet_until, local.time().replace(tzinfo=None)
    inside = start <= clock < end if start < end else clock >= start or clock < end
    if not inside:
        return None
    day = local.date() if clock < end else local.date() + timedelta(days=1)
    # A wall time the clocks skip (spring forward) is read by zoneinfo as after the jump.
    return datetime.combine(day, end, tzinfo=zone).astimezone(ZoneInfo("UTC"))


# ---------------------------------------------------------------------------------------
# The outbox
# ---------------------------------------------------------------------------------------
@dataclass
class Announcement:
    event: str
    key: str
    case: Case | None = None
    data: dict = field(default_factory=dict)


def _chat_webhooks_for(announcement: Announcement, user) -> list[ChatWebhook]:
    """A case is posted to its team's channels; an event without a case to the person's teams'."""
    webhooks = ChatWebhook.objects.filter(is_active=True)
    if announcement.case is not None:
        if announcement.case.team_id is None:
            return []
        return list(webhooks.filter(team_id=announcement.case.team_id))
    return list(webhooks.filter(team__members=user).distinct()) if user is not None else []


def _create_once(model, **fields):
    """The new row, or None when a unique constraint says it exists already."""
    try:
        with transaction.atomic():
            return model.objects.create(**fields)
    except IntegrityError:
        return None


@transaction.atomic
def notify(
    announcement: Announcement, *, people: Iterable, mailboxes: Sequence[str] = (), now: datetime | None = None
) -> list[Notification]:
    """Write the outbox rows for one event; a second call for the same event adds nothing."""
    now = now or timezone.now()
    created: list[Notification] = []
    deliveries: list[int] = []
    seen: set[int] = set()
    for person in people:
        if person is None or person.pk in seen or not person.is_active:
            continue
        seen.add(person.pk)
        choice = preference_for(person, announcement.event)
        if not (choice.in_app or choice.email or choice.chat):
            continue
        notification = _create_once(
            Notification,
            recipient=person,
            event=announcement.event,
            event_key=announcement.key,
            case=announcement.case,
            data=announcement.data,
            created_at=now,
            show_in_app=choice.in_app,
            deliver_in_digest=choice.in_digest and (choice.email or choice.chat),
        )
        if notification is None:
            continue
        created.append(notification)
        if choice.in_digest:
            continue  # the digest sends it
        if choice.email:
            deliveries.append(_email_delivery(notification, person, now).pk)
        if choice.chat:
            for webhook in _chat_webhooks_for(announcement, person):
                delivery = _create_once(
                    NotificationDelivery,
                    notification=notification,
                    channel=NotificationDelivery.Channel.CHAT,
                    event_key=announcement.key,
                    webhook=webhook,
                    next_attempt_at=now,
                    created_at=now,
                )
                if delivery is not None:
                    deliveries.append(delivery.pk)
    for address in dict.fromkeys(a.strip().lower() for a in mailboxes if a and a.strip()):
        notification = _create_once(
            Notification,
            address=address,
            event=announcement.event,
            event_key=announcement.key,
            case=announcement.case,
            data=announcement.data,
            created_at=now,
            show_in_app=False,
        )
        if notification is not None:
            created.append(notification)
            deliveries.append(_email_delivery(notification, None, now).pk)
    if deliveries:
        transaction.on_commit(lambda: _hand_over(deliveries))
    return created


def _email_delivery(notification: Notification, person, now: datetime) -> NotificationDelivery:
    fields = {"notification": notification, "channel": NotificationDelivery.Channel.EMAIL}
    fields |= {"event_key": notification.event_key, "next_attempt_at": now, "created_at": now}
    if person is not None and not person.email:
        # Shown on the staff pages, so someone can add the address; there is nothing to retry.
        fields |= {"status": NotificationDelivery.Status.FAILED, "last_error": "no email address"}
    elif person is not None:
        fields["next_attempt_at"] = quiet_until(profile_for(person), now) or now
    return NotificationDelivery.objects.create(**fields)


def _hand_over(delivery_ids: list[int]) -> None:
    from core.queueing import enqueue
    from support import tasks

    enqueue(tasks.notification_deliveries_send, delivery_ids)


# ---------------------------------------------------------------------------------------
# The events
# ---------------------------------------------------------------------------------------
def _case_data(case: Case, **extra) -> dict:
    # No copy of the subject (the complaint's first words): it is read from the case, so erasing
    # the customer's data erases it here too.
    return {"case": case.pk, "priority": case.priority, **extra}


def case_opened_announce(*, case: Case, actor=None, now: datetime | None = None) -> list[Notification]:
    people = [person for person in agents_of(case.team) if actor is None or person.pk != actor.pk]
    announcement = Announcement(NotificationEvent.NEW_COMPLAINT, f"case:{case.pk}:opened", case, _case_data(case))
    return notify(announcement, people=people, now=now)


def sla_notice_announce(*, notice: SLANotice, now: datetime | None = None) -> list[Notification]:
    """The warning, breach or escalation recorded in `notice`, to whoever the rules name."""
    case = notice.case
    assignee = case.assignee if case.assignee_id and case.assignee.is_active else None
    mailboxes = [case.team.email] if assignee is None and case.team and case.team.email else []
    if notice.kind == SLANotice.Kind.WARNING:
        event, people = NotificationEvent.SLA_WARNING, [assignee] if assignee else agents_of(case.team)
    elif notice.kind == SLANotice.Kind.BREACH:
        event, people = NotificationEvent.SLA_BREACH, [assignee, *managers_of(case.team)]
    else:
        heard = Notification.objects.filter(
            event_key=f"sla:{case.pk}:{notice.target}:breach:{notice.due_at.isoformat()}", recipient__isnull=False
        ).values_list("recipient_id", flat=True)
        event, people, mailboxes = NotificationEvent.SLA_ESCALATION, [a for a in admins() if a.pk not in heard], []
    data = _case_data(case, target=notice.target, due_at=notice.due_at.isoformat())
    key = f"sla:{case.pk}:{notice.target}:{notice.kind}:{notice.due_at.isoformat()}"
    return notify(Announcement(event, key, case, data), people=people, mailboxes=mailboxes, now=now)


def people_notified(*, key: str) -> QuerySet:
    """The people who got a notification of this event."""
    return _people().filter(notifications__event_key=key).distinct()


def alert_announce(
    *,
    key: str,
    rule: dict[str, str],
    value: float | None,
    signal: dict[str, str],
    url: str = "",
    now: datetime | None = None,
) -> list[Notification]:
    """A fired alert, to the managers. `rule` and `signal` name the rule and its kind in each
    language, since the rule lives above support; `url` is the page that shows it."""
    data = {"rule": rule, "value": value, "signal": signal, "url": url}
    return notify(Announcement(NotificationEvent.ALERT, key, None, data), people=managers_of(None), now=now)


# ---------------------------------------------------------------------------------------
# What the message says, in the reader's language and time zone
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Message:
    title: str
    lines: list[str]
    url: str
    link_label: str
    severity: str  # info / warning / danger: the colour of a chat card


def target_label(name: str) -> str:
    return {
        "first_response": gettext("first response"),
        "next_response": gettext("next response"),
        "resolution": gettext("resolution"),
    }.get(name, name)


def due_text(value: str | None, zone: str) -> str:
    if not value:
        return "–"
    local = datetime.fromisoformat(value).astimezone(ZoneInfo(zone))
    return f"{date_format(local, 'DATETIME_FORMAT')} ({zone})"


def case_url(case_id: int) -> str:
    return settings.VOZ_PUBLIC_BASE_URL + reverse("support:case", kwargs={"pk": case_id})


def message_for(notification: Notification, *, language: str, zone: str) -> Message:
    data, event = notification.data, notification.event
    with regional_override(language):
        if event == NotificationEvent.ALERT:
            value = data.get("value")
            rule = data.get("rule", "")  # by language; a plain name in alerts from before
            rule = rule.get(language) or next(iter(rule.values()), "") if isinstance(rule, dict) else rule
            title = gettext("Alert: %(rule)s") % {"rule": rule}
            signal = data.get("signal", {})
            lines = [signal.get(language) or next(iter(signal.values()), "")]
            if value is not None:
                lines.append(gettext("Value: %(value)s") % {"value": number_format(value, 1)})
            url = settings.VOZ_PUBLIC_BASE_URL + data["url"] if data.get("url") else ""
            return Message(title, lines, url, gettext("See the alert and its evidence"), "warning")
        names = {"case": data.get("case"), "subject": notification.case.subject if notification.case_id else ""}
        target = target_label(data.get("target", ""))
        titles = {
            NotificationEvent.NEW_COMPLAINT: gettext("New complaint: case #%(case)s"),
            NotificationEvent.SLA_WARNING: gettext("Case #%(case)s is about to breach its %(target)s target"),
            NotificationEvent.SLA_BREACH: gettext("Case #%(case)s breached its %(target)s target"),
            NotificationEvent.SLA_ESCALATION: gettext("Escalated: case #%(case)s is still past its %(target)s target"),
        }
        title = titles.get(event, "%(case)s") % {**names, "target": target}
        lines = [names["subject"]]
        if data.get("due_at"):
            lines.append(gettext("Due: %(due)s") % {"due": due_text(data["due_at"], zone)})
        priorities = dict(Case._meta.get_field("priority").choices)
        if data.get("priority") in priorities:
            lines.append(gettext("Priority: %(priority)s") % {"priority": priorities[data["priority"]]})
        severity = {
            NotificationEvent.SLA_BREACH: "danger",
            NotificationEvent.SLA_ESCALATION: "danger",
            NotificationEvent.SLA_WARNING: "warning",
        }.get(event, "info")
        url = case_url(data["case"]) if data.get("case") else ""
        return Message(title, lines, url, gettext("Open the case"), severity)


# ---------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------
def _backoff(attempts: int) -> timedelta:
    return min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_LONGEST)


def _shop_reader() -> tuple[str, str]:
    shop = shop_settings()
    return shop.default_language, shop.time_zone


def _reader_of(notification: Notification) -> tuple[str, str]:
    """(language, time zone) of whoever reads it: the person's profile, or the shop's for a mailbox."""
    if notification.recipient_id is None:
        return _shop_reader()
    profile = profile_for(notification.recipient)
    return profile.language, profile.time_zone


def _email_send(notification: Notification) -> None:
    language, zone = _reader_of(notification)
    message = message_for(notification, language=language, zone=zone)
    to = notification.recipient.email if notification.recipient_id else notification.address
    with regional_override(language):
        context = {"message": message, "shop_name": shop_settings().name, "language": language}
        context["settings_url"] = settings.VOZ_PUBLIC_BASE_URL + reverse("support:notification-settings")
        email = EmailMultiAlternatives(
            f"[Voz] {message.title}", render_to_string("support/email/staff_notification.txt", context), to=[to]
        )
        email.attach_alternative(render_to_string("support/email/staff_notification.html", context), "text/html")
    email.send()


def _chat_send(delivery: NotificationDelivery) -> None:
    from support import chat

    language, zone = _shop_reader()  # a team's channel: the shop's language, not one member's
    message = message_for(delivery.notification, language=language, zone=zone)
    chat.post(delivery.webhook, message)


def delivery_send(*, delivery_id: int, now: datetime | None = None) -> bool:
    """Send one due delivery; True once it has gone. Safe to call twice: the row is locked and
    only a pending, due one is sent."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = (
            NotificationDelivery.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("notification__recipient", "notification__case", "webhook")
            .filter(pk=delivery_id, status=NotificationDelivery.Status.PENDING, next_attempt_at__lte=now)
            .first()
        )
        if delivery is None:
            return False
        recipient = delivery.notification.recipient
        if delivery.channel == NotificationDelivery.Channel.EMAIL and recipient is not None:
            held_until = quiet_until(profile_for(recipient), now)
            if held_until is not None:
                delivery.next_attempt_at = held_until
                delivery.save(update_fields=["next_attempt_at"])
                return False
        if delivery.channel == NotificationDelivery.Channel.EMAIL and recipient is not None and not recipient.email:
            # the address was removed after the notification was made: nothing to retry until it is back
            delivery.status, delivery.last_error = NotificationDelivery.Status.FAILED, "no email address"
            delivery.save(update_fields=["status", "last_error"])
            return False
        delivery.attempts += 1
        try:
            if delivery.channel == NotificationDelivery.Channel.EMAIL:
                _email_send(delivery.notification)
            elif delivery.webhook is None or not delivery.webhook.is_active:
                raise RuntimeError("the chat webhook was removed or switched off")
            else:
                _chat_send(delivery)
        except Exception as error:  # any failure is recorded and retried, never lost in a log
            logger.warning("Notification delivery %s failed, attempt %s", delivery.pk, delivery.attempts, exc_info=True)
            delivery.last_error = f"{type(error).__name__}: {error}"[:1000]
            if delivery.attempts >= MAX_ATTEMPTS:
                delivery.status = NotificationDelivery.Status.FAILED
            else:
                delivery.next_attempt_at = now + _backoff(delivery.attempts)
            delivery.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            return False
        delivery.status, delivery.sent_at, delivery.last_error = NotificationDelivery.Status.SENT, now, ""
        delivery.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    return True


def deliveries_send(*, ids: Sequence[int], now: datetime | None = None) -> int:
    return sum(delivery_send(delivery_id=pk, now=now) for pk in ids)


def deliveries_send_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Everything due: retries, emails held by quiet hours, and hand-overs the broker lost."""
    now = now or timezone.now()
    ids = list(
        NotificationDelivery.objects.filter(status=NotificationDelivery.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return deliveries_send(ids=ids, now=now)


@transaction.atomic
def delivery_retry(*, delivery: NotificationDelivery, now: datetime | None = None) -> NotificationDelivery:
    """A failed delivery gets a new round of attempts (staff fixed the address or the endpoint)."""
    now = now or timezone.now()
    NotificationDelivery.objects.filter(pk=delivery.pk, status=NotificationDelivery.Status.FAILED).update(
        status=NotificationDelivery.Status.PENDING, attempts=0, next_attempt_at=now
    )
    transaction.on_commit(lambda: _hand_over([delivery.pk]))
    delivery.refresh_from_db()
    return delivery


# ---------------------------------------------------------------------------------------
# The reader's side
# ---------------------------------------------------------------------------------------
def unread_count(user) -> int:
    return Notification.objects.filter(recipient=user, show_in_app=True, read_at__isnull=True).count()


def notifications_mark_read(*, user, ids: Sequence[int] | None = None, now: datetime | None = None) -> int:
    """Mark the person's own notifications read (all of them without ids); others' are untouched."""
    found = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        found = found.filter(pk__in=list(ids))
    return found.update(read_at=now or timezone.now())


@transaction.atomic
def preferences_save(*, user, choices: dict[str, dict[str, bool]], **profile_fields) -> StaffProfile:
    """Store a person's choice per event and their profile (language, time zone, quiet hours)."""
    for event, values in choices.items():
        NotificationPreference.objects.update_or_create(user=user, event=event, defaults=values)
    profile, _created = StaffProfile.objects.update_or_create(user=user, defaults=profile_fields)
    return profile


def escalations_due(*, now: datetime) -> list[SLANotice]:
    """Breaches announced at least SLA_ESCALATE_AFTER ago, of open cases, not escalated yet."""
    escalated = SLANotice.objects.filter(
        kind=SLANotice.Kind.ESCALATION,
        case_id=OuterRef("case_id"),
        target=OuterRef("target"),
        due_at=OuterRef("due_at"),
    )
    return list(
        SLANotice.objects.filter(
            kind=SLANotice.Kind.BREACH,
            sent_at__lte=now - settings.SLA_ESCALATE_AFTER,
            case__status__in=Case.OPEN_STATUSES,
        )
        # a first response given late settles that breach: it is not checked again every minute
        .exclude(target="first_response", case__first_response_at__isnull=False)
        .exclude(Exists(escalated))
        .select_related("case__team", "case__assignee", "case__policy__calendar")
        .prefetch_related("case__pauses")
    )


def jobs_catch_up(*, now: datetime | None = None) -> None:
    """What beat runs every minute, run from a web request when no broker (and so no beat) runs."""
    from support import services

    services.sla_check(now=now)
    deliveries_send_due(now=now)
