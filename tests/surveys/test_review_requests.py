"""Product reviews asked for behind the survey's signed link: verified by construction, once."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from reviews.models import Review
from surveys.models import Invitation
from tests.factories import InvitationFactory, OrderItemFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invitation():
    invitation = InvitationFactory(status=Invitation.Status.ANSWERED, answered_at=timezone.now())
    for sku, name in (("TAZA-01", "Taza azul"), ("PLATO-01", "Plato llano")):
        OrderItemFactory(order=invitation.order, product=ProductFactory(sku=sku, name=name))
    return invitation


@pytest.fixture
def client():
    return Client(enforce_csrf_checks=True)


def url(invitation, suffix="reviews/") -> str:
    return f"/s/{invitation.token}/{suffix}"


def post(client, invitation, data, lang="es"):
    page = client.get(url(invitation), {"lang": lang})
    return client.post(url(invitation), {**data, "lang": lang, "csrfmiddlewaretoken": str(page.context["csrf_token"])})


def field(invitation, sku, name):
    product = invitation.order.items.get(product__sku=sku).product
    return f"{name}_{product.pk}"


def test_the_thanks_page_invites_to_review_the_order_products(client, invitation):
    html = client.get(url(invitation, "thanks/")).content.decode()

    assert f"/s/{invitation.token}/reviews/" in html
    assert "Valorar mis productos" in html


def test_the_thanks_page_offers_no_reviews_for_an_order_without_products(client):
    invitation = InvitationFactory(status=Invitation.Status.ANSWERED, answered_at=timezone.now())

    html = client.get(url(invitation, "thanks/")).content.decode()

    assert "¡Gracias" in html
    assert "Valorar mis productos" not in html and "/reviews/" not in html


def test_the_review_page_lists_each_product_of_the_order_in_the_customers_language(client, invitation):
    spanish = client.get(url(invitation)).content.decode()
    english = client.get(url(invitation), {"lang": "en"}).content.decode()

    assert "Taza azul" in spanish and "Plato llano" in spanish and "Valora tus productos" in spanish
    assert "Review your products" in english


def test_submitted_reviews_are_verified_published_and_the_link_is_then_used_up(client, invitation):
    response = post(
        client,
        invitation,
        {
            field(invitation, "TAZA-01", "rating"): "5",
            field(invitation, "TAZA-01", "title"): "Preciosa",
            field(invitation, "TAZA-01", "body"): "El azul es precioso y aguanta el lavavajillas.",
        },
    )

    assert response.status_code == 302 and response["Location"].startswith(url(invitation, "reviews/thanks/"))
    review = Review.objects.get()
    assert (review.product.sku, review.rating, review.source) == ("TAZA-01", 5, "own_site")
    assert review.is_verified_buyer and review.status == "published" and review.language == "es"
    assert review.order == invitation.order and review.customer == invitation.customer
    assert review.feedback_item.channel == "review"
    assert client.get(url(invitation)).status_code == 410
    assert "Valorar mis productos" not in client.get(url(invitation, "thanks/")).content.decode()


def test_nothing_rated_or_text_without_stars_is_refused_and_stores_nothing(client, invitation):
    empty = post(client, invitation, {})
    text_only = post(client, invitation, {field(invitation, "PLATO-01", "body"): "Bonito"})

    assert empty.status_code == 400 and "Valora al menos un producto" in empty.content.decode()
    assert text_only.status_code == 400 and "Elige cuántas estrellas" in text_only.content.decode()
    assert not Review.objects.exists()
    invitation.refresh_from_db()
    assert invitation.reviews_submitted_at is None


def test_an_empty_sending_of_reviews_is_refused_with_a_message(client, invitation):
    page = client.get(url(invitation))

    response = client.post(url(invitation), {}, HTTP_X_CSRFTOKEN=str(page.context["csrf_token"]))

    assert response.status_code == 400 and "Valora al menos un producto" in response.content.decode()
    assert not Review.objects.exists()


def test_tampered_expired_or_not_offered_links_show_no_form(client, invitation):
    assert Client().get(f"/s/{invitation.token[:-2]}xx/reviews/").status_code == 404
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(days=1))
    assert client.get(url(invitation)).status_code == 410
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() + timedelta(days=1))
    invitation.survey.asks_for_reviews = False
    invitation.survey.save()
    assert client.get(url(invitation)).status_code == 404
