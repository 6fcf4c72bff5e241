"""Providers' delivery reports through django-anymail: hard bounces and spam complaints suppress the
address, soft bounces are sent again a couple of times, and nothing unsigned is believed."""

import base64
import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from customers.emailing import address_hash, outbound_emails_retry_due
from customers.models import EmailSuppression, OutboundEmail
from surveys import services as survey_services
from surveys.models import Invitation
from tests.factories import CustomerFactory, InvitationFactory, OrderFactory

pytestmark = pytest.mark.django_db

MAILGUN_KEY = "key-test-mailgun-signing"
# the test's own SendGrid key pair: SendGrid signs with its private key, the shop configures the public one
SENDGRID_PRIVATE = ec.generate_private_key(ec.SECP256R1())
SENDGRID_PUBLIC = base64.b64encode(
    SENDGRID_PRIVATE.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
).decode()
BASIC_AUTH = "Basic " + base64.b64encode(b"inbound:s3cret").decode()
PROVIDERS = {
    "WEBHOOK_SECRET": "inbound:s3cret",
    "MAILGUN_WEBHOOK_SIGNING_KEY": MAILGUN_KEY,
    "SENDGRID_TRACKING_WEBHOOK_VERIFICATION_KEY": SENDGRID_PUBLIC,
}


@pytest.fixture(autouse=True)
def _providers_configured(settings):
    settings.ANYMAIL = PROVIDERS


def invited(email: str = "ana@example.com") -> Invitation:
    customer = CustomerFactory(email=email)
    invitation = InvitationFactory(
        customer=customer, order=OrderFactory(customer=customer), status=Invitation.Status.PENDING
    )
    survey_services.invitation_send(invitation_id=invitation.pk)
    return invitation


def mailgun(client, event_data: dict, *, key: str = MAILGUN_KEY):
    timestamp, token = str(int(time.time())), "a8ce0edb2dd8301dcc0f4b3e2bd9e0b2a9c2a2b8f1f3a0b1c2"
    signature = hmac.new(key.encode(), f"{timestamp}{token}".encode(), hashlib.sha256).hexdigest()
    body = {"signature": {"timestamp": timestamp, "token": token, "signature": signature}, "event-data": event_data}
    return client.post(
        "/anymail/mailgun/tracking/", json.dumps(body), content_type="application/json", HTTP_AUTHORIZATION=BASIC_AUTH
    )


def sendgrid(client, events: list[dict], *, private_key=SENDGRID_PRIVATE):
    body = json.dumps(events).encode()
    timestamp = str(int(time.time()))
    signature = private_key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return client.post(
        "/anymail/sendgrid/tracking/",
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=BASIC_AUTH,
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_SIGNATURE=base64.b64encode(signature).decode(),
        HTTP_X_TWILIO_EMAIL_EVENT_WEBHOOK_TIMESTAMP=timestamp,
    )


def postmark(client, event: dict):
    return client.post(
        "/anymail/postmark/tracking/", json.dumps(event), content_type="application/json", HTTP_AUTHORIZATION=BASIC_AUTH
    )


def test_a_mailgun_hard_bounce_suppresses_the_address_for_every_later_email(client):
    invitation = invited("Ana@Example.com")
    sent = OutboundEmail.objects.get()

    response = mailgun(
        client,
        {
            "event": "failed",
            "severity": "permanent",
            "reason": "bounce",
            "recipient": "ana@example.com",
            "timestamp": time.time(),
            "message": {"headers": {"message-id": sent.message_id.strip("<>")}},
            "delivery-status": {"code": 550, "description": "No such mailbox"},
        },
    )

    assert response.status_code == 200 and response.json() == {"taken": ["suppressed"]}
    suppression = EmailSuppression.objects.get()
    assert suppression.reason == "hard_bounce" and suppression.provider == "mailgun"
    assert suppression.address_hash == address_hash("ana@example.com")  # never the address itself
    sent.refresh_from_db()
    assert sent.status == OutboundEmail.Status.BOUNCED
    later = InvitationFactory(
        customer=invitation.customer, order=OrderFactory(customer=invitation.customer), status="pending"
    )
    mail.outbox.clear()
    assert survey_services.invitation_send(invitation_id=later.pk) is False
    assert mail.outbox == []


def test_a_mailgun_report_with_a_wrong_signature_is_refused_and_changes_nothing(client):
    invited()

    response = mailgun(
        client,
        {"event": "failed", "severity": "permanent", "recipient": "ana@example.com", "timestamp": time.time()},
        key="not-the-key",
    )

    assert response.status_code == 401
    assert not EmailSuppression.objects.exists()
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT


def test_a_sendgrid_spam_complaint_signed_with_its_key_suppresses_the_address(client):
    invited("ana@example.com")

    response = sendgrid(
        client,
        [{"email": "ana@example.com", "event": "spamreport", "timestamp": int(time.time()), "sg_event_id": "e1"}],
    )

    assert response.status_code == 200
    assert EmailSuppression.objects.get().reason == "complaint"
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.COMPLAINED


def test_a_sendgrid_report_signed_by_another_key_is_refused(client):
    invited("ana@example.com")
    impostor = ec.generate_private_key(ec.SECP256R1())

    response = sendgrid(
        client,
        [{"email": "ana@example.com", "event": "spamreport", "timestamp": int(time.time())}],
        private_key=impostor,
    )

    assert response.status_code == 401 and not EmailSuppression.objects.exists()


