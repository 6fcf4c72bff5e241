"""The email providers' inbound webhooks, parsed by django-anymail and taken by support.inbound_email.

Each provider posts to /email/inbound/<provider>/ with HTTP basic auth (ANYMAIL_WEBHOOK_SECRET);
without that secret configured the webhooks are off, so nobody can post made-up emails. Anymail's
views are used for what they know (each provider's format and signature), and the emails go
straight to the service here rather than through a signal.
"""

import logging

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from core.anymail_hooks import anymail_events, error_response
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


@csrf_exempt
def inbound_email_webhook(request, provider: str):
    events = anymail_events(
        request, provider, _providers(), label="Inbound email webhook", kind="inbound", body_name="an inbound email"
    )
    if isinstance(events, HttpResponse):
        return events
    if any(not event.message or not event.message.get("From") for event in events):
        logger.warning("Inbound email webhook %s: a body without any sender refused", provider)
        return error_response(400, "invalid", f"This is not an inbound email in {provider}'s format: it has no sender.")
    taken = [inbound_email_receive(message=event.message, source=provider).status for event in events]
    return JsonResponse({"taken": taken})
