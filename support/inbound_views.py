"""The email providers' inbound webhooks, parsed by django-anymail and taken by support.inbound_email.

Each provider posts to /email/inbound/<provider>/ with HTTP basic auth (ANYMAIL_WEBHOOK_SECRET);
without that secret configured the webhooks are off, so nobody can post made-up emails. Anymail's
views are used for what they know (each provider's format and signature), and the emails go
straight to the service here rather than through a signal.
"""

import logging

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from support.inbound_email import inbound_email_receive

logger = logging.getLogger(__name__)


def _providers() -> dict:
    from anymail.webhooks.amazon_ses import AmazonSESInboundWebhookView
    from anymail.webhooks.brevo import BrevoInboundWebhookView
    from anymail.webhooks.mailersend import MailerSendInboundWebhookView
    from anymail.webhooks.mailgun import MailgunInboundWebhookView
    from anymail.webhooks.mailjet import MailjetInboundWebhookView
    from anymail.webhooks.mailtrap import MailtrapInboundWebhookView
    from anymail.webhooks.postal import PostalInboundWebhookView
    from anymail.webhooks.postmark import PostmarkInboundWebhookView
    from anymail.webhooks.resend import ResendInboundWebhookView
    from anymail.webhooks.sendgrid import SendGridInboundWebhookView
    from anymail.webhooks.sparkpost import SparkPostInboundWebhookView

    return {
        "amazon_ses": AmazonSESInboundWebhookView,
        "brevo": BrevoInboundWebhookView,
        "mailersend": MailerSendInboundWebhookView,
        "mailgun": MailgunInboundWebhookView,
        "mailjet": MailjetInboundWebhookView,
        "mailtrap": MailtrapInboundWebhookView,
        "postal": PostalInboundWebhookView,
        "postmark": PostmarkInboundWebhookView,
        "resend": ResendInboundWebhookView,
        "sendgrid": SendGridInboundWebhookView,
        "sparkpost": SparkPostInboundWebhookView,
    }


def _error(status: int, kind: str, detail: str, **headers) -> JsonResponse:
    response = JsonResponse({"type": kind, "detail": detail, "errors": {}}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


@csrf_exempt
def inbound_email_webhook(request, provider: str):
    from anymail.exceptions import AnymailWebhookValidationFailure

    view_class = _providers().get(provider)
    if view_class is None:
        return _error(404, "not_found", f"Unknown email provider {provider!r}.")
    if not settings.ANYMAIL.get("WEBHOOK_SECRET"):
        logger.warning("Inbound email webhook %s called, but ANYMAIL_WEBHOOK_SECRET is not set: refused", provider)
        return _error(404, "not_found", "Inbound email webhooks are off (ANYMAIL_WEBHOOK_SECRET is not set).")
    if request.method == "HEAD":  # some providers check the URL when it is configured
        return HttpResponse()
    if request.method != "POST":
        return _error(405, "method_not_allowed", "Only POST.", Allow="POST, HEAD")
    try:
        view = view_class()
        view.setup(request)
    except ImproperlyConfigured as error:
        logger.error("Inbound email webhook %s is not configured: %s", provider, error)
        return _error(503, "not_configured", f"The {provider} inbound webhook is not configured on this server.")
    try:
        view.run_validators(request)
    except AnymailWebhookValidationFailure as error:
        logger.warning("Inbound email webhook %s refused: %s", provider, error)
        return _error(401, "invalid_signature", "Bad or missing credentials.", WWW_Authenticate='Basic realm="voz"')
    try:
        events = view.parse_events(request)
    except RequestDataTooBig:
        logger.warning("Inbound email webhook %s refused: body over DATA_UPLOAD_MAX_MEMORY_SIZE", provider)
        return _error(413, "too_large", "The email is larger than this server accepts.")
    except Exception as error:  # a provider's parser fails on a body it does not recognise in any way
        logger.warning("Inbound email webhook %s: unreadable body (%s: %s)", provider, type(error).__name__, error)
        return _error(400, "invalid", f"This is not an inbound email in {provider}'s format.")
    if any(not event.message or not event.message.get("From") for event in events):
        logger.warning("Inbound email webhook %s: a body without any sender refused", provider)
        return _error(400, "invalid", f"This is not an inbound email in {provider}'s format: it has no sender.")
    taken = [inbound_email_receive(message=event.message, source=provider).status for event in events]
    return JsonResponse({"taken": taken})
