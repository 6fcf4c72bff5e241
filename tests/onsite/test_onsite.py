"""The on-site feedback widget: its script, its endpoint (Origin, CORS, limits) and what it stores."""

import gzip
import json

import pytest
from django.test import Client

from feedback.models import FeedbackItem
from onsite.models import Site, WebFeedback

SHOP = "https://tienda.example.com"


@pytest.fixture
def site(db):
    return Site.objects.create(name="Tienda", domains="tienda.example.com\n*.example.org")


def send(site, body: dict, *, origin: str = SHOP, user_agent: str = "Mozilla/5.0 (X11; Linux x86_64)"):
    return Client().post(
        f"/w/{site.public_key}/feedback/",
        json.dumps(body),
        content_type="application/json",
        HTTP_ORIGIN=origin,
        HTTP_USER_AGENT=user_agent,
    )


def test_a_comment_from_the_shop_page_is_stored_with_its_context_and_analysed(site, django_capture_on_commit_callbacks):
    iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"

    with django_capture_on_commit_callbacks(execute=True):
        response = send(
            site,
            {
                "rating": 2,
                "comment": "No encuentro los gastos de envío antes de pagar, es muy confuso.",
                "email": "ana@example.com",
                "page_url": f"{SHOP}/checkout?utm_source=newsletter",
                "referrer": "https://www.google.com/",
                "browser_language": "es-ES",
                "language": "es",
            },
            user_agent=iphone,
        )

    assert response.status_code == 201
    assert response["Access-Control-Allow-Origin"] == SHOP
    stored = WebFeedback.objects.get()
    assert (stored.rating, stored.device, stored.browser_language) == (2, "mobile", "es-ES")
    assert stored.page_url.endswith("/checkout?utm_source=newsletter") and stored.referrer == "https://www.google.com/"
    item = FeedbackItem.objects.get(web_feedback=stored)
    assert item.channel == "web" and item.analysis_status == "done" and item.sentiment == "negative"


def test_a_rating_alone_is_kept_without_a_feedback_item(site):
    assert send(site, {"rating": 5}).status_code == 201
    assert WebFeedback.objects.get().rating == 5 and not FeedbackItem.objects.exists()


@pytest.mark.parametrize(
    ("origin", "expected"),
    [
        ("https://evil.example.net", 403),
        ("", 403),
        ("https://tienda.example.com.evil.net", 403),
        ("https://shop.example.org", 201),  # *.example.org
        ("https://example.org", 403),  # the wildcard is for subdomains only
    ],
)
def test_only_pages_of_the_registered_domains_may_send(site, origin, expected):
    response = send(site, {"rating": 4}, origin=origin)

    assert response.status_code == expected
    if expected == 403:
        assert "Access-Control-Allow-Origin" not in response  # the browser hides the answer too
        assert not WebFeedback.objects.exists()


def test_the_preflight_answers_only_registered_origins(site):
    allowed = Client().options(f"/w/{site.public_key}/feedback/", HTTP_ORIGIN=SHOP)
    refused = Client().options(f"/w/{site.public_key}/feedback/", HTTP_ORIGIN="https://evil.example.net")

    assert allowed.status_code == 204 and allowed["Access-Control-Allow-Origin"] == SHOP
    assert "POST" in allowed["Access-Control-Allow-Methods"]
    assert allowed["Access-Control-Allow-Headers"] == "Content-Type"
    assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "__all__"),
        ({"rating": 9}, "rating"),
        ({"rating": 3, "email": "no-es-un-email"}, "email"),
        ({"comment": "x" * 2001}, "comment"),
    ],
)
def test_bad_input_is_a_400_and_stores_nothing(site, body, field):
    response = send(site, body)

    assert response.status_code == 400 and field in response.json()["errors"]
    assert not WebFeedback.objects.exists()


def test_oversized_bodies_unknown_keys_and_bots_store_nothing(site):
    huge = Client().post(
        f"/w/{site.public_key}/feedback/", "x" * 9000, content_type="application/json", HTTP_ORIGIN=SHOP
    )
    unknown = Client().post("/w/site_nope/feedback/", "{}", content_type="application/json", HTTP_ORIGIN=SHOP)
    bot = send(site, {"rating": 5, "comment": "Buy now", "website": "http://spam.example"})

    assert (huge.status_code, unknown.status_code, bot.status_code) == (413, 404, 201)
    assert not WebFeedback.objects.exists()


