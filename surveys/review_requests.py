"""Product reviews asked for behind the invitation's signed link (verified buyers by construction)."""

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from customers.models import Product
from reviews.services import ReviewData, review_photos_add, reviews_upsert
from surveys.models import Invitation
from surveys.services import InvitationExpired, InvitationUnavailable

REVIEW_SOURCE = "own_site"


class ReviewsAlreadySubmitted(InvitationUnavailable):
    pass


class ReviewsNotOffered(InvitationUnavailable):
    pass


class NothingReviewed(InvitationUnavailable):
    status_code = 400


@dataclass(frozen=True)
class ProductReview:
    product_id: int
    rating: int
    title: str = ""
    body: str = ""
    photos: tuple = ()  # reviews.photos.PreparedPhoto, already checked and stripped


def invitation_reviewable_products(invitation: Invitation) -> list[Product]:
    return list(Product.objects.filter(order_items__order_id=invitation.order_id).distinct().order_by("name", "pk"))


def invitation_has_reviewable_products(invitation: Invitation) -> bool:
    return Product.objects.filter(order_items__order_id=invitation.order_id).exists()


def invitation_check_reviewable(*, invitation: Invitation, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if not invitation.survey.asks_for_reviews or not invitation.order_id:
        raise ReviewsNotOffered(gettext("This link does not ask for product reviews."))
    if invitation.reviews_submitted_at is not None:
        raise ReviewsAlreadySubmitted(gettext("You have already reviewed this order's products. Thank you!"))
    if invitation.is_expired_at(now):
        raise InvitationExpired(gettext("This survey link has expired."))


def invitation_reviews_submit(
    *, invitation: Invitation, reviews: list[ProductReview], language: str, now: datetime | None = None
) -> list:
    """Store the customer's product reviews once; they name the order, so they are verified."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("order", "customer", "survey")
            .get(pk=invitation.pk)
        )
        invitation_check_reviewable(invitation=locked, now=now)
        if not reviews:
            raise NothingReviewed(gettext("Rate at least one product, or close this page."))
        skus = dict(
            Product.objects.filter(pk__in=[r.product_id for r in reviews], order_items__order_id=locked.order_id)
            .distinct()
            .values_list("pk", "sku")
        )
        customer = locked.customer
        results = reviews_upsert(
            items=[
                ReviewData(
                    source=REVIEW_SOURCE,
                    external_id=f"inv-{locked.public_id.hex}-{skus[review.product_id]}",
                    rating=review.rating,
                    title=review.title,
                    body=review.body,
                    author_name=customer.name,
                    author_email=customer.email,
                    order_external_id=locked.order.external_id,
                    product_sku=skus[review.product_id],
                    language=language,
                    created_at=now,
                    has_photos=bool(review.photos),
                )
                for review in reviews
                if review.product_id in skus
            ],
            now=now,
        )
        for review, result in zip([r for r in reviews if r.product_id in skus], results, strict=True):
            if result.obj is not None:
                review_photos_add(review=result.obj, photos=list(review.photos))
        locked.reviews_submitted_at = now
        locked.save(update_fields=["reviews_submitted_at"])
    return results
