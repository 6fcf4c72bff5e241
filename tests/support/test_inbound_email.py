"""Customers' emails coming in: a reply lands on its case or becomes feedback, threaded by the
per-case reply address or by In-Reply-To; quoted history stripped; attachments kept under a limit.

The messages are real RFC 5322 files written by hand (tests/fixtures/email/): multipart/alternative
with quoted-printable UTF-8, an HTML-only message in ISO-8859-1, a reply with quoted history and a
signature, base64 attachments. Placeholders ({{…}}) stand for what only the test knows: the signed
reply address and the Message-ID of the email Voz sent.
"""

import base64
import email
import json
import logging
from email.policy import default as default_policy
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from core.mail_threading import reply_address, thread_find, thread_token
from feedback.models import FeedbackItem, InboundAttachment, InboundMessage
from support import services
from support.inbound_email import inbound_email_receive
from support.models import Case, CaseMessage
from tests.factories import CustomerFactory, InvitationFactory, OrderFactory
from tests.support.imap_server import ImapTestServer, Mailbox

pytestmark = pytest.mark.django_db

FIXTURES = Path(__file__).parent.parent / "fixtures" / "email"


def raw_email(name: str, **placeholders: str) -> bytes:
    text = (FIXTURES / name).read_bytes()
    for key, value in placeholders.items():
        text = text.replace(f"{{{{{key}}}}}".encode(), value.encode())
    return text


def parsed(raw: bytes):
    return email.message_from_bytes(raw, policy=default_policy)


@pytest.fixture(autouse=True)
def _mailbox_settings(settings, tmp_path):
    settings.INBOUND_EMAIL_ADDRESS = "soporte@tienda.example"
    settings.DEFAULT_FROM_EMAIL = "Tienda Demo <no-reply@tienda.example>"
    settings.MEDIA_ROOT = str(tmp_path)


@pytest.fixture
def case_with_reply(django_capture_on_commit_callbacks):
    """A case of María's, answered by an agent: the reply email Voz sent is in mail.outbox."""
    customer = CustomerFactory(email="maria.perez@example.com", name="María Pérez")
    case = services.case_open_manual(subject="Lámpara rota", customer=customer, text="Llegó rota")
    with django_capture_on_commit_callbacks(execute=True):
        services.case_reply(case=case, text="Lo sentimos, ¿nos cuentas qué pasó?", author=None)
    services.case_set_status(case=case, status=Case.Status.PENDING_CUSTOMER)
    return Case.objects.get(pk=case.pk)


# --- what Voz sends ------------------------------------------------------------------------------


def test_case_and_invitation_emails_name_their_record_in_message_id_and_reply_to(
    case_with_reply, django_capture_on_commit_callbacks
):
    from surveys.services import invitation_send

    sent = mail.outbox[-1]
    assert sent.reply_to == [reply_address("case", case_with_reply.pk)]
    assert sent.reply_to[0].startswith(f"soporte+case-{case_with_reply.pk}-")
    assert thread_find(sent.extra_headers["Message-ID"]).pk == case_with_reply.pk

    invitation = InvitationFactory(status="pending", sent_at=None)
    invitation_send(invitation_id=invitation.pk)
    header = mail.outbox[-1].extra_headers["Message-ID"]
    assert thread_find(header).kind == "invitation" and thread_find(header).pk == invitation.pk


def test_a_forged_or_altered_reference_threads_nothing(case_with_reply):
    token = thread_token("case", case_with_reply.pk)

    assert thread_find(f"soporte+{token}@tienda.example") is not None
    assert thread_find(f"soporte+case-{case_with_reply.pk + 1}-{token.rsplit('-', 1)[1]}@tienda.example") is None
    assert thread_find(f"soporte+case-{case_with_reply.pk}-{'0' * 20}@tienda.example") is None


# --- replies onto cases --------------------------------------------------------------------------


def test_a_reply_to_the_case_address_lands_on_the_case_and_resumes_its_clock(case_with_reply):
    raw = raw_email("case_reply_plus_address.eml", REPLY_ADDRESS=mail.outbox[-1].reply_to[0])

    outcome = inbound_email_receive(message=parsed(raw), source="imap")

    assert outcome.status == "case"
    case = Case.objects.get(pk=case_with_reply.pk)
    assert case.status == Case.Status.OPEN and case.awaiting_response_since is not None
    message = case.messages.filter(kind=CaseMessage.Kind.CUSTOMER).last()
    assert message.text == (
        "Hola:\n\nEl pedido llegó, pero la lámpara venía rota y el cristal está partido en dos.\n"
        "¿Podéis enviarme otra o devolverme el dinero? Necesito una solución esta semana.\n\nUn saludo,\nMaría Pérez"
    )
    assert not FeedbackItem.objects.filter(channel="email").exists()  # a conversation turn, not new feedback


