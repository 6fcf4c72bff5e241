import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import InterfaceError, OperationalError
from django.http import Http404
from django.utils.translation import gettext
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.exceptions import ApplicationError

logger = logging.getLogger(__name__)


def invalid_input() -> str:
    """The 'Invalid input.' of a 400, in the request's language (DRF ships its translations)."""
    return str(exceptions.ValidationError.default_detail)


def exception_handler(exc, context):
    """Every API error has one shape: {"type", "detail", "errors": {field: [messages]}}."""
    if isinstance(exc, OperationalError | InterfaceError):
        from core.middleware import DATABASE_DOWN_DETAIL

        logger.warning("Database unavailable in an API call", exc_info=exc)
        return Response(
            {"type": "service_unavailable", "detail": str(DATABASE_DOWN_DETAIL), "errors": {}},
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": "30"},
        )
    if isinstance(exc, ApplicationError):
        return Response(
            {"type": exc.code, "detail": exc.message, "errors": exc.extra},
            status=exc.status_code,
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    # Django's own exceptions carry no DRF code; translate them so the "type" says what happened.
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ParseError):
        # DRF's "JSON parse error - …" goes on in the parser's own English: say it in the client's language
        request = context.get("request")
        is_json = "json" in (getattr(request, "content_type", "") or "")
        exc = exceptions.ParseError(gettext("The body is not valid JSON.") if is_json else None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = response.data if isinstance(response.data, dict) else {"non_field_errors": response.data}
        response.data = {"type": "validation_error", "detail": invalid_input(), "errors": errors}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        response.data = {
            "type": getattr(exc, "default_code", "error"),
            "detail": str(detail),
            "errors": {},
        }
    if response.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
        response.data["type"] = "method_not_allowed"
    return response
