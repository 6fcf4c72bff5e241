"""The feed over all feedback: filters, full-text search in both languages, CSV export, access."""

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from feedback.models import FeedbackItem
from feedback.selectors import feedback_search
from sentiment.exports import feedback_csv_lines
from sentiment.models import FeedbackTopic, Topic
from tests.factories import FeedbackItemFactory

pytestmark = pytest.mark.django_db


def labelled(text, *, language="es", sentiment="", topics=(), channel="survey", days_ago=0, gold=""):
    item = FeedbackItemFactory(
        text=text,
        language=language,
        channel=channel,
        sentiment=sentiment,
        sentiment_score={"negative": -0.8, "neutral": 0.0, "positive": 0.8}.get(sentiment),
        sentiment_gold=gold,
        received_at=timezone.now() - timedelta(days=days_ago),
        analysis_status="done" if sentiment else "pending",
    )
    for slug in topics:
        FeedbackTopic.objects.create(
            feedback=item, topic=Topic.objects.get(slug=slug), sentiment=sentiment, score=0, matches=[slug]
        )
    return item


@pytest.fixture
def agent(django_user_model):
    user = django_user_model.objects.create_user(username="agent", password="x", is_staff=True)
    user.user_permissions.add(Permission.objects.get(codename="view_feedbackitem"))
    return user


