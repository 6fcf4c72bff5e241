"""Emails to customers about their case: public replies and the follow-up question.

Each send is idempotent (a timestamp on the row says it went out) so a retried task or the
sweep never emails twice.
"""

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from core.mail_threading import message_id, reply_address
from support.models import EMAIL_AUTHOR_PREFIX, Case, CaseMessage

FOLLOWUP_SALT = "support.followup"
FOLLOWUP_MAX_AGE = 60 * 60 * 24 * 30  # a month to answer


def _customer_language(case: Case) -> str:
    language = case.customer.preferred_language if case.customer else ""
    return language if language in ("es", "en") else settings.LANGUAGE_CODE


def _send(*, to: str, language: str, template: str, context: dict) -> None:
    case = context["case"]
    # the customer's answer comes back to this case (support.inbound_email)
    reply_to = reply_address("case", case.pk)
    with translation.override(language):
        context = {**context, "shop_name": settings.VOZ_SHOP_NAME, "language": language}
        subject = render_to_string(f"support/email/{template}_subject.txt", context).strip()
        message = EmailMultiAlternatives(
            subject,
            render_to_string(f"support/email/{template}.txt", context),
            to=[to],
            reply_to=[reply_to] if reply_to else None,
            headers={"Message-ID": message_id("case", case.pk)},
        )
        message.attach_alternative(render_to_string(f"support/email/{template}.html", context), "text/html")
    message.send()


def case_recipient(case: Case) -> str:
    """The customer's address, or the one a non-customer wrote from (an inbound email); "" if none."""
    if case.customer is not None:
        return case.customer.email
    if case.social_author.startswith(EMAIL_AUTHOR_PREFIX):
        return case.social_author.removeprefix(EMAIL_AUTHOR_PREFIX)
    return ""


def case_reply_email_send(*, message_id: int) -> bool:
    with transaction.atomic():
        message = (
            CaseMessage.objects.select_for_update(of=("self",))
            .select_related("case__customer")
            .filter(pk=message_id, kind=CaseMessage.Kind.REPLY, emailed_at__isnull=True)
            .first()
        )
        if message is None or not case_recipient(message.case):
            return False
        case = message.case
        _send(
            to=case_recipient(case),
            language=_customer_language(case),
            template="reply",
            context={"case": case, "message": message},
        )
        message.emailed_at = timezone.now()
        message.save(update_fields=["emailed_at"])
    return True


def followup_token(case: Case) -> str:
    return signing.dumps(case.pk, salt=FOLLOWUP_SALT)


def case_for_followup_token(token: str) -> Case | None:
    try:
        case_id = signing.loads(token, salt=FOLLOWUP_SALT, max_age=FOLLOWUP_MAX_AGE)
    except signing.BadSignature:
        return None
    return Case.objects.select_related("customer").filter(pk=case_id).first()


def case_followup_send(*, case_id: int) -> bool:
    """Ask the customer, once, whether the problem was solved (a 1–5 answer on a signed link)."""
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",))
            .select_related("customer")
            .filter(pk=case_id, followup_sent_at__isnull=True, status__in=[Case.Status.RESOLVED, Case.Status.CLOSED])
            .first()
        )
        if case is None or case.customer is None or not case.customer.email:
            return False
        url = settings.VOZ_PUBLIC_BASE_URL + reverse("support-followup", kwargs={"token": followup_token(case)})
        _send(
            to=case.customer.email,
            language=_customer_language(case),
            template="followup",
            context={"case": case, "url": url},
        )
        case.followup_sent_at = timezone.now()
        case.save(update_fields=["followup_sent_at"])
    return True
