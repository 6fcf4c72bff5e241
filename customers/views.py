"""The customer's unsubscribe page and the email providers' delivery reports.

The unsubscribe link is its own key (signed, customers.emailing): no login. GET asks, so that a
link scanner opening the mail unsubscribes nobody; POST (the button, or a mail client's RFC 8058
one-click POST, which carries no CSRF token) unsubscribes.

Providers post delivery reports (bounces, complaints) to /anymail/<provider>/tracking/, the path
django-anymail documents. Anymail's views are used for what they know (each provider's format and
signature check), and the reports go straight to the service rather than through its signal, as
with the inbound webhooks (support.inbound_views).
"""

import logging

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from core.anymail_hooks import anymail_events
from core.shop import regional_override
from customers import emailing

logger = logging.getLogger(__name__)


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token: str):
    target = emailing.unsubscribe_read(token)
    language = target.language if target else translation.get_language() or settings.LANGUAGE_CODE
    context = {"shop_name": settings.VOZ_SHOP_NAME, "language": language}
    with regional_override(language):
        if target is None:
            return render(request, "customers/unsubscribe.html", {**context, "state": "invalid"}, status=404)
        if request.method == "POST":
            emailing.unsubscribe(request=target)
            return render(request, "customers/unsubscribe.html", {**context, "state": "done"})
        return render(request, "customers/unsubscribe.html", {**context, "state": "ask"})


def _tracking_views() -> dict:
    from anymail.webhooks.amazon_ses import AmazonSESTrackingWebhookView
    from anymail.webhooks.brevo import BrevoTrackingWebhookView
    from anymail.webhooks.mailersend import MailerSendTrackingWebhookView
    from anymail.webhooks.mailgun import MailgunTrackingWebhookView
    from anymail.webhooks.mailjet import MailjetTrackingWebhookView
    from anymail.webhooks.postal import PostalTrackingWebhookView
    from anymail.webhooks.postmark import PostmarkTrackingWebhookView
    from anymail.webhooks.resend import ResendTrackingWebhookView
    from anymail.webhooks.sendgrid import SendGridTrackingWebhookView
    from anymail.webhooks.sparkpost import SparkPostTrackingWebhookView

    return {
        "amazon_ses": AmazonSESTrackingWebhookView,
        "brevo": BrevoTrackingWebhookView,
        "mailersend": MailerSendTrackingWebhookView,
        "mailgun": MailgunTrackingWebhookView,
        "mailjet": MailjetTrackingWebhookView,
        "postal": PostalTrackingWebhookView,
        "postmark": PostmarkTrackingWebhookView,
        "resend": ResendTrackingWebhookView,
        "sendgrid": SendGridTrackingWebhookView,
        "sparkpost": SparkPostTrackingWebhookView,
    }


@csrf_exempt
def email_tracking_webhook(request, provider: str):
    events = anymail_events(
        request,
        provider,
        _tracking_views(),
        label="Email tracking webhook",
        kind="tracking",
        body_name="a delivery report",
    )
    if isinstance(events, HttpResponse):
        return events
    outcomes = [
        emailing.tracking_event_record(
            report=emailing.TrackingReport(
                provider=provider,
                event_type=str(event.event_type or ""),
                recipient=str(event.recipient or ""),
                message_id=str(event.message_id or ""),
                metadata=event.metadata if isinstance(event.metadata, dict) else {},
                reject_reason=str(event.reject_reason) if event.reject_reason else None,
                description=str(event.description or event.mta_response or "")[:200],
                esp_event=event.esp_event,
            )
        )
        for event in events
    ]
    return JsonResponse({"taken": outcomes})