@pytest.fixture
def agent_web(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture
def agent_api(agent):
    api = APIClient()
    api.force_authenticate(agent)
    return api


@pytest.fixture
def shop_feedback():
    return {
        "late": labelled("Los pedidos siempre llegan tarde", sentiment="negative", topics=["delivery"], days_ago=1),
        "refund": labelled(
            "They refunded me quickly", language="en", sentiment="positive", topics=["returns_refunds"], days_ago=2
        ),
        "price": labelled("Precio justo", sentiment="neutral", topics=["price"], channel="review", days_ago=40),
        "corrected": labelled("Vaya, qué sorpresa", sentiment="positive", gold="negative", days_ago=3),
    }


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def test_api_filters_by_channel_sentiment_topic_language_and_date(agent_api, shop_feedback):
    f = shop_feedback
    assert ids(agent_api.get("/api/v1/feedback/", {"channel": "review"})) == {f["price"].pk}
    assert ids(agent_api.get("/api/v1/feedback/", {"topic": "delivery"})) == {f["late"].pk}
    assert ids(agent_api.get("/api/v1/feedback/", {"language": "en"})) == {f["refund"].pk}
    after = (timezone.localdate() - timedelta(days=10)).isoformat()
    assert f["price"].pk not in ids(agent_api.get("/api/v1/feedback/", {"received_after": after}))
    # a staff correction outranks the model's label
    assert ids(agent_api.get("/api/v1/feedback/", {"sentiment": "negative"})) == {f["late"].pk, f["corrected"].pk}


def test_api_rejects_an_unknown_filter_value_with_a_clear_400(agent_api, shop_feedback):
    response = agent_api.get("/api/v1/feedback/", {"sentiment": "furious"})

    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert "sentiment" in response.json()["errors"]


def test_api_pages_with_a_cursor(agent_api):
    for n in range(5):
        labelled(f"comentario {n}", days_ago=n)

    first = agent_api.get("/api/v1/feedback/", {"page_size": 2}).json()
    second = agent_api.get(first["next"]).json()

    assert [row["text"] for row in first["results"]] == ["comentario 0", "comentario 1"]
    assert [row["text"] for row in second["results"]] == ["comentario 2", "comentario 3"]
    assert "cursor=" in first["next"]


def test_search_stems_each_item_in_its_own_language(shop_feedback):
    f = shop_feedback
    queryset = FeedbackItem.objects.all()

    # Spanish stemming: "llegar" finds "llegan"; English stemming: "refunds" finds "refunded"
    assert set(feedback_search(queryset, "llegar").values_list("pk", flat=True)) == {f["late"].pk}
    assert set(feedback_search(queryset, "refunds").values_list("pk", flat=True)) == {f["refund"].pk}
    assert set(feedback_search(queryset, "pedido tarde").values_list("pk", flat=True)) == {f["late"].pk}
    assert not feedback_search(queryset, "zapatos").exists()


def test_search_uses_the_language_gin_index():
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        queryset = feedback_search(FeedbackItem.objects.filter(language="es"), "entrega")
        plan = queryset.explain()
        cursor.execute("SET enable_seqscan = on")

    assert "feedback_search_es" in plan


def test_csv_export_streams_the_filtered_feed(agent_api, shop_feedback):
    response = agent_api.get("/api/v1/feedback/export/", {"language": "es"})

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert {row["text"] for row in rows} == {"Los pedidos siempre llegan tarde", "Precio justo", "Vaya, qué sorpresa"}
    assert next(row for row in rows if row["text"].startswith("Los pedidos"))["topics"] == "delivery:negative"


def test_csv_export_reads_nothing_until_the_client_asks_for_it(shop_feedback):
    with CaptureQueriesContext(connection) as queries:
        lines = feedback_csv_lines(FeedbackItem.objects.order_by("pk"), chunk_size=2)
        assert len(queries) == 0, "building the response must not load the rows"
        head = [next(lines) for _ in range(3)]  # BOM, header, first row

    assert head[1].startswith("id,channel")
    assert head[2].startswith(str(FeedbackItem.objects.order_by("pk").first().pk))


def test_staff_page_shows_filters_labels_and_topics(agent_web, shop_feedback):
    response = agent_web.get("/feedback/", {"topic": "delivery"})

    html = response.content.decode()
    assert response.status_code == 200
    assert "Los pedidos siempre llegan tarde" in html
    assert "They refunded me quickly" not in html
    assert 'class="topic negative"' in html
    assert 'name="q"' in html and 'id="export-link"' in html


def test_staff_page_answers_htmx_with_just_the_results(agent_web, shop_feedback):
    response = agent_web.get("/feedback/", {"language": "en"}, HTTP_HX_REQUEST="true")

    html = response.content.decode()
    assert html.lstrip().startswith('<section id="results"')
    assert "They refunded me quickly" in html and "<form" not in html


def test_the_feed_is_for_staff_with_permission_only(client, django_user_model, shop_feedback):
    assert client.get("/feedback/").status_code == 302  # to the login page
    stranger = django_user_model.objects.create_user(username="stranger", password="x")
    client.force_login(stranger)
    assert client.get("/feedback/").status_code == 403
    assert client.get("/feedback/export.csv").status_code == 403
    assert APIClient().get("/api/v1/feedback/").status_code in (401, 403)


def test_feed_filters_reviews_by_rating_product_verified_buyer_and_moderation(agent_api, agent_web):
    from reviews.services import ReviewData, reviews_upsert
    from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory, ProductFactory

    mug = ProductFactory(sku="TAZA-01", name="Taza")
    order = OrderFactory(customer=CustomerFactory(email="ana@example.com"), external_id="ORD-9")
    OrderItemFactory(order=order, product=mug)
    results = reviews_upsert(
        items=[
            ReviewData(
                "own_site",
                "v",
                5,
                body="Preciosa taza",
                product_sku="TAZA-01",
                author_email="ana@example.com",
                order_external_id="ORD-9",
                language="es",
            ),
            ReviewData("own_site", "u", 2, body="Llegó rota la taza", product_sku="TAZA-01", language="es"),
            ReviewData("amazon", "s", 1, body="Tienda horrible, visitad www.spam.example", language="es"),
        ]
    )
    verified, unverified, held = (FeedbackItem.objects.get(review=r.obj).pk for r in results)

    def feed(**params) -> set[int]:
        return ids(agent_api.get("/api/v1/feedback/", params))

    assert feed(rating=["1", "2"]) == {unverified, held}
    assert feed(product="TAZA-01") == {verified, unverified}
    assert feed(verified_buyer="true") == {verified}
    assert feed(moderation_status="pending") == {held}
    assert feed(channel="review", q="taza") == {verified, unverified}
    html = agent_web.get("/feedback/", {"product": "TAZA-01"}).content.decode()
    assert "★★★★★" in html and "Taza" in html and "✔" in html


def test_csv_export_carries_review_columns(agent_api):
    from reviews.services import ReviewData, reviews_upsert

    reviews_upsert(items=[ReviewData("own_site", "x", 4, body="Bien", author_name="Ana", language="es")])

    response = agent_api.get("/api/v1/feedback/export/", {"channel": "review"})
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))

    assert [(r["rating"], r["author"], r["moderation_status"], r["verified_buyer"]) for r in rows] == [
        ("4", "Ana", "published", "no")
    ]


