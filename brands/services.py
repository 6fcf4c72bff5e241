import re

from django.utils.translation import gettext

from brands.models import Brand
from core.exceptions import ApplicationError


class BrandUnknown(ApplicationError):
    code = "brand_unknown"


def brand_for_slug(slug: str) -> Brand | None:
    """The competitor a `brand` field names; None for the shop's own brand (or no brand given)."""
    if not slug:
        return None
    brand = Brand.objects.filter(slug=slug, is_active=True).first()
    if brand is None:
        message = gettext("Unknown brand “%(brand)s”.") % {"brand": slug}
        raise BrandUnknown(message, extra={"brand": [message]})
    return None if brand.is_own else brand


def _mentions(text: str, words: list[str]) -> bool:
    return any(re.search(rf"(?<!\w)@?{re.escape(word)}(?!\w)", text) for word in words if word)


def brand_detect(*, text: str, language: str = "", brands: list[Brand] | None = None) -> Brand | None:
    """For a mention pushed without a brand: the competitor it is about, when it names (by
    @handle or keyword) exactly one competitor and not the shop itself; otherwise the shop's.

    `brands`: the active brands, read once by a caller that detects for a whole batch."""
    lowered = (text or "").lower()
    if brands is None:
        brands = list(Brand.objects.filter(is_active=True))

    def named(brand: Brand) -> bool:
        return _mentions(lowered, brand.keyword_list(language) + brand.handle_list())

    if any(brand.is_own and named(brand) for brand in brands):
        return None
    rivals = [brand for brand in brands if not brand.is_own and named(brand)]
    return rivals[0] if len(rivals) == 1 else None
