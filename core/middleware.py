import logging

from django.conf import settings
from django.db import DataError, InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_lazy

from core.shop import regional_override

logger = logging.getLogger(__name__)


class ApiBodySizeLimitMiddleware:
    """Refuse oversized API requests with 413 before anything reads or parses the body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            if length > settings.API_MAX_BODY_BYTES:
                return JsonResponse(
                    {
                        "type": "payload_too_large",
                        "detail": gettext("The request body is %(length)s bytes; the limit is %(limit)s.")
                        % {"length": length, "limit": settings.API_MAX_BODY_BYTES},
                        "errors": {},
                    },
                    status=413,
                )
        return self.get_response(request)


# Honest about the one case where the write did commit (the connection died while the response
# was being built): every write endpoint is an idempotent upsert, so sending it again is safe.
DATABASE_DOWN_DETAIL = gettext_lazy(
    "The database cannot be reached right now. What was not confirmed may not have been saved; "
    "sending the same request again is safe. Please retry in a minute."
)


def database_unavailable_response(request) -> HttpResponse:
    """503 with Retry-After: JSON for the API, a plain page (no database, no static files) otherwise."""
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"type": "service_unavailable", "detail": str(DATABASE_DOWN_DETAIL), "errors": {}}, status=503
        )
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = "30"
    return response


BAD_VALUE_DETAIL = gettext_lazy(
    "The request contains a value that cannot be stored or looked up, such as a NUL character "
    "or a number out of range. Nothing was changed."
)


def bad_value_response(request) -> HttpResponse:
    if request.path.startswith("/api/"):
        return JsonResponse({"type": "invalid_value", "detail": str(BAD_VALUE_DETAIL), "errors": {}}, status=400)
    return HttpResponse(str(BAD_VALUE_DETAIL), status=400, content_type="text/plain; charset=utf-8")


class ShopTimeZoneMiddleware:
    """Every request runs in the shop's time zone (Settings page), so "today", a dashboard's days
    and the dates shown are the shop's, whatever the server's TIME_ZONE says."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from core.shop import shop_time_zone_activate

        shop_time_zone_activate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class DatabaseUnavailableMiddleware:
    """A lost PostgreSQL connection is an outage, not a bug: answer 503, never 500.

    The write in progress is rolled back by PostgreSQL with the connection (services write in
    transactions), and Django drops the broken connection at the end of the request, so the next
    request connects afresh: the service recovers by itself. Errors raised by other middleware
    (a session saved after the view) reach `server_error`, the project's handler500.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, DataError):
            # PostgreSQL refused a value it cannot store or compare (a NUL character in a looked-up
            # id): bad input that got past validation, in a page or in the API (DRF leaves it to
            # Django). The statement failed and requests are not one transaction, so nothing it
            # meant to write was written; the client gets a 400 rather than a 500.
            logger.warning("Value refused by the database in %s %s", request.method, request.path, exc_info=True)
            return bad_value_response(request)
        if isinstance(exception, OperationalError | InterfaceError):
            logger.warning("Database unavailable during %s %s", request.method, request.path, exc_info=True)
            return database_unavailable_response(request)
        return None


def server_error(request):
    """handler500: a database outage anywhere in the request is still a 503."""
    import sys

    from django.views.defaults import server_error as default_server_error

    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        return database_unavailable_response(request)
    return default_server_error(request)


class RegionalFormatsMiddleware:
    """After LocaleMiddleware: English in a US shop is activated as en-us, so its dates read
    12/03/2026; every other shop's English stays day-first. The catalogue is the same (en)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with regional_override(translation.get_language()):
            request.LANGUAGE_CODE = translation.get_language()
            return self.get_response(request)
