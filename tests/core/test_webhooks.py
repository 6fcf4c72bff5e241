"""Outbound webhooks: recorded with the change, signed per Standard Webhooks, retried, disabled,
redelivered from the admin, and documented in the OpenAPI schema."""

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from core import queueing, webhooks
from core.api_clients import api_client_create
from core.models import Scope, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from core.roles import AGENTS, MANAGERS
from core.webhook_schema import DATA
from support.services import case_open_manual, case_set_status

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
T0 = datetime(2026, 3, 2, 10, 0, tzinfo=MADRID)
EVERY_READ = [Scope.FEEDBACK_READ, Scope.CASES_READ, Scope.METRICS_READ]


class Receiver:
    """A webhook receiver on 127.0.0.1 that records each request; `status` is what it answers."""

    def __init__(self):
        self.requests: list[tuple[dict, bytes]] = []
        self.status = 204
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/voz"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def events(self) -> list[dict]:
        return [json.loads(body) for _headers, body in self.requests]


@pytest.fixture
def no_wake_up(monkeypatch):
    """Tests that run commit hooks and play with time: no eager wake-up sends at the real time."""
    monkeypatch.setattr(webhooks._wake_dispatcher, "add", lambda ids: None)


@pytest.fixture
def receiver():
    receiver = Receiver()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def endpoint_for(
    url: str, *, events=(), scopes=EVERY_READ, created_at=T0 - timedelta(days=30), **client
) -> WebhookEndpoint:
    api_client, _token = api_client_create(name="ERP", scopes=list(scopes))
    for name, value in client.items():
        setattr(api_client, name, value)
    api_client.save()
    return WebhookEndpoint.objects.create(client=api_client, url=url, events=list(events), created_at=created_at)


def open_case(subject: str = "Pedido roto", now: datetime = T0):
    with transaction.atomic():
        return case_open_manual(subject=subject, now=now)


# ---------------------------------------------------------------------------------------
# Signing
# ---------------------------------------------------------------------------------------
def test_the_standard_webhooks_library_verifies_what_voz_sends(receiver):
    endpoint = endpoint_for(receiver.url)
    case = open_case()

    webhooks.webhooks_dispatch()

    ((headers, body),) = receiver.requests
    payload = Webhook(endpoint.secret).verify(body, headers)
    assert payload["type"] == "case.created" and payload["version"] == 1
    assert payload["data"]["id"] == case.pk and payload["data"]["subject"] == "Pedido roto"
    assert headers["webhook-id"] == WebhookEvent.objects.get().msg_id
    assert endpoint.secret.startswith("whsec_")
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint.secret).verify(body.replace(b"Pedido roto", b"Pedido OK!!"), headers)
    with pytest.raises(WebhookVerificationError):
        Webhook("whsec_" + "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB").verify(body, headers)


# ---------------------------------------------------------------------------------------
# What is recorded, and for whom
# ---------------------------------------------------------------------------------------
def test_an_endpoint_receives_only_the_events_it_subscribed_to(receiver):
    only_status = endpoint_for(receiver.url, events=["case.updated"])
    case = open_case()
    with transaction.atomic():
        case_set_status(case=case, status="resolved", now=T0 + timedelta(hours=1))

    webhooks.webhooks_dispatch()

    assert [(e["type"], e["data"]["status"], e["data"]["change"]) for e in receiver.events()] == [
        ("case.updated", "resolved", "status")
    ]
    assert WebhookDelivery.objects.filter(endpoint=only_status).count() == 1


def test_nothing_is_recorded_when_no_endpoint_wants_the_event(receiver):
    endpoint_for(receiver.url, events=["review.published"])
    WebhookEndpoint.objects.create(client=WebhookEndpoint.objects.get().client, url=receiver.url, is_active=False)

    open_case()

    assert WebhookEvent.objects.count() == 0


def test_an_endpoint_gets_no_events_its_api_client_may_not_read(receiver):
    endpoint_for(receiver.url, scopes=[Scope.FEEDBACK_READ])  # no cases:read

    open_case()
    webhooks.webhooks_dispatch()

    assert receiver.requests == [] and WebhookDelivery.objects.count() == 0


def test_a_switched_off_api_client_is_sent_nothing_even_what_was_waiting(receiver):
    endpoint = endpoint_for(receiver.url)
    open_case(subject="Antes")
    webhooks.events_fan_out()  # its delivery is waiting
    endpoint.client.is_active = False
    endpoint.client.save()
    open_case(subject="Después")

    webhooks.webhooks_dispatch()

    assert receiver.requests == [] and WebhookDelivery.objects.count() == 1


