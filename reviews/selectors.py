from dataclasses import dataclass

from django.conf import settings
from django.db.models import Avg, Count, ExpressionWrapper, F, FloatField, Q, QuerySet, Sum, Value
from django.db.models.functions import Cast

from customers.models import Product
from reviews.models import Review


def published_reviews() -> QuerySet[Review]:
    """The shop's own published reviews (a rival's reviews are for comparison, never shown as ours)."""
    return Review.objects.filter(status=Review.Status.PUBLISHED, brand__isnull=True)


def rating_prior_mean() -> float:
    """What a product with no reviews is assumed to deserve.

    Deliberately below a typical shop's mean (which sits around 4.5): with the shop's own
    mean as prior, a single 5-star review still outranks two hundred reviews averaging 4.6.
    """
    return settings.REVIEWS_BAYES_PRIOR_MEAN


def _aggregates(prior_mean: float) -> dict:
    weight = settings.REVIEWS_BAYES_PRIOR_WEIGHT
    return {
        "count": Count("pk"),
        "mean": Avg("rating"),
        **{f"stars_{n}": Count("pk", filter=Q(rating=n)) for n in range(1, 6)},
        # (C·m + Σ ratings) / (C + n): a handful of reviews cannot outrank hundreds of good ones.
        "bayesian_mean": ExpressionWrapper(
            (Value(weight * prior_mean) + Cast(Sum("rating"), FloatField())) / (Value(float(weight)) + Count("pk")),
            output_field=FloatField(),
        ),
    }


def product_ratings(*, prior_mean: float | None = None) -> QuerySet:
    prior_mean = rating_prior_mean() if prior_mean is None else prior_mean
    return (
        published_reviews()
        .filter(product__isnull=False)
        .values(sku=F("product__sku"), name=F("product__name"))
        .annotate(**_aggregates(prior_mean))
        .order_by("-bayesian_mean", "sku")
    )


def store_rating(*, prior_mean: float | None = None) -> dict:
    prior_mean = rating_prior_mean() if prior_mean is None else prior_mean
    row = published_reviews().filter(product__isnull=True).aggregate(**_aggregates(prior_mean))
    row["bayesian_mean"] = row["bayesian_mean"] if row["count"] else prior_mean
    return row


def rating_row_as_dict(row: dict) -> dict:
    return {
        **{key: row[key] for key in ("sku", "name") if key in row},
        "count": row["count"],
        "mean": round(float(row["mean"]), 3) if row["mean"] is not None else None,
        "bayesian_mean": round(float(row["bayesian_mean"]), 3),
        "distribution": {str(n): row[f"stars_{n}"] for n in range(1, 6)},
    }


# ---------------------------------------------------------------------------------------------
# The shop's product pages: what shoppers see
# ---------------------------------------------------------------------------------------------

STOREFRONT_SORTS = {
    "newest": ["-created_at", "-pk"],
    "helpful": ["-helpful_count", "-created_at", "-pk"],
    "highest": ["-rating", "-created_at", "-pk"],
    "lowest": ["rating", "-created_at", "-pk"],
}
STOREFRONT_PAGE_SIZE = 5


@dataclass(frozen=True)
class StorefrontPage:
    product: Product
    count: int
    average: float | None
    distribution: dict[int, int]
    reviews: list[Review]
    page: int
    pages: int
    sort: str


def storefront_page(*, product: Product, sort: str = "newest", page: int = 1) -> StorefrontPage:
    """A product's star summary and one page of its published reviews, with replies and photos.

    Only what a shopper may see: published reviews of the shop's own, the shop's reply, and the
    photos of those reviews. A page past the end is the last page."""
    reviews = published_reviews().filter(product=product)
    totals = reviews.aggregate(
        count=Count("pk"), average=Avg("rating"), **{f"stars_{n}": Count("pk", filter=Q(rating=n)) for n in range(1, 6)}
    )
    count = totals["count"]
    pages = max(1, -(-count // STOREFRONT_PAGE_SIZE))
    page = min(max(1, page), pages)
    start = (page - 1) * STOREFRONT_PAGE_SIZE
    shown = list(
        reviews.order_by(*STOREFRONT_SORTS.get(sort, STOREFRONT_SORTS["newest"]))
        .select_related("reply")
        .prefetch_related("photos")[start : start + STOREFRONT_PAGE_SIZE]
    )
    return StorefrontPage(
        product=product,
        count=count,
        average=round(float(totals["average"]), 1) if totals["average"] is not None else None,
        distribution={n: totals[f"stars_{n}"] for n in range(5, 0, -1)},
        reviews=shown,
        page=page,
        pages=pages,
        sort=sort if sort in STOREFRONT_SORTS else "newest",
    )


def public_author_name(name: str) -> str:
    """How a reviewer is named in public: the first name and the initial of the last ("Ana G.")."""
    parts = name.split()
    if not parts:
        return ""
    return parts[0] if len(parts) == 1 else f"{parts[0]} {parts[-1][0]}."


@dataclass(frozen=True)
class ModerationFilters:
    """What the staff Reviews page narrows the list to; `status` "" means every status."""

    status: str = Review.Status.PENDING
    rating: int | None = None
    is_verified_buyer: bool | None = None
    product_id: int | None = None
    query: str = ""


def _moderation_queryset(filters: ModerationFilters) -> QuerySet[Review]:
    # the shop's own reviews: a rival's are read on the comparison page, never moderated here
    reviews = Review.objects.filter(brand__isnull=True)
    if filters.rating is not None:
        reviews = reviews.filter(rating=filters.rating)
    if filters.is_verified_buyer is not None:
        reviews = reviews.filter(is_verified_buyer=filters.is_verified_buyer)
    if filters.product_id is not None:
        reviews = reviews.filter(product_id=filters.product_id)
    if filters.query:
        reviews = reviews.filter(
            Q(title__icontains=filters.query)
            | Q(body__icontains=filters.query)
            | Q(author_name__icontains=filters.query)
        )
    return reviews


def reviews_for_moderation(filters: ModerationFilters) -> QuerySet[Review]:
    """The reviews the staff list shows, newest first, with what each row draws."""
    reviews = _moderation_queryset(filters)
    if filters.status:
        reviews = reviews.filter(status=filters.status)
    return reviews.select_related("product", "reply").order_by("-created_at", "-pk")


def review_status_counts(filters: ModerationFilters) -> dict[str, int]:
    """How many reviews each status tab holds under the other filters, and "all"."""
    counts = _moderation_queryset(filters).aggregate(
        all=Count("pk"), **{status: Count("pk", filter=Q(status=status)) for status in Review.Status.values}
    )
    return counts
