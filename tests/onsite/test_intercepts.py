"""Intercept surveys: offered on the shop's pages by rules, to a sample of visitors, with a cooldown
shared with the email invitations; what visitors answer joins the same responses and feedback."""

import json
from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from feedback.models import FeedbackItem
from onsite.models import Intercept, Site, page_pattern_matches
from onsite.services import InterceptVisit, intercept_offer
from surveys.models import Invitation, Response
from surveys.services import invitations_due_for_reminder, invitations_schedule_due
from tests.factories import CustomerFactory, InvitationFactory, OrderFactory, default_survey

pytestmark = pytest.mark.django_db

SHOP = "https://tienda.example.com"
VISITOR = "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6"


@pytest.fixture
def site():
    return Site.objects.create(name="Tienda", domains="tienda.example.com")


@pytest.fixture
def intercept(site):
    return Intercept.objects.create(
        site=site,
        survey=default_survey(),
        name="Order confirmation",
        page_patterns="/checkout/confirmation*\n/gracias",
        seconds_on_page=5,
        scroll_percent=40,
        cooldown_days=30,
    )


def offer_request(site, intercept, body: dict, *, origin: str = SHOP, **headers):
    return Client().post(
        f"/w/{site.public_key}/intercepts/{intercept.pk}/offer/",
        json.dumps({"visitor_id": VISITOR, "page_url": f"{SHOP}/checkout/confirmation?order=12", **body}),
        content_type="application/json",
        HTTP_ORIGIN=origin,
        **headers,
    )


def visit(**overrides) -> InterceptVisit:
    return InterceptVisit(
        **{"visitor_id": VISITOR, "page_url": f"{SHOP}/gracias", "referrer": "", "language": "es", **overrides}
    )


@pytest.mark.parametrize(
    ("pattern", "url", "expected"),
    [
        ("/checkout/confirmation*", f"{SHOP}/checkout/confirmation", True),
        ("/checkout/confirmation*", f"{SHOP}/checkout/confirmation/12?x=1", True),
        ("/checkout/confirmation*", f"{SHOP}/checkout/cart", False),
        ("/gracias", f"{SHOP}/gracias?pedido=7", True),  # no "?" in the pattern: the path alone
        ("/gracias", f"{SHOP}/gracias/otra", False),
        ("/productos/*/opiniones", f"{SHOP}/productos/taza-azul/opiniones", True),
        ("/buscar?q=*", f"{SHOP}/buscar?q=tazas", True),
        ("/buscar?q=*", f"{SHOP}/buscar", False),
        ("/a.b", f"{SHOP}/aXb", False),  # a dot is a dot, not a regex wildcard
    ],
)
def test_page_patterns(pattern, url, expected):
    assert page_pattern_matches(pattern, url) is expected


def test_the_widget_reads_the_rules_of_active_intercepts_only_from_the_sites_pages(site, intercept):
    Intercept.objects.create(site=site, survey=default_survey(), name="Paused", is_active=False)

    response = Client().get(f"/w/{site.public_key}/intercepts/", HTTP_ORIGIN=SHOP)
    foreign = Client().get(f"/w/{site.public_key}/intercepts/", HTTP_ORIGIN="https://evil.example.net")

    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == SHOP
    assert response.json() == {
        "intercepts": [
            {
                "id": intercept.pk,
                "pages": ["/checkout/confirmation*", "/gracias"],
                "seconds": 5,
                "scroll": 40,
                "cooldown_days": 30,
            }
        ]
    }
    assert foreign.status_code == 403 and "Access-Control-Allow-Origin" not in foreign


@override_settings(VOZ_COUNTRY_HEADER="CF-IPCountry")
def test_a_visitor_offered_the_survey_answers_it_and_the_comment_keeps_where_it_came_from(site, intercept):
    response = offer_request(
        site,
        intercept,
        {"referrer": "https://www.google.es/", "language": "es"},
        HTTP_CF_IPCOUNTRY="mx",
    )

    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == SHOP
    offer = response.json()["offer"]
    assert offer["title"] == "¿Qué tal tu pedido?" and "preguntas" in offer["prompt"]
    invitation = Invitation.objects.get()
    assert invitation.customer is None and invitation.intercept == intercept and invitation.country == "MX"
    assert offer["url"] == invitation.url

    # the link is the ordinary survey page, answerable once
    client = Client()
    path = offer["url"].split("127.0.0.1:8000", 1)[-1] if "://" in offer["url"] else offer["url"]
    page = client.get(path)
    assert page.status_code == 200
    answered = client.post(
        path,
        {"q_nps": "3", "q_improve": "delivery", "q_reason": "Tardó dos semanas en llegar.", "q_delivery_csat": "2"},
        HTTP_USER_AGENT="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148",
    )
    assert answered.status_code == 302
    stored = Response.objects.get()
    assert stored.customer is None and stored.invitation == invitation
    item = FeedbackItem.objects.get()
    assert (item.channel, item.source, item.country, item.device) == ("web", "google.es", "MX", "mobile")
    assert item.page_url == f"{SHOP}/checkout/confirmation?order=12" and item.customer is None


