"""The surveys API: surveys and questions to read, invitations on request under the scheduler's
rules, answers to filter and page through, and streamed CSV and NDJSON exports."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from surveys.models import Invitation, Response
from surveys.services import response_submit
from tests.factories import CustomerFactory, InvitationFactory, OrderFactory, default_survey

pytestmark = pytest.mark.django_db


def client_with(token: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return api


@pytest.fixture
def reader(api_token_for):
    return client_with(api_token_for("surveys:read"))


@pytest.fixture
def sender(api_token_for):
    return client_with(api_token_for("surveys:write"))


def answered(*, nps: int, comment: str = "", customer=None, submitted_at=None) -> Response:
    invitation = InvitationFactory(order=OrderFactory(customer=customer or CustomerFactory()))
    questions = {q.code: q.pk for q in invitation.survey.questions.all()}
    answers = {questions["nps"]: nps, questions["delivery_csat"]: 4}
    if comment:
        answers[questions["comment"]] = comment
    return response_submit(invitation=invitation, answers=answers, language="es", now=submitted_at or timezone.now())


# --- surveys -------------------------------------------------------------------------------------


def test_a_survey_is_read_with_its_questions_choices_and_conditions(reader):
    default_survey()

    response = reader.get("/api/v1/surveys/post-purchase/")

    assert response.status_code == 200
    body = response.json()
    questions = {q["code"]: q for q in body["questions"]}
    assert questions["nps"]["kind"] == "nps" and questions["nps"]["scale"] == [0, 10]
    assert questions["improve"]["choices"] and questions["improve"]["choices"][0]["label_es"]
    assert questions["improve"]["show_if_question"] == "nps" and questions["improve"]["show_if_operator"] == "lte"
    assert [q["position"] for q in body["questions"]] == sorted(q["position"] for q in body["questions"])


def test_surveys_need_the_surveys_read_scope(api_token_for):
    default_survey()

    assert client_with(api_token_for("feedback:read")).get("/api/v1/surveys/").status_code == 403
    assert client_with(api_token_for("surveys:read")).get("/api/v1/surveys/").status_code == 200
    assert client_with(api_token_for("surveys:read")).get("/api/v1/surveys/nope/").status_code == 404


# --- invitations ---------------------------------------------------------------------------------


def test_an_invitation_on_request_is_created_and_emailed(sender, django_capture_on_commit_callbacks):
    default_survey()
    order = OrderFactory(external_id="PED-1", customer=CustomerFactory(external_id="CLI-1"))

    with django_capture_on_commit_callbacks(execute=True):
        response = sender.post(
            "/api/v1/invitations/", {"survey": "post-purchase", "order": "PED-1", "customer": "CLI-1"}, format="json"
        )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["order"] == "PED-1" and body["customer"] == "CLI-1" and body["url"].startswith("https://voz.example/s/")
    invitation = Invitation.objects.get(order=order)
    assert invitation.status == Invitation.Status.SENT
    assert [message.to for message in mail.outbox] == [[order.customer.email]]


def test_a_second_invitation_about_the_same_order_is_refused_with_409(sender):
    default_survey()
    OrderFactory(external_id="PED-2")
    payload = {"survey": "post-purchase", "order": "PED-2"}

    assert sender.post("/api/v1/invitations/", payload, format="json").status_code == 201
    response = sender.post("/api/v1/invitations/", payload, format="json")

    assert response.status_code == 409
    assert response.json()["type"] == "already_invited"
    assert Invitation.objects.count() == 1


def test_a_customer_in_the_cooldown_is_not_invited_about_another_order(sender):
    customer = CustomerFactory()
    InvitationFactory(order=OrderFactory(customer=customer), created_at=timezone.now() - timedelta(days=3))
    OrderFactory(external_id="PED-3", customer=customer)

    response = sender.post("/api/v1/invitations/", {"survey": "post-purchase", "order": "PED-3"}, format="json")

    assert response.status_code == 409
    assert response.json()["type"] == "customer_in_cooldown"
    assert "SURVEY_CUSTOMER_COOLDOWN_DAYS" in response.json()["detail"]
    assert Invitation.objects.count() == 1


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"survey": "nope", "order": "PED-4"}, "survey"),
        ({"survey": "post-purchase", "order": "NOPE"}, "order"),
        ({"survey": "post-purchase", "order": "PED-4", "customer": "SOMEONE-ELSE"}, "customer"),
        ({"order": "PED-4"}, "survey"),
        ({"survey": "post-purchase", "order": ["PED-4"]}, "order"),
    ],
)
def test_bad_invitation_requests_are_400_naming_the_field_and_store_nothing(sender, payload, field):
    default_survey()
    OrderFactory(external_id="PED-4")

    response = sender.post("/api/v1/invitations/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Invitation.objects.exists()


def test_an_inactive_survey_cannot_be_sent(sender):
    survey = default_survey()
    survey.is_active = False
    survey.save()
    OrderFactory(external_id="PED-5")

    response = sender.post("/api/v1/invitations/", {"survey": "post-purchase", "order": "PED-5"}, format="json")

    assert response.status_code == 400 and "survey" in response.json()["errors"]


def test_sending_needs_the_write_scope(reader):
    default_survey()
    OrderFactory(external_id="PED-6")

    response = reader.post("/api/v1/invitations/", {"survey": "post-purchase", "order": "PED-6"}, format="json")

    assert response.status_code == 403
    assert not Invitation.objects.exists()


# --- answers -------------------------------------------------------------------------------------


def test_answers_list_shows_each_response_with_its_score_and_answers(reader, django_assert_max_num_queries):
    for nps in (2, 9, 10):
        answered(nps=nps, comment="Muy bien todo, gracias")
    from core.shop import shop_settings

    shop_settings()  # every request reads the shop's settings (its time zone) from the cache, filled once

    with django_assert_max_num_queries(4):
        response = reader.get("/api/v1/answers/")

    assert response.status_code == 200
    results = response.json()["results"]
    assert sorted(r["score"] for r in results) == [2, 9, 10]
    first = results[0]
    assert first["survey"] == "post-purchase" and first["score_question"] == "nps"
    assert {a["question"] for a in first["answers"]} >= {"nps", "delivery_csat", "comment"}


def test_answers_filter_by_score_customer_survey_and_date(reader):
    alice = CustomerFactory(external_id="ALICE")
    old = answered(nps=3, customer=alice, submitted_at=timezone.now() - timedelta(days=40))
    recent_detractor = answered(nps=4, customer=alice)
    answered(nps=9)

    def ids(query: str) -> list[int]:
        response = reader.get(f"/api/v1/answers/?{query}")
        assert response.status_code == 200, response.json()
        return sorted(r["id"] for r in response.json()["results"])

    since = (timezone.now() - timedelta(days=7)).isoformat().replace("+00:00", "Z")
    assert ids("score_max=6") == sorted([old.pk, recent_detractor.pk])
    assert ids(f"score_max=6&submitted_after={since}") == [recent_detractor.pk]
    assert ids("customer=ALICE&score=3") == [old.pk]
    assert ids("survey=post-purchase&score_min=9") == [r.pk for r in Response.objects.exclude(customer=alice)]
    assert ids("survey=another") == []


@pytest.mark.parametrize("query", ["score_min=bad", "submitted_after=yesterday", "submitted_before=0045-01-01T00:00Z"])
def test_bad_answer_filters_are_400(reader, query):
    assert reader.get(f"/api/v1/answers/?{query}").status_code == 400


def test_answers_are_paged_by_cursor_without_repeats(reader):
    for nps in range(7):
        answered(nps=nps)

    seen, url = [], "/api/v1/answers/?page_size=3"
    while url:
        body = reader.get(url).json()
        seen += [r["id"] for r in body["results"]]
        url = body["next"]

    assert sorted(seen) == sorted(Response.objects.values_list("pk", flat=True))
    assert len(seen) == 7


def test_answers_export_as_csv_has_one_column_per_question(reader):
    answered(nps=2, comment="Llegó roto, qué pena")
    answered(nps=10)

    response = reader.get("/api/v1/answers/export/?score_max=6")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.streaming
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert len(rows) == 1
    assert rows[0]["nps"] == "2" and rows[0]["comment"] == "Llegó roto, qué pena" and rows[0]["score"] == "2"


def test_answers_export_as_ndjson_is_one_object_per_line(reader):
    answered(nps=8, comment="Bien")
    answered(nps=5)

    response = reader.get("/api/v1/answers/export/?file_format=ndjson")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/x-ndjson")
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert sorted(json.loads(line)["score"] for line in lines) == [5, 8]
    assert reader.get("/api/v1/answers/export/?file_format=xlsx").status_code == 400


def test_answers_need_the_surveys_read_scope(api_token_for):
    answered(nps=2)

    assert client_with(api_token_for("feedback:read")).get("/api/v1/answers/").status_code == 403
    assert client_with(api_token_for("feedback:read")).get("/api/v1/answers/export/").status_code == 403
