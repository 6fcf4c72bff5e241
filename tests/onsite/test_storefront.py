"""Reviews on the shop's product pages: the script, the JSON read (ETag, CORS), the HTML fragment,
the schema.org markup and the helpful vote."""

import gzip
import json
import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from onsite.models import Site
from reviews.models import Review, ReviewHelpfulVote, ReviewReply
from tests.factories import ProductFactory

SHOP = "https://tienda.example.com"


@pytest.fixture
def site(db):
    return Site.objects.create(name="Tienda", domains="tienda.example.com\n*.example.org")


@pytest.fixture
def product(db):
    return ProductFactory(sku="TAZA-1", name="Taza esmaltada")


def review(product, n: int, *, rating: int = 5, status: str = "published", days_ago: int = 0, **extra) -> Review:
    return Review.objects.create(
        source="own_site",
        external_id=f"r{n}",
        product=product,
        rating=rating,
        title=extra.pop("title", f"Opinión {n}"),
        body=extra.pop("body", f"Texto {n}"),
        author_name=extra.pop("author_name", "Ana García López"),
        status=status,
        created_at=timezone.now() - timedelta(days=days_ago),
        **extra,
    )


def read(site, sku="TAZA-1", *, origin: str | None = SHOP, path="reviews/", **query):
    headers = {"HTTP_ORIGIN": origin} if origin else {}
    return Client().get(f"/w/{site.public_key}/products/{sku}/{path}", query, **headers)


def test_shoppers_see_the_star_summary_and_only_published_reviews_of_the_shop(site, product):
    from brands.models import Brand

    first = review(product, 1, rating=5, days_ago=3, is_verified_buyer=True)
    review(product, 2, rating=4, days_ago=2)
    review(product, 3, rating=1, days_ago=1)
    review(product, 4, rating=1, status="pending")
    review(product, 5, rating=1, status="rejected")
    rival = Brand.objects.create(name="Rival", slug="rival", is_own=False)
    review(product, 6, rating=1, brand=rival)
    ReviewReply.objects.create(review=first, text="¡Gracias, Ana!")

    body = read(site).json()

    assert body["summary"] == {"count": 3, "average": 3.3, "distribution": {"5": 1, "4": 1, "3": 0, "2": 0, "1": 1}}
    assert [r["title"] for r in body["reviews"]] == ["Opinión 3", "Opinión 2", "Opinión 1"]  # newest first
    shown = body["reviews"][2]
    assert shown["verified_buyer"] is True and shown["reply"]["text"] == "¡Gracias, Ana!"
    assert shown["author"] == "Ana L."  # first name and an initial: no full names in public
    assert "author_email" not in shown and "status" not in shown


def test_reviews_sort_by_helpfulness_and_rating_and_come_in_pages(site, product):
    for n in range(1, 8):
        review(product, n, rating=1 + n % 5, days_ago=n, helpful_count=n * 3 % 7)

    def titles(**query):
        return [r["title"] for r in read(site, **query).json()["reviews"]]

    assert titles(sort="helpful")[:2] == ["Opinión 2", "Opinión 4"]  # 6 and 5 votes
    assert [r["rating"] for r in read(site, sort="highest").json()["reviews"]] == [5, 4, 3, 3, 2]
    assert [r["rating"] for r in read(site, sort="lowest").json()["reviews"]][:2] == [1, 2]
    second = read(site, page=2).json()
    assert (second["page"], second["pages"], len(second["reviews"])) == (2, 2, 2)
    assert read(site, page="99").json()["page"] == 2 and read(site, page="x").json()["page"] == 1
    assert read(site, sort="nonsense").json()["sort"] == "newest"


