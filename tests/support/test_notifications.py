"""Who hears what: the default recipients of each event, each person's preferences and quiet
hours, escalation, and an outbox that sends every message once and retries what fails."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from core.roles import AGENTS, MANAGERS
from support import notify, services
from support.models import (
    Case,
    ChatWebhook,
    Notification,
    NotificationDelivery,
    NotificationPreference,
    SLANotice,
    StaffProfile,
    Team,
)
from tests.chat_receiver import ChatReceiver
from tests.factories import CustomerFactory, FeedbackItemFactory, OrderFactory

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
NEW_YORK = ZoneInfo("America/New_York")
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=MADRID)


@pytest.fixture
def team():
    return Team.objects.get(slug="atencion-al-cliente")


@pytest.fixture
def make_person(django_user_model):
    def make(username, *, role=None, team=None, email=True, language=None, zone=None, **fields):
        user = django_user_model.objects.create_user(
            username=username,
            email=f"{username}@shop.example" if email else "",
            password="x",
            is_staff=True,
            **fields,
        )
        if role:
            user.groups.add(Group.objects.get_or_create(name=role)[0])
        if team:
            team.members.add(user)
        if language or zone:
            StaffProfile.objects.create(user=user, language=language or "es", time_zone=zone or "Europe/Madrid")
        return user

    return make


@pytest.fixture
def receiver():
    with ChatReceiver() as server:
        yield server


def complaint(now=MONDAY_10, customer=None) -> Case:
    item = FeedbackItemFactory(
        customer=customer or CustomerFactory(),
        text="Llegó roto y nadie contesta",
        sentiment="negative",
        sentiment_score=-0.9,
        sentiment_confidence=0.95,
        analysis_status="done",
    )
    (case,) = services.cases_open_for_feedback(ids=[item.pk], now=now)
    case.refresh_from_db()
    return case


def recipients(event: str, case: Case | None = None) -> set[str]:
    found = Notification.objects.filter(event=event, recipient__isnull=False)
    if case is not None:
        found = found.filter(case=case)
    return set(found.values_list("recipient__username", flat=True))


def first_response_breach(case: Case) -> datetime:
    """The first quarter-hour step after the due time at which the first-response clock has run out
    (the due time may fall just before a break, when the business clock stands still)."""
    at = case.sla_due_at + timedelta(minutes=1)
    while next(s.status for s in services.case_sla_states(case, now=at) if s.name == "first_response") != "breached":
        at += timedelta(minutes=15)
    return at


# ---------------------------------------------------------------------------------------
# Default recipients
# ---------------------------------------------------------------------------------------
def test_a_new_complaint_reaches_the_agents_of_its_team(make_person, team):
    make_person("ana", role=AGENTS, team=team)
    make_person("bruno", role=AGENTS, team=Team.objects.create(name="Redes", slug="redes"))
    make_person("marta", role=MANAGERS, team=team)

    case = complaint()
    notify.deliveries_send_due(now=MONDAY_10)

    assert recipients("new_complaint", case) == {"ana"}
    (email,) = mail.outbox
    assert email.to == ["ana@shop.example"] and f"#{case.pk}" in email.subject


def test_a_complaint_without_a_team_reaches_every_agent(make_person, team):
    make_person("ana", role=AGENTS)
    make_person("bruno", role=AGENTS)
    make_person("marta", role=MANAGERS)
    team.delete()

    case = complaint()

    assert case.team is None
    assert recipients("new_complaint", case) == {"ana", "bruno"}


def test_on_a_fresh_install_with_nobody_set_up_the_admin_hears_of_a_new_complaint(admin_user):
    case = complaint()

    assert recipients("new_complaint", case) == {admin_user.username}


def test_a_case_opened_by_hand_is_announced_to_the_team_but_not_to_who_opened_it(make_person, team):
    ana = make_person("ana", role=AGENTS, team=team)
    make_person("bruno", role=AGENTS, team=team)

    case = services.case_open_manual(subject="Llamada: pedido perdido", actor=ana, now=MONDAY_10)

    assert recipients("new_complaint", case) == {"bruno"}


def test_an_sla_warning_reaches_the_assignee_only(make_person, team):
    ana = make_person("ana", role=AGENTS, team=team)
    make_person("bruno", role=AGENTS, team=team)
    make_person("marta", role=MANAGERS, team=team)
    case = complaint()
    services.case_assign(case=case, assignee=ana)
    case.refresh_from_db()

    services.sla_check(now=case.sla_warning_at + timedelta(minutes=1))

    assert recipients("sla_warning", case) == {"ana"}


def test_an_unassigned_warning_reaches_the_teams_agents_and_its_mailbox(make_person, team):
    make_person("ana", role=AGENTS, team=team)
    make_person("marta", role=MANAGERS, team=team)
    Team.objects.filter(pk=team.pk).update(email="soporte@shop.example")
    case = complaint()
    Notification.objects.all().delete()  # the new-complaint notices are not what this is about

    services.sla_check(now=case.sla_warning_at + timedelta(minutes=1))
    notify.deliveries_send_due(now=case.sla_warning_at + timedelta(minutes=1))

    assert recipients("sla_warning", case) == {"ana"}
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@shop.example", "soporte@shop.example"]


def test_a_breach_reaches_the_assignee_and_the_teams_managers(make_person, team):
    ana = make_person("ana", role=AGENTS, team=team)
    make_person("marta", role=MANAGERS, team=team)
    make_person("otra", role=MANAGERS, team=Team.objects.create(name="Redes", slug="redes"))
    case = complaint()
    services.case_assign(case=case, assignee=ana)
    case.refresh_from_db()

    services.sla_check(now=first_response_breach(case))

    assert recipients("sla_breach", case) == {"ana", "marta"}


def test_a_breach_in_a_team_without_managers_reaches_every_manager(make_person, team):
    ana = make_person("ana", role=AGENTS, team=team)
    make_person("marta", role=MANAGERS)
    make_person("pablo", role=MANAGERS)
    case = complaint()
    services.case_assign(case=case, assignee=ana)
    case.refresh_from_db()

    services.sla_check(now=first_response_breach(case))

    assert recipients("sla_breach", case) == {"ana", "marta", "pablo"}


def test_a_breach_nobody_deals_with_escalates_to_the_admins_after_the_configured_delay(
    make_person, team, admin_user, settings
):
    settings.SLA_ESCALATE_AFTER = timedelta(minutes=30)
    ana = make_person("ana", role=AGENTS, team=team)
    make_person("marta", role=MANAGERS, team=team)
    case = complaint()
    services.case_assign(case=case, assignee=ana)
    case.refresh_from_db()
    breached_at = first_response_breach(case)

    services.sla_check(now=breached_at)
    services.sla_check(now=breached_at + timedelta(minutes=29))
    before_the_delay = recipients("sla_escalation", case)
    services.sla_check(now=breached_at + timedelta(minutes=30))
    services.sla_check(now=breached_at + timedelta(minutes=45))

    assert before_the_delay == set()
    assert recipients("sla_escalation", case) == {admin_user.username}
    assert Notification.objects.filter(event="sla_escalation").count() == 1
    assert case.events.filter(kind="sla_escalation").count() == 1


def test_a_breach_answered_within_the_delay_does_not_escalate(make_person, team, admin_user):
    ana = make_person("ana", role=AGENTS, team=team)
    case = complaint()
    services.case_assign(case=case, assignee=ana)
    case.refresh_from_db()
    breached_at = first_response_breach(case)
    services.sla_check(now=breached_at)

    answered_at = breached_at + timedelta(minutes=5)
    services.case_reply(case=case, text="Lo sentimos, lo miramos ya.", author=ana, now=answered_at)
    services.sla_check(now=breached_at + timedelta(hours=2))

    assert not SLANotice.objects.filter(kind="escalation").exists()
    assert recipients("sla_escalation") == set()


def test_a_fired_alert_reaches_the_managers_once_and_the_rule_does_not_email_them_twice(
    make_person, team, django_capture_on_commit_callbacks
):
    from analytics import alerts
    from analytics.models import AlertRule
    from tests.analytics.test_alerts import NOW, negative_items, quiet_history

    make_person("ana", role=AGENTS, team=team)
    make_person("marta", role=MANAGERS, language="en")
    AlertRule.objects.all().delete()  # the install's default rules are not this test's
    quiet_history(NOW)
    negative_items(6, NOW - timedelta(hours=1))
    AlertRule.objects.create(
        name="Pico negativo", kind="negative_spike", emails="marta@shop.example\njefa@shop.example"
    )

    with django_capture_on_commit_callbacks(execute=True):
        alerts.alerts_check(now=NOW)
        alerts.alerts_check(now=NOW + timedelta(minutes=15))

    assert recipients("alert") == {"marta"}
    to = sorted(m.to[0] for m in mail.outbox)
    assert to == ["jefa@shop.example", "marta@shop.example"]
    (marta_email,) = [m for m in mail.outbox if m.to == ["marta@shop.example"]]
    assert marta_email.subject == "[Voz] Alert: Pico negativo"
    episode = AlertRule.objects.get().episodes.get()
    # the notification links to the alert's page, with the evidence
    assert f"https://voz.example/dashboards/alerts/fired/{episode.pk}/" in marta_email.body


# ---------------------------------------------------------------------------------------
# Preferences and quiet hours
# ---------------------------------------------------------------------------------------
def test_preferences_choose_the_channels_and_the_digest_per_event(make_person, team):
    ana = make_person("ana", role=AGENTS, team=team)
    bruno = make_person("bruno", role=AGENTS, team=team)
    carla = make_person("carla", role=AGENTS, team=team)
    NotificationPreference.objects.create(user=ana, event="new_complaint", email=False)
    NotificationPreference.objects.create(user=bruno, event="new_complaint", in_digest=True)
    NotificationPreference.objects.create(user=carla, event="new_complaint", in_app=False, email=False, chat=False)

    complaint()
    notify.deliveries_send_due(now=MONDAY_10)

    assert recipients("new_complaint") == {"ana", "bruno"}
    assert notify.unread_count(ana) == 1 and notify.unread_count(bruno) == 1
    assert Notification.objects.get(recipient=bruno).deliver_in_digest is True
    assert Notification.objects.get(recipient=ana).deliver_in_digest is False
    assert not NotificationDelivery.objects.exists()
    assert mail.outbox == []


def test_quiet_hours_hold_emails_until_they_end_in_the_persons_time_zone(make_person, team):
    ana = make_person("ana", role=AGENTS, team=team, language="en", zone="America/New_York")
    # a focus morning: nothing by email from 9 to 12 in New York
    StaffProfile.objects.filter(user=ana).update(quiet_from=time(9), quiet_until=time(12))
    valued = CustomerFactory()
    OrderFactory(customer=valued, total=Decimal("450"))
    case = complaint(customer=valued)  # strong complaint + customer value: High, first response in 4 h
    services.case_assign(case=case, assignee=ana)
    case.refresh_from_db()
    Notification.objects.all().delete()
    # due at 14:00 in Madrid, where the clock stops for lunch: breached at 15:01, 9:01 in New York
    breached_at = first_response_breach(case)
    assert breached_at == datetime(2026, 3, 2, 9, 1, tzinfo=NEW_YORK)

    services.sla_check(now=breached_at)
    notify.deliveries_send_due(now=breached_at)
    held = list(mail.outbox)
    morning = datetime(2026, 3, 2, 12, 0, tzinfo=NEW_YORK)
    notify.deliveries_send_due(now=morning - timedelta(minutes=1))
    still_held = list(mail.outbox)
    notify.deliveries_send_due(now=morning)

    assert held == still_held == []
    assert notify.unread_count(ana) == 1  # the bell shows it at once
    (email,) = mail.outbox
    assert email.subject == f"[Voz] Case #{case.pk} breached its first response target"
    # the due time in her own zone: 14:00 in Madrid is 8:00 in New York (day first: the shop is not in the US)
    assert "Due: 2 Mar 2026, 08:00 (America/New_York)" in email.body


def test_quiet_hours_within_one_day_and_outside_them():
    profile = StaffProfile(time_zone="Europe/Madrid", quiet_from=time(13), quiet_until=time(15))

    assert notify.quiet_until(profile, datetime(2026, 3, 2, 14, 0, tzinfo=MADRID)) == datetime(
        2026, 3, 2, 15, 0, tzinfo=MADRID
    )
    assert notify.quiet_until(profile, datetime(2026, 3, 2, 15, 0, tzinfo=MADRID)) is None
    assert notify.quiet_until(profile, datetime(2026, 3, 2, 12, 59, tzinfo=MADRID)) is None
    overnight = StaffProfile(time_zone="Europe/Madrid", quiet_from=time(22), quiet_until=time(7))
    assert notify.quiet_until(overnight, datetime(2026, 3, 2, 23, 30, tzinfo=MADRID)) == datetime(
        2026, 3, 3, 7, 0, tzinfo=MADRID
    )
    # the night the clocks go forward (29 March in Madrid) still ends at 7:00 local time
    assert notify.quiet_until(overnight, datetime(2026, 3, 29, 1, 0, tzinfo=MADRID)) == datetime(
        2026, 3, 29, 7, 0, tzinfo=MADRID
    )


# ---------------------------------------------------------------------------------------
# The outbox: once per recipient and channel, retried with backoff, failures shown
# ---------------------------------------------------------------------------------------
def test_however_often_the_check_and_the_sender_run_each_person_gets_one_email(make_person, team):
    ana = make_person("ana", role=AGENTS, team=team, language="es")
    make_person("marta", role=MANAGERS, team=team, language="en")
    case = complaint()
    services.case_assign(case=case, assignee=ana)
    case.refresh_from_db()
    Notification.objects.all().delete()
    breached_at = first_response_breach(case)

    for minute in range(5):
        services.sla_check(now=breached_at + timedelta(minutes=minute))
        notify.deliveries_send_due(now=breached_at + timedelta(minutes=minute))
    delivery = NotificationDelivery.objects.first()
    sent_again = notify.delivery_send(delivery_id=delivery.pk, now=breached_at + timedelta(minutes=6))

    assert sent_again is False
    assert sorted(m.to[0] for m in mail.outbox) == ["ana@shop.example", "marta@shop.example"]
    spanish, english = sorted(mail.outbox, key=lambda m: m.to[0])
    assert spanish.subject == f"[Voz] El caso #{case.pk} ha incumplido su objetivo de primera respuesta"
    assert english.subject == f"[Voz] Case #{case.pk} breached its first response target"
    for email in (spanish, english):
        assert f"https://voz.example/support/cases/{case.pk}/" in email.body
        assert f'href="https://voz.example/support/cases/{case.pk}/"' in email.alternatives[0][0]


def test_announcing_the_same_event_twice_adds_nothing(make_person, team):
    make_person("ana", role=AGENTS, team=team)
    case = complaint()

    again = notify.case_opened_announce(case=case)

    assert again == []
    assert Notification.objects.count() == 1 and NotificationDelivery.objects.count() == 1


def test_an_smtp_failure_is_retried_with_growing_waits_until_it_goes(make_person, team, settings):
    make_person("ana", role=AGENTS, team=team)
    settings.EMAIL_BACKEND = "tests.broken_email.BrokenEmailBackend"
    complaint()
    (delivery,) = NotificationDelivery.objects.all()

    notify.deliveries_send_due(now=MONDAY_10)
    delivery.refresh_from_db()
    first_wait = delivery.next_attempt_at - MONDAY_10
    notify.deliveries_send_due(now=MONDAY_10 + timedelta(seconds=30))  # not due yet
    notify.deliveries_send_due(now=MONDAY_10 + first_wait)
    delivery.refresh_from_db()
    second_wait = delivery.next_attempt_at - (MONDAY_10 + first_wait)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notify.deliveries_send_due(now=delivery.next_attempt_at)
    delivery.refresh_from_db()

    assert (first_wait, second_wait) == (timedelta(minutes=1), timedelta(minutes=2))
    assert delivery.status == "sent" and delivery.attempts == 3 and delivery.last_error == ""
    assert len(mail.outbox) == 1


def test_a_delivery_that_keeps_failing_is_marked_failed_shown_and_can_be_retried(make_person, team, client, settings):
    make_person("ana", role=AGENTS, team=team)
    marta = make_person("marta", role=MANAGERS, team=team)
    settings.EMAIL_BACKEND = "tests.broken_email.BrokenEmailBackend"
    complaint()
    delivery = NotificationDelivery.objects.get(notification__recipient__username="ana")
    now = MONDAY_10
    for _ in range(notify.MAX_ATTEMPTS):
        notify.deliveries_send_due(now=now)
        delivery.refresh_from_db()
        now = delivery.next_attempt_at
    assert delivery.status == "failed" and delivery.attempts == notify.MAX_ATTEMPTS

    client.force_login(marta)
    client.cookies["django_language"] = "en"
    log = client.get("/support/notifications/deliveries/", {"status": "failed"})
    retried = client.post(f"/support/notifications/deliveries/{delivery.pk}/retry/")
    delivery.refresh_from_db()

    assert log.status_code == 200
    html = log.content.decode()
    assert "Failed" in html and "SMTP server refused the connection" in html and "Retry" in html
    assert retried.status_code == 302 and delivery.status == "pending" and delivery.attempts == 0


def test_a_person_without_an_email_address_shows_as_a_failed_email(make_person, team):
    ana = make_person("ana", role=AGENTS, team=team, email=False)

    complaint()

    delivery = NotificationDelivery.objects.get(notification__recipient=ana)
    assert delivery.status == "failed" and "no email address" in delivery.last_error
    assert notify.unread_count(ana) == 1


# ---------------------------------------------------------------------------------------
# Team chat
# ---------------------------------------------------------------------------------------
def test_a_breach_is_posted_once_to_the_teams_slack_channel(make_person, team, receiver):
    ana = make_person("ana", role=AGENTS, team=team)
    make_person("marta", role=MANAGERS, team=team)
    ChatWebhook.objects.create(team=team, name="#soporte", url=receiver.url("/slack"))
    case = complaint()
    services.case_assign(case=case, assignee=ana)
    case.refresh_from_db()
    receiver.posts.clear()
    Notification.objects.all().delete()
    breached_at = first_response_breach(case)

    services.sla_check(now=breached_at)
    notify.deliveries_send_due(now=breached_at)
    notify.deliveries_send_due(now=breached_at + timedelta(minutes=5))

    (post,) = receiver.posts  # ana and marta both want chat: the channel hears it once
    payload = post["json"]
    assert post["path"] == "/slack" and post["headers"]["Content-Type"].startswith("application/json")
    assert payload["text"] == f"El caso #{case.pk} ha incumplido su objetivo de primera respuesta"
    (attachment,) = payload["attachments"]
    assert attachment["title_link"] == f"https://voz.example/support/cases/{case.pk}/"
    assert attachment["color"] == "#b3261e" and case.subject in attachment["text"]


def test_a_teams_workflow_gets_an_adaptive_card_with_a_button_to_the_case(make_person, team, receiver):
    make_person("ana", role=AGENTS, team=team)
    ChatWebhook.objects.create(team=team, name="Teams", kind="teams", url=receiver.url("/teams"))

    case = complaint()
    notify.deliveries_send_due(now=MONDAY_10)

    (post,) = receiver.posts
    assert post["json"]["type"] == "message"
    (attachment,) = post["json"]["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["body"][0]["text"] == f"Nueva queja: caso #{case.pk}"
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Abrir el caso", "url": f"https://voz.example/support/cases/{case.pk}/"}
    ]


def test_a_chat_endpoint_that_is_down_gets_the_message_when_it_is_back(make_person, team, receiver):
    make_person("ana", role=AGENTS, team=team)
    ChatWebhook.objects.create(team=team, name="#soporte", url=receiver.url())
    receiver.status = 503

    complaint()
    notify.deliveries_send_due(now=MONDAY_10)
    chat = NotificationDelivery.objects.get(channel="chat")
    failed_once = (chat.status, chat.attempts, chat.last_error)
    receiver.status = 200
    notify.deliveries_send_due(now=MONDAY_10 + timedelta(minutes=1))
    chat.refresh_from_db()

    assert failed_once == ("pending", 1, "ChatError: HTTP 503 Service Unavailable")
    assert chat.status == "sent" and len(receiver.posts) == 2
    assert NotificationDelivery.objects.get(channel="email").status == "sent"


def test_a_manager_sends_a_test_message_and_hears_whether_it_arrived(make_person, team, client, receiver):
    marta = make_person("marta", role=MANAGERS, team=team)
    webhook = ChatWebhook.objects.create(team=team, name="#soporte", url=receiver.url())
    client.force_login(marta)

    sent = client.post(f"/support/notifications/chat/{webhook.pk}/test/", follow=True)
    receiver.status = 500
    refused = client.post(f"/support/notifications/chat/{webhook.pk}/test/", follow=True)
    ChatWebhook.objects.filter(pk=webhook.pk).update(url="http://127.0.0.1:9/nobody-listens")
    unreachable = client.post(f"/support/notifications/chat/{webhook.pk}/test/", follow=True)

    assert sent.status_code == 200 and "Mensaje de prueba enviado a «#soporte»." in sent.content.decode()
    assert receiver.posts[0]["json"]["text"] == "Mensaje de prueba de Voz"
    assert "no llegó: HTTP 500" in refused.content.decode()
    assert unreachable.status_code == 200 and "no llegó" in unreachable.content.decode()


def test_managers_add_a_teams_webhook_and_a_bad_address_is_refused(make_person, team, client):
    marta = make_person("marta", role=MANAGERS, team=team)
    client.force_login(marta)
    client.cookies["django_language"] = "en"

    bad = client.post(
        "/support/notifications/chat/", {"team": team.pk, "name": "x", "kind": "slack", "url": "ftp://chat.example/x"}
    )
    unknown_kind = client.post(
        "/support/notifications/chat/", {"team": team.pk, "name": "x", "kind": "irc", "url": "https://chat/x"}
    )
    good = client.post(
        "/support/notifications/chat/",
        {
            "team": team.pk,
            "name": "Soporte",
            "kind": "teams",
            "url": "https://example.webhook.office.com/workflows/s3cr3t-token-1234",
        },
    )

    assert bad.status_code == 400 and "starts with https://" in bad.content.decode()
    assert unknown_kind.status_code == 400
    assert good.status_code == 302
    assert list(ChatWebhook.objects.values_list("name", "kind")) == [("Soporte", "teams")]
    page = client.get("/support/notifications/chat/").content.decode()
    assert "Send test message" in page and "Microsoft Teams (workflow webhook)" in page
    # the address is its own password: the page shows where it goes, not the secret
    assert "https://example.webhook.office.com/…1234" in page and "s3cr3t-token" not in page


def test_agents_cannot_see_the_delivery_log_or_set_up_chat(make_person, team, client):
    ana = make_person("ana", role=AGENTS, team=team)
    webhook = ChatWebhook.objects.create(team=team, name="#soporte", url="https://chat.example/hook")
    client.force_login(ana)

    assert client.get("/support/notifications/deliveries/").status_code == 403
    assert client.get("/support/notifications/chat/").status_code == 403
    assert client.post(f"/support/notifications/chat/{webhook.pk}/test/").status_code == 403
    assert client.post(f"/support/notifications/chat/{webhook.pk}/delete/").status_code == 403
    assert ChatWebhook.objects.count() == 1


# ---------------------------------------------------------------------------------------
# The bell, the list and the preferences page
# ---------------------------------------------------------------------------------------
def test_every_staff_page_shows_the_bell_with_the_unread_count(make_person, team, client):
    ana = make_person("ana", role=AGENTS, team=team)
    complaint()
    complaint()
    client.force_login(ana)

    inbox = client.get("/support/").content.decode()
    feed = client.get("/feedback/").content.decode()
    bell = client.get("/support/notifications/bell/")

    for html in (inbox, feed):
        assert 'id="notification-bell"' in html and '<span class="bell-count">2</span>' in html
        assert 'hx-get="/support/notifications/bell/"' in html
    assert bell.status_code == 200 and '<span class="bell-count">2</span>' in bell.content.decode()
    assert "Notificaciones: 2 sin leer" in bell.content.decode()


def test_each_person_sees_and_opens_only_their_own_notifications(make_person, team, client):
    ana = make_person("ana", role=AGENTS, team=team)
    bruno = make_person("bruno", role=AGENTS, team=Team.objects.create(name="Redes", slug="redes"))
    case = complaint()
    theirs = Notification.objects.get(recipient=ana)
    client.force_login(bruno)

    listed = client.get("/support/notifications/")
    opened = client.post(f"/support/notifications/{theirs.pk}/open/")
    read_all = client.post("/support/notifications/read/")
    theirs.refresh_from_db()

    assert listed.status_code == 200 and f"#{case.pk}" not in listed.content.decode()
    assert opened.status_code == 404 and read_all.status_code == 302
    assert theirs.read_at is None
    client.force_login(ana)
    own = client.get("/support/notifications/").content.decode()
    assert f"Nueva queja: caso #{case.pk}" in own and "Correo electrónico: Pendiente" in own
    opened = client.post(f"/support/notifications/{theirs.pk}/open/")
    theirs.refresh_from_db()
    assert opened.status_code == 302 and opened["Location"] == f"/support/cases/{case.pk}/"
    assert theirs.read_at is not None and notify.unread_count(ana) == 0


def test_the_list_reads_in_english_too_and_marks_everything_read(make_person, team, client):
    ana = make_person("ana", role=AGENTS, team=team)
    case = complaint()
    client.force_login(ana)
    client.cookies["django_language"] = "en"

    page = client.get("/support/notifications/").content.decode()
    client.post("/support/notifications/read/")

    assert f"New complaint: case #{case.pk}" in page and "Mark all as read" in page
    assert notify.unread_count(ana) == 0


def test_notifications_need_a_login(client):
    assert client.get("/support/notifications/").status_code == 302
    assert client.get("/support/notifications/bell/").status_code == 302


def test_preferences_are_saved_from_the_page(make_person, team, client):
    ana = make_person("ana", role=AGENTS, team=team)
    client.force_login(ana)
    page = client.get("/support/notifications/settings/")
    form = {
        "language": "en",
        "time_zone": "America/New_York",
        "quiet_from": "22:00",
        "quiet_until": "07:00",
        **{f"{event}-in_app": "on" for event in ("new_complaint", "sla_warning", "sla_breach")},
        "sla_breach-email": "on",
        "sla_breach-chat": "on",
        **{f"{event}-delivery": "now" for event in ("sla_warning", "sla_breach", "sla_escalation", "alert")},
        "new_complaint-delivery": "digest",
    }

    saved = client.post("/support/notifications/settings/", form)

    assert page.status_code == 200 and "Notificaciones" in page.content.decode()
    assert "Correo" in page.content.decode() and "En el resumen" in page.content.decode()
    assert saved.status_code == 302
    profile = StaffProfile.objects.get(user=ana)
    assert (profile.language, profile.time_zone, profile.quiet_from, profile.quiet_until) == (
        "en",
        "America/New_York",
        time(22),
        time(7),
    )
    new_complaint = NotificationPreference.objects.get(user=ana, event="new_complaint")
    breach = NotificationPreference.objects.get(user=ana, event="sla_breach")
    alert = NotificationPreference.objects.get(user=ana, event="alert")
    assert (new_complaint.in_app, new_complaint.email, new_complaint.in_digest) == (True, False, True)
    assert (breach.in_app, breach.email, breach.chat, breach.in_digest) == (True, True, True, False)
    assert (alert.in_app, alert.email, alert.chat) == (False, False, False)
    # the page offers the zone now chosen as the selected one, marked as a name not to translate
    zones = client.get("/support/notifications/settings/").content.decode().split('<select name="time_zone"')[1]
    zones = zones.split("</select>")[0]
    assert '<option value="America/New_York" translate="no" selected>America/New_York</option>' in zones
    assert zones.count(" selected>") == 1
    client.cookies["django_language"] = "en"
    english = client.get("/support/notifications/settings/").content.decode()
    assert "In the digest" in english and 'value="22:00"' in english


@pytest.mark.parametrize(
    "change",
    [
        {"time_zone": "Mars/Olympus"},
        {"quiet_until": ""},
        {"quiet_from": "25:99"},
        {"new_complaint-delivery": "weekly-ish"},
        {"language": "fr"},
    ],
)
def test_bad_preferences_are_refused_and_change_nothing(make_person, team, client, change):
    ana = make_person("ana", role=AGENTS, team=team)
    client.force_login(ana)
    form = {"language": "es", "time_zone": "Europe/Madrid", "quiet_from": "22:00", "quiet_until": "07:00"}
    form |= {f"{event}-delivery": "now" for event in notify.NotificationEvent.values} | change

    answer = client.post("/support/notifications/settings/", form)

    assert answer.status_code == 400
    assert not StaffProfile.objects.filter(user=ana).exists()
    assert not NotificationPreference.objects.filter(user=ana).exists()


def test_without_a_broker_the_bell_runs_the_sla_check_and_sends_what_is_due(make_person, team, client, settings):
    """`make run` has no beat: the bell's poll stands in for it, at most once a minute."""
    ana = make_person("ana", role=AGENTS, team=team)
    case = complaint(now=MONDAY_10 - timedelta(days=7))
    services.case_assign(case=case, assignee=ana)
    Notification.objects.all().delete()
    settings.NOTIFY_JOBS_FROM_WEB = True
    client.force_login(ana)

    page = client.get("/support/").content.decode()
    bell = client.get("/support/notifications/bell/").content.decode()

    assert 'hx-trigger="load delay:1s, every 30s"' in page  # the page's bell polls at once
    assert 'hx-trigger="every 30s"' in bell  # the polled one does not start a loop of loads
    assert recipients("sla_breach", case) == {"ana"}
    assert mail.outbox and all(m.to == ["ana@shop.example"] for m in mail.outbox)
    unread = Notification.objects.filter(recipient=ana).count()
    assert f'<span class="bell-count">{unread}</span>' in bell
    assert SLANotice.objects.filter(case=case, kind="breach").count() >= 1


def test_erasing_a_customer_erases_their_words_from_the_notifications(make_person, team, client):
    from privacy.services import customer_erase

    ana = make_person("ana", role=AGENTS, team=team)
    case = complaint()
    client.force_login(ana)
    before = client.get("/support/notifications/").content.decode()

    customer_erase(customer=case.customer, reason="GDPR request")
    after = client.get("/support/notifications/").content.decode()

    assert "Llegó roto y nadie contesta" in before
    assert "Llegó roto" not in after and f"Nueva queja: caso #{case.pk}" in after
    assert "Llegó roto" not in str(Notification.objects.get(recipient=ana).data)
