"""Canned replies: saved answers per language that agents insert in the reply box, filled in for
the case, and that only managers edit."""

import pytest
from django.contrib.auth.models import Group

from core.roles import AGENTS, MANAGERS
from support import services
from support.canned import canned_replies_for
from support.models import CannedReply
from tests.factories import CustomerFactory, FeedbackItemFactory, OrderFactory

pytestmark = pytest.mark.django_db


def case_about_an_order(*, name="Lucía Gómez", language="es"):
    customer = CustomerFactory(name=name, preferred_language=language)
    OrderFactory(customer=customer, external_id="PED-1001")
    complained = OrderFactory(customer=customer, external_id="PED-2002")
    item = FeedbackItemFactory(
        customer=customer,
        order=complained,
        sentiment="negative",
        sentiment_score=-0.9,
        sentiment_confidence=0.95,
        analysis_status="done",
    )
    (case,) = services.cases_open_for_feedback(ids=[item.pk])
    return case


@pytest.fixture
def replies():
    CannedReply.objects.all().delete()  # the shipped examples
    return [
        CannedReply.objects.create(
            title="Retraso", language="es", text="Hola, {customer_name}: tu pedido {order_number} sale hoy."
        ),
        CannedReply.objects.create(
            title="Delay", language="en", text="Hi {customer_name}, order {order_number} ships today."
        ),
        CannedReply.objects.create(title="Viejo", language="es", text="No se usa", is_active=False),
    ]


def test_a_canned_reply_is_filled_in_with_the_customer_and_the_order_complained_about(replies):
    case = case_about_an_order()

    filled = canned_replies_for(case)

    assert [entry["text"] for entry in filled] == [
        "Hola, Lucía Gómez: tu pedido PED-2002 sale hoy.",  # the customer's language first
        "Hi Lucía Gómez, order PED-2002 ships today.",
    ]


def test_a_misspelt_placeholder_stays_visible_and_a_nameless_customer_is_still_greeted(replies):
    CannedReply.objects.create(title="Typo", language="en", text="Hi {customer_name}, about {ordr_number} {")
    case = case_about_an_order(name="", language="en")

    texts = [entry["text"] for entry in canned_replies_for(case)]

    assert texts[0] == "Hi there, order PED-2002 ships today."
    assert "Hi {customer_name}, about {ordr_number} {" in texts  # a stray brace: shown as written


def test_the_case_page_offers_the_filled_in_replies_above_the_reply_box(client, django_user_model, replies):
    case = case_about_an_order()
    agent = django_user_model.objects.create_user("ana", password="x", is_staff=True)
    agent.groups.add(Group.objects.get(name=AGENTS))
    case.team.members.add(agent)
    client.force_login(agent)

    html = client.get(f"/support/cases/{case.pk}/").content.decode()

    assert 'data-canned-for="id_reply-text"' in html
    assert 'data-text="Hola, Lucía Gómez: tu pedido PED-2002 sale hoy."' in html
    assert "No se usa" not in html


def test_managers_edit_canned_replies_and_agents_only_read_them(client, django_user_model, replies):
    agent = django_user_model.objects.create_user("ana", password="x", is_staff=True)
    agent.groups.add(Group.objects.get(name=AGENTS))
    manager = django_user_model.objects.create_user("marta", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    reply = replies[0]

    client.force_login(agent)
    assert client.get("/admin/support/cannedreply/").status_code == 200
    assert client.post(f"/admin/support/cannedreply/{reply.pk}/change/", {"title": "x"}).status_code == 403
    assert client.get("/admin/support/cannedreply/add/").status_code == 403

    client.force_login(manager)
    saved = client.post(
        f"/admin/support/cannedreply/{reply.pk}/change/",
        {"title": "Retraso", "language": "es", "text": "Hola {customer_name}, ya sale.", "is_active": "on"},
    )
    assert saved.status_code == 302
    reply.refresh_from_db()
    assert reply.text == "Hola {customer_name}, ya sale."


def test_managers_keep_saved_answers_on_their_own_page(client, django_user_model, replies):
    manager = django_user_model.objects.create_user("marta", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    client.force_login(manager)

    added = client.post(
        "/support/canned/",
        {
            "title": "Reembolso",
            "language": "es",
            "text": "Hola, {customer_name}: devolvemos {order_number}.",
            "is_active": "on",
        },
    )
    edited = client.post(
        f"/support/canned/{replies[0].pk}/",
        {"title": "Retraso", "language": "es", "text": "Hola, {customer_name}: ya sale.", "is_active": "on"},
    )
    removed = client.post(f"/support/canned/{replies[2].pk}/delete/")
    page = client.get("/support/canned/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert (added.status_code, edited.status_code, removed.status_code) == (302, 302, 302)
    assert CannedReply.objects.get(title="Reembolso").text == "Hola, {customer_name}: devolvemos {order_number}."
    assert CannedReply.objects.get(pk=replies[0].pk).text == "Hola, {customer_name}: ya sale."
    assert not CannedReply.objects.filter(pk=replies[2].pk).exists()
    assert "Respuestas guardadas" in page and "{customer_name}" in page
    # the case page links managers to it
    case = case_about_an_order()
    assert 'href="/support/canned/"' in client.get(f"/support/cases/{case.pk}/").content.decode()


def test_a_saved_answer_with_an_unknown_placeholder_or_a_stray_brace_is_refused(client, django_user_model, replies):
    manager = django_user_model.objects.create_user("marta", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    client.force_login(manager)
    before = list(CannedReply.objects.values_list("pk", "text"))

    misspelt = client.post("/support/canned/", {"title": "x", "language": "es", "text": "Hola {nombre}"})
    unclosed = client.post(f"/support/canned/{replies[0].pk}/", {"title": "x", "language": "es", "text": "Hola {"})

    assert (misspelt.status_code, unclosed.status_code) == (400, 400)
    assert "{nombre}" in misspelt.content.decode()
    assert list(CannedReply.objects.values_list("pk", "text")) == before


def test_agents_cannot_open_the_saved_answers_page(client, django_user_model, replies):
    agent = django_user_model.objects.create_user("ana", password="x", is_staff=True)
    agent.groups.add(Group.objects.get(name=AGENTS))
    client.force_login(agent)

    assert client.get("/support/canned/").status_code == 403
    assert client.post("/support/canned/", {"title": "x", "language": "es", "text": "x"}).status_code == 403
    assert client.post(f"/support/canned/{replies[0].pk}/delete/").status_code == 403
    assert CannedReply.objects.count() == 3