def test_the_endpoint_is_throttled_per_visitor_address(site, settings):
    settings.VOZ_RATE_LIMITS = [("widget", "POST", "/w/", 3, 60)]

    codes = [send(site, {"rating": 4}).status_code for _ in range(4)]

    assert codes == [201, 201, 201, 429]
    assert WebFeedback.objects.count() == 3


def test_the_script_is_small_cacheable_and_revalidated(db):
    client = Client()
    first = client.get("/w/widget.js")
    again = client.get("/w/widget.js", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200 and first["Content-Type"].startswith("text/javascript")
    assert first["Cache-Control"] == "public, max-age=300"  # a new version reaches pages within minutes
    assert again.status_code == 304
    body = first.content
    assert len(gzip.compress(body)) <= 15 * 1024
    # no third-party requests: the only URL it builds is its own server's endpoint
    assert b"http://" not in body and b"https://" not in body.replace(b"https://VOZ", b"")
    assert b"attachShadow" in body and b'"aria-modal"' in body


def test_device_classes():
    from core.devices import device_class

    assert device_class("Mozilla/5.0 (iPad; CPU OS 16_0 like Mac OS X) Mobile/15E148") == "tablet"
    assert device_class("Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36") == "mobile"
    assert device_class("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0") == "desktop"


def test_traffic_sources():
    from core.visits import traffic_source

    assert traffic_source(f"{SHOP}/p?utm_source=Newsletter&utm_medium=email", "https://www.google.com/") == "newsletter"
    assert traffic_source(f"{SHOP}/p", "https://www.google.es/search?q=taza") == "google.es"
    assert traffic_source(f"{SHOP}/p", f"{SHOP}/cart") == ""  # moving inside the shop is no source
    assert traffic_source(f"{SHOP}/p", "") == ""


@pytest.mark.django_db
def test_where_feedback_comes_from_is_a_filter_of_the_feed_api(site, api_token_for):
    from rest_framework.test import APIClient

    from surveys.services import response_submit
    from tests.factories import InvitationFactory

    android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36"
    send(
        site,
        {"comment": "La web va lenta.", "page_url": f"{SHOP}/?utm_source=instagram", "language": "es"},
        user_agent=android,
    )
    invitation = InvitationFactory(language="es")
    invitation.order.shipping_country = "MX"
    invitation.order.save()
    questions = {q.code: q.pk for q in invitation.survey.questions.all()}
    response_submit(
        invitation=invitation,
        answers={questions["nps"]: 9, questions["delivery_csat"]: 5, questions["comment"]: "Todo perfecto."},
        language="es",
        user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/126.0",
    )
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('feedback:read')}")

    def texts(**query):
        return [row["text"] for row in reader.get("/api/v1/feedback/", query).json()["results"]]

    assert texts(source="instagram") == ["La web va lenta."]
    assert texts(device="mobile") == ["La web va lenta."]
    assert texts(source="email", device="desktop") == ["Todo perfecto."]
    assert texts(country="mx") == ["Todo perfecto."]
    row = reader.get("/api/v1/feedback/", {"country": "MX"}).json()["results"][0]
    assert (row["source"], row["device"], row["country"]) == ("email", "desktop", "MX")
    assert reader.get("/api/v1/feedback/", {"device": "fax"}).status_code == 400


@pytest.mark.django_db
def test_rows_loaded_with_sql_that_names_no_context_column_stay_valid():
    """Imports and benchmarks load orders and feedback with plain SQL; the newer columns (source,
    page, device, country, shipping country) default in the database, so such loads keep working."""
    from django.db import connection

    from customers.models import Order
    from tests.factories import CustomerFactory

    customer = CustomerFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO customers_order (external_id, customer_id, placed_at, delivered_at, total, currency,"
            " created_at, updated_at) VALUES ('SQL-1', %s, now(), NULL, 10, 'EUR', now(), now())",
            [customer.pk],
        )
        cursor.execute(
            "INSERT INTO feedback_feedbackitem (channel, text, language, received_at, analysis_status, created_at,"
            " model_version, sentiment, sentiment_gold, taxonomy_version, analysed_at)"
            " VALUES ('social', 'Una mención', 'es', now(), 'done', now(), 'bench', 'neutral', '', 'bench', now())"
        )

    assert Order.objects.get(external_id="SQL-1").shipping_country == ""
    item = FeedbackItem.objects.get(text="Una mención")
    assert (item.source, item.page_url, item.device, item.country) == ("", "", "", "")
