"""The reviews on the shop's product pages: a script, a JSON read, an HTML fragment, JSON-LD.

Like the feedback widget, the site's public key names the shop and the browser's Origin must be
one of its registered domains (a foreign Origin is refused, with no CORS headers, so the browser
keeps the answer from that page); a request without an Origin is a shop's server fetching the
fragment or a same-origin page, and reads only what is public anyway. Reads carry an ETag of
their body and a short max-age, so a shop's traffic costs a 304 most of the time. No cookies are
set or read: the helpful vote is keyed by a hash of the address and the day.
"""

import hashlib
import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from core.exceptions import ApplicationError
from core.shop import regional_override
from core.throttling import client_address
from customers.models import Product
from onsite.views import _cors, _error, _site_and_origin
from reviews import selectors, services
from reviews.models import Review, ReviewPhoto
from reviews.selectors import STOREFRONT_SORTS, StorefrontPage, public_author_name
from reviews.structured_data import product_jsonld

SCRIPT_SOURCE = Path(settings.BASE_DIR) / "static" / "voz" / "reviews.js"
READ_MAX_AGE = 60


def _language(request, site) -> str:
    lang = (request.GET.get("lang") or "")[:2]
    return lang if lang in ("es", "en") else site.language


def _page_from(request, product: Product) -> StorefrontPage:
    sort = request.GET.get("sort", "newest")
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    return selectors.storefront_page(product=product, sort=sort if sort in STOREFRONT_SORTS else "newest", page=page)


def _conditional(request, response, origin: str):
    """ETag of the body; a matching If-None-Match gets a 304 with the same caching headers."""
    etag = '"' + hashlib.sha256(response.content).hexdigest()[:32] + '"'
    if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
        response = HttpResponseNotModified()
    response["ETag"] = etag
    response["Cache-Control"] = f"public, max-age={READ_MAX_AGE}"
    response["Vary"] = "Origin"
    return _cors(response, origin)


def _read(request, public_key: str, sku: str):
    site, origin, refusal = _site_and_origin(request, public_key, origin_optional=True)
    if refusal is not None:
        return None, None, origin, refusal
    product = Product.objects.filter(sku=sku).first()
    if product is None:
        return None, None, origin, _error(404, "not_found", "Unknown product.", origin=origin)
    return site, product, origin, None


def _photo_urls(review: Review) -> list[dict]:
    return [
        {
            "thumbnail": reverse("onsite:review-photo", args=[photo.pk, "thumb"]),
            "full": reverse("onsite:review-photo", args=[photo.pk, "full"]),
            "width": photo.width,
            "height": photo.height,
        }
        for photo in review.photos.all()
    ]


def _review_data(review: Review) -> dict:
    reply = getattr(review, "reply", None)
    return {
        "id": review.pk,
        "rating": review.rating,
        "title": review.title,
        "body": review.body,
        "author": public_author_name(review.author_name),
        "date": timezone.localdate(review.created_at).isoformat(),
        "verified_buyer": review.is_verified_buyer,
        "helpful": review.helpful_count,
        "photos": _photo_urls(review),
        "reply": {"text": reply.text, "date": timezone.localdate(reply.created_at).isoformat()} if reply else None,
    }


@require_http_methods(["GET", "OPTIONS"])
def product_reviews(request, public_key: str, sku: str):
    """The star summary and one page of reviews, as the script draws them."""
    site, product, origin, refusal = _read(request, public_key, sku)
    if refusal is not None:
        return refusal
    page = _page_from(request, product)
    body = {
        "product": {"sku": product.sku, "name": product.name},
        "summary": {
            "count": page.count,
            "average": page.average,
            "distribution": {str(stars): n for stars, n in page.distribution.items()},
        },
        "sort": page.sort,
        "page": page.page,
        "pages": page.pages,
        "reviews": [_review_data(review) for review in page.reviews],
        "shop_name": settings.VOZ_SHOP_NAME,
    }
    return _conditional(request, JsonResponse(body, json_dumps_params={"ensure_ascii": False}), origin)