def test_the_same_email_delivered_twice_is_taken_once(case_with_reply):
    raw = raw_email("case_reply_plus_address.eml", REPLY_ADDRESS=mail.outbox[-1].reply_to[0])

    first = inbound_email_receive(message=parsed(raw), source="imap")
    second = inbound_email_receive(message=parsed(raw), source="postmark")

    assert (first.status, second.status) == ("case", "duplicate")
    assert case_with_reply.messages.filter(kind=CaseMessage.Kind.CUSTOMER).count() == 2  # opening text + reply


def test_an_english_reply_threads_by_in_reply_to_and_loses_its_signature(case_with_reply):
    case_with_reply.customer.email = "john.smith@example.co.uk"
    case_with_reply.customer.save()
    raw = raw_email("english_reply_signature.eml", IN_REPLY_TO=mail.outbox[-1].extra_headers["Message-ID"])

    outcome = inbound_email_receive(message=parsed(raw), source="imap")

    assert outcome.status == "case" and outcome.message.case_id == case_with_reply.pk
    assert outcome.message.text == (
        'Thanks, but the parcel still has not arrived and the tracking page\nsays "exception". '
        "Please send a replacement."
    )


def test_a_reply_to_a_closed_case_becomes_new_feedback(case_with_reply, django_capture_on_commit_callbacks):
    services.case_set_status(case=case_with_reply, status=Case.Status.CLOSED)
    raw = raw_email("case_reply_plus_address.eml", REPLY_ADDRESS=mail.outbox[-1].reply_to[0])

    with django_capture_on_commit_callbacks(execute=True):
        outcome = inbound_email_receive(message=parsed(raw), source="imap")

    assert outcome.status == "feedback"
    item = FeedbackItem.objects.get(inbound_message=outcome.message)
    assert item.customer == case_with_reply.customer and item.analysis_status == "done"
    assert Case.objects.get(pk=case_with_reply.pk).status == Case.Status.CLOSED


# --- replies to surveys and new emails -----------------------------------------------------------


def test_a_reply_to_a_survey_invitation_is_feedback_about_that_order(django_capture_on_commit_callbacks):
    from surveys.services import invitation_send

    order = OrderFactory(external_id="PED-2002", customer=CustomerFactory(email="jorge@example.org"))
    invitation = InvitationFactory(order=order, status="pending", sent_at=None)
    invitation_send(invitation_id=invitation.pk)
    raw = raw_email("invitation_reply_in_reply_to.eml", IN_REPLY_TO=mail.outbox[-1].extra_headers["Message-ID"])

    with django_capture_on_commit_callbacks(execute=True):
        outcome = inbound_email_receive(message=parsed(raw), source="imap")

    assert outcome.status == "feedback"
    item = FeedbackItem.objects.get(inbound_message=outcome.message)
    assert item.channel == "email" and item.order == order and item.customer == order.customer
    assert item.text == (
        "La entrega fue rapidísima y el repartidor muy amable. El único problema: la talla M me queda pequeña, "
        "¿cómo la cambio?"
    )
    assert item.analysis_status == "done"


def test_a_new_html_only_complaint_from_a_customer_opens_a_case(django_capture_on_commit_callbacks):
    customer = CustomerFactory(email="angel.nunez@example.es")

    with django_capture_on_commit_callbacks(execute=True):
        outcome = inbound_email_receive(message=parsed(raw_email("new_email_html_only.eml")), source="imap")

    message = outcome.message
    assert outcome.status == "feedback" and message.customer == customer
    assert message.author_name == "Ángel Núñez" and message.subject == "Pedido PED-3003 sin llegar después de diez días"
    assert "todavía no ha llegado" in message.text and "<p>" not in message.text
    item = FeedbackItem.objects.get(inbound_message=message)
    assert item.text.startswith("Pedido PED-3003 sin llegar") and item.sentiment == "negative"
    assert item.case is not None and item.case.customer == customer and item.case.channels == ["email"]


def test_attachments_are_stored_under_the_limit_and_refused_with_a_log_line_over_it(settings, caplog):
    settings.INBOUND_EMAIL_MAX_ATTACHMENT_BYTES = 1000

    with caplog.at_level(logging.WARNING, logger="support.inbound_email"):
        outcome = inbound_email_receive(message=parsed(raw_email("with_attachments.eml")), source="imap")

    (kept,) = InboundAttachment.objects.filter(message=outcome.message)
    assert (kept.filename, kept.content_type) == ("golpe.png", "image/png")
    assert kept.file.read().startswith(b"\x89PNG")
    assert "attachment 'albarán.pdf' refused, 1485 bytes is over the 1000-byte limit" in caplog.text
    assert outcome.message.text == (
        "Os adjunto la foto del golpe en la caja y el albarán. La mesa llegó con una pata doblada."
    )


def test_automatic_replies_and_our_own_emails_are_ignored():
    auto = inbound_email_receive(message=parsed(raw_email("auto_reply.eml")), source="imap")
    own = parsed(raw_email("new_email_html_only.eml"))
    own.replace_header("From", "Tienda Demo <no-reply@tienda.example>")

    assert auto.status == "ignored" and inbound_email_receive(message=own, source="imap").status == "ignored"
    assert not InboundMessage.objects.exists()