def test_a_conditional_get_is_answered_304_until_the_reviews_change(site, product):
    first_review = review(product, 1)
    first = read(site)
    assert first.status_code == 200 and first["Cache-Control"] == "public, max-age=60"

    again = Client().get(
        f"/w/{site.public_key}/products/TAZA-1/reviews/", HTTP_ORIGIN=SHOP, HTTP_IF_NONE_MATCH=first["ETag"]
    )
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == first["ETag"] and again["Access-Control-Allow-Origin"] == SHOP

    ReviewReply.objects.create(review=first_review, text="Gracias")
    changed = Client().get(
        f"/w/{site.public_key}/products/TAZA-1/reviews/", HTTP_ORIGIN=SHOP, HTTP_IF_NONE_MATCH=first["ETag"]
    )
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        (SHOP, True),
        ("https://www.example.org", True),  # *.example.org
        ("https://example.org", False),  # the wildcard is for subdomains
        ("https://evil.example.net", False),
        ("https://tienda.example.com.evil.net", False),
        ("null", False),
    ],
)
def test_cors_is_granted_only_to_the_shops_registered_domains(site, product, origin, allowed):
    review(product, 1)
    for path in ("reviews/", "reviews.html", "reviews.jsonld"):
        response = read(site, origin=origin, path=path)
        if allowed:
            assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == origin, path
        else:
            assert response.status_code == 403, path
            assert "Access-Control-Allow-Origin" not in response
            assert b"Opini" not in response.content


def test_a_server_without_origin_reads_and_nothing_sets_or_needs_a_cookie(site, product):
    review(product, 1)
    client = Client()
    response = client.get(f"/w/{site.public_key}/products/TAZA-1/reviews.html?lang=en")
    assert response.status_code == 200 and "Access-Control-Allow-Origin" not in response
    assert not response.cookies and "Set-Cookie" not in response
    assert "Customer reviews" in response.content.decode() and response["Content-Language"] == "en"
    assert read(site, sku="NOPE").status_code == 404
    assert Client().get("/w/site_unknown/products/TAZA-1/reviews/").status_code == 404


