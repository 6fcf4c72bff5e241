"""The shop's settings as the rest of the code reads them: the managers' saved values over the env.

Every email, survey page and staff page asks for the shop's name, sender and colours, so the one
row is cached (Django's cache, shared by web and workers) and the cache is dropped when it is saved.
A value left empty on the Settings page falls back to the environment (VOZ_SHOP_NAME,
DEFAULT_FROM_EMAIL, SURVEY_*), so an install configured only by its env file behaves as before.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formataddr, parseaddr
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation

from core.models import ShopSettings

logger = logging.getLogger(__name__)

CACHE_KEY = "voz:shop-settings:3"  # 3: with the region and the time zone
CACHE_SECONDS = 300
MIN_CONTRAST = 4.5  # WCAG 2.x AA for normal text


@dataclass(frozen=True)
class Shop:
    name: str
    logo_path: str
    logo_version: str
    from_email: str
    sender_email: str
    reply_to: str
    default_language: str
    region: str
    survey_delay_days: int
    survey_reminder_days: int
    survey_cooldown_days: int
    brand_colour: str
    brand_text_colour: str
    retention_months: int | None
    time_zone: str = settings.TIME_ZONE

    @property
    def brand_is_readable_on_white(self) -> bool:
        """Whether links can be drawn in the brand colour on the white survey card."""
        return contrast_ratio(self.brand_colour, "#ffffff") >= MIN_CONTRAST

    @property
    def has_logo(self) -> bool:
        return bool(self.logo_path)

    def logo_url(self, *, absolute: bool = False) -> str:
        """The logo's address (it is served by a view, not MEDIA_URL: it is the one public upload)."""
        if not self.logo_path:
            return ""
        path = f"{reverse('shop-logo')}?v={self.logo_version}"
        return f"{settings.VOZ_PUBLIC_BASE_URL}{path}" if absolute else path


def _resolve(row: ShopSettings | None) -> Shop:
    # customer emails' sender from the environment (VOZ_CUSTOMER_EMAIL_FROM falls back to DEFAULT_FROM_EMAIL)
    env_name, env_address = parseaddr(settings.VOZ_CUSTOMER_EMAIL_FROM)
    row = row or ShopSettings()
    sender_email = row.sender_email or env_address
    sender_name = row.sender_name or (row.shop_name if row.sender_email else "") or env_name
    return Shop(
        name=row.shop_name or settings.VOZ_SHOP_NAME,
        logo_path=row.logo.name if row.logo else "",
        logo_version=f"{row.updated_at:%Y%m%d%H%M%S}" if row.logo and row.updated_at else "",
        from_email=formataddr((sender_name, sender_email)) if sender_name else sender_email,
        sender_email=sender_email,
        reply_to=row.reply_to_email or settings.VOZ_CUSTOMER_EMAIL_REPLY_TO,
        default_language=row.default_language or settings.LANGUAGE_CODE,
        region=row.region,
        survey_delay_days=_or(row.survey_delay_days, settings.SURVEY_INVITATION_DELAY_DAYS),
        survey_reminder_days=_or(row.survey_reminder_days, settings.SURVEY_REMINDER_AFTER_DAYS),
        survey_cooldown_days=_or(row.survey_cooldown_days, settings.SURVEY_CUSTOMER_COOLDOWN_DAYS),
        brand_colour=row.brand_colour,
        brand_text_colour=row.brand_text_colour,
        retention_months=row.retention_months,
        time_zone=row.time_zone or settings.TIME_ZONE,
    )


def _or(value: int | None, default: int) -> int:
    return default if value is None else value


def _cache_call(method, *args):
    # Redis down must not take the survey pages with it: the database answers instead.
    try:
        return method(*args)
    except Exception:  # any cache backend's connection error
        logger.warning("Cache unavailable for the shop settings; reading the database", exc_info=True)
        return None


def shop_settings() -> Shop:
    """The effective settings, from the cache or the database."""
    shop = _cache_call(cache.get, CACHE_KEY)
    if shop is None:
        shop = _resolve(ShopSettings.objects.filter(pk=1).first())
        _cache_call(cache.set, CACHE_KEY, shop, CACHE_SECONDS)
    return shop


def regional_language(language: str) -> str:
    """The language to activate for dates and numbers: English is day-first (config/formats/en)
    except for a shop whose region is the US, which reads en-us (config/formats/en_US)."""
    if language == "en" and shop_settings().region == "US":
        return "en-us"
    return language


@contextmanager
def regional_override(language: str) -> Iterator[None]:
    """translation.override with the shop's regional formats: what a request gets from
    core.middleware.RegionalFormatsMiddleware, for the emails Celery workers write outside any
    request and for the pages drawn in a language other than the request's (a customer's)."""
    with translation.override(regional_language(language) if language else language):
        yield


def shop_time_zone_activate() -> None:
    """Make the shop's zone the current one (its days are the dashboards' days): for each request
    (core.middleware) and each Celery task (core.apps)."""
    timezone.activate(ZoneInfo(shop_settings().time_zone))


def shop_settings_row() -> ShopSettings:
    """The row to edit (unsaved with its defaults until the first save)."""
    return ShopSettings.objects.filter(pk=1).first() or ShopSettings(pk=1)


def shop_settings_save(row: ShopSettings) -> ShopSettings:
    row.pk = 1
    row.full_clean()
    row.save()
    # dropped now and again after the commit, so no reader caches the old row in between
    _cache_call(cache.delete, CACHE_KEY)
    transaction.on_commit(lambda: _cache_call(cache.delete, CACHE_KEY))
    return row


def _relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    """WCAG 2.x contrast ratio of two #RRGGBB colours, from 1 (same) to 21 (black on white)."""
    lighter, darker = sorted((_relative_luminance(first), _relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)