def test_an_endpoint_added_later_does_not_receive_older_events(receiver):
    first = endpoint_for(receiver.url, created_at=T0 - timedelta(days=30))
    open_case(now=T0)
    WebhookEndpoint.objects.create(client=first.client, url=receiver.url + "/new", created_at=T0 + timedelta(days=1))
    WebhookEvent.objects.update(created_at=T0)

    webhooks.webhooks_dispatch()

    assert len(receiver.requests) == 1


# ---------------------------------------------------------------------------------------
# The outbox: in the change's transaction; nothing lost, nothing twice
# ---------------------------------------------------------------------------------------
def test_a_rolled_back_change_tells_nobody(receiver):
    endpoint_for(receiver.url)

    with pytest.raises(RuntimeError), transaction.atomic():
        case_open_manual(subject="Se deshará", now=T0)
        raise RuntimeError("the rest of the request failed")
    webhooks.webhooks_dispatch()

    assert WebhookEvent.objects.count() == 0 and receiver.requests == []


def test_while_redis_is_down_the_event_waits_in_the_database_and_beat_sends_it(
    receiver, django_capture_on_commit_callbacks, settings
):
    endpoint_for(receiver.url)
    settings.CELERY_TASK_ALWAYS_EAGER = False
    queueing._broker_down_until = float("inf")  # the hand-over to Redis fails, as with Redis stopped

    with django_capture_on_commit_callbacks(execute=True):
        open_case()

    assert WebhookEvent.objects.count() == 1 and receiver.requests == []
    queueing._broker_down_until = 0.0
    from core.tasks import webhooks_deliver

    webhooks_deliver()  # what beat runs every minute
    assert [e["type"] for e in receiver.events()] == ["case.created"]


def test_each_event_reaches_each_endpoint_once_however_often_the_task_runs(receiver):
    endpoint_for(receiver.url)
    endpoint_for(receiver.url + "/second")
    for n in range(3):
        open_case(subject=f"Caso {n}")

    for _ in range(3):
        webhooks.webhooks_dispatch()

    ids = [(headers["webhook-id"], headers.get("host"), body) for headers, body in receiver.requests]
    assert len(ids) == 6
    assert WebhookDelivery.objects.filter(status="delivered").count() == 6
    assert WebhookAttempt.objects.count() == 6


def test_a_delivery_claimed_by_one_run_is_left_alone_by_another(receiver):
    endpoint_for(receiver.url)
    open_case()
    webhooks.events_fan_out()
    claimed = webhooks._deliveries_claim(now=webhooks.timezone.now(), skip_endpoints=set(), limit=10)

    again = webhooks.webhooks_dispatch()

    assert len(claimed) == 1 and again["delivered"] == 0 and receiver.requests == []


# ---------------------------------------------------------------------------------------
# Retries, disabling, the owner's email
# ---------------------------------------------------------------------------------------
def test_a_failing_delivery_is_retried_with_exponential_backoff_for_at_least_a_day(receiver):
    receiver.status = 503
    endpoint_for(receiver.url)
    open_case()
    webhooks.events_fan_out(now=T0)
    delivery = WebhookDelivery.objects.get()

    moments = []
    while delivery.status == WebhookDelivery.Status.PENDING:
        moment = max(delivery.next_attempt_at, T0)
        webhooks.webhooks_dispatch(now=moment)
        moments.append(moment)
        delivery.refresh_from_db()

    offsets = [int((m - T0).total_seconds()) for m in moments]
    assert offsets == [0, 10, 50, 210, 850, 3410, 13650, 54610, 97810]  # 10 s × 4ⁿ, at most 12 h
    assert moments[-1] - moments[0] >= timedelta(hours=24)
    assert delivery.status == "failed" and delivery.attempts == 9 and delivery.last_status_code == 503
    assert len({headers["webhook-id"] for headers, _ in receiver.requests}) == 1  # one id on every attempt


def test_one_failure_spares_the_receiver_the_other_waiting_deliveries_in_that_run(receiver):
    receiver.status = 500
    endpoint_for(receiver.url)
    for n in range(5):
        open_case(subject=f"Caso {n}")

    counts = webhooks.webhooks_dispatch()

    assert (counts["failed"], counts["postponed"], len(receiver.requests)) == (1, 4, 1)
    receiver.status = 200
    assert webhooks.webhooks_dispatch()["delivered"] == 4  # the one that failed waits for its backoff


