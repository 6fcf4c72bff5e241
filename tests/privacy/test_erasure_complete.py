"""Erasure leaves nothing behind: every table that can hold a customer's name, email, phone, address
or order numbers is filled with them, the customer is erased, and a dump of the whole database is
searched for each value."""

import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from core.audit import audit
from core.models import ApiClient, AuditEvent, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from customers.models import Order
from feedback.models import FeedbackItem, InboundAttachment, InboundMessage
from integrations.models import Connector, ConnectorOrder, PrivacyRequest
from integrations.models import WebhookDelivery as ShopDelivery
from onsite.models import Site, WebFeedback
from privacy.selectors import customer_data
from privacy.services import customer_erase
from reviews.models import Review, ReviewReply
from sentiment.models import FeedbackAnalysis
from social.models import Mention
from support.models import Case, CaseEvent, CaseMessage, Notification, NotificationDelivery, WinBackEmail
from surveys.models import Answer, Response
from tests.factories import CustomerFactory, InvitationFactory, OrderFactory, OrderItemFactory

NAME = "Rigoberta Quiñones Alcántara"
EMAIL = "rigoberta.quinones@correo-ejemplo.es"
PHONE = "+34 612 987 345"
ADDRESS = "Calle de la Amargura 17, 3ºB, Zaragoza"
ORDERS = ["PED-774411", "PED-774412"]
# each value, and the parts someone could find them by
SEARCHED = [NAME, "Rigoberta", "Quiñones", "Alcántara", EMAIL, "rigoberta.quinones", PHONE, "612 987 345"]
SEARCHED += [ADDRESS, "Calle de la Amargura", *ORDERS]
WRITTEN = f"Soy {NAME} ({EMAIL}, tel. {PHONE}), vivo en {ADDRESS}; mi pedido {ORDERS[0]} llegó roto."