def test_the_fragment_shows_the_reviews_in_the_shoppers_language_with_the_markup_of_those_reviews(site, product):
    shown = review(product, 1, rating=4, is_verified_buyer=True, days_ago=1)
    review(product, 2, rating=2, status="pending", title="Oculta")
    ReviewReply.objects.create(review=shown, text="Nos alegra")

    html = read(site, path="reviews.html", lang="es").content.decode()

    assert "Reseñas de clientes" in html and "Compra verificada" in html and "Nos alegra" in html
    assert "Oculta" not in html
    (markup,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    data = json.loads(markup)
    assert [r["name"] for r in data["review"]] == ["Opinión 1"]
    assert_valid_product_jsonld(data, shown_titles=["Opinión 1"])


def assert_valid_product_jsonld(data: dict, *, shown_titles: list[str]) -> None:
    """The structure Google's review snippets need (schema.org Product with aggregateRating and
    review): required properties, their types, ratings within their range, counts consistent, and
    nothing marked up that the page does not show."""
    assert data["@context"] == "https://schema.org" and data["@type"] == "Product"
    assert isinstance(data["name"], str) and data["name"]
    aggregate = data["aggregateRating"]
    assert aggregate["@type"] == "AggregateRating"
    assert isinstance(aggregate["ratingValue"], int | float)
    assert aggregate["worstRating"] <= aggregate["ratingValue"] <= aggregate["bestRating"]
    assert (aggregate["worstRating"], aggregate["bestRating"]) == (1, 5)
    assert isinstance(aggregate["ratingCount"], int) and aggregate["ratingCount"] >= 1
    assert aggregate["reviewCount"] == aggregate["ratingCount"] >= len(data["review"])
    assert isinstance(data["review"], list) and data["review"]
    for entry in data["review"]:
        assert entry["@type"] == "Review"
        assert entry["author"]["@type"] == "Person" and isinstance(entry["author"]["name"], str)
        assert entry["author"]["name"] and len(entry["author"]["name"]) < 100
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", entry["datePublished"])
        rating = entry["reviewRating"]
        assert rating["@type"] == "Rating" and isinstance(rating["ratingValue"], int)
        assert rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"]
        assert "reviewBody" in entry or "name" in entry
    assert [entry.get("name") for entry in data["review"]] == shown_titles


def test_the_json_ld_endpoint_marks_up_the_first_page_and_the_aggregate_of_all_published(site, product):
    for n in range(1, 8):
        review(product, n, rating=1 + n % 5, days_ago=n)
    review(product, 99, rating=1, status="rejected")

    response = read(site, path="reviews.jsonld")
    data = json.loads(response.content)
    page_one = [r["title"] for r in read(site).json()["reviews"]]

    assert response["Content-Type"] == "application/ld+json" and response["ETag"]
    assert_valid_product_jsonld(data, shown_titles=page_one)
    assert data["aggregateRating"]["ratingCount"] == 7 and len(data["review"]) == 5
    assert data["aggregateRating"]["ratingValue"] == round(sum(1 + n % 5 for n in range(1, 8)) / 7, 1)


def test_a_product_without_reviews_has_no_rating_markup(site, product):
    data = json.loads(read(site, path="reviews.jsonld").content)
    assert data == {"@context": "https://schema.org", "@type": "Product", "name": "Taza esmaltada", "sku": "TAZA-1"}
    assert "application/ld+json" not in read(site, path="reviews.html").content.decode()


def vote(site, review_id, *, origin=SHOP, address="203.0.113.7"):
    return Client().post(f"/w/{site.public_key}/reviews/{review_id}/helpful/", HTTP_ORIGIN=origin, REMOTE_ADDR=address)


def test_a_helpful_vote_counts_once_per_shopper_and_day_without_cookies(site, product):
    shown = review(product, 1)

    first = vote(site, shown.pk)
    again = vote(site, shown.pk)
    other = vote(site, shown.pk, address="198.51.100.9")

    assert first.status_code == 200 and first.json() == {"counted": True, "helpful": 1}
    assert again.json() == {"counted": False, "helpful": 1}
    assert other.json() == {"counted": True, "helpful": 2}
    assert not first.cookies and first["Access-Control-Allow-Origin"] == SHOP
    # the address itself is kept nowhere
    assert not ReviewHelpfulVote.objects.filter(voter_key__contains="203.0.113.7").exists()
    assert read(site, sort="helpful").json()["reviews"][0]["helpful"] == 2


def test_helpful_votes_are_limited_and_only_for_published_reviews_from_the_shops_pages(site, product, settings):
    from reviews.services import HELPFUL_VOTES_PER_VOTER_PER_DAY

    # the per-minute limit of every POST to /w/ stops a burst first; here the daily cap is tested
    settings.VOZ_RATE_LIMITS = []

    hidden = review(product, 0, status="pending")
    assert vote(site, hidden.pk).status_code == 404
    assert vote(site, 999999).status_code == 404
    assert vote(site, review(product, 1000).pk, origin="https://evil.example.net").status_code == 403

    many = [review(product, n) for n in range(1, HELPFUL_VOTES_PER_VOTER_PER_DAY + 2)]
    codes = [vote(site, r.pk, address="192.0.2.1").status_code for r in many]

    assert codes[:-1] == [200] * HELPFUL_VOTES_PER_VOTER_PER_DAY and codes[-1] == 429
    assert Review.objects.get(pk=many[-1].pk).helpful_count == 0


def test_the_reviews_script_is_small_cacheable_and_self_contained(db):
    first = Client().get("/w/reviews.js")
    again = Client().get("/w/reviews.js", HTTP_IF_NONE_MATCH=first["ETag"])

    assert first.status_code == 200 and first["Content-Type"].startswith("text/javascript")
    assert again.status_code == 304
    body = first.content
    assert len(gzip.compress(body)) <= 15 * 1024
    assert b"http://" not in body and b"https://" not in body.replace(b"https://VOZ", b"")
    assert b"attachShadow" in body and b"document.cookie" not in body and b"localStorage" not in body
    assert b'credentials: "omit"' in body