@pytest.mark.parametrize(
    ("language", "subject_start"),
    [("es", "Voz ha dejado de enviar webhooks a"), ("en", "Voz stopped sending webhooks to")],
)
def test_an_endpoint_failing_for_three_days_is_disabled_and_its_owner_told_in_their_language(
    receiver, django_user_model, django_capture_on_commit_callbacks, no_wake_up, language, subject_start
):
    receiver.status = 500
    owner = django_user_model.objects.create_user("marta", email="marta@shop.example", first_name="Marta")
    endpoint = endpoint_for(receiver.url, owner=owner, owner_language=language)
    open_case()
    webhooks.events_fan_out(now=T0)

    with django_capture_on_commit_callbacks(execute=True):
        webhooks.webhooks_dispatch(now=T0)
        for hours in (12, 30, 71):
            open_case(subject=f"Otro {hours}", now=T0 + timedelta(hours=hours))
            webhooks.webhooks_dispatch(now=T0 + timedelta(hours=hours))
    endpoint.refresh_from_db()
    assert endpoint.is_active and mail.outbox == []  # failing, but not for three days yet

    with django_capture_on_commit_callbacks(execute=True):
        webhooks.webhooks_dispatch(now=T0 + timedelta(days=3, minutes=1))

    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at == T0 + timedelta(days=3, minutes=1)
    (message,) = mail.outbox
    assert message.to == ["marta@shop.example"] and message.subject.startswith(subject_start)
    assert receiver.url in message.subject
    assert "HTTP 500\n" in message.body and "HTTP 500:" not in message.body  # the receiver said nothing more
    # switched off: nothing more is sent, and new events are not given to it
    before = len(receiver.requests)
    open_case(now=T0 + timedelta(days=4))
    webhooks.webhooks_dispatch(now=T0 + timedelta(days=4))
    assert len(receiver.requests) == before


def test_one_success_clears_the_failing_record(receiver):
    receiver.status = 500
    endpoint = endpoint_for(receiver.url)
    open_case()
    webhooks.webhooks_dispatch(now=T0)
    receiver.status = 200
    webhooks.webhooks_dispatch(now=T0 + timedelta(days=2, hours=23))
    receiver.status = 500
    open_case(subject="Otro", now=T0 + timedelta(days=3, hours=1))

    webhooks.webhooks_dispatch(now=T0 + timedelta(days=3, hours=1))

    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.failing_since == T0 + timedelta(days=3, hours=1)


# ---------------------------------------------------------------------------------------
# The delivery log and Redeliver
# ---------------------------------------------------------------------------------------
def staff(django_user_model, username: str, group: str | None = None, **extra):
    user = django_user_model.objects.create_user(username, password="x", is_staff=True, **extra)
    if group:
        user.groups.add(Group.objects.get(name=group))
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def delivered(receiver):
    endpoint_for(receiver.url)
    open_case()
    webhooks.webhooks_dispatch()
    return WebhookDelivery.objects.get()


def test_the_delivery_log_shows_status_code_latency_and_the_redeliver_button(delivered, admin_client):
    log = admin_client.get(reverse("admin:core_webhookdelivery_changelist"))
    page = admin_client.get(reverse("admin:core_webhookdelivery_change", args=[delivered.pk]))

    assert log.status_code == 200 and page.status_code == 200
    assert delivered.last_status_code == 204 and delivered.last_latency_ms is not None
    assert b"204" in log.content and delivered.event.msg_id.encode() in log.content
    assert reverse("admin:core_webhookdelivery_redeliver", args=[delivered.pk]).encode() in page.content


def test_redeliver_sends_the_event_again_under_the_same_webhook_id(delivered, admin_client, receiver):
    response = admin_client.post(reverse("admin:core_webhookdelivery_redeliver", args=[delivered.pk]))
    webhooks.webhooks_dispatch()

    assert response.status_code == 302
    assert [headers["webhook-id"] for headers, _ in receiver.requests] == [delivered.event.msg_id] * 2
    delivered.refresh_from_db()
    assert delivered.attempts == 2 and delivered.status == "delivered"


def test_who_may_see_the_log_and_redeliver(delivered, django_user_model, receiver):
    redeliver = reverse("admin:core_webhookdelivery_redeliver", args=[delivered.pk])
    log = reverse("admin:core_webhookdelivery_changelist")
    agent = staff(django_user_model, "agente", AGENTS)
    manager = staff(django_user_model, "jefa", MANAGERS)
    bare_staff = staff(django_user_model, "becario")

    assert APIClient().post(redeliver).status_code == 302  # to the login page
    assert agent.get(log).status_code == 403 and agent.post(redeliver).status_code == 403
    assert bare_staff.post(redeliver).status_code == 403
    assert manager.get(reverse("admin:core_webhookendpoint_changelist")).status_code == 403  # secrets: admins only
    assert manager.get(log).status_code == 200
    assert manager.get(redeliver).status_code == 405
    assert manager.post(redeliver).status_code == 302
    webhooks.webhooks_dispatch()
    assert len(receiver.requests) == 2  # only the manager's redelivery was sent


