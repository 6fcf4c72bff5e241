"""Rate limits for the public endpoints, counted in the shared cache (Redis in production).

A fixed window per client address: simple, one round trip per request, and the same counters
for every web process. When the cache cannot be reached the request goes through — refusing
customers because Redis is down would lose more than a burst of abuse costs.
"""

import ipaddress
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse, JsonResponse
from django.utils import translation
from django.utils.translation import gettext

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RateLimit:
    scope: str
    method: str
    path_prefix: str
    limit: int
    window: int  # seconds


def rate_limits() -> list[RateLimit]:
    return [RateLimit(*rule) for rule in settings.VOZ_RATE_LIMITS]


def client_address(request) -> str:
    """The address of the client, as the operator's own proxies saw it.

    A proxy appends the address it saw to X-Forwarded-For, after whatever the client sent, so only
    the last VOZ_TRUSTED_PROXIES hops can be believed: the first one is the client's to forge (a
    fresh one per request would escape every rate limit). A header too short or not an address
    falls back to the connection's own.
    """
    proxies = settings.VOZ_TRUSTED_PROXIES
    forwarded = request.headers.get("X-Forwarded-For", "") if proxies > 0 else ""
    hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
    if len(hops) >= proxies > 0:
        try:
            return str(ipaddress.ip_address(hops[-proxies]))
        except ValueError:
            pass
    return request.META.get("REMOTE_ADDR", "")


def clock() -> float:
    return time.time()


def hit(scope: str, ident: str, *, limit: int, window: int, now: float | None = None) -> tuple[bool, int]:
    """Count one request; (allowed, seconds until the window ends)."""
    now = clock() if now is None else now
    slot = int(now // window)
    key = f"throttle:{scope}:{ident}:{slot}"
    retry_after = int((slot + 1) * window - now) + 1
    try:
        count = 1 if cache.add(key, 1, timeout=window + 1) else cache.incr(key)
    except Exception:
        logger.warning("Rate limit counter unavailable; letting the request through", exc_info=True)
        return True, 0
    return count <= limit, retry_after


class PublicRateLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        for rule in rate_limits():
            if request.method == rule.method and request.path.startswith(rule.path_prefix):
                allowed, retry_after = hit(rule.scope, client_address(request), limit=rule.limit, window=rule.window)
                if not allowed:
                    return self._too_many(request, retry_after)
                break
        return self.get_response(request)

    @staticmethod
    def _too_many(request, retry_after: int):
        # this runs before LocaleMiddleware: without this, the words would be in whatever language the
        # process's previous request was
        with translation.override(translation.get_language_from_request(request)):
            message = gettext("Too many requests. Please wait a moment and try again.")
        if request.path.startswith("/api/"):
            response = JsonResponse(
                {"type": "throttled", "title": message, "status": 429, "detail": message}, status=429
            )
        else:
            response = HttpResponse(message, status=429, content_type="text/plain; charset=utf-8")
        response["Retry-After"] = str(retry_after)
        return response