def test_the_same_visitor_is_not_asked_again_within_the_cooldown(intercept):
    now = timezone.now()

    first = intercept_offer(intercept=intercept, visit=visit(), now=now)
    again = intercept_offer(intercept=intercept, visit=visit(), now=now + timedelta(days=29))
    other_visitor = intercept_offer(intercept=intercept, visit=visit(visitor_id="f" * 32), now=now + timedelta(days=1))
    later = intercept_offer(intercept=intercept, visit=visit(), now=now + timedelta(days=31))

    assert first.reason == "offered" and first.invitation is not None
    assert again.reason == "cooldown" and again.invitation is None
    assert other_visitor.reason == "offered"
    assert later.reason == "offered"
    assert Invitation.objects.filter(visitor_id=VISITOR).count() == 2


def test_sampling_asks_about_the_configured_share_and_always_the_same_visitors(intercept):
    intercept.sample_percent = 30
    intercept.save()
    visitors = [f"visitor-{n:06d}-abcdefgh" for n in range(2000)]

    drawn = [intercept.samples(v) for v in visitors]

    assert 0.26 < sum(drawn) / len(drawn) < 0.34
    assert drawn == [intercept.samples(v) for v in visitors]  # reloading does not re-roll
    left_out = visitors[drawn.index(False)]
    assert intercept_offer(intercept=intercept, visit=visit(visitor_id=left_out)).reason == "sample"
    assert not Invitation.objects.exists()


def test_a_page_outside_the_rules_gets_no_offer(intercept):
    assert intercept_offer(intercept=intercept, visit=visit(page_url=f"{SHOP}/carrito")).reason == "page"
    assert not Invitation.objects.exists()


def test_a_known_customer_shares_one_cooldown_between_email_and_website(site, intercept):
    customer = CustomerFactory(external_id="C-77")
    signed = {"customer_external_id": "C-77", "customer_signature": site.customer_signature("C-77")}
    now = timezone.now()
    InvitationFactory(order=OrderFactory(customer=customer), created_at=now - timedelta(days=10))

    blocked = intercept_offer(intercept=intercept, visit=visit(**signed), now=now)
    assert blocked.reason == "cooldown"

    # asked on the website: the invitation is theirs, and no email invitation follows for a while
    Invitation.objects.all().delete()
    offered = intercept_offer(intercept=intercept, visit=visit(**signed), now=now)
    assert offered.invitation.customer == customer
    OrderFactory(customer=customer, delivered_at=now - timedelta(days=4), placed_at=now - timedelta(days=8))
    invitations_schedule_due(now=now + timedelta(days=1))
    assert list(customer.invitations.all()) == [offered.invitation]


def test_a_forged_customer_id_is_refused_and_nothing_is_created(site, intercept):
    CustomerFactory(external_id="C-77")

    response = offer_request(site, intercept, {"customer": "C-77", "customer_signature": "0" * 64})

    assert response.status_code == 400 and response.json()["type"] == "customer_signature_invalid"
    assert not Invitation.objects.exists()


@pytest.mark.parametrize(
    ("body", "origin", "status"),
    [
        ({}, "https://evil.example.net", 403),
        ({"visitor_id": "short"}, SHOP, 400),
        ({"page_url": ""}, SHOP, 400),
        ({"language": "fr"}, SHOP, 400),
    ],
)
def test_bad_offer_requests_are_refused(site, intercept, body, origin, status):
    assert offer_request(site, intercept, body, origin=origin).status_code == status
    assert not Invitation.objects.exists()


def test_an_intercept_of_another_site_or_a_paused_one_is_not_found(site, intercept):
    other = Site.objects.create(name="Other", domains="tienda.example.com")
    assert (
        Client()
        .post(
            f"/w/{other.public_key}/intercepts/{intercept.pk}/offer/",
            "{}",
            content_type="application/json",
            HTTP_ORIGIN=SHOP,
        )
        .status_code
        == 404
    )
    intercept.is_active = False
    intercept.save()
    assert offer_request(site, intercept, {}).status_code == 404


def test_no_email_reminder_for_a_survey_offered_on_the_website(intercept):
    now = timezone.now()
    customer = CustomerFactory()
    signed = {
        "customer_external_id": customer.external_id,
        "customer_signature": intercept.site.customer_signature(customer.external_id),
    }
    intercept_offer(intercept=intercept, visit=visit(**signed), now=now - timedelta(hours=23))
    survey = intercept.survey
    survey.reminder_after = timedelta(hours=1)
    survey.save()

    assert invitations_due_for_reminder(now=now) == []


def test_each_site_has_its_own_identity_secret(site):
    other = Site.objects.create(name="Other", domains="b.example.com")
    assert site.identity_secret != other.identity_secret
    assert site.verifies_customer("C-1", site.customer_signature("C-1"))
    assert not other.verifies_customer("C-1", site.customer_signature("C-1"))


@pytest.mark.django_db(transaction=True)
def test_two_tabs_asking_at_once_get_one_offer(site):
    import threading

    from django.db import connection

    intercept = Intercept.objects.create(site=site, survey=default_survey(), name="Todo", cooldown_days=30)
    barrier = threading.Barrier(2)
    reasons = []

    def ask():
        try:
            barrier.wait()
            reasons.append(intercept_offer(intercept=intercept, visit=visit()).reason)
        finally:
            connection.close()

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(reasons) == ["cooldown", "offered"]
    assert Invitation.objects.filter(visitor_id=VISITOR).count() == 1
