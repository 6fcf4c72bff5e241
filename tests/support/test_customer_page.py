"""The customer page: found by search, it holds the customer's feedback from every channel, cases,
orders newest first, NPS history and segment; staff link and unlink mentions and widget comments."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from core.roles import AGENTS, MANAGERS
from customers.models import Customer, CustomerRfm
from feedback.models import FeedbackItem
from feedback.services import MessageData, messages_upsert
from onsite.models import Site
from onsite.services import WebFeedbackData, web_feedback_submit
from reviews.services import ReviewData, reviews_upsert
from social.services import MentionData, mentions_upsert
from support.models import Team
from support.services import case_open_manual
from surveys.services import response_submit
from tests.factories import CustomerFactory, InvitationFactory, OrderFactory, OrderItemFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client, django_user_model):
    user = django_user_model.objects.create_user("agent", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=AGENTS))
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def customer():
    return CustomerFactory(name="Ana Gómez", email="ana@example.com", attributes={"instagram": "ana_g"})


def web(comment: str, email: str = ""):
    site = Site.objects.first() or Site.objects.create(name="Tienda", domains="tienda.example")
    data = WebFeedbackData(
        rating=2,
        comment=comment,
        email=email,
        page_url="https://tienda.example/",
        referrer="",
        browser_language="es",
        language="es",
    )
    return web_feedback_submit(site=site, data=data)


def mention(external_id: str, text: str, handle: str = "someone"):
    (result,) = mentions_upsert(
        items=[MentionData(platform="instagram", external_id=external_id, text=text, author_handle=handle)]
    )
    return result.obj


def item_of(**source) -> FeedbackItem:
    return FeedbackItem.objects.get(**source)


# ---------------------------------------------------------------------------------------------
# Linking at ingest
# ---------------------------------------------------------------------------------------------


def test_widget_feedback_is_linked_by_the_email_the_visitor_left(customer):
    feedback = web("La web va lenta", email="ANA@example.com")

    assert item_of(web_feedback=feedback).customer_id == customer.pk


def test_a_mention_is_linked_by_an_order_number_in_its_text(customer):
    order = OrderFactory(customer=customer, external_id="O-778899")

    item = item_of(mention=mention("m1", f"Mi pedido {order.external_id} no llega @tienda"))

    assert (item.customer_id, item.order_id) == (customer.pk, order.pk)


def test_a_mention_is_linked_by_the_authors_handle_kept_in_the_customers_attributes(customer):
    assert item_of(mention=mention("m2", "Me encanta", handle="@Ana_G")).customer_id == customer.pk


def test_nothing_is_linked_when_no_clue_matches_or_the_clues_disagree(customer):
    other = CustomerFactory()
    OrderFactory(customer=other, external_id="O-111222")

    assert item_of(mention=mention("m3", "Hola")).customer_id is None
    assert item_of(web_feedback=web("Pedido O-111222, soy ana@example.com")).customer_id == customer.pk
    # the email written wins over an order number (the stronger clue); two customers' emails name nobody
    assert item_of(web_feedback=web(f"ana@example.com y {other.email}")).customer_id is None


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def full_history(customer):
    """One item of every kind: survey comment (with NPS), review, mention, widget, email; a case; 23 orders."""
    now = timezone.now()
    orders = [
        OrderFactory(customer=customer, external_id=f"O-{n:04d}", placed_at=now - timedelta(days=100 - n))
        for n in range(23)
    ]
    invitation = InvitationFactory(order=orders[-1], customer=customer)
    questions = {q.code: q for q in invitation.survey.questions.all()}
    answers = {questions["nps"].pk: 4, questions["delivery_csat"].pk: 2}
    comment = next(q for q in questions.values() if q.kind == "open_text" and not q.is_conditional)
    answers[comment.pk] = "Encuesta: llegó tarde"
    response_submit(invitation=invitation, answers=answers, language="es")
    product = ProductFactory(name="Lámpara")
    OrderItemFactory(order=orders[-1], product=product)
    reviews_upsert(
        items=[
            ReviewData(
                source="own_site",
                external_id="r-ana",
                rating=2,
                body="Reseña: la lámpara vino rota",
                author_email=customer.email,
                order_external_id=orders[-1].external_id,
                product_sku=product.sku,
            )
        ]
    )
    mention("m-ana", "Mención: ¿dónde está mi pedido O-0022?")
    web("Widget: el pago falló", email=customer.email)
    messages_upsert(
        items=[
            MessageData(
                channel="email", external_id="e-ana", text="Email: quiero devolverlo", author_email=customer.email
            )
        ]
    )
    team = Team.objects.create(name="T", slug="t")
    case = case_open_manual(subject="Lámpara rota", team=team, text="Llamó por la lámpara", customer=customer)
    CustomerRfm.objects.create(customer=customer, recency=2, frequency=3, monetary=4, segment="at_risk")
    return {"orders": orders, "case": case}


def test_the_page_holds_the_customers_feedback_from_every_channel_cases_nps_and_segment(agent, customer, full_history):
    full_history["case"].team.members.add(agent.user)

    page = agent.get(f"/customers/{customer.pk}/")

    assert page.status_code == 200
    html = page.content.decode()
    channels = {item.channel for item in page.context["feedback"].object_list}
    assert {"survey", "review", "social", "web", "email"} <= channels
    for text in (
        "Encuesta: llegó tarde",
        "Reseña: la lámpara vino rota",
        "Mención:",
        "Widget: el pago falló",
        "Email:",
    ):
        assert text in html
    assert "Lámpara rota" in html and f"/support/cases/{full_history['case'].pk}/" in html
    assert [entry["score"] for entry in page.context["nps_history"]] == [4]
    assert page.context["rfm"].segment == "at_risk"


def test_orders_are_paginated_newest_first(agent, customer, full_history):
    first = agent.get(f"/customers/{customer.pk}/")
    last = agent.get(f"/customers/{customer.pk}/?orders=3")

    assert [o.external_id for o in first.context["orders"].object_list] == [f"O-{n:04d}" for n in range(22, 12, -1)]
    assert [o.external_id for o in last.context["orders"].object_list] == ["O-0002", "O-0001", "O-0000"]
    assert first.context["orders"].paginator.count == 23


def test_the_case_timeline_shows_the_latest_orders(agent, customer):
    now = timezone.now()
    for n in range(55):
        OrderFactory(customer=customer, external_id=f"T-{n:03d}", placed_at=now - timedelta(days=200 - n))
    team = Team.objects.create(name="T", slug="t")
    team.members.add(agent.user)
    case = case_open_manual(subject="x", team=team, text="x", customer=customer)

    shown = [
        e["order"].external_id
        for e in agent.get(f"/support/cases/{case.pk}/").context["timeline"]
        if e["kind"] == "order"
    ]

    assert "T-054" in shown and "T-000" not in shown and len(shown) == 50


def test_a_member_of_staff_unlinks_and_links_a_mention_by_hand_and_a_resend_keeps_it(agent, customer):
    item = item_of(mention=mention("m9", "Me encanta", handle="ana_g"))
    assert item.customer_id == customer.pk

    response = agent.post(f"/customers/{customer.pk}/feedback/{item.pk}/unlink/")

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.customer_id, item.customer_set_by_staff) == (None, True)
    mention("m9", "Me encanta muchísimo", handle="ana_g")  # edited on the platform, sent again
    assert item_of(pk=item.pk).customer_id is None
    page = agent.get(f"/customers/{customer.pk}/").content.decode()
    assert "Me encanta muchísimo" not in page

    linked = agent.post(f"/customers/{customer.pk}/feedback/link/", {"item": f"#{item.pk}"})

    assert linked.status_code == 302
    assert item_of(pk=item.pk).customer_id == customer.pk
    assert "Me encanta muchísimo" in agent.get(f"/customers/{customer.pk}/").content.decode()


def test_unlinked_feedback_naming_the_customers_order_is_suggested_for_linking(agent, customer):
    order = OrderFactory(customer=customer)
    item = item_of(web_feedback=web("Hola"))
    FeedbackItem.objects.filter(pk=item.pk).update(text=f"Sobre el pedido {order.external_id}")

    page = agent.get(f"/customers/{customer.pk}/")

    assert [s.pk for s in page.context["suggestions"]] == [item.pk]


@pytest.mark.parametrize("value", ["", "abc", "99999999"])
def test_linking_nothing_or_an_unknown_item_changes_nothing(agent, customer, value):
    response = agent.post(f"/customers/{customer.pk}/feedback/link/", {"item": value})

    assert response.status_code in (400, 404)
    assert not customer.feedback_items.exists()


def test_a_survey_answer_cannot_be_moved_to_another_customer(agent, customer, full_history):
    survey_item = customer.feedback_items.get(channel="survey")
    other = CustomerFactory()

    response = agent.post(f"/customers/{other.pk}/feedback/link/", {"item": survey_item.pk})

    assert response.status_code == 400
    assert item_of(pk=survey_item.pk).customer_id == customer.pk


def test_search_finds_a_customer_by_name_email_or_order_number(agent, customer):
    OrderFactory(customer=customer, external_id="#1042")
    CustomerFactory(name="Otro", email="otro@example.com")

    for query in ("gómez", "ANA@example", "#1042", "1042", customer.external_id):
        page = agent.get("/customers/", {"q": query})
        assert [c.pk for c in page.context["page"].object_list] == [customer.pk], query
    assert f'href="/customers/{customer.pk}/"' in agent.get("/customers/", {"q": "ana"}).content.decode()


def test_the_customer_page_is_linked_from_the_feed_the_case_and_the_api(agent, customer, full_history, api_client):
    full_history["case"].team.members.add(agent.user)
    href = f'href="/customers/{customer.pk}/"'

    assert href in agent.get("/feedback/").content.decode()
    assert href in agent.get(f"/support/cases/{full_history['case'].pk}/").content.decode()
    body = api_client.get(f"/api/v1/customers/{customer.external_id}/").json()
    assert body["staff_url"].endswith(f"/customers/{customer.pk}/")


def test_erasure_asks_for_confirmation_and_only_admins_may(client, agent, customer, django_user_model):
    manager = django_user_model.objects.create_user("manager", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    admin = django_user_model.objects.create_superuser("root", password="x")

    assert agent.get(f"/customers/{customer.pk}/erase/").status_code == 403
    assert "erase/" not in agent.get(f"/customers/{customer.pk}/").content.decode()
    client.force_login(admin)
    assert f"/customers/{customer.pk}/erase/" in client.get(f"/customers/{customer.pk}/").content.decode()
    unconfirmed = client.post(f"/customers/{customer.pk}/erase/", {"reason": "Pidió borrarse"})
    assert unconfirmed.status_code == 400
    assert Customer.objects.get(pk=customer.pk).erased_at is None

    done = client.post(f"/customers/{customer.pk}/erase/", {"reason": "Pidió borrarse", "confirm": "on"})

    assert done.status_code == 302
    assert Customer.objects.get(pk=customer.pk).erased_at is not None


def test_the_export_button_is_for_who_may_see_personal_data_and_only_where_the_export_exists(
    agent, customer, django_user_model, settings
):
    manager = django_user_model.objects.create_user("manager", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    client = Client()
    client.force_login(manager)
    export = f'href="/customers/{customer.pk}/export.json"'

    assert export in client.get(f"/customers/{customer.pk}/").content.decode()
    assert export not in agent.get(f"/customers/{customer.pk}/").content.decode()  # agents: no personal data

    settings.ROOT_URLCONF = "tests.support.urls_without_customer_export"

    assert "export.json" not in client.get(f"/customers/{customer.pk}/").content.decode()


@pytest.mark.parametrize(
    ("language", "state", "source"), [("en", "Given", "Given on the survey page"), ("es", "Dado", "la página")]
)
def test_the_privacy_section_names_the_consent_state_in_the_readers_language(agent, customer, language, state, source):
    from customers.emailing import consent_record
    from customers.models import ConsentSource

    consent_record(customer=customer, granted=True, source=ConsentSource.SURVEY_PAGE)

    html = agent.get(f"/customers/{customer.pk}/", HTTP_ACCEPT_LANGUAGE=language).content.decode()
    section = html[html.index('id="customer-consent"') :][:1500]

    assert state in section and source in section
    assert "granted" not in section and "survey_page" not in section
