"""Managers' daily and weekly digests: what they carry, in whose language, sent once, and the
one-click way out."""

from datetime import date, datetime, timedelta
from email import message_from_bytes
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.utils import timezone, translation

from analytics import digests
from analytics.models import DigestDelivery, DigestSubscription
from core.roles import AGENTS, MANAGERS
from support.services import case_open_manual
from tests.analytics.test_analytics import answered, mention_topic

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
# a Wednesday morning in the shop's time zone: the weekly digest covers 2–8 March, the daily one the 10th
NOW = datetime(2026, 3, 11, 7, 0, tzinfo=MADRID)


@pytest.fixture
def manager(django_user_model):
    user = django_user_model.objects.create_user("marta", email="marta@shop.example", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=MANAGERS))
    return user


@pytest.fixture
def english_manager(django_user_model):
    user = django_user_model.objects.create_user("john", email="john@shop.example", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=MANAGERS))
    digests.digest_preferences_set(user=user, subscribed={"daily": True, "weekly": True}, language="en")
    return user


@pytest.fixture
def shop_week():
    """Last week: 12 answers (NPS 75); the week before: 12 answers (NPS −58); a rising complaint."""
    for n in range(12):
        answered(([10] * 9 + [9, 8, 3])[n], 4, datetime(2026, 3, 3 + n % 5, 10, n, tzinfo=MADRID))
        answered(([2] * 9 + [9, 10, 7])[n], 2, datetime(2026, 2, 24 + n % 5, 10, n, tzinfo=MADRID))
    for day in range(2, 8):
        mention_topic("delivery", "positive", datetime(2026, 2, 20 + day, 12, tzinfo=MADRID))
        mention_topic(
            "delivery", "negative", datetime(2026, 3, day, 12, tzinfo=MADRID), text=f"El repartidor tardó {day} días"
        )


def test_periods_are_closed_days_and_weeks_of_the_shops_calendar():
    assert digests.digest_window("daily", date(2026, 3, 11)) == (date(2026, 3, 10), date(2026, 3, 10))
    assert digests.digest_window("weekly", date(2026, 3, 11)) == (date(2026, 3, 2), date(2026, 3, 8))
    assert digests.digest_window("weekly", date(2026, 3, 9)) == (date(2026, 3, 2), date(2026, 3, 8))  # a Monday


def test_managers_and_admins_get_digests_agents_and_people_without_an_address_do_not(manager, django_user_model):
    agent = django_user_model.objects.create_user("ana", email="ana@shop.example", password="x", is_staff=True)
    agent.groups.add(Group.objects.get(name=AGENTS))
    django_user_model.objects.create_superuser("root", email="root@shop.example", password="x")
    nameless = django_user_model.objects.create_user("sin", email="", password="x")
    nameless.groups.add(Group.objects.get(name=MANAGERS))
    gone = django_user_model.objects.create_user("gone", email="gone@shop.example", password="x", is_active=False)
    gone.groups.add(Group.objects.get(name=MANAGERS))

    assert [(user.username, language) for user, language in digests.digest_recipients("weekly")] == [
        ("marta", "es"),
        ("root", "es"),
    ]


