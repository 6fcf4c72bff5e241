"""SLA labels say against what a case is late: which target, when it was due, whether the clock
counts business hours, and how late in business time (or in days once it is long past)."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.template.loader import render_to_string
from django.utils import timezone, translation

from analytics import digests
from core.roles import AGENTS
from support import selectors, services
from support.models import SLAPolicy

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=MADRID)


def label(case, *, now: datetime, language: str) -> str:
    due = selectors.sla_due_of([case], now=now)[case.pk]
    with translation.override(language), timezone.override(MADRID):
        return render_to_string("support/_sla_due.html", {"due": due}).strip()


@pytest.fixture
def high_case():
    # high priority: first response within 4 business hours (Mon–Fri 9–14 and 15–18, Madrid)
    return services.case_open_manual(subject="Pedido sin llegar", priority="high", now=MONDAY_9)


def test_an_overdue_case_says_which_target_when_it_was_due_and_how_late_in_business_time(high_case):
    evening = MONDAY_9.replace(hour=17)

    assert label(high_case, now=evening, language="en") == (
        "First response due 13:00, business hours · overdue by 3 h of business time"
    )
    assert label(high_case, now=evening, language="es") == (
        "Primera respuesta: plazo hasta 13:00, horario laboral · 3 h de retraso en horario laboral"
    )


def test_a_case_long_past_due_says_days_not_thousands_of_hours(high_case):
    later = MONDAY_9 + timedelta(days=10)

    assert label(high_case, now=later, language="en") == (
        "First response due 02/03/2026 13:00, business hours · overdue for 9 days"
    )
    assert label(high_case, now=later, language="es").endswith("· 9 días de retraso")


def test_a_round_the_clock_policy_says_so():
    SLAPolicy.objects.update(business_hours_only=False)
    case = services.case_open_manual(subject="Pedido sin llegar", priority="high", now=MONDAY_9)

    assert label(case, now=MONDAY_9.replace(hour=15), language="en") == (
        "First response due 13:00, round the clock · overdue by 2 h"
    )


@pytest.fixture
def agent_client(client, django_user_model):
    user = django_user_model.objects.create_user("agent", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=AGENTS))
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def overdue_case(agent_client):
    # round the clock, so that "now" (the test's real time) is five hours past a one-hour-old target
    SLAPolicy.objects.update(business_hours_only=False)
    case = services.case_open_manual(
        subject="Pedido sin llegar", priority="high", now=timezone.now() - timedelta(hours=8)
    )
    case.assignee = agent_client.user
    case.save(update_fields=["assignee"])
    return case


@pytest.mark.parametrize(
    ("path", "language", "expected"),
    [
        ("/support/", "en", ["First response due", "round the clock · overdue by 4 h"]),
        ("/support/", "es", ["Primera respuesta: plazo hasta", "las 24 horas · vencido hace 4 h"]),
        ("/home/", "en", ["First response due", "round the clock · overdue by 4 h"]),
        ("/home/", "es", ["Primera respuesta: plazo hasta", "las 24 horas · vencido hace 4 h"]),
    ],
)
def test_the_inbox_and_home_say_against_what_a_case_is_late(agent_client, overdue_case, path, language, expected):
    html = agent_client.get(path, HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert all(text in html for text in expected), expected


def test_the_case_page_says_against_what_it_is_late(agent_client, overdue_case):
    html = agent_client.get(f"/support/cases/{overdue_case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "First response due" in html and "round the clock · overdue by 4 h" in html


def test_the_digest_lists_overdue_cases_against_their_target_in_days_not_hours(high_case):
    now = MONDAY_9 + timedelta(days=90)

    digest = digests.digest_build(frequency="daily", start=date(2026, 5, 30), end=date(2026, 5, 30), now=now)
    english = digests.digest_render(digest, "en", chart_src="cid:x")
    spanish = digests.digest_render(digest, "es", chart_src="cid:x")

    assert "First response due 02/03/2026 13:00, business hours · overdue for 89 days" in english["text"]
    assert "overdue for 89 days" in english["html"]
    assert "89 días de retraso" in spanish["text"]
    assert " h late" not in english["text"] and "h de retraso" not in spanish["text"]
