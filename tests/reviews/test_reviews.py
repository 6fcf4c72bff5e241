"""Reviews: upsert by (source, external id), verified buyers, moderation, replies, rating aggregates."""

import threading

import pytest
from django.core import mail
from django.db import connection
from rest_framework.test import APIClient

from feedback.models import FeedbackItem
from reviews import selectors, services
from reviews.models import ModerationRule, Review
from reviews.services import ReviewData
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory, ProductFactory

pytestmark = pytest.mark.django_db


def review(**fields) -> dict:
    return {"source": "own_site", "external_id": "R-1", "rating": 4, "body": "Muy buena taza, llegó bien.", **fields}


@pytest.fixture
def writer(api_token_for) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('feedback:write', 'feedback:read')}")
    return api


@pytest.fixture
def bought():
    """Ana bought the mug in order ORD-1."""
    customer = CustomerFactory(email="ana@example.com")
    product = ProductFactory(sku="TAZA-01")
    order = OrderFactory(customer=customer, external_id="ORD-1")
    OrderItemFactory(order=order, product=product)
    return customer, product, order


def test_posting_a_review_creates_it_and_posting_it_again_updates_it(writer, django_capture_on_commit_callbacks):
    ProductFactory(sku="TAZA-01")
    with django_capture_on_commit_callbacks(execute=True):
        first = writer.post("/api/v1/reviews/", review(product_sku="TAZA-01"), format="json")
    second = writer.post("/api/v1/reviews/", review(product_sku="TAZA-01", rating=2), format="json")

    assert (first.status_code, second.status_code) == (201, 200)
    assert Review.objects.count() == 1 and Review.objects.get().rating == 2
    item = FeedbackItem.objects.get(review=Review.objects.get())
    assert item.channel == "review" and item.analysis_status == "done" and item.sentiment


def test_verified_buyer_is_computed_from_the_orders_never_taken_from_the_client(writer, bought):
    cases = {
        "R-own": review(
            external_id="R-own",
            author_email="ANA@example.com",
            order_external_id="ORD-1",
            product_sku="TAZA-01",
            is_verified_buyer=False,
        ),
        "R-stranger": review(
            external_id="R-stranger",
            author_email="eve@example.com",
            order_external_id="ORD-1",
            product_sku="TAZA-01",
            is_verified_buyer=True,
        ),
        "R-other-product": review(
            external_id="R-other-product",
            author_email="ana@example.com",
            order_external_id="ORD-1",
            product_sku=ProductFactory(sku="PLATO").sku,
        ),
        "R-no-order": review(external_id="R-no-order", author_email="ana@example.com", product_sku="TAZA-01"),
        "R-store": review(external_id="R-store", author_email="ana@example.com", order_external_id="ORD-1"),
    }

    response = writer.post("/api/v1/reviews/bulk/", {"items": list(cases.values())}, format="json")

    assert response.status_code == 200
    verified = dict(Review.objects.values_list("external_id", "is_verified_buyer"))
    assert verified == {
        "R-own": True,
        "R-stranger": False,
        "R-other-product": False,
        "R-no-order": False,
        "R-store": True,
    }


def test_bulk_answers_per_item_and_one_bad_item_does_not_reject_the_others(writer):
    ProductFactory(sku="TAZA-01")
    items = [
        review(external_id="ok-1", product_sku="TAZA-01"),
        review(external_id="bad-rating", rating=9),
        review(external_id="bad-product", product_sku="NOPE"),
        review(external_id="ok-2"),
        review(external_id="ok-1", rating=1),  # the same review twice in one batch
    ]

    response = writer.post("/api/v1/reviews/bulk/", {"items": items}, format="json")

    body = response.json()
    assert response.status_code == 200
    assert [r["status"] for r in body["results"]] == ["created", "error", "error", "created", "error"]
    assert "rating" in body["results"][1]["errors"] and "product_sku" in body["results"][2]["errors"]
    assert (body["created"], body["updated"], body["errors"]) == (2, 0, 3)
    assert set(Review.objects.values_list("external_id", flat=True)) == {"ok-1", "ok-2"}


def bought_reviews(first: int, count: int, *, version: int) -> list[dict]:
    """Reviews of the products customers bought (orders O-<n>), every third one of a rival's shop."""
    return [
        review(
            external_id=f"R-{n}",
            body=f"Versión {version} de la reseña {n}: llegó bien.",
            author_email=f"cliente{n}@example.com",
            order_external_id=f"O-{n}",
            product_sku=f"SKU-{n}",
            brand="rival-hogar" if n % 3 == 0 else "",
        )
        for n in range(first, first + count)
    ]