def test_the_feed_api_gives_each_items_sentiment_and_topics_and_none_before_analysis(agent_api):
    analysed = labelled("Llegó tarde", sentiment="negative", topics=["delivery"])
    FeedbackItem.objects.filter(pk=analysed.pk).update(sentiment_confidence=0.91)
    pending = labelled("Aún sin analizar")

    rows = {row["id"]: row for row in agent_api.get("/api/v1/feedback/").json()["results"]}

    assert rows[analysed.pk]["sentiment"] == {"label": "negative", "score": -0.8, "confidence": 0.91}
    assert rows[analysed.pk]["topics"] == [
        {"slug": "delivery", "sentiment": "negative", "score": 0.0, "matches": ["delivery"]}
    ]
    assert rows[pending.pk]["sentiment"] is None and rows[pending.pk]["topics"] == []


def test_the_feed_api_names_each_items_customer_and_order_by_the_shops_references(agent_api):
    from tests.factories import CustomerFactory, OrderFactory

    customer = CustomerFactory(external_id="CLI-77")
    ordered = FeedbackItemFactory(customer=customer, order=OrderFactory(customer=customer, external_id="PED-1001"))
    anonymous = FeedbackItemFactory(customer=None, order=None)

    rows = {row["id"]: row for row in agent_api.get("/api/v1/feedback/").json()["results"]}
    one = agent_api.get(f"/api/v1/feedback/{ordered.pk}/").json()

    assert (rows[ordered.pk]["customer"], rows[ordered.pk]["order"]) == ("CLI-77", "PED-1001")
    assert (one["customer"], one["order"]) == ("CLI-77", "PED-1001")
    assert (rows[anonymous.pk]["customer"], rows[anonymous.pk]["order"]) == (None, None)


def test_a_page_of_the_feed_api_costs_the_same_queries_for_2_items_as_for_20(agent_api):
    def page_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert agent_api.get("/api/v1/feedback/").status_code == 200
        return len(queries)

    for n in range(2):
        labelled(f"Llegó tarde {n}", sentiment="negative", topics=["delivery", "price"])
    page_queries()  # the first request of a process also reads what it keeps afterwards
    few = page_queries()
    for n in range(18):
        labelled(f"Llegó roto {n}", sentiment="negative", topics=["product_quality"])

    assert page_queries() == few


@pytest.mark.parametrize(
    ("language", "meaning"),
    [
        ("es", "Sus clientes de hoy, no de cuando escribieron."),
        ("en", "Its members today, not when they wrote."),
    ],
)
def test_the_feed_and_the_inbox_say_a_segment_filter_means_todays_members(client, agent, language, meaning):
    # the dashboards count each item in the segment of its day; a list of people filters by today's
    from django.contrib.auth.models import Group

    from core.roles import AGENTS

    agent.groups.add(Group.objects.get(name=AGENTS))
    client.force_login(agent)
    for page in ("/feedback/", "/support/"):
        html = client.get(page, HTTP_ACCEPT_LANGUAGE=language).content.decode()
        assert meaning in html, page