def database_as_text() -> str:
    """Every row of every table, as COPY writes it (the same connection sees the test's rows)."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            with cursor.copy(f'COPY "{table}" TO STDOUT') as copy:
                chunks.append(f"-- {table}\n" + b"".join(bytes(block) for block in copy).decode())
    return "\n".join(chunks)


def hits(dump: str) -> dict[str, list[str]]:
    """Each value found, with the tables it was found in."""
    found = {}
    tables = re.split(r"^-- (\S+)\n", dump, flags=re.MULTILINE)
    for value in SEARCHED:
        escaped = value.encode("ascii", "backslashreplace").decode().replace("\\x", "\\u00")
        where = [
            tables[i]
            for i in range(1, len(tables), 2)
            if value.lower() in tables[i + 1].lower() or escaped.lower() in tables[i + 1].lower()
        ]
        if where:
            found[value] = where
    return found


def a_customer_everywhere():
    """The customer, and their words and identifiers in every place Voz keeps them."""
    now = timezone.now()
    staff = get_user_model().objects.create_user("agente", password="x")
    customer = CustomerFactory(name=NAME, email=EMAIL, attributes={"phone": PHONE, "address": ADDRESS})
    orders = [OrderFactory(customer=customer, external_id=number) for number in ORDERS]
    OrderItemFactory(order=orders[0])

    # a survey answer and its feedback item, analysed
    invitation = InvitationFactory(order=orders[0], page_url=f"https://tienda.example/pedidos/{ORDERS[0]}")
    response = Response.objects.create(
        invitation=invitation, survey=invitation.survey, customer=customer, order=orders[0], language="es"
    )
    question = invitation.survey.questions.filter(kind="open_text").first()
    answer = Answer.objects.create(response=response, question=question, text=WRITTEN)
    survey_item = FeedbackItem.objects.create(
        channel="survey",
        text=WRITTEN,
        customer=customer,
        order=orders[0],
        survey_answer=answer,
        page_url=f"https://tienda.example/pedidos/{ORDERS[0]}",
    )
    FeedbackAnalysis.objects.create(
        feedback=survey_item,
        model_version="t",
        taxonomy_version="t",
        language="es",
        language_confidence=0.99,
        sentiment="negative",
        score=-0.8,
        confidence=0.9,
        sentences=[{"text": WRITTEN, "start": 0}],
        topics=[{"slug": "delivery", "matches": [NAME]}],
    )

    # a review with the shop's reply
    review = Review.objects.create(
        source="shop",
        rating=1,
        title=f"{NAME} opina",
        body=WRITTEN,
        author_name=NAME,
        author_email=EMAIL,
        customer=customer,
        order=orders[1],
        language="es",
    )
    ReviewReply.objects.create(review=review, text=f"Hola {NAME}, revisamos el pedido {ORDERS[1]}.", author=staff)
    FeedbackItem.objects.create(channel="review", text=WRITTEN, customer=customer, review=review)

    # a social mention that was matched to them
    mention = Mention.objects.create(
        platform="x",
        external_id=f"post-{ORDERS[0]}",
        url=f"https://x.example/rigoberta.quinones/status/{ORDERS[0]}",
        author_handle="rigoberta.quinones",
        text=WRITTEN,
    )
    FeedbackItem.objects.create(channel="social", text=WRITTEN, customer=customer, mention=mention)

    # the website widget: one comment linked to them, one only by its email
    site = Site.objects.create(name="Tienda", domains="tienda.example")
    linked = WebFeedback.objects.create(site=site, rating=1, comment=WRITTEN, email=EMAIL, page_url=f"/p/{ORDERS[0]}")
    FeedbackItem.objects.create(channel="web", text=WRITTEN, customer=customer, web_feedback=linked)
    WebFeedback.objects.create(site=site, rating=2, comment=f"Soy {NAME} otra vez", email=EMAIL.upper())

    # an inbound email with an attachment
    message = InboundMessage.objects.create(
        channel="email",
        external_id=f"<{ORDERS[0]}.{EMAIL}>",
        author_name=NAME,
        author_email=EMAIL,
        subject=f"Pedido {ORDERS[0]}",
        text=WRITTEN,
        sent_at=now,
    )
    InboundAttachment.objects.create(
        message=message,
        filename=f"factura-{ORDERS[0]}.pdf",
        content_type="application/pdf",
        size=7,
        file=ContentFile(WRITTEN.encode(), name="factura.pdf"),
    )
    FeedbackItem.objects.create(channel="email", text=WRITTEN, inbound_message=message)

    # a case: its subject, messages, events, notifications
    case = Case.objects.create(
        subject=f"{NAME}: pedido {ORDERS[0]} roto",
        customer=customer,
        priority_factors=[{"code": "note", "text": f"Cliente VIP ({NAME})"}],
        channels=["survey"],
    )
    for kind in ("customer", "reply", "note"):
        CaseMessage.objects.create(case=case, kind=kind, text=WRITTEN, author=staff)
    CaseEvent.objects.create(case=case, kind="opened", data={"subject": case.subject, "customer": NAME})
    audit("case.opened", case, actor=staff, summary=str(case), details={"subject": case.subject})
    notification = Notification.objects.create(
        recipient=staff, event="case_assigned", event_key=f"case-{case.pk}", case=case, data={"subject": case.subject}
    )
    NotificationDelivery.objects.create(notification=notification, channel="email", event_key=f"case-{case.pk}")

    # a case about them, opened from an email before they were known as a customer
    Case.objects.create(subject=f"Correo de {NAME}", social_author=f"email:{EMAIL}")

    # a win-back email, and its audit entry
    WinBackEmail.objects.create(
        customer=customer,
        case=case,
        language="es",
        subject=f"{NAME}, lo sentimos",
        body=f"Hola {NAME}: sobre tu pedido {ORDERS[0]}, a {ADDRESS}...",
        emailed_at=now,
    )
    audit("customer.winback", customer, actor=staff, summary=f"{NAME}, lo sentimos")

    # the Django admin's own log (mirrored into the audit log)
    LogEntry.objects.log_actions(
        user_id=staff.pk,
        queryset=[customer],
        action_flag=CHANGE,
        change_message=f"Changed email to {EMAIL}.",
        single_object=True,
    )
    assert ContentType.objects.get_for_model(customer)

    # outbound webhooks: the event, a delivery and its attempt
    client = ApiClient.objects.create(name="CRM", token_prefix="abcd", token_digest="x" * 64, scopes=[])
    endpoint = WebhookEndpoint.objects.create(client=client, url="https://crm.example/hook")
    event = WebhookEvent.objects.create(
        msg_id="msg_1",
        event_type="case.created",
        data={"subject": case.subject, "customer": {"email": EMAIL, "name": NAME, "phone": PHONE}},
    )
    delivery = WebhookDelivery.objects.create(event=event, endpoint=endpoint, last_error=f"400: unknown {EMAIL}")
    WebhookAttempt.objects.create(delivery=delivery, at=now, latency_ms=5, error=f"400: unknown customer {EMAIL}")

    # the shop connector: an order it mapped, a raw payload not yet processed, a past data request
    connector = Connector.objects.create(platform="shopify", shop_url="https://tienda.example", secret_encrypted="x")
    ConnectorOrder.objects.create(connector=connector, platform_order_id=ORDERS[0], order=orders[0])
    ShopDelivery.objects.create(
        connector=connector,
        delivery_id="d1",
        topic="orders/updated",
        payload={
            "name": ORDERS[1],
            "email": EMAIL,
            "customer": {"first_name": "Rigoberta", "last_name": "Quiñones Alcántara", "phone": PHONE},
            "shipping_address": {"address1": ADDRESS},
        },
    )
    PrivacyRequest.objects.create(
        connector=connector,
        kind=PrivacyRequest.Kind.DATA_REQUEST,
        email=EMAIL,
        platform_order_ids=ORDERS,
        completed_at=now - timedelta(days=3),
        export={"customers": [customer_data(customer)]},
    )
    return customer, message


@pytest.mark.django_db
def test_after_erasure_no_table_holds_the_customers_name_email_phone_address_or_order_numbers():
    # given a customer found everywhere
    customer, message = a_customer_everywhere()
    before = hits(database_as_text())
    assert set(before) == set(SEARCHED), "the test must put every value somewhere"
    for table in ("feedback_inboundmessage", "onsite_webfeedback", "support_caseevent", "core_auditevent"):
        assert table in before[NAME] + before[EMAIL]

    # when they are erased
    customer_erase(customer=customer, reason="RGPD")

    # then none of it is anywhere
    assert hits(database_as_text()) == {}
    # and the numbers stay: orders, ratings, the rows themselves
    assert Order.objects.filter(customer=customer).count() == 2
    assert Review.objects.get(customer=customer).rating == 1
    assert WebFeedback.objects.filter(rating__isnull=False).count() == 2
    assert FeedbackItem.objects.filter(customer=customer).count() == 4


@pytest.mark.django_db(transaction=True)
def test_an_erased_customers_attachments_leave_the_storage():
    customer, message = a_customer_everywhere()
    attachment = message.attachments.get()
    storage, stored_name = attachment.file.storage, attachment.file.name
    assert storage.exists(stored_name)

    customer_erase(customer=customer)

    assert not storage.exists(stored_name)
    assert not InboundAttachment.objects.exists()


@pytest.mark.django_db
def test_erasure_blanks_what_the_customer_wrote_in_events_and_leaves_other_customers_alone():
    # given two customers whose ids differ by a digit, with cases of the same subject
    ana, bea = CustomerFactory(external_id="CLI-100"), CustomerFactory(external_id="CLI-1000")
    cases = {who: Case.objects.create(subject="Llegó roto", customer=who) for who in (ana, bea)}
    events = {
        who: WebhookEvent.objects.create(
            msg_id=f"msg_{who.pk}",
            event_type="feedback.created",
            data=[{"customer": who.external_id, "text": "Mi caja llegó aplastada"}],
        )
        for who in (ana, bea)
    }
    for who, case in cases.items():
        audit("case.opened", case, summary=str(case))
        WebhookEvent.objects.create(
            msg_id=f"case_{who.pk}", event_type="case.created", data={"id": case.pk, "subject": case.subject}
        )

    customer_erase(customer=ana)

    # then Ana's words are gone from the events about her, and Bea's are all there
    events[ana].refresh_from_db()
    assert events[ana].data == [{"customer": "[…]", "text": ""}]
    assert WebhookEvent.objects.get(msg_id=f"case_{ana.pk}").data["subject"] == ""
    assert AuditEvent.objects.get(target_id=str(cases[ana].pk), action="case.opened").summary == f"#{cases[ana].pk}"
    events[bea].refresh_from_db()
    assert events[bea].data == [{"customer": "CLI-1000", "text": "Mi caja llegó aplastada"}]
    assert WebhookEvent.objects.get(msg_id=f"case_{bea.pk}").data["subject"] == "Llegó roto"
    assert AuditEvent.objects.get(target_id=str(cases[bea].pk)).summary == f"#{cases[bea].pk} Llegó roto"
    cases[bea].refresh_from_db()
    assert cases[bea].subject == "Llegó roto"