def test_a_bulk_batch_takes_the_same_few_queries_however_many_items_it_holds(writer, django_assert_max_num_queries):
    # given: buyers of 120 products, a rival, and an endpoint that wants every event (so their data is built)
    from brands.models import Brand
    from core.api_clients import api_client_create
    from core.models import WebhookEndpoint

    Brand.objects.create(name="Rival Hogar", slug="rival-hogar")
    WebhookEndpoint.objects.create(
        client=api_client_create(name="CRM", scopes=["feedback:read"])[0], url="https://crm.example/hook"
    )
    for n in range(120):
        order = OrderFactory(external_id=f"O-{n}", customer=CustomerFactory(email=f"cliente{n}@example.com"))
        OrderItemFactory(order=order, product=ProductFactory(sku=f"SKU-{n}"))
    writer.post("/api/v1/reviews/bulk/", {"items": bought_reviews(0, 60, version=1)}, format="json")

    # when: batches of 6 and of 60 items, each half new reviews and half reworded ones
    answers = []
    for first_new, first_old, half in ((60, 0, 3), (90, 30, 30)):
        items = bought_reviews(first_new, half, version=1) + bought_reviews(first_old, half, version=2)
        with django_assert_max_num_queries(19) as queries:
            answers.append(writer.post("/api/v1/reviews/bulk/", {"items": items}, format="json").json())
        answers[-1]["queries"] = len(queries)

    # then: every item was stored, in as many queries for 60 items as for 6
    assert [(a["created"], a["updated"], a["errors"]) for a in answers] == [(3, 3, 0), (30, 30, 0)]
    assert answers[0]["queries"] == answers[1]["queries"]
    assert Review.objects.count() == FeedbackItem.objects.filter(review__isnull=False).count() == 93
    assert Review.objects.filter(is_verified_buyer=True).count() == 62  # the shop's own, not the rival's 31


@pytest.mark.parametrize("size", [0, 1001])
def test_a_batch_of_no_items_or_too_many_is_refused_and_stores_nothing(writer, size):
    response = writer.post(
        "/api/v1/reviews/bulk/", {"items": [review(external_id=f"r{n}") for n in range(size)]}, format="json"
    )

    assert response.status_code == 400
    assert "items" in response.json()["errors"]
    assert not Review.objects.exists()


def test_a_text_over_the_limit_is_an_error_for_that_item(writer, settings):
    response = writer.post("/api/v1/reviews/", review(body="x" * (settings.API_MAX_TEXT_LENGTH + 1)), format="json")

    assert response.status_code == 400 and "body" in response.json()["errors"]
    assert not Review.objects.exists()


