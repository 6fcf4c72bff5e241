"""A case's priority is explained in the reader's language, with numbers rounded for people: the
factors are stored as codes and numbers when a worker opens the case (in the shop's language) and
worded when staff or an API client read them."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import translation
from rest_framework.test import APIClient

from core.roles import MANAGERS
from support import services
from tests.factories import CustomerFactory, FeedbackItemFactory, OrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def case():
    customer = CustomerFactory()
    OrderFactory(customer=customer, total=Decimal("893.660000000000"), currency="EUR")
    item = FeedbackItemFactory(
        customer=customer,
        sentiment="negative",
        sentiment_score=-0.9,
        sentiment_confidence=0.893,
        analysis_status="done",
    )
    with translation.override("es"):  # as the worker, in the shop's language
        return services.cases_open_for_feedback(ids=[item.pk])[0]


@pytest.fixture
def manager(client, django_user_model):
    user = django_user_model.objects.create_user("ana", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=MANAGERS))
    client.force_login(user)
    client.user = user
    return client


def test_the_english_case_page_explains_the_priority_in_english_with_rounded_numbers(manager, case):
    html = manager.get(f"/support/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "+2 strong complaint (negative sentiment: 0.89)" in html
    assert "+1 customer value: 1 order, order value 893.66 EUR" in html
    assert "= 3 points → High" in html
    assert "repeat" not in html, "a customer's first complaint is no repeat complaint"
    assert "queja" not in html and "puntos" not in html and "893.66000" not in html


def test_the_spanish_case_page_explains_it_in_spanish(manager, case):
    html = manager.get(f"/support/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "+2 queja fuerte (sentimiento negativo: 0,89)" in html
    assert "1 pedido, por valor de 893,66 EUR" in html
    assert "= 3 puntos → Alta" in html


def test_api_clients_read_the_reason_in_their_language_and_the_factors_as_data(api_token_for, case):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('cases:read')}")

    english = api.get(f"/api/v1/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()
    spanish = api.get(f"/api/v1/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="es").json()

    assert "strong complaint" in english["priority_reason"] and "queja" not in english["priority_reason"]
    assert "queja fuerte" in spanish["priority_reason"]
    assert {"code": "customer_value", "points": 1, "orders": 1, "total": "893.66", "currency": "EUR"} in english[
        "priority_factors"
    ]


def test_a_priority_set_by_hand_says_who_set_it_in_the_readers_language(manager, case):
    with translation.override("es"):
        services.case_set_priority(case=case, priority="urgent", actor=manager.user)

    english = manager.get(f"/support/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    spanish = manager.get(f"/support/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "Set to Urgent by ana" in english and "Set to urgent" not in spanish
    assert "Prioridad Urgente, elegida por ana" in spanish
    assert "Priority: High → Urgent" in english and "Prioridad: Alta → Urgente" in spanish  # the history


def test_the_history_says_why_the_case_was_opened_in_the_readers_language(manager, case):
    english = manager.get(f"/support/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    spanish = manager.get(f"/support/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "Case opened · negative sentiment: 0.89" in english
    assert "Caso abierto · sentimiento negativo: 0,89" in spanish


def test_a_case_opened_by_hand_says_so_in_the_readers_language(manager):
    case = services.case_open_manual(subject="Llamada", priority="high")

    english = manager.get(f"/support/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    spanish = manager.get(f"/support/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "Set to High when opened by hand" in english
    assert "Prioridad Alta, elegida al abrirlo a mano" in spanish
