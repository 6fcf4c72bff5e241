"""The front half of an email provider's webhook, as django-anymail's views check it: the provider
known, the shared secret set, the signature right, the body readable. Inbound mail (support) and
delivery reports (customers) differ only in what they do with the events."""

import logging
import warnings

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig
from django.http import HttpResponse, JsonResponse

logger = logging.getLogger(__name__)


def error_response(status: int, kind: str, detail: str, **headers) -> JsonResponse:
    response = JsonResponse({"type": kind, "detail": detail, "errors": {}}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def anymail_events(request, provider: str, views: dict, *, label: str, kind: str, body_name: str):
    """The provider's parsed events, or the response that refuses the request (nothing done)."""
    from anymail.exceptions import AnymailWebhookValidationFailure

    view_class = views.get(provider)
    if view_class is None:
        return error_response(404, "not_found", f"Unknown email provider {provider!r}.")
    if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        logger.warning("%s %s called, but ANYMAIL_WEBHOOK_SECRET is not set: refused", label, provider)
        return error_response(404, "not_found", f"{label}s are off (ANYMAIL_WEBHOOK_SECRET is not set).")
    if request.method == "HEAD":  # some providers check the URL when it is configured
        return HttpResponse()
    if request.method != "POST":
        return error_response(405, "method_not_allowed", "Only POST.", Allow="POST, HEAD")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # anymail's notices about providers it no longer tests
            view = view_class()
        view.setup(request)
    except ImproperlyConfigured as error:
        logger.error("%s %s is not configured: %s", label, provider, error)
        return error_response(503, "not_configured", f"The {provider} {kind} webhook is not configured on this server.")
    try:
        view.run_validators(request)
    except AnymailWebhookValidationFailure as error:
        logger.warning("%s %s refused: %s", label, provider, error)
        return error_response(
            401, "invalid_signature", "Bad or missing credentials.", WWW_Authenticate='Basic realm="voz"'
        )
    try:
        return view.parse_events(request)
    except RequestDataTooBig:
        logger.warning("%s %s refused: body over DATA_UPLOAD_MAX_MEMORY_SIZE", label, provider)
        return error_response(413, "too_large", "The body is larger than this server accepts.")
    except Exception as error:  # a provider's parser fails on a body it does not recognise in any way
        logger.warning("%s %s: unreadable body (%s: %s)", label, provider, type(error).__name__, error)
        return error_response(400, "invalid", f"This is not {body_name} in {provider}'s format.")
