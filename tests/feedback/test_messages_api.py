"""The generic ingest endpoint: emails, chats, phone notes and app-store reviews pushed by the shop's
tools, idempotent by (channel, external id), through the same pipeline as every other channel."""

from pathlib import Path

import pytest
from django.core import mail
from rest_framework.test import APIClient

from feedback.models import FeedbackItem, InboundMessage
from support.models import Case
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

COMPLAINT = "Llevo dos semanas esperando el pedido, nadie contesta y estoy muy enfadada. Es una vergüenza."


@pytest.fixture
def pusher(api_token_for) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('feedback:read', 'feedback:write')}")
    return api


def message(**fields) -> dict:
    return {"channel": "chat", "external_id": "chat-1001", "text": COMPLAINT, "source": "intercom", **fields}


def test_a_chat_complaint_is_analysed_and_opens_a_case_for_its_customer(pusher, django_capture_on_commit_callbacks):
    customer = CustomerFactory(email="Lucia@Example.com")

    with django_capture_on_commit_callbacks(execute=True):
        response = pusher.post("/api/v1/messages/", message(author_email="lucia@example.com"), format="json")

    assert response.status_code == 201, response.json()
    item = FeedbackItem.objects.get(inbound_message__external_id="chat-1001")
    assert item.channel == "chat" and item.customer == customer and item.source == "intercom"
    assert item.analysis_status == "done" and item.sentiment == "negative"
    case = Case.objects.get(customer=customer)
    assert case.channels == ["chat"] and case.policy is not None and case.sla_due_at is not None
    assert response.json()["feedback_id"] == item.pk


def test_the_same_message_sent_twice_is_stored_once(pusher):
    first = pusher.post("/api/v1/messages/", message(), format="json")
    again = pusher.post("/api/v1/messages/", message(), format="json")

    assert (first.status_code, again.status_code) == (201, 200)
    assert InboundMessage.objects.count() == 1 and FeedbackItem.objects.count() == 1


def test_a_reworded_message_is_analysed_again_and_the_same_id_on_another_channel_is_another_message(pusher):
    pusher.post("/api/v1/messages/", message(), format="json")
    item = FeedbackItem.objects.get()
    FeedbackItem.objects.filter(pk=item.pk).update(analysis_status="done", model_version="m1")

    pusher.post("/api/v1/messages/", message(text="Ya llegó, todo bien."), format="json")
    pusher.post("/api/v1/messages/", message(channel="phone"), format="json")

    item.refresh_from_db()
    assert item.text == "Ya llegó, todo bien." and item.model_version == ""
    assert sorted(InboundMessage.objects.values_list("channel", flat=True)) == ["chat", "phone"]


def test_an_app_store_review_of_one_star_opens_a_case_even_without_a_customer(
    pusher, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = pusher.post(
            "/api/v1/messages/",
            {
                "channel": "app_store",
                "external_id": "gp-77",
                "source": "google_play",
                "rating": 1,
                "author_name": "Pedro",
                "text": "La app se cierra al pagar.",
            },
            format="json",
        )

    assert response.status_code == 201
    item = FeedbackItem.objects.get()
    assert item.case is not None and {"code": "app_review", "value": 1} in item.case.priority_factors[0]["reasons"]


def test_an_email_from_a_stranger_opens_a_case_answered_at_that_address(pusher, django_capture_on_commit_callbacks):
    from support.services import case_reply

    with django_capture_on_commit_callbacks(execute=True):
        pusher.post(
            "/api/v1/messages/",
            message(channel="email", external_id="<m1@mail.example>", author_email="nueva@example.net"),
            format="json",
        )
    case = Case.objects.get()
    assert case.customer is None and case.social_author == "email:nueva@example.net"

    with django_capture_on_commit_callbacks(execute=True):
        case_reply(case=case, text="Lo sentimos, lo miramos ahora.", author=None)

    assert [m.to for m in mail.outbox] == [["nueva@example.net"]]


def test_a_batch_answers_per_item_and_stores_only_the_good_ones(pusher):
    order = OrderFactory(external_id="PED-9")

    response = pusher.post(
        "/api/v1/messages/bulk/",
        {
            "items": [
                message(external_id="a", order="PED-9"),
                message(external_id="b", customer="NOBODY"),
                message(external_id="c", order="NOPE"),
                message(external_id="a"),
            ]
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert [r["status"] for r in body["results"]] == ["created", "error", "error", "error"]
    assert "customer" in body["results"][1]["errors"] and "order" in body["results"][2]["errors"]
    stored = InboundMessage.objects.get()
    assert stored.order == order and stored.customer == order.customer


@pytest.mark.parametrize(
    "payload, field",
    [
        (message(channel="survey"), "channel"),
        (message(channel="fax"), "channel"),
        (message(text="   "), "text"),
        (message(external_id=""), "external_id"),
        (message(rating=2), "rating"),
        (message(channel="app_store", rating=6), "rating"),
        (message(author_email="not-an-email"), "author_email"),
        (message(sent_at="2099-01-01T00:00:00Z"), "sent_at"),
        (message(source="Zendesk Support"), "source"),
        ({"channel": "chat"}, "text"),
    ],
)
def test_bad_messages_are_400_naming_the_field_and_store_nothing(pusher, payload, field):
    response = pusher.post("/api/v1/messages/", payload, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not InboundMessage.objects.exists() and not FeedbackItem.objects.exists()


def test_unknown_customer_is_400_and_stores_nothing(pusher):
    response = pusher.post("/api/v1/messages/", message(customer="NOBODY"), format="json")

    assert response.status_code == 400 and "customer" in response.json()["errors"]
    assert not InboundMessage.objects.exists()


def test_pushing_messages_needs_the_feedback_write_scope(api_token_for):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('feedback:read')}")

    assert api.post("/api/v1/messages/", message(), format="json").status_code == 403
    assert api.get("/api/v1/messages/").status_code == 200
    assert not InboundMessage.objects.exists()


def test_erasing_a_customer_blanks_their_messages_and_deletes_their_attachments(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    from django.core.files.base import ContentFile

    from feedback.models import InboundAttachment
    from feedback.services import MessageData, messages_upsert
    from privacy.services import customer_erase

    settings.MEDIA_ROOT = str(tmp_path)
    customer = CustomerFactory(email="ana@example.com")
    (result,) = messages_upsert(
        items=[
            MessageData(
                channel="email", external_id="<e1@x>", text="Soy Ana, mi DNI es…", author_email="ana@example.com"
            )
        ]
    )
    attachment = InboundAttachment(message=result.obj, filename="dni.jpg", content_type="image/jpeg", size=3)
    attachment.file.save("dni.jpg", ContentFile(b"jpg"), save=True)
    path = Path(attachment.file.path)
    assert path.exists()

    with django_capture_on_commit_callbacks(execute=True):
        report = customer_erase(customer=customer)

    stored = InboundMessage.objects.get()
    assert report.messages_erased == 1
    assert (stored.text, stored.author_email) == ("", "")
    assert not InboundAttachment.objects.exists() and not path.exists()
    assert FeedbackItem.objects.get().text == ""