# --- providers' webhooks (django-anymail) ---------------------------------------------------------


def postmark_body(raw: bytes) -> dict:
    """Postmark's inbound JSON as its documentation describes it, with the full message in RawEmail."""
    message = parsed(raw)
    return {
        "FromFull": {"Email": "angel.nunez@example.es", "Name": "Ángel Núñez"},
        "To": "soporte@tienda.example",
        "Subject": str(message["Subject"]),
        "MessageID": "a8c1040e-05b6-4d1e-a3e8-1bd8a4f3e3a1",
        "Date": str(message["Date"]),
        "Headers": [{"Name": "Return-Path", "Value": "<angel.nunez@example.es>"}],
        "RawEmail": raw.decode("latin-1"),
    }


def webhook(body, *, auth: str | None = "inbound:s3cret", provider: str = "postmark"):
    headers = {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(auth.encode()).decode()} if auth else {}
    return APIClient().generic(
        "POST", f"/email/inbound/{provider}/", json.dumps(body), content_type="application/json", **headers
    )


def test_a_provider_webhook_takes_the_email(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = webhook(postmark_body(raw_email("new_email_html_only.eml")))

    assert response.status_code == 200 and response.json() == {"taken": ["feedback"]}
    message = InboundMessage.objects.get()
    assert message.source == "postmark" and message.subject.startswith("Pedido PED-3003")


@pytest.mark.parametrize(
    "auth, body, provider, status",
    [
        (None, "valid", "postmark", 401),
        ("inbound:wrong", "valid", "postmark", 401),
        ("inbound:s3cret", {"nothing": "useful"}, "postmark", 400),
        ("inbound:s3cret", ["not", "an", "object"], "postmark", 400),
        ("inbound:s3cret", "valid", "carrier-pigeon", 404),
    ],
)
def test_bad_webhook_calls_are_refused_and_store_nothing(auth, body, provider, status):
    body = postmark_body(raw_email("new_email_html_only.eml")) if body == "valid" else body

    response = webhook(body, auth=auth, provider=provider)

    assert response.status_code == status
    assert not InboundMessage.objects.exists()


def test_webhooks_are_off_without_a_secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": ""}

    response = webhook(postmark_body(raw_email("new_email_html_only.eml")), auth=None)

    assert response.status_code == 404 and "ANYMAIL_WEBHOOK_SECRET" in response.json()["detail"]
    assert not InboundMessage.objects.exists()


# --- the IMAP mailbox ----------------------------------------------------------------------------


@pytest.fixture
def imap(settings):
    mailbox = Mailbox(user="soporte@tienda.example", password="clave 1")
    with ImapTestServer(mailbox) as server:
        settings.INBOUND_IMAP_HOST, settings.INBOUND_IMAP_PORT = "127.0.0.1", server.port
        settings.INBOUND_IMAP_SSL = False
        settings.INBOUND_IMAP_USER, settings.INBOUND_IMAP_PASSWORD = mailbox.user, mailbox.password
        yield mailbox


def test_poll_mailbox_takes_unread_emails_marks_them_read_and_skips_them_next_time(
    imap, case_with_reply, django_capture_on_commit_callbacks
):
    imap.messages = {
        1: raw_email("case_reply_plus_address.eml", REPLY_ADDRESS=mail.outbox[-1].reply_to[0]),
        2: raw_email("new_email_html_only.eml"),
        3: raw_email("auto_reply.eml"),
    }

    with django_capture_on_commit_callbacks(execute=True):
        call_command("poll_mailbox")
    call_command("poll_mailbox")

    assert imap.seen == {1, 2, 3}
    assert len([command for command in imap.commands if "FETCH" in command]) == 3  # none fetched again
    assert InboundMessage.objects.filter(case=case_with_reply).count() == 1
    assert InboundMessage.objects.filter(case__isnull=True).count() == 1


def test_an_email_that_fails_stays_unread_for_the_next_poll(imap, monkeypatch):
    from support import mailbox

    imap.messages = {1: raw_email("new_email_html_only.eml")}
    monkeypatch.setattr(mailbox, "inbound_email_receive", lambda **kwargs: 1 / 0)

    call_command("poll_mailbox")

    assert imap.seen == set()


def test_poll_mailbox_says_clearly_when_it_cannot_sign_in(imap, settings):
    settings.INBOUND_IMAP_PASSWORD = "wrong"

    with pytest.raises(CommandError, match="Cannot sign in to 127.0.0.1"):
        call_command("poll_mailbox")


def test_poll_mailbox_without_a_mailbox_configured_says_so(settings):
    settings.INBOUND_IMAP_HOST = ""

    with pytest.raises(CommandError, match="INBOUND_IMAP_HOST is not set"):
        call_command("poll_mailbox")