def test_an_endpoint_is_set_up_from_the_admin_with_its_events(admin_client, receiver):
    api_client, _token = api_client_create(name="CRM", scopes=[Scope.CASES_READ])

    response = admin_client.post(
        reverse("admin:core_webhookendpoint_add"),
        {
            "client": api_client.pk,
            "url": receiver.url,
            "description": "CRM",
            "events": ["case.created"],
            "is_active": "on",
        },
    )
    bad = admin_client.post(
        reverse("admin:core_webhookendpoint_add"),
        {"client": api_client.pk, "url": "ftp://example.com/x", "events": ["no.such"], "is_active": "on"},
    )

    assert response.status_code == 302 and bad.status_code == 200
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["case.created"] and endpoint.secret.startswith("whsec_")
    page = admin_client.get(reverse("admin:core_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint.secret.encode() in page.content


# ---------------------------------------------------------------------------------------
# The OpenAPI schema
# ---------------------------------------------------------------------------------------
def test_the_schema_documents_every_webhook_with_its_versioned_payload():
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()

    assert schema["openapi"].startswith("3.1")
    assert set(schema["webhooks"]) == {
        "feedback.created",
        "feedback.analysed",
        "case.created",
        "case.updated",
        "case.sla_warning",
        "case.sla_breached",
        "survey.answered",
        "review.published",
        "alert.fired",
    }
    created = schema["webhooks"]["case.created"]["post"]
    body = created["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["version"]["const"] == 1
    assert {p["name"] for p in created["parameters"]} == {"webhook-id", "webhook-timestamp", "webhook-signature"}


def test_what_the_services_record_matches_the_documented_payloads(receiver, django_user_model):
    """Each event source, through its own service: the webhook bodies validate against the schema."""
    from analytics import alerts
    from analytics.models import AlertRule
    from feedback.models import FeedbackItem
    from reviews.models import Review
    from reviews.services import ReviewData, review_moderate, reviews_upsert
    from sentiment.services import feedback_analyse_batch
    from support import services as support
    from surveys import services as surveys
    from tests.factories import InvitationFactory, ProductFactory
    from tests.surveys.test_submission_paths import answers_for

    endpoint_for(receiver.url)
    # survey.answered and feedback.created, on the survey's one-round-trip path
    invitation = InvitationFactory()
    surveys.response_submit(
        invitation=surveys.invitation_for_token(invitation.token),
        answers=answers_for(invitation.survey),
        language="es",
    )
    # review.published (automatic, then by hand) and feedback.created through the ORM
    product = ProductFactory()
    reviews_upsert(items=[ReviewData(source="web", external_id="r1", product_sku=product.sku, rating=5, body="Genial")])
    (held,) = reviews_upsert(items=[ReviewData(source="web", external_id="r2", rating=1, body="MAL MAL MAL MAL MAL")])
    review_moderate(review=held.obj, status=Review.Status.REJECTED)
    review_moderate(review=held.obj, status=Review.Status.PUBLISHED)
    # feedback.analysed
    feedback_analyse_batch(ids=list(FeedbackItem.objects.values_list("pk", flat=True)))
    # case.created, case.updated, SLA warning and breach
    agent = django_user_model.objects.create_user("ana", email="ana@shop.example")
    case = open_case()
    support.case_assign(case=case, assignee=agent)
    support.sla_check(now=case.sla_warning_at + timedelta(minutes=1))
    support.sla_check(now=case.sla_due_at + timedelta(days=1))
    # alert.fired
    # (a threshold rule needs a sample with an interval: ten answers, and an NPS under 101 for sure)
    for _answer in range(10):
        voter = InvitationFactory()
        questions = {q.code: q.pk for q in voter.survey.questions.all()}
        surveys.response_submit(
            invitation=voter, answers={questions["nps"]: 3, questions["delivery_csat"]: 2}, language="es"
        )
    AlertRule.objects.create(name="NPS bajo", kind="nps_below", threshold=101)
    alerts.alerts_check()

    webhooks.webhooks_dispatch()

    events = receiver.events()
    assert {e["type"] for e in events} == set(DATA)  # every event type was sent…
    documented = APIClient().get("/api/schema/", {"format": "json"}).json()["webhooks"]
    for event in events:  # …and each matches what the schema promises
        post = documented[event["type"]]["post"]
        jsonschema.validate(event, post["requestBody"]["content"]["application/json"]["schema"])
    comments = [e["data"] for e in events if e["type"] == "feedback.created" and e["data"]["channel"] == "survey"]
    answered = next(e["data"] for e in events if e["type"] == "survey.answered")
    assert comments and all(c["customer"] == invitation.customer.external_id for c in comments)
    assert answered["id"] == invitation.response.pk and answered["order"] == invitation.order.external_id
    assert {c["id"] for c in comments} == set(
        FeedbackItem.objects.filter(survey_answer__response=invitation.response).values_list("pk", flat=True)
    )
