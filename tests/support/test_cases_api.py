"""The cases API: scoped tokens list, open, update, reply and add notes."""

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from rest_framework.test import APIClient

from support import services
from support.models import Case
from tests.factories import CustomerFactory, FeedbackItemFactory

pytestmark = pytest.mark.django_db


def client_with(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


@pytest.fixture
def case():
    item = FeedbackItemFactory(
        sentiment="negative", sentiment_score=-0.9, sentiment_confidence=0.9, analysis_status="done"
    )
    return services.cases_open_for_feedback(ids=[item.pk])[0]


def test_reading_cases_needs_the_cases_read_scope(api_token_for, case):
    assert client_with(api_token_for("feedback:read")).get("/api/v1/cases/").status_code == 403
    response = client_with(api_token_for("cases:read")).get(f"/api/v1/cases/{case.pk}/")

    assert response.status_code == 200
    body = response.json()
    assert body["subject"] == case.subject and body["feedback_ids"]
    assert {target["name"] for target in body["sla"]} >= {"first_response", "resolution"}


def test_a_read_only_token_cannot_reply(api_token_for, case):
    response = client_with(api_token_for("cases:read")).post(f"/api/v1/cases/{case.pk}/replies/", {"text": "Hola"})

    assert response.status_code == 403
    assert not case.messages.exists()


def test_open_a_case_by_hand_then_reply_note_and_resolve(api_token_for, django_capture_on_commit_callbacks):
    customer = CustomerFactory(external_id="CLI-9", email="cli9@example.com", preferred_language="es")
    api = client_with(api_token_for("cases:read", "cases:write"))

    opened = api.post(
        "/api/v1/cases/",
        {
            "subject": "Llamada: el pedido no llegó",
            "customer": "CLI-9",
            "priority": "high",
            "text": "Llamó por teléfono",
        },
        format="json",
    )
    case_id = opened.json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        note = api.post(f"/api/v1/cases/{case_id}/notes/", {"text": "Revisar con la mensajería"}, format="json")
        reply = api.post(f"/api/v1/cases/{case_id}/replies/", {"text": "Lo reenviamos hoy"}, format="json")
        resolved = api.patch(f"/api/v1/cases/{case_id}/", {"status": "resolved"}, format="json")

    assert opened.status_code == 201 and opened.json()["priority"] == "high" and opened.json()["customer"] == "CLI-9"
    assert note.status_code == reply.status_code == 201
    assert resolved.status_code == 200 and resolved.json()["status"] == "resolved"
    stored = Case.objects.get(pk=case_id)
    assert stored.customer == customer and stored.first_response_at is not None
    assert [m.to for m in mail.outbox] == [["cli9@example.com"], ["cli9@example.com"]]  # reply, then follow-up


def test_invalid_updates_are_400_and_change_nothing(api_token_for, case):
    api = client_with(api_token_for("cases:write"))

    bad_status = api.patch(f"/api/v1/cases/{case.pk}/", {"status": "exploded"}, format="json")
    services.case_set_status(case=case, status="closed")
    bad_move = api.patch(f"/api/v1/cases/{case.pk}/", {"status": "pending_customer"}, format="json")

    assert bad_status.status_code == 400 and "status" in bad_status.json()["errors"]
    assert bad_move.status_code == 400 and bad_move.json()["type"] == "case_action_refused"
    assert Case.objects.get(pk=case.pk).status == "closed"


def test_staff_of_another_team_get_404_through_the_api(django_user_model, case):
    outsider = django_user_model.objects.create_user(username="outsider", password="x", is_staff=True)
    outsider.user_permissions.add(*Permission.objects.filter(codename__in=["view_case", "change_case"]))
    api = APIClient()
    api.force_authenticate(outsider)

    assert api.get(f"/api/v1/cases/{case.pk}/").status_code == 404
    assert api.get("/api/v1/cases/").json()["results"] == []


def test_a_customer_answer_pushed_by_the_shop_reopens_and_starts_the_next_response_clock(api_token_for, case):
    api = client_with(api_token_for("cases:read", "cases:write"))
    api.post(f"/api/v1/cases/{case.pk}/replies/", {"text": "¿Nos mandas una foto?"}, format="json")
    api.patch(f"/api/v1/cases/{case.pk}/", {"status": "pending_customer"}, format="json")

    answer = api.post(f"/api/v1/cases/{case.pk}/customer-messages/", {"text": "Aquí la foto"}, format="json")
    detail = api.get(f"/api/v1/cases/{case.pk}/").json()

    assert answer.status_code == 201
    assert detail["status"] == "open"
    assert "next_response" in {target["name"] for target in detail["sla"]}
    assert [m["kind"] for m in detail["messages"]] == ["reply", "customer"]
