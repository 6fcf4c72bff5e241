import pytest
from django.core import mail

from surveys import services
from surveys.models import Invitation
from tests.factories import CustomerFactory, InvitationFactory, OrderFactory

pytestmark = pytest.mark.django_db


def send(invitation: Invitation):
    services.invitation_send(invitation_id=invitation.pk)
    return mail.outbox[-1]


def pending_invitation(language: str, name: str = "Lucía Fernández") -> Invitation:
    customer = CustomerFactory(preferred_language=language, name=name, email="lucia@example.com")
    return InvitationFactory(
        order=OrderFactory(customer=customer, external_id="PED-1042"),
        customer=customer,
        language=language,
        status=Invitation.Status.PENDING,
        sent_at=None,
    )


def test_the_invitation_email_is_in_spanish_with_a_working_personal_link():
    invitation = pending_invitation("es")

    message = send(invitation)

    assert message.to == ["lucia@example.com"]
    assert message.subject == "¿Qué tal tu pedido de Tienda Demo?"
    assert message.extra_headers["Content-Language"] == "es"
    assert "Hola, Lucía Fernández:" in message.body
    assert "Pedido: PED-1042" in message.body
    assert invitation.url in message.body
    assert invitation.url.startswith("https://voz.example/s/")
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert '<html lang="es">' in html
    assert "Responder la encuesta" in html
    assert f'href="{invitation.url}"' in html


def test_the_invitation_email_is_in_english_for_english_customers():
    invitation = pending_invitation("en", name="John Smith")

    message = send(invitation)

    assert message.subject == "How was your order from Tienda Demo?"
    assert "Hello John Smith," in message.body
    assert "Order: PED-1042" in message.body
    html = message.alternatives[0][0]
    assert "Answer the survey" in html
    assert invitation.url in html


def test_the_link_in_the_email_opens_the_survey(client):
    invitation = pending_invitation("es")
    message = send(invitation)
    path = next(word for word in message.body.split() if word.startswith("https://voz.example/s/"))

    response = client.get(path.removeprefix("https://voz.example"))

    assert response.status_code == 200
    assert "¿Qué tal tu pedido?" in response.content.decode()


def test_customer_names_are_escaped_in_the_html_email():
    invitation = pending_invitation("es", name="<script>alert(1)</script>")

    html = send(invitation).alternatives[0][0]

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
