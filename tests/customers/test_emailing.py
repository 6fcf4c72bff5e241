"""Customer emails: the unsubscribe link and headers on every kind, one-click unsubscribing that
stops every sending path, the shop's sender, and consent."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.test import Client, override_settings
from django.utils import timezone

from core.models import AuditEvent
from customers.emailing import EmailNotAllowed, address_hash, consent_record, customer_email_send
from customers.models import ConsentSource, Customer, EmailSuppression, MarketingConsent
from surveys import services as survey_services
from surveys.models import Invitation, Survey
from tests.factories import CustomerFactory, InvitationFactory, OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db

_LINK = re.compile(r"<(https?://[^>]+)>")


def unsubscribe_path(message) -> str:
    (url,) = _LINK.findall(message.extra_headers["List-Unsubscribe"])
    return urlsplit(url).path


def pending_invitation(customer=None, **kwargs) -> Invitation:
    customer = customer or CustomerFactory(email="lucia@example.com", name="Lucía Fernández")
    return InvitationFactory(
        order=OrderFactory(customer=customer), customer=customer, status=Invitation.Status.PENDING, **kwargs
    )


def lapsed_invitation(customer) -> Invitation:
    return pending_invitation(customer, survey=Survey.objects.get(slug="lapsed-customers"))


def review_reply_for(customer):
    from reviews.models import Review
    from reviews.services import review_reply

    review = Review.objects.create(
        source="own_site",
        external_id=f"r-{customer.pk}",
        rating=2,
        body="Llegó tarde",
        status="published",
        product=ProductFactory(),
        customer=customer,
        language=customer.preferred_language,
    )
    return review_reply(review=review, text="Lo sentimos mucho, ya lo hemos corregido.")


def send_every_kind(customer) -> dict:
    """One email of each non-transactional kind to this customer; the messages sent, by kind."""
    from reviews.services import review_reply_email_send
    from support.winback import winback_email_send, winback_send

    sent = {}
    invitation = pending_invitation(customer)
    survey_services.invitation_send(invitation_id=invitation.pk)
    sent["invitation"] = mail.outbox[-1] if mail.outbox else None
    Survey.objects.filter(pk=invitation.survey_id).update(reminder_after=timedelta(days=1))
    survey_services.survey_questions_forget()
    count = len(mail.outbox)
    survey_services.invitation_remind(invitation_id=invitation.pk, now=timezone.now() + timedelta(days=2))
    sent["reminder"] = mail.outbox[-1] if len(mail.outbox) > count else None
    count = len(mail.outbox)
    survey_services.invitation_send(invitation_id=lapsed_invitation(customer).pk)
    sent["defection"] = mail.outbox[-1] if len(mail.outbox) > count else None
    count = len(mail.outbox)
    review_reply_email_send(reply_id=review_reply_for(customer).pk)
    sent["review_reply"] = mail.outbox[-1] if len(mail.outbox) > count else None
    count = len(mail.outbox)
    email = winback_send(customer=customer)
    winback_email_send(email_id=email.pk)
    sent["winback"] = mail.outbox[-1] if len(mail.outbox) > count else None
    return sent


@override_settings(
    VOZ_CUSTOMER_EMAIL_FROM="Tienda Demo <hola@tienda.example>", VOZ_CUSTOMER_EMAIL_REPLY_TO="ayuda@tienda.example"
)
def test_every_non_transactional_email_carries_the_one_click_headers_a_body_link_and_the_shops_sender():
    customer = CustomerFactory(email="lucia@example.com", marketing_consent=MarketingConsent.GRANTED)

    sent = send_every_kind(customer)

    assert set(sent) == {"invitation", "reminder", "defection", "review_reply", "winback"}
    for kind, message in sent.items():
        assert message is not None, kind
        (url,) = _LINK.findall(message.extra_headers["List-Unsubscribe"])
        assert url.startswith("https://voz.example/u/"), kind
        assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click", kind
        assert url in message.body, kind
        html = message.alternatives[0][0]
        assert f'href="{url}"' in html and "Darse de baja" in html, kind
        assert "darte de baja" in message.body, kind
        assert message.from_email == "Tienda Demo <hola@tienda.example>", kind
    # with no inbound mailbox, replies go to the shop's reply-to address
    assert sent["winback"].reply_to == ["ayuda@tienda.example"]
    assert sent["review_reply"].reply_to == ["ayuda@tienda.example"]


def test_the_defection_survey_has_its_own_email_asking_what_changed_in_the_customers_language():
    spanish = CustomerFactory(preferred_language="es", name="Lucía")
    english = CustomerFactory(preferred_language="en", name="John")

    for customer in (spanish, english):
        survey_services.invitation_send(invitation_id=lapsed_invitation(customer).pk)

    es, en = mail.outbox
    assert es.subject == "Hemos notado que no has vuelto: ¿qué ha cambiado?"
    assert "Hace tiempo que no vuelves a Tienda Demo" in es.body
    assert en.subject == "We noticed you haven't been back — what changed?"
    assert "haven't been back to Tienda Demo for a while" in en.body and "What changed?" in en.alternatives[0][0]


def test_one_click_post_unsubscribes_without_login_or_csrf_and_is_audited():
    customer = CustomerFactory(email="Lucia@Example.com ", marketing_consent=MarketingConsent.GRANTED)
    survey_services.invitation_send(invitation_id=pending_invitation(customer).pk)
    path = unsubscribe_path(mail.outbox[-1])

    # a mail client's RFC 8058 POST: no cookies, no CSRF token
    response = Client(enforce_csrf_checks=True).post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )

    assert response.status_code == 200 and "Te has dado de baja" in response.content.decode()
    customer.refresh_from_db()
    assert customer.unsubscribed_at is not None
    assert customer.marketing_consent == MarketingConsent.WITHDRAWN
    assert customer.marketing_consent_source == ConsentSource.UNSUBSCRIBE
    assert EmailSuppression.objects.filter(address_hash=address_hash("lucia@example.com")).exists()
    assert AuditEvent.objects.filter(action="customer.unsubscribe", target_id=str(customer.pk)).count() == 1
    # a second click changes nothing and says the same
    again = Client().post(path)
    assert again.status_code == 200 and AuditEvent.objects.filter(action="customer.unsubscribe").count() == 1


def test_the_link_only_asks_on_get_in_the_customers_language_and_an_altered_link_is_a_404(client):
    english = CustomerFactory(preferred_language="en")
    survey_services.invitation_send(invitation_id=pending_invitation(english).pk)
    path = unsubscribe_path(mail.outbox[-1])

    page = client.get(path)

    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="en">' in html and "Unsubscribe from our emails?" in html and 'method="post"' in html
    english.refresh_from_db()
    assert english.unsubscribed_at is None  # a link scanner opening it unsubscribes nobody
    assert client.get(path[:-3] + "xx/").status_code == 404
    assert client.post(path[:-3] + "xx/").status_code == 404
    assert not EmailSuppression.objects.exists()


def test_the_confirm_page_is_in_spanish_for_a_spanish_customer(client):
    spanish = CustomerFactory(preferred_language="es")
    survey_services.invitation_send(invitation_id=pending_invitation(spanish).pk)

    html = client.get(unsubscribe_path(mail.outbox[-1])).content.decode()

    assert '<html lang="es">' in html and "¿Darte de baja de nuestros emails?" in html


def test_an_unsubscribed_customer_gets_nothing_from_any_sending_path(client):
    from support.winback import WinBackRefused, winback_rule_candidates, winback_send

    customer = CustomerFactory(email="lucia@example.com", marketing_consent=MarketingConsent.GRANTED)
    survey_services.invitation_send(invitation_id=pending_invitation(customer).pk)
    sent_before = InvitationFactory(customer=customer, order=OrderFactory(customer=customer))
    client.post(unsubscribe_path(mail.outbox[-1]))
    mail.outbox.clear()

    # the invitation, the reminder, the defection survey, the review reply and the win-back
    fresh = pending_invitation(customer)
    assert survey_services.invitation_send(invitation_id=fresh.pk) is False
    fresh.refresh_from_db()
    assert fresh.status == Invitation.Status.SUPPRESSED and "unsubscribed" in fresh.last_error
    Survey.objects.filter(pk=sent_before.survey_id).update(reminder_after=timedelta(days=1))
    assert (
        survey_services.invitation_remind(invitation_id=sent_before.pk, now=timezone.now() + timedelta(days=2)) is False
    )
    assert survey_services.invitation_send(invitation_id=lapsed_invitation(customer).pk) is False
    from reviews.services import review_reply_email_send

    reply = review_reply_for(customer)
    assert review_reply_email_send(reply_id=reply.pk) is False
    reply.refresh_from_db()
    assert reply.email_refused == "unsubscribed"
    with pytest.raises(WinBackRefused):
        winback_send(customer=customer)
    assert customer not in winback_rule_candidates()
    assert mail.outbox == []


def test_the_schedulers_do_not_even_plan_surveys_for_an_unsubscribed_customer():
    customer = CustomerFactory(unsubscribed_at=timezone.now())
    OrderFactory(customer=customer, placed_at=timezone.now() - timedelta(days=5))
    OrderFactory(customer=customer, placed_at=timezone.now() - timedelta(days=400))

    assert survey_services.invitations_schedule_due() == []
    assert survey_services.lapsed_customers_invite(inactive_days=1) == 0
    assert not Invitation.objects.filter(customer=customer).exists()


def test_an_address_suppressed_under_another_customer_record_is_not_emailed_either():
    # the same person imported twice (a guest order and an account): the address is what counts
    first = CustomerFactory(email="ana@example.com")
    second = CustomerFactory(email="ANA@example.com")
    EmailSuppression.objects.create(address_hash=address_hash(first.email), reason="hard_bounce")

    assert survey_services.invitation_send(invitation_id=pending_invitation(second).pk) is False
    assert mail.outbox == []


def test_win_backs_need_consent_and_the_survey_page_checkbox_gives_it(client):
    from support.winback import WinBackRefused, winback_send

    customer = CustomerFactory(preferred_language="es")
    with pytest.raises(WinBackRefused, match="consent"):
        winback_send(customer=customer)

    invitation = InvitationFactory(customer=customer, order=OrderFactory(customer=customer))
    page = client.get(f"/s/{invitation.token}/").content.decode()
    assert 'name="marketing_consent"' in page and "puede enviarme ofertas" in page
    client.post(
        f"/s/{invitation.token}/",
        {"q_nps": "3", "q_delivery_csat": "2", "marketing_consent": "yes"},
    )

    customer.refresh_from_db()
    assert customer.marketing_consent == MarketingConsent.GRANTED
    assert customer.marketing_consent_source == ConsentSource.SURVEY_PAGE
    assert AuditEvent.objects.filter(action="customer.consent", target_id=str(customer.pk)).exists()
    assert winback_send(customer=customer).pk


def test_a_survey_answered_without_ticking_the_box_gives_no_consent(client):
    customer = CustomerFactory()
    invitation = InvitationFactory(customer=customer, order=OrderFactory(customer=customer))

    client.post(f"/s/{invitation.token}/", {"q_nps": "9", "q_delivery_csat": "5"})

    customer.refresh_from_db()
    assert customer.marketing_consent == MarketingConsent.UNKNOWN


def test_the_shop_grants_and_withdraws_its_own_consent_but_never_undoes_an_unsubscribe():
    customer = CustomerFactory()

    assert consent_record(customer=customer, granted=True, source=ConsentSource.SHOP)
    assert consent_record(customer=customer, granted=False, source=ConsentSource.SHOP)
    customer.refresh_from_db()
    assert customer.marketing_consent == MarketingConsent.WITHDRAWN

    consent_record(customer=customer, granted=True, source=ConsentSource.SURVEY_PAGE)
    assert not consent_record(customer=customer, granted=False, source=ConsentSource.SHOP)  # not the shop's to take

    Customer.objects.filter(pk=customer.pk).update(
        unsubscribed_at=timezone.now(), marketing_consent=MarketingConsent.WITHDRAWN
    )
    assert not consent_record(customer=customer, granted=True, source=ConsentSource.SHOP)
    customer.refresh_from_db()
    assert customer.marketing_consent == MarketingConsent.WITHDRAWN
    # the person's own new opt-in on the survey page lifts their unsubscribe
    assert consent_record(customer=customer, granted=True, source=ConsentSource.SURVEY_PAGE)
    customer.refresh_from_db()
    assert customer.unsubscribed_at is None and customer.marketing_consent == MarketingConsent.GRANTED
    history = AuditEvent.objects.filter(action="customer.consent", target_id=str(customer.pk)).order_by("pk")
    assert [event.details["to"] for event in history] == ["granted", "withdrawn", "granted", "granted"]


def test_the_orders_api_sets_consent_from_accepts_marketing(api_client):
    api = api_client
    order = {
        "external_id": "PED-1",
        "customer": {"external_id": "C-1", "email": "ana@example.com", "accepts_marketing": True},
        "placed_at": "2026-11-01T10:00:00Z",
        "total": "10.00",
        "items": [{"sku": "A"}],
    }

    assert api.post("/api/v1/orders/", order, format="json").status_code == 201
    customer = Customer.objects.get(external_id="C-1")
    assert customer.marketing_consent == MarketingConsent.GRANTED
    assert customer.marketing_consent_source == ConsentSource.SHOP

    order["customer"]["accepts_marketing"] = "maybe"
    assert api.post("/api/v1/orders/", order, format="json").status_code == 400
    order["customer"]["accepts_marketing"] = False
    assert api.post("/api/v1/orders/", order, format="json").status_code == 200
    customer.refresh_from_db()
    assert customer.marketing_consent == MarketingConsent.WITHDRAWN


def test_shopify_consent_is_read_from_email_marketing_consent_then_the_checkout_box():
    from integrations.shopify import marketing_consent_of

    assert marketing_consent_of({}, {"email_marketing_consent": {"state": "subscribed"}}) is True
    assert (
        marketing_consent_of({"buyer_accepts_marketing": True}, {"email_marketing_consent": {"state": "unsubscribed"}})
        is False
    )
    assert marketing_consent_of({}, {"email_marketing_consent": {"state": "pending"}}) is None
    assert marketing_consent_of({"buyer_accepts_marketing": True}, {}) is True
    assert marketing_consent_of({}, {"accepts_marketing": False}) is False
    assert marketing_consent_of({}, {}) is None


@override_settings(VOZ_CUSTOMER_EMAIL_FROM="Tienda <no-reply@tienda.example>")
def test_win_backs_and_defection_surveys_refuse_a_no_reply_sender_and_the_check_warns():
    from django.core.management import call_command

    from customers.checks import customer_sender_is_not_no_reply
    from support.winback import WinBackRefused, winback_send

    customer = CustomerFactory(marketing_consent=MarketingConsent.GRANTED)

    with pytest.raises(WinBackRefused, match="no-reply"):
        winback_send(customer=customer)
    lapsed = lapsed_invitation(customer)
    assert survey_services.invitation_send(invitation_id=lapsed.pk) is False
    lapsed.refresh_from_db()
    assert "no_reply_sender" in lapsed.last_error
    # an ordinary survey invitation may still come from it
    assert survey_services.invitation_send(invitation_id=pending_invitation(customer).pk) is True
    assert [w.id for w in customer_sender_is_not_no_reply(None)] == ["customers.W001"]
    call_command("check")  # a warning, not an error: the rest of Voz runs


def test_the_mailto_unsubscribe_is_offered_only_when_configured():
    customer = CustomerFactory()
    customer_email_send(
        kind="survey_invitation",
        customer=customer,
        language="es",
        subject="x",
        template="customers/email/_unsubscribe",
        context={},
    )
    assert "mailto:" not in mail.outbox[-1].extra_headers["List-Unsubscribe"]
    with override_settings(VOZ_UNSUBSCRIBE_MAILTO="baja@tienda.example"):
        customer_email_send(
            kind="survey_invitation",
            customer=customer,
            language="es",
            subject="x",
            template="customers/email/_unsubscribe",
            context={},
        )
    header = mail.outbox[-1].extra_headers["List-Unsubscribe"]
    assert header.startswith("<https://voz.example/u/") and ", <mailto:baja@tienda.example?subject=" in header


def test_a_kind_sent_on_consent_is_refused_without_it_whatever_the_path():
    customer = CustomerFactory()
    with (
        override_settings(VOZ_EMAIL_LEGAL_BASIS={"survey_invitation": "consent"}),
        pytest.raises(EmailNotAllowed) as refused,
    ):
        customer_email_send(
            kind="survey_invitation",
            customer=customer,
            language="es",
            subject="x",
            template="customers/email/_unsubscribe",
            context={},
        )
    assert refused.value.reason == "no_consent" and mail.outbox == []


def test_a_mail_clients_mailto_unsubscribe_carries_the_token_and_unsubscribes(settings):
    from email.message import EmailMessage
    from urllib.parse import parse_qs

    from support.inbound_email import inbound_email_receive

    settings.VOZ_UNSUBSCRIBE_MAILTO = "baja@tienda.example"
    customer = CustomerFactory(email="ana@example.com")
    other = CustomerFactory(email="eva@example.com")
    survey_services.invitation_send(invitation_id=pending_invitation(customer).pk)
    mailto = re.search(r"<mailto:([^>]+)>", mail.outbox[-1].extra_headers["List-Unsubscribe"]).group(1)
    subject = parse_qs(mailto.split("?", 1)[1])["subject"][0]

    def write(sender: str, subject: str, message_id: str):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, "Baja <BAJA@tienda.example>", subject
        message["Message-ID"] = message_id
        message.set_content("")
        return inbound_email_receive(message=message, source="imap")

    forged = write("eva@example.com", "unsubscribe", "<forged@example.com>")  # no token: nobody is unsubscribed
    taken = write("ana@example.com", subject, "<unsub-1@example.com>")

    assert (forged.status, taken.status) == ("ignored", "unsubscribed")
    customer.refresh_from_db()
    other.refresh_from_db()
    assert customer.unsubscribed_at is not None and other.unsubscribed_at is None