def _jsonld(request, site, product: Product) -> dict:
    # the reviews of the fragment's and the script's first page: what the page shows
    with translation.override(_language(request, site)):
        return product_jsonld(selectors.storefront_page(product=product), anonymous=gettext("Customer"))


@require_http_methods(["GET", "OPTIONS"])
def product_reviews_jsonld(request, public_key: str, sku: str):
    """schema.org markup for the shop to put in the product page's <head>."""
    site, product, origin, refusal = _read(request, public_key, sku)
    if refusal is not None:
        return refusal
    response = HttpResponse(
        json.dumps(_jsonld(request, site, product), ensure_ascii=False), content_type="application/ld+json"
    )
    return _conditional(request, response, origin)


@require_http_methods(["GET", "OPTIONS"])
def product_reviews_fragment(request, public_key: str, sku: str):
    """The same reviews as server-rendered HTML, for a shop without JavaScript (its server fetches
    it and puts it in the page), with the JSON-LD of exactly the reviews it shows."""
    site, product, origin, refusal = _read(request, public_key, sku)
    if refusal is not None:
        return refusal
    language = _language(request, site)
    page = _page_from(request, product)
    with regional_override(language):
        # the markup describes exactly the reviews this fragment shows
        jsonld = product_jsonld(page, anonymous=gettext("Customer")) if page.count else None
        html = render_to_string(
            "onsite/reviews_fragment.html",
            {
                "page": page,
                "language": language,
                "rows": [
                    {"review": r, "author": public_author_name(r.author_name), "photos": _photo_urls(r)}
                    for r in page.reviews
                ],
                "base_url": request.build_absolute_uri("/").rstrip("/"),
                "jsonld": json.dumps(jsonld, ensure_ascii=False).replace("</", "<\\/") if jsonld else "",
                "shop_name": settings.VOZ_SHOP_NAME,
            },
        )
    response = HttpResponse(html, content_type="text/html; charset=utf-8")
    response["Content-Language"] = language
    return _conditional(request, response, origin)


@csrf_exempt  # cross-site by design, as the feedback widget's POST; the Origin check stands in
@require_http_methods(["POST", "OPTIONS"])
def review_helpful(request, public_key: str, review_id: int):
    site, origin, refusal = _site_and_origin(request, public_key)
    if refusal is not None:
        return refusal
    review = Review.objects.filter(pk=review_id).first()
    if review is None:
        return _error(404, "not_found", "No such review.", origin=origin)
    try:
        counted, total = services.review_vote_helpful(review=review, address=client_address(request))
    except ApplicationError as error:
        return _error(error.status_code, error.code, str(error), origin=origin)
    return _cors(JsonResponse({"counted": counted, "helpful": total}), origin)


@require_GET
def review_photo(request, photo_id: int, size: str):
    """A review's photo, only while the review is published: hidden until approved, gone when
    rejected or erased."""
    photos = ReviewPhoto.objects.select_related("review")
    if not (request.user.is_authenticated and request.user.has_perm("reviews.view_review")):
        # staff see them to moderate; everyone else only a published review's
        photos = photos.filter(review__status=Review.Status.PUBLISHED, review__brand__isnull=True)
    photo = get_object_or_404(photos, pk=photo_id)
    file = photo.thumbnail if size == "thumb" else photo.image
    if not file:
        raise Http404
    response = FileResponse(file.open("rb"), content_type="image/jpeg")
    # short-lived in caches: a rejected or erased review's photo must stop being served soon
    response["Cache-Control"] = (
        "public, max-age=300" if photo.review.status == Review.Status.PUBLISHED else "private, no-store"
    )
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@cache
def _script() -> tuple[bytes, str]:
    body = SCRIPT_SOURCE.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


@require_GET
def reviews_script(request):
    """The one script tag a product page needs; cached and revalidated like the feedback widget's."""
    body, etag = _script() if not settings.DEBUG else (SCRIPT_SOURCE.read_bytes(), '"dev"')
    response = HttpResponseNotModified() if request.headers.get("If-None-Match") == etag else None
    if response is None:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