def test_the_weekly_digest_reaches_each_manager_once_in_their_language_with_an_inline_chart(
    manager, english_manager, shop_week, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        digests.digests_queue(frequency="weekly", now=NOW)
        digests.digests_queue(frequency="weekly", now=NOW + timedelta(minutes=5))  # beat fired twice

    assert sorted(m.to[0] for m in mail.outbox) == ["john@shop.example", "marta@shop.example"]
    spanish = next(m for m in mail.outbox if m.to == ["marta@shop.example"])
    english = next(m for m in mail.outbox if m.to == ["john@shop.example"])
    assert spanish.subject == "Tienda Demo · resumen semanal, 02/03/2026 – 08/03/2026"
    assert english.subject.startswith("Tienda Demo · weekly digest, ")
    # NPS 75 against −58 a week before: the change, and whether it is beyond the noise
    assert "NPS: 75 (intervalo del 95 % " in spanish.body and "Cambio +133, fuera del ruido" in spanish.body
    assert "NPS: 75 (95 % interval " in english.body and "Change +133, beyond the noise" in english.body
    assert "Entrega" in spanish.body and "«El repartidor tardó 7 días»" in spanish.body
    assert "Delivery" in english.body
    html = english.alternatives[0][0]
    assert 'src="cid:digest-chart"' in html and "Topics rising fastest" in html
    parsed = message_from_bytes(english.message().as_bytes())
    assert parsed.get_content_type() == "multipart/related"
    (image,) = [part for part in parsed.walk() if part.get_content_type() == "image/png"]
    assert image["Content-ID"] == "<digest-chart>" and image.get_payload(decode=True).startswith(b"\x89PNG")
    assert english.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert DigestDelivery.objects.filter(emailed_at__isnull=False).count() == 2


def test_a_digest_copy_is_never_sent_twice_and_a_lost_hand_over_is_sent_later(manager, shop_week):
    from unittest import mock

    with mock.patch("analytics.digests._enqueue"):  # the broker is down at 07:00
        (delivery_id,) = digests.digests_queue(frequency="daily", now=NOW)
    assert mail.outbox == []

    assert digests.digests_dispatch_unsent(now=NOW + timedelta(minutes=30)) == [delivery_id]
    assert digests.digest_email_send(delivery_id=delivery_id) is False
    assert len(mail.outbox) == 1 and "resumen diario del 10/03/2026" in mail.outbox[0].subject


def test_below_ten_answers_a_figure_has_no_interval_and_says_why(manager):
    for n in range(3):
        answered(9, 5, datetime(2026, 3, 10, 10, n, tzinfo=MADRID))

    digest = digests.digest_build(frequency="daily", start=date(2026, 3, 10), end=date(2026, 3, 10), now=NOW)
    rendered = digests.digest_render(digest, "en", chart_src="cid:x")

    nps = next(s for s in digest["scores"] if s.code == "nps")
    assert nps.value == 100 and nps.interval is None and nps.is_significant is None
    assert "NPS: 100 (too few answers (n = 3))" in rendered["text"]


def test_new_detractors_and_overdue_cases_are_named_with_links(manager):
    from surveys.services import response_submit
    from tests.factories import CustomerFactory, InvitationFactory

    invitation = InvitationFactory(language="es", customer=CustomerFactory(name="Lucía Gómez"))
    questions = {q.code: q.pk for q in invitation.survey.questions.all()}
    response_submit(
        invitation=invitation,
        answers={questions["nps"]: 2, questions["delivery_csat"]: 1},
        language="es",
        now=datetime(2026, 3, 10, 9, 0, tzinfo=MADRID),
    )
    late = case_open_manual(subject="Pedido sin llegar", now=timezone.now() - timedelta(days=10))

    digest = digests.digest_build(frequency="daily", start=date(2026, 3, 10), end=date(2026, 3, 10), now=timezone.now())
    text = digests.digest_render(digest, "es", chart_src="cid:x")["text"]

    assert digest["detractors_count"] == 1 and digest["detractors"][0]["name"] == "Lucía Gómez"
    assert "NPS 2 · Lucía Gómez" in text
    assert digest["overdue"]["count"] == 1
    assert f"#{late.pk} Pedido sin llegar" in text and f"https://voz.example/support/cases/{late.pk}/" in text


def test_the_chart_is_a_png_rendered_on_the_server_even_with_no_answers():
    digest = digests.digest_build(frequency="weekly", start=date(2026, 3, 2), end=date(2026, 3, 8), now=NOW)

    png = digests.digest_chart_png(digest)

    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000


def test_the_same_chart_is_drawn_once_and_drawn_again_when_a_number_or_the_language_changes(monkeypatch):
    drawn = []
    draw = digests._chart_drawn
    monkeypatch.setattr(
        digests, "_chart_drawn", lambda words, points: drawn.append(words["title"]) or draw(words, points)
    )
    week = {"chart_period": "week", "chart_series": [{"period": date(2026, 3, 2), "nps": 20, "nps_interval": (5, 35)}]}
    moved = {**week, "chart_series": [{**week["chart_series"][0], "nps": 21}]}

    first = digests.digest_chart_png(week)
    for_the_next_manager = digests.digest_chart_png(week)
    with translation.override("en"):
        in_english = digests.digest_chart_png(week)
    after_a_late_answer = digests.digest_chart_png(moved)

    assert for_the_next_manager == first
    assert len({first, in_english, after_a_late_answer}) == 3
    assert drawn == [
        "NPS por semana en las doce últimas semanas, con su intervalo del 95 %",
        "NPS per week over twelve weeks, with its 95 % interval",
        "NPS por semana en las doce últimas semanas, con su intervalo del 95 %",
    ]


@pytest.mark.parametrize(
    ("language", "heading", "subject"),
    [("es", "Temas que más suben", "resumen semanal"), ("en", "Topics rising fastest", "weekly digest")],
)
def test_the_preview_shows_managers_the_digest_in_either_language(
    client, manager, shop_week, language, heading, subject
):
    client.force_login(manager)

    page = client.get("/dashboards/digest/", {"frequency": "weekly", "language": language})

    html = page.content.decode()
    assert page.status_code == 200
    assert heading in html and subject in html and 'src="data:image/png;base64,' in html


def test_the_preview_is_for_managers_and_refuses_nonsense(client, manager, django_user_model):
    agent = django_user_model.objects.create_user("ana", email="ana@shop.example", password="x", is_staff=True)
    agent.groups.add(Group.objects.get(name=AGENTS))

    assert client.get("/dashboards/digest/").status_code == 302  # to the login page
    client.force_login(agent)
    assert client.get("/dashboards/digest/").status_code == 403
    assert client.post("/dashboards/digest/", {"weekly": "on", "language": "es"}).status_code == 403
    client.force_login(manager)
    assert client.get("/dashboards/digest/", {"frequency": "hourly"}).status_code == 400
    assert client.post("/dashboards/digest/", {"weekly": "on", "language": "klingon"}).status_code == 400
    assert not DigestSubscription.objects.exists()


def test_a_manager_chooses_their_digests_and_language_on_the_preview_page(client, manager):
    client.force_login(manager)

    saved = client.post("/dashboards/digest/", {"weekly": "on", "language": "en"})

    assert saved.status_code == 302
    assert digests.digest_recipients("daily") == []
    assert digests.digest_recipients("weekly") == [(manager, "en")]


def test_the_unsubscribe_link_asks_then_stops_that_digest_only(manager, shop_week, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        digests.digests_queue(frequency="weekly", now=NOW)
    (link,) = [line for line in mail.outbox[0].body.splitlines() if "/dashboards/digest/unsubscribe/" in line]
    path = link.split("https://voz.example", 1)[1]
    client = Client(enforce_csrf_checks=True)

    asked = client.get(path)  # a link scanner opening it unsubscribes nobody
    assert asked.status_code == 200 and "¿Dejar de recibir el resumen semanal?" in asked.content.decode()
    assert digests.digest_recipients("weekly") == [(manager, "es")]

    done = client.post(path, {"List-Unsubscribe": "One-Click"})  # a mail program's one click, no CSRF token

    assert done.status_code == 200 and "Ya no recibirás" in done.content.decode()
    assert digests.digest_recipients("weekly") == []
    assert digests.digest_recipients("daily") == [(manager, "es")]


def test_an_altered_unsubscribe_link_changes_nothing(manager):
    token = digests.unsubscribe_token(manager, "weekly")

    response = Client().post(f"/dashboards/digest/unsubscribe/{token[:-2]}xx/")

    assert response.status_code == 404
    assert digests.digest_recipients("weekly") == [(manager, "es")]


def test_digests_are_scheduled_at_seven_in_the_shops_time_zone(settings):
    from django_celery_beat.models import CrontabSchedule

    daily = settings.CELERY_BEAT_SCHEDULE["analytics.digests_daily"]
    weekly = settings.CELERY_BEAT_SCHEDULE["analytics.digests_weekly"]

    assert (daily["task"], daily["args"], weekly["args"]) == ("analytics.tasks.digests_queue", ["daily"], ["weekly"])
    stored = CrontabSchedule.from_schedule(weekly["schedule"])
    assert tuple(map(str, (stored.hour, stored.minute, stored.day_of_week))) == ("7", "0", "1")
    assert str(stored.timezone) == settings.TIME_ZONE == "Europe/Madrid"
