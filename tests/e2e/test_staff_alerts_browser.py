"""A manager builds an alert rule on a phone, and an agent inserts a saved answer in a case's
reply box, in headless Chromium driven by Playwright."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from analytics.models import AlertRule
from core.roles import AGENTS, MANAGERS, roles_sync

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phone(chromium, live_server):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, locale="es-ES")
    yield context
    context.close()


def logged_in(context, live_server, user):
    """The browser carries the session of a user logged in by the test client."""
    client = Client()
    client.force_login(user)
    context.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    return context.new_page()


def staff(django_user_model, username: str, role: str):
    roles_sync()  # a transactional test's flush took the role groups with it
    user = django_user_model.objects.create_user(username, password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def test_a_manager_builds_an_sla_rule_on_a_phone(live_server, phone, django_user_model):
    page = logged_in(phone, live_server, staff(django_user_model, "marta", MANAGERS))
    page.goto(f"{live_server.url}/dashboards/alerts/new/")

    assert page.locator("h1").inner_text() == "Nueva regla de alerta"
    assert page.locator("#id_sigma").is_visible()
    # choosing the SLA signal swaps in the fields it takes (htmx): a threshold, no k, no brand
    page.select_option("#id_kind", "sla_breach_rate")
    page.wait_for_selector("#id_sigma", state="detached")
    assert page.locator("#id_threshold").input_value() == "10"
    assert page.locator("#id_brand").count() == 0
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
    page.fill("#id_name", "SLA del chat")
    page.select_option("#id_channel", "chat")
    page.fill("#id_cooldown_hours", "6")
    page.screenshot(path=SCREENSHOTS / "alert-rule-builder-es-390.png", full_page=True)
    page.get_by_role("button", name="Guardar").click()

    page.wait_for_url(f"{live_server.url}/dashboards/alerts/")
    assert "Regla «SLA del chat» creada." in page.locator(".flash").inner_text()
    rule = AlertRule.objects.get(name="SLA del chat")
    assert (rule.kind, rule.threshold, rule.channel, rule.cooldown_hours) == ("sla_breach_rate", 10, "chat", 6)
    row = page.locator(f"#alert-rule-{rule.pk}")
    assert "Canal: Chat" in row.inner_text()
    # switching it off swaps the row in place
    row.get_by_role("button", name="Desactivar SLA del chat", exact=True).click()
    row.get_by_role("button", name="Activar SLA del chat", exact=True).wait_for()
    assert not AlertRule.objects.get(pk=rule.pk).is_active
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=SCREENSHOTS / "alert-rules-es-390.png", full_page=True)


def test_an_agent_inserts_a_saved_answer_filled_in_for_the_case(live_server, phone, django_user_model):
    from support.models import CannedReply, Team
    from support.services import case_open_manual
    from tests.factories import CustomerFactory, OrderFactory

    CannedReply.objects.create(
        title="Retraso", language="es", text="Hola, {customer_name}: tu pedido {order_number} sale hoy."
    )
    customer = CustomerFactory(name="Lucía Gómez", preferred_language="es")
    OrderFactory(customer=customer, external_id="PED-2002")
    team = Team.objects.create(name="Atención", slug="atencion-browser")
    case = case_open_manual(subject="Mi pedido no llega", customer=customer, team=team, text="¿Dónde está?")
    agent = staff(django_user_model, "ana", AGENTS)
    team.members.add(agent)
    page = logged_in(phone, live_server, agent)
    page.goto(f"{live_server.url}/support/cases/{case.pk}/")

    page.fill("#id_reply-text", "Sentimos el retraso. ")
    page.select_option("#canned-reply", label="Retraso (ES)")

    assert page.locator("#id_reply-text").input_value() == (
        "Sentimos el retraso. Hola, Lucía Gómez: tu pedido PED-2002 sale hoy."
    )
    assert page.locator("text=Editar las respuestas guardadas").count() == 0  # agents do not edit them
