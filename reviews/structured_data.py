"""schema.org JSON-LD for a product page: a `Product` with its `aggregateRating` and `review`.

Google's review-snippet guidelines: the markup describes what the page shows. So `review` holds
exactly the reviews of the page it is embedded in (the first page the widget and the HTML fragment
show), never hidden or rejected ones, and the aggregate counts the published reviews the page's
summary counts. A product without published reviews gets no rating markup at all.
"""

from django.utils import timezone

from reviews.selectors import StorefrontPage, public_author_name

SCHEMA = "https://schema.org"


def _rating(value: float | int) -> dict:
    return {"@type": "Rating", "ratingValue": value, "bestRating": 5, "worstRating": 1}


def product_jsonld(page: StorefrontPage, *, anonymous: str) -> dict:
    data: dict = {"@context": SCHEMA, "@type": "Product", "name": page.product.name, "sku": page.product.sku}
    if not page.count:
        return data
    data["aggregateRating"] = {
        "@type": "AggregateRating",
        "ratingValue": page.average,
        "bestRating": 5,
        "worstRating": 1,
        "ratingCount": page.count,
        "reviewCount": page.count,
    }
    data["review"] = []
    for review in page.reviews:
        entry = {
            "@type": "Review",
            "author": {"@type": "Person", "name": public_author_name(review.author_name) or anonymous},
            "datePublished": timezone.localdate(review.created_at).isoformat(),
            "reviewRating": _rating(review.rating),
        }
        if review.title:
            entry["name"] = review.title
        if review.body:
            entry["reviewBody"] = review.body
        data["review"].append(entry)
    return data
