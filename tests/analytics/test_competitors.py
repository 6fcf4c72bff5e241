"""Competitors: their mentions and reviews are analysed like ours, compared on their own page, and
never mixed into the shop's own numbers, cases or alerts; win-back emails to our detractors."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.utils import timezone
from rest_framework.test import APIClient

from analytics import rollups, selectors
from analytics.selectors import brand_comparison
from bench import naive as oracle
from brands.models import Brand
from brands.services import brand_detect
from core.roles import AGENTS, MANAGERS
from feedback.models import FeedbackItem
from reviews.services import ReviewData, reviews_upsert
from sentiment.models import FeedbackTopic, Topic
from social.models import Mention
from social.services import MentionData, mentions_upsert
from support.models import Case, WinBackEmail
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
WHEN = datetime(2026, 3, 10, 12, tzinfo=MADRID)
WINDOW = selectors.Filters(start=date(2026, 3, 1), end=date(2026, 3, 31), period="month")


@pytest.fixture
def brands():
    own = Brand.objects.create(name="Tienda Demo", slug="tienda-demo", is_own=True, handles="tiendademo")
    rival = Brand.objects.create(
        name="Rival Hogar", slug="rival-hogar", handles="@RivalHogar", keywords_es="rival hogar"
    )
    other = Brand.objects.create(name="CasaPlus", slug="casaplus", handles="casaplus")
    return own, rival, other


def said(text: str, *, brand=None, sentiment="negative", topic="delivery", channel="social", customer=None):
    """An analysed comment (as the analysis would leave it), with one topic mention."""
    item = FeedbackItem.objects.create(
        channel=channel,
        text=text,
        language="es",
        received_at=WHEN,
        analysis_status="done",
        sentiment=sentiment,
        sentiment_score=-0.9 if sentiment == "negative" else 0.9,
        sentiment_confidence=0.95,
        brand=brand,
        customer=customer,
    )
    FeedbackTopic.objects.create(
        feedback=item, topic=Topic.objects.get(slug=topic), sentiment=sentiment, score=-0.5, matches=["entrega"]
    )
    rollups.mark_dirty(rollups.Source.FEEDBACK, [WHEN])
    return item


def test_a_mention_belongs_to_the_one_rival_it_names_and_not_to_us(brands):
    _own, rival, _other = brands
    assert brand_detect(text="@RivalHogar me trajo el pedido en un día", language="es") == rival
    assert brand_detect(text="En Rival Hogar son carísimos", language="es") == rival
    assert brand_detect(text="@tiendademo mejor que @rivalhogar", language="es") is None  # names us: ours
    assert brand_detect(text="@rivalhogar y @casaplus igual de lentos", language="es") is None  # two rivals: unclear
    assert brand_detect(text="mi pedido no llega", language="es") is None
    assert brand_detect(text="rivalhogareño", language="es") is None  # whole words only


def test_competitor_mentions_and_reviews_come_in_through_the_same_apis(brands, api_token_for):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('feedback:write', 'feedback:read')}")
    base = {"platform": "x", "author_handle": "ana", "language": "es"}

    response = api.post(
        "/api/v1/mentions/bulk/",
        {
            "items": [
                {**base, "external_id": "1", "text": "Rival Hogar tardó tres semanas", "brand": "rival-hogar"},
                {**base, "external_id": "2", "text": "Qué rápido @casaplus"},  # detected
                {**base, "external_id": "3", "text": "hola", "brand": "nobody"},
            ]
        },
        format="json",
    )
    reviews = api.post(
        "/api/v1/reviews/bulk/",
        {"items": [{"source": "trustpilot", "external_id": "tp-1", "rating": 1, "body": "Fatal", "brand": "casaplus"}]},
        format="json",
    )

    assert [r["status"] for r in response.json()["results"]] == ["created", "created", "error"]
    assert "brand" in response.json()["results"][2]["errors"]
    # a Spanish client reads why in Spanish, an English one in English
    for language, words in (("es", "Marca desconocida «nobody»"), ("en", "Unknown brand “nobody”")):
        refused = api.post(
            "/api/v1/reviews/bulk/",
            {"items": [{"source": "trustpilot", "external_id": "tp-x", "rating": 1, "body": "x", "brand": "nobody"}]},
            format="json",
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert words in str(refused.json()), refused.json()
    assert dict(Mention.objects.values_list("external_id", "brand__slug")) == {"1": "rival-hogar", "2": "casaplus"}
    assert reviews.json()["results"][0]["status"] == "created", reviews.json()
    assert set(FeedbackItem.objects.values_list("brand__slug", flat=True)) == {"rival-hogar", "casaplus"}
    listed = api.get("/api/v1/mentions/").json()["results"]
    assert {m["brand"] for m in listed} == {"rival-hogar", "casaplus"}
    assert [b["slug"] for b in api.get("/api/v1/brands/").json()] == ["tienda-demo", "casaplus", "rival-hogar"]


def test_a_rivals_complaints_never_reach_our_numbers_cases_alerts_or_feed(brands, client, django_user_model):
    _own, rival, _other = brands
    said("Mi pedido llegó tarde", sentiment="negative")
    said("Llegó rápido", sentiment="positive")
    before = {
        "series": selectors.satisfaction_series(WINDOW),
        "topics": selectors.topic_series(WINDOW),
        "sources": selectors.feedback_by_context(WINDOW, "source"),
    }

    for n in range(5):
        said(f"Rival Hogar nunca entrega a tiempo {n}", brand=rival, sentiment="negative")
    reviews_upsert(
        items=[ReviewData(source="trustpilot", external_id="tp-9", rating=1, body="Horrible", brand="rival-hogar")]
    )
    rival_items = FeedbackItem.objects.filter(brand=rival)

    assert selectors.satisfaction_series(WINDOW) == before["series"]
    assert oracle.satisfaction_series_naive(WINDOW) == before["series"]
    assert selectors.topic_series(WINDOW) == before["topics"] == oracle.topic_series_naive(WINDOW)
    assert selectors.feedback_by_context(WINDOW, "source") == before["sources"]
    from support.services import cases_open_for_feedback, cases_sweep

    assert cases_open_for_feedback(ids=list(rival_items.values_list("pk", flat=True))) == []
    cases_sweep(now=timezone.now(), lookback=timedelta(days=3650))
    assert not Case.objects.filter(feedback_items__brand=rival).exists()
    agent = django_user_model.objects.create_user(username="agente", password="x", is_staff=True)
    agent.groups.add(Group.objects.get(name=AGENTS))
    client.force_login(agent)
    feed = client.get("/feedback/").content.decode()
    assert "Rival Hogar nunca entrega" not in feed and "Mi pedido llegó tarde" in feed
    asked = client.get("/feedback/", {"brand": "rival-hogar"}).content.decode()
    assert "Rival Hogar nunca entrega" in asked and "Mi pedido llegó tarde" not in asked


def test_the_comparison_counts_every_brand_and_equals_the_raw_rows(brands):
    own, rival, other = brands
    for n in range(20):  # us: 8 of 20 comments complain about delivery
        said(f"nuestro {n}", sentiment="negative" if n < 8 else "positive")
    for n in range(10):  # Rival Hogar: 2 of 10
        said(f"rival {n}", brand=rival, sentiment="negative" if n < 2 else "positive")
    said("casa", brand=other, sentiment="positive", topic="price")

    fast, naive = brand_comparison(WINDOW), oracle.brand_comparison_naive(WINDOW)

    assert fast == naive
    by_slug = {brand["slug"]: brand for brand in fast["brands"]}
    assert by_slug[""]["name"] == "Tienda Demo" and by_slug[""]["items"] == 20
    assert round(by_slug[""]["share_of_voice"], 1) == round(100 * 20 / 31, 1)
    assert by_slug["rival-hogar"]["negative_share"] == 20
    delivery_vs_rival = next(g for g in fast["gaps"] if g["slug"] == "delivery" and g["rival"]["slug"] == "rival-hogar")
    assert delivery_vs_rival["own_rate"] == 40 and delivery_vs_rival["rival_rate"] == 20
    assert delivery_vs_rival["ratio"] == 2.0  # "customers complain about delivery 2× as often about us"
    assert fast["series"]["rival-hogar"]["items"] == [10]
    assert fast["series"][""]["topics"] == {"delivery": [20]} and fast["series"]["casaplus"]["topics"] == {"price": [1]}


def test_the_comparison_page_and_api(
    brands, client, api_token_for, django_user_model, django_capture_on_commit_callbacks
):
    own, rival, _other = brands
    customer = CustomerFactory(name="Lucía Gómez", marketing_consent="granted")  # win-backs need consent
    for n in range(20):
        said(f"nuestro {n}", sentiment="negative" if n < 8 else "positive", customer=customer if n == 0 else None)
    for n in range(10):
        said(f"rival {n}", brand=rival, sentiment="negative" if n < 1 else "positive")
    manager = django_user_model.objects.create_user(username="gerente", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    client.force_login(manager)
    params = {"start": "2026-03-01", "end": "2026-03-31", "period": "month"}

    page = client.get("/dashboards/competitors/", params)
    html = page.content.decode()
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('metrics:read')}")
    body = api.get("/api/v1/metrics/competitors/", params).json()

    assert page.status_code == 200 and "brand-chart" in html and "chart-voice" in html
    assert "4,0×" in html and "Rival Hogar" in html
    assert "Lucía Gómez" in html  # our detractor on delivery, offered a win-back email
    assert [brand["name"] for brand in body["brands"]] == ["Tienda Demo", "CasaPlus", "Rival Hogar"]
    assert body["gaps"][0]["topic"] == "delivery" and body["gaps"][0]["ratio"] == 4.0

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            "/dashboards/competitors/winback/", {"customer": customer.pk, "topic": "delivery", "next": "//evil.example"}
        )
    assert sent.status_code == 302 and sent["Location"] == "/dashboards/competitors/"
    email = WinBackEmail.objects.get(customer=customer)
    assert email.topic.slug == "delivery" and "Lucía" in email.subject and "entrega" in email.body
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [customer.email]


def test_the_comparison_page_charts_each_brands_topic_mix_over_time(brands, client, django_user_model):
    _own, rival, _other = brands
    for n in range(3):
        said(f"entrega {n}", topic="delivery")
    said("precio", topic="price")
    for n in range(2):
        said(f"rival entrega {n}", brand=rival, topic="delivery")
    for n in range(2):
        said(f"rival precio {n}", brand=rival, topic="price", sentiment="positive")
    manager = django_user_model.objects.create_user(username="gerente", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    client.force_login(manager)

    page = client.get("/dashboards/competitors/", {"start": "2026-03-01", "end": "2026-03-31", "period": "month"})

    mix = {brand["name"]: brand["topics"] for brand in page.context["chart"]["topic_mix"]}
    shares = {name: {topic["slug"]: topic["data"] for topic in topics} for name, topics in mix.items()}
    assert shares["Tienda Demo"] == {"delivery": [75.0], "price": [25.0]}
    assert shares["Rival Hogar"] == {"delivery": [50.0], "price": [50.0]}
    assert shares["CasaPlus"] == {}  # nothing said about it
    assert [topic["name"] for topic in mix["Tienda Demo"]] == ["Entrega", "Precio"]
    html = page.content.decode()
    # brands come ours first, then rivals by name: CasaPlus (index 1) has no chart, only a line saying why
    assert 'id="chart-topic-mix-0"' in html and 'id="chart-topic-mix-2"' in html
    assert 'id="chart-topic-mix-1"' not in html and "No se habló de ningún tema sobre esta marca" in html


def test_a_winback_from_a_detractors_case_is_personal_logged_on_the_timeline_and_sent_once(
    client, django_user_model, django_capture_on_commit_callbacks
):
    from support.services import cases_open_for_feedback

    english = CustomerFactory(name="Sarah Jones", preferred_language="en", marketing_consent="granted")
    item = said("The parcel arrived two weeks late", customer=english)
    (case,) = cases_open_for_feedback(ids=[item.pk])
    agent = django_user_model.objects.create_user(username="agent", password="x", is_staff=True)
    agent.groups.add(Group.objects.get(name=MANAGERS))
    client.force_login(agent)

    page = client.get(f"/support/cases/{case.pk}/").content.decode()
    assert "Sarah, we want to do better for you" in page  # the preview, in the customer's language
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(
            f"/support/cases/{case.pk}/winback/", {"topic": Topic.objects.get(slug="delivery").pk}, follow=True
        )
    assert "ya va de camino al cliente" in first.content.decode()
    again = client.post(f"/support/cases/{case.pk}/winback/", {"topic": ""}, follow=True)

    (message,) = mail.outbox
    assert message.subject == "Sarah, we want to do better for you" and message.to == [english.email]
    assert "a problem with delivery" in message.body
    assert WinBackEmail.objects.get().emailed_at is not None
    assert "Ya se envió un email de recuperación a este cliente" in again.content.decode()
    assert WinBackEmail.objects.count() == 1
    timeline = client.get(f"/support/cases/{case.pk}/").content.decode()
    assert "Sarah, we want to do better for you" in timeline and "tl-winback" in timeline


def test_an_unsent_winback_is_swept_and_sent_once(django_capture_on_commit_callbacks):
    from support.winback import winback_emails_dispatch_unsent, winback_send

    customer = CustomerFactory(marketing_consent="granted")
    email = winback_send(customer=customer, topic=None, now=timezone.now() - timedelta(hours=1))  # hand-over lost
    assert mail.outbox == []

    winback_emails_dispatch_unsent()
    winback_emails_dispatch_unsent()

    assert len(mail.outbox) == 1 and "tu pedido" in mail.outbox[0].body
    email.refresh_from_db()
    assert email.emailed_at is not None


@pytest.mark.parametrize("data", [{"customer": "abc"}, {"customer": "9" * 30}, {}, {"customer": "1", "topic": "x y"}])
def test_a_malformed_winback_request_is_a_400_and_sends_nothing(client, django_user_model, data):
    manager = django_user_model.objects.create_user(username="gerente", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    client.force_login(manager)

    assert client.post("/dashboards/competitors/winback/", data).status_code == 400
    assert not WinBackEmail.objects.exists() and mail.outbox == []


def test_detecting_brands_reads_them_once_per_batch_not_once_per_mention(brands):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries_for(count: int, start: int) -> int:
        items = [
            MentionData(platform="x", external_id=str(start + n), text=f"@rivalhogar tarde {n}", author_handle="a")
            for n in range(count)
        ]
        with CaptureQueriesContext(connection) as captured:
            mentions_upsert(items=items)
        return len(captured)

    assert queries_for(2, 0) == queries_for(20, 100)
    assert Mention.objects.filter(brand__slug="rival-hogar").count() == 22


def test_a_winback_to_a_customer_without_a_name_still_reads_well():
    from support.winback import winback_compose

    language, subject, body = winback_compose(customer=CustomerFactory(name="", preferred_language="es"))
    assert (language, subject) == ("es", "cliente, queremos hacerlo mejor contigo")
    assert body.startswith("Hola, cliente:") and "tu pedido" in body