def test_reports_without_the_basic_auth_or_from_unknown_providers_are_refused(client):
    body = json.dumps({"RecordType": "Bounce", "Type": "HardBounce", "Email": "ana@example.com"})

    assert client.post("/anymail/postmark/tracking/", body, content_type="application/json").status_code == 401
    assert client.post("/anymail/nobody/tracking/", body, content_type="application/json").status_code == 404
    unreadable = client.post(
        "/anymail/postmark/tracking/", "not json", content_type="application/json", HTTP_AUTHORIZATION=BASIC_AUTH
    )
    assert unreadable.status_code == 400
    assert not EmailSuppression.objects.exists()


def test_a_soft_bounce_is_sent_again_twice_with_backoff_then_given_up(client):
    invited("ana@example.com")
    sent = OutboundEmail.objects.get()
    soft = {"RecordType": "Bounce", "Type": "SoftBounce", "Email": "ana@example.com", "Description": "Mailbox full"}
    now = timezone.now()

    assert postmark(client, soft).json() == {"taken": ["retry"]}
    assert postmark(client, soft).json() == {"taken": ["ignored"]}  # the same attempt reported twice
    sent.refresh_from_db()
    assert sent.status == OutboundEmail.Status.SOFT_BOUNCED
    assert timedelta(minutes=55) < sent.retry_at - now < timedelta(minutes=65)
    assert not EmailSuppression.objects.exists()  # a full mailbox is no reason to stop for good

    mail.outbox.clear()
    assert outbound_emails_retry_due(now=now + timedelta(minutes=30)) == 0  # not before its time
    assert outbound_emails_retry_due(now=now + timedelta(hours=2)) == 1
    (again,) = mail.outbox
    assert again.to == ["ana@example.com"] and again.extra_headers["Message-ID"] == sent.message_id
    assert "List-Unsubscribe" in again.extra_headers

    postmark(client, soft)
    sent.refresh_from_db()
    assert sent.attempts == 2 and timedelta(hours=5) < sent.retry_at - timezone.now() < timedelta(hours=7)
    outbound_emails_retry_due(now=timezone.now() + timedelta(hours=7))
    assert postmark(client, soft).json() == {"taken": ["given_up"]}
    sent.refresh_from_db()
    assert sent.status == OutboundEmail.Status.FAILED and sent.attempts == 3 and len(mail.outbox) == 2


def test_a_delivery_after_a_temporary_failure_cancels_the_retry(client):
    invited("ana@example.com")
    sent = OutboundEmail.objects.get()
    mailgun(
        client,
        {"event": "failed", "severity": "temporary", "recipient": "ana@example.com", "timestamp": time.time()},
    )
    sent.refresh_from_db()
    assert sent.status == OutboundEmail.Status.SOFT_BOUNCED

    mailgun(client, {"event": "delivered", "recipient": "ana@example.com", "timestamp": time.time()})

    sent.refresh_from_db()
    assert sent.status == OutboundEmail.Status.DELIVERED and sent.retry_at is None
    mail.outbox.clear()
    assert outbound_emails_retry_due(now=timezone.now() + timedelta(days=1)) == 0 and mail.outbox == []


def test_a_retry_is_not_sent_to_someone_who_unsubscribed_meanwhile(client):
    invitation = invited("ana@example.com")
    postmark(client, {"RecordType": "Bounce", "Type": "SoftBounce", "Email": "ana@example.com"})
    invitation.customer.unsubscribed_at = timezone.now()
    invitation.customer.save()
    mail.outbox.clear()

    assert outbound_emails_retry_due(now=timezone.now() + timedelta(hours=2)) == 0

    assert mail.outbox == [] and OutboundEmail.objects.get().status == OutboundEmail.Status.FAILED


def test_the_suppression_survives_the_customers_erasure_and_catches_the_address_imported_again():
    from privacy.services import customer_erase

    invitation = invited("ana@example.com")
    EmailSuppression.objects.create(address_hash=address_hash("ana@example.com"), reason="complaint")

    customer_erase(customer=invitation.customer)

    sent = OutboundEmail.objects.get()
    assert (sent.to_email, sent.subject, sent.body_text, sent.body_html, sent.headers) == ("", "", "", "", {})
    assert EmailSuppression.objects.filter(address_hash=address_hash("ana@example.com")).exists()
    assert not EmailSuppression.objects.filter(address_hash__icontains="ana").exists()
    again = CustomerFactory(email="ana@example.com")  # the same person, imported again by the shop
    later = InvitationFactory(customer=again, order=OrderFactory(customer=again), status="pending")
    mail.outbox.clear()
    assert survey_services.invitation_send(invitation_id=later.pk) is False and mail.outbox == []


@override_settings(ANYMAIL={"WEBHOOK_SECRET": ""})
def test_without_a_webhook_secret_the_tracking_webhooks_are_off(client):
    response = client.post("/anymail/postmark/tracking/", "{}", content_type="application/json")

    assert response.status_code == 404


def test_a_signed_report_with_odd_values_is_answered_without_a_server_error(client):
    invited("ana@example.com")

    weird = mailgun(client, {"event": "failed", "severity": "permanent", "recipient": 12345, "timestamp": "x"})
    missing = mailgun(client, {"severity": "permanent"})

    assert weird.status_code in (200, 400) and missing.status_code == 400
    assert not EmailSuppression.objects.exists()


def test_a_report_about_something_that_is_not_an_address_suppresses_nothing(client):
    response = postmark(client, {"RecordType": "Bounce", "Type": "HardBounce", "Email": "not an address"})

    assert response.status_code == 200 and response.json() == {"taken": ["ignored"]}
    assert not EmailSuppression.objects.exists()