def test_a_read_only_token_cannot_send_reviews(api_token_for):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('feedback:read')}")

    assert api.post("/api/v1/reviews/", review(), format="json").status_code == 403
    assert not Review.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_identical_requests_store_one_review(api_token_for):
    token = api_token_for("feedback:write")
    barrier = threading.Barrier(2)
    codes = []

    def post():
        api = APIClient()
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait(timeout=10)
            codes.append(api.post("/api/v1/reviews/bulk/", {"items": [review()]}, format="json").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert codes == [200, 200]
    assert Review.objects.count() == 1
    assert FeedbackItem.objects.filter(channel="review").count() == 1


@pytest.mark.parametrize(
    ("language", "title", "body", "status", "reason"),
    [
        ("es", "", "Una mierda de producto, no lo compréis.", "rejected", "mierda"),
        ("en", "", "This is utter shit, avoid.", "rejected", "shit"),
        ("es", "", "Mejor compradlo en www.otra-tienda.com que es más barato.", "pending", "link"),
        ("en", "TERRIBLE", "NEVER BUYING HERE AGAIN, WORST SHOP EVER", "pending", "capitals"),
        ("es", "Genial", "Me encanta, la uso todos los días.", "published", ""),
        ("en", "", "Great mug, the colour is exactly as pictured.", "published", ""),
    ],
)
def test_automatic_moderation_rules_per_language(writer, language, title, body, status, reason):
    writer.post("/api/v1/reviews/", review(language=language, title=title, body=body), format="json")

    stored = Review.objects.get()
    assert stored.status == status
    assert reason in stored.moderation_reason


def test_a_word_listed_for_spanish_only_does_not_block_an_english_review():
    rule = ModerationRule.objects.get(kind="profanity")
    rule.words_es, rule.words_en = "basura", ""
    rule.save()

    (es,) = services.reviews_upsert(items=[ReviewData("own_site", "es-1", 1, body="Es basura", language="es")])
    (en,) = services.reviews_upsert(items=[ReviewData("own_site", "en-1", 1, body="Basura is a word", language="en")])

    assert (es.obj.status, en.obj.status) == ("rejected", "published")


def test_the_same_text_again_by_the_same_author_is_rejected_as_a_duplicate():
    text = {"body": "Producto excelente, lo recomiendo", "author_email": "troll@example.com", "language": "es"}
    services.reviews_upsert(items=[ReviewData("own_site", "a", 5, **text)])
    (again,) = services.reviews_upsert(items=[ReviewData("amazon", "b", 5, **text)])
    (other_author,) = services.reviews_upsert(
        items=[ReviewData("own_site", "c", 5, **{**text, "author_email": "ana@example.com"})]
    )

    assert again.obj.status == "rejected" and "same text" in again.obj.moderation_reason
    assert other_author.obj.status == "published"


def test_resending_an_unchanged_review_keeps_the_staff_decision_and_is_not_reanalysed(admin_user):
    (first,) = services.reviews_upsert(items=[ReviewData("own_site", "r", 5, body="Bien", language="es")])
    services.review_moderate(review=first.obj, status="rejected", reason="spam", user=admin_user)
    FeedbackItem.objects.update(analysis_status="done", model_version="m1")

    (again,) = services.reviews_upsert(items=[ReviewData("own_site", "r", 4, body="Bien", language="es")])

    again.obj.refresh_from_db()
    assert (again.status, again.obj.status, again.obj.rating) == ("updated", "rejected", 4)
    assert FeedbackItem.objects.get().analysis_status == "done"


@pytest.mark.parametrize(
    ("language", "subject_word", "intro"),
    [("es", "respondido", "Gracias por tu reseña"), ("en", "replied", "Thank you for your review")],
)
def test_a_public_reply_is_emailed_to_the_reviewer_once_in_their_language(
    writer, language, subject_word, intro, django_capture_on_commit_callbacks
):
    writer.post("/api/v1/reviews/", review(language=language, author_email="ana@example.com"), format="json")
    stored = Review.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = writer.post(f"/api/v1/reviews/{stored.pk}/reply/", {"text": "¡Gracias, Ana!"}, format="json")
    with django_capture_on_commit_callbacks(execute=True):
        writer.post(f"/api/v1/reviews/{stored.pk}/reply/", {"text": "¡Gracias de nuevo, Ana!"}, format="json")

    assert response.status_code == 200
    assert response.json()["reply"]["text"] == "¡Gracias, Ana!"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["ana@example.com"]
    assert subject_word in mail.outbox[0].subject and intro in mail.outbox[0].body
    assert "¡Gracias, Ana!" in mail.outbox[0].body


def test_bayesian_mean_keeps_one_perfect_review_below_two_hundred_good_ones():
    lonely, popular = ProductFactory(sku="LONELY"), ProductFactory(sku="POPULAR")
    items = [ReviewData("own_site", "l-1", 5, body="Perfecto", product_sku=lonely.sku)]
    items += [
        ReviewData("own_site", f"p-{n}", 5 if n % 5 < 3 else 4, body=f"Muy bien {n}", product_sku=popular.sku)
        for n in range(200)
    ]
    services.reviews_upsert(items=items)

    rows = {row["sku"]: selectors.rating_row_as_dict(row) for row in selectors.product_ratings()}

    assert rows["LONELY"]["mean"] == 5.0 and rows["POPULAR"]["mean"] == 4.6
    assert rows["POPULAR"]["bayesian_mean"] > rows["LONELY"]["bayesian_mean"]
    assert [row["sku"] for row in selectors.product_ratings()] == ["POPULAR", "LONELY"]
    assert rows["POPULAR"]["distribution"] == {"1": 0, "2": 0, "3": 0, "4": 80, "5": 120}


def test_ratings_api_shows_products_and_the_store(writer):
    ProductFactory(sku="TAZA-01")
    writer.post(
        "/api/v1/reviews/bulk/",
        {
            "items": [
                review(external_id="a", product_sku="TAZA-01", rating=5),
                review(external_id="b", rating=3, body="Tienda correcta"),
                review(external_id="c", rating=1, body="Una mierda"),  # rejected: does not count
            ]
        },
        format="json",
    )

    product = writer.get("/api/v1/ratings/products/TAZA-01/").json()
    store = writer.get("/api/v1/ratings/store/").json()

    assert product["count"] == 1 and product["mean"] == 5.0
    assert store["count"] == 1 and store["distribution"]["3"] == 1
    assert writer.get("/api/v1/ratings/products/NOPE/").status_code == 404
