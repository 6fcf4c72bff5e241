"""Emails about cases: to customers (public replies, the follow-up question) and to the staff who
own a case (case_owner_notify).

Each customer send is idempotent (a timestamp on the row says it went out) so a retried task or
the sweep never emails twice.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from core.mail_threading import message_id, reply_address
from core.queueing import enqueue
from core.shop import regional_override, shop_settings
from support.models import EMAIL_AUTHOR_PREFIX, Case, CaseMessage
from support.notify import languages_of

logger = logging.getLogger(__name__)

FOLLOWUP_SALT = "support.followup"
FOLLOWUP_MAX_AGE = 60 * 60 * 24 * 30  # a month to answer


def _customer_language(case: Case) -> str:
    language = case.customer.preferred_language if case.customer else ""
    return language if language in ("es", "en") else shop_settings().default_language


def _send(*, to: str, language: str, template: str, context: dict) -> None:
    case = context["case"]
    # the customer's answer comes back to this case (support.inbound_email)
    shop = shop_settings()
    reply_to = reply_address("case", case.pk) or shop.reply_to
    with regional_override(language):
        context = {**context, "shop_name": shop.name, "language": language}
        subject = render_to_string(f"support/email/{template}_subject.txt", context).strip()
        message = EmailMultiAlternatives(
            subject,
            render_to_string(f"support/email/{template}.txt", context),
            from_email=shop.from_email,
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
        if case is None or case.customer is None or not case.customer.email or case.customer.erased_at:
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


def followups_dispatch_unsent(*, now: datetime | None = None) -> list[int]:
    """Hand the follow-ups owed but not sent to the queue again: their first hand-over was lost
    (broker down when the case was resolved). Sending checks `followup_sent_at` under a row lock,
    so a case queued twice is still asked once."""
    now = now or timezone.now()
    ids = list(
        Case.objects.filter(
            followup_requested_at__lte=now - timedelta(minutes=settings.SUPPORT_FOLLOWUP_SWEEP_MINUTES),
            # past the link's lifetime the question would arrive unanswerable
            followup_requested_at__gt=now - timedelta(seconds=FOLLOWUP_MAX_AGE),
            followup_sent_at__isnull=True,
            followup_score__isnull=True,
            status__in=[Case.Status.RESOLVED, Case.Status.CLOSED],
            customer__isnull=False,
            customer__erased_at__isnull=True,
        )
        .exclude(customer__email="")
        .order_by("followup_requested_at")
        .values_list("pk", flat=True)[:1000]
    )
    from support.tasks import case_followup

    for case_id in ids:
        enqueue(case_followup, case_id)
    return ids


# ---------------------------------------------------------------------------------------
# Telling the people who own a case
# ---------------------------------------------------------------------------------------
OWNER_SUBJECTS = {
    "followup_unhappy_reopened": lambda: gettext(
        "[Voz] Case #%(case)s reopened: the customer says the problem is not solved"
    ),
    "followup_unhappy_new_case": lambda: gettext(
        "[Voz] New case #%(case)s: the customer of case #%(previous)s says the problem is not solved"
    ),
    "followup_unhappy_open": lambda: gettext("[Voz] Case #%(case)s: the customer says the problem is not solved"),
}


def case_owner_notify(case: Case, reason: str) -> None:
    """Tell whoever owns the case that something needs them: the one place this is decided, so
    that a richer delivery (in-app, chat, preferences) can take it over by changing only this.

    Today: an email to the assignee, or to the team's address while nobody is assigned, sent after
    the commit; if the queue cannot take it (broker down) it is sent from here rather than lost.
    """
    if reason not in OWNER_SUBJECTS:
        raise ValueError(f"unknown reason {reason!r}")
    case_id = case.pk

    def hand_over() -> None:
        from support.tasks import case_owner_email

        if enqueue(case_owner_email, case_id, reason):
            return
        try:
            case_owner_email_send(case_id=case_id, reason=reason)
        except Exception:  # an SMTP failure must not fail the customer's answer; the event stays on the case
            logger.exception("Could not tell the owner of case %s (%s)", case_id, reason)

    transaction.on_commit(hand_over)


def case_owner_recipients(case: Case) -> list[str]:
    if case.assignee_id and case.assignee.email:
        return [case.assignee.email]
    return [case.team.email] if case.team_id and case.team.email else []


def case_owner_email_send(*, case_id: int, reason: str) -> list[str]:
    """The owner's email; returns the addresses it went to (none when nobody can be reached)."""
    case = Case.objects.select_related("assignee", "team", "customer", "linked_from").filter(pk=case_id).first()
    if case is None or reason not in OWNER_SUBJECTS:
        return []
    recipients = case_owner_recipients(case)
    if not recipients:
        return []
    url = settings.VOZ_PUBLIC_BASE_URL + reverse("support:case", kwargs={"pk": case.pk})
    score = case.linked_from.followup_score if case.linked_from_id else case.followup_score
    # each in their reader's language (their profile's; the shop's for a team's mailbox), never the server's
    for language, addresses in languages_of(recipients).items():
        with regional_override(language):
            subject = OWNER_SUBJECTS[reason]() % {"case": case.pk, "previous": case.linked_from_id or ""}
            lines = [
                subject.removeprefix("[Voz] "),
                "",
                case.subject,
                gettext("Follow-up answer: %(score)s of 5") % {"score": score if score is not None else "–"},
                gettext("Customer: %(customer)s")
                % {"customer": (case.customer.name or case.customer.email) if case.customer else case.social_author},
                "",
                url,
            ]
            EmailMultiAlternatives(subject, "\n".join(lines), to=addresses).send()
    return recipients
