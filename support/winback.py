"""Win-back emails: a personalised follow-up to a dissatisfied customer, in their language, about
what they complained of. Sent by a task after the commit and swept if the hand-over was lost;
`emailed_at` makes every send happen once.

Staff send one from a case; the win-back rule (issue 21, `winback_rule_run`, nightly) sends one to
each detractor nobody answered who has stopped buying. Either way it is marketing: it goes only to
customers who consented (settings.VOZ_EMAIL_LEGAL_BASIS), with the unsubscribe link, from the
shop's own address, never a no-reply (customers.emailing).
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_lazy

from core.audit import audit
from core.exceptions import ApplicationError
from core.mail_threading import message_id, reply_address
from core.queueing import enqueue
from core.shop import shop_settings
from customers.emailing import EmailKind, EmailNotAllowed, customer_email_send, sender_for, sending_blocked_reason
from customers.models import Customer, MarketingConsent, Order
from support.models import Case, CaseEvent, CaseMessage, WinBackEmail, WinBackTemplate
from surveys.models import Answer

# one win-back per customer per month: a second "we want to do better" would read as spam
WINBACK_COOLDOWN = timedelta(days=30)


class WinBackRefused(ApplicationError):
    status_code = 409
    code = "winback_refused"


class _Blank(dict):
    def __missing__(self, key):
        return "{" + key + "}"


def winback_compose(*, customer: Customer, topic=None, template: WinBackTemplate | None = None) -> tuple[str, str, str]:
    """(language, subject, text) for this customer, with their name and the topic filled in."""
    template = template or WinBackTemplate.objects.filter(is_active=True).first()
    if template is None:
        raise WinBackRefused(gettext("No win-back template is in use: add one in the admin."))
    language = (
        customer.preferred_language
        if customer.preferred_language in ("es", "en")
        else shop_settings().default_language  # not the server's
    )
    fallback_topic = {"es": "tu pedido", "en": "your order"}[language]
    values = _Blank(
        name=(customer.name or "").split(" ")[0] or {"es": "cliente", "en": "there"}[language],
        topic=(topic.name(language).lower() if topic else fallback_topic),
        shop=shop_settings().name,
    )
    subject = getattr(template, f"subject_{language}").format_map(values)
    body = getattr(template, f"body_{language}").format_map(values)
    return language, subject, body


_REFUSALS = {
    "no_consent": gettext_lazy("This customer has not consented to marketing email, and win-back emails need consent."),
    "unsubscribed": gettext_lazy("This customer unsubscribed from our emails."),
    "suppressed": gettext_lazy("This address bounced, reported spam or unsubscribed: nothing more is sent to it."),
}


@transaction.atomic
def winback_send(
    *,
    customer: Customer,
    topic=None,
    case: Case | None = None,
    actor=None,
    now: datetime | None = None,
    is_automatic: bool = False,
) -> WinBackEmail:
    now = now or timezone.now()
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at is not None or not customer.email:
        raise WinBackRefused(gettext("This customer cannot be emailed (no address, or their data was erased)."))
    blocked = sending_blocked_reason(kind=EmailKind.WINBACK, customer=customer, address=customer.email)
    if blocked is not None:
        raise WinBackRefused(str(_REFUSALS.get(blocked) or gettext("This customer may not be emailed.")))
    try:
        sender_for(EmailKind.WINBACK, reply_to=_reply_to(case))
    except EmailNotAllowed as refused:
        raise WinBackRefused(gettext("Win-back emails may not come from a no-reply address.")) from refused
    last = customer.winback_emails.order_by("-created_at").values_list("created_at", flat=True).first()
    if last is not None and now - last < WINBACK_COOLDOWN:
        raise WinBackRefused(
            gettext(
                "A win-back email already went to this customer on %(day)s; the next one can go after %(days)s days."
            )
            % {"day": date_format(timezone.localtime(last), "SHORT_DATE_FORMAT"), "days": WINBACK_COOLDOWN.days}
        )
    language, subject, body = winback_compose(customer=customer, topic=topic)
    email = WinBackEmail.objects.create(
        customer=customer,
        case=case,
        topic=topic,
        language=language,
        subject=subject,
        body=body,
        sent_by=actor if getattr(actor, "is_authenticated", False) else None,
        created_at=now,
        is_automatic=is_automatic,
    )
    if case is not None:
        CaseEvent.objects.create(
            case=case,
            kind="winback",
            actor=email.sent_by,
            data={"subject": subject, "topic": topic.slug if topic else ""},
            created_at=now,
        )
    audit("customer.winback", customer, actor=actor, summary=subject, details={"topic": topic.slug if topic else ""})
    transaction.on_commit(lambda: _enqueue(email.pk))
    return email


def _enqueue(email_id: int) -> None:
    from support.tasks import winback_email

    enqueue(winback_email, email_id)


def _reply_to(case: Case | None) -> str:
    # a reply lands on the case (support.inbound_email) when the shop reads a mailbox through Voz
    return reply_address("case", case.pk) if case is not None else ""


def winback_email_send(*, email_id: int) -> bool:
    with transaction.atomic():
        email = (
            WinBackEmail.objects.select_for_update(of=("self",))
            .select_related("customer")
            .filter(pk=email_id, emailed_at__isnull=True, not_sent_reason="")
            .first()
        )
        if email is None:
            return False
        try:
            customer_email_send(
                kind=EmailKind.WINBACK,
                customer=email.customer,
                language=email.language,
                subject=email.subject,
                template="support/email/winback",
                context={"body": email.body, "customer": email.customer},
                reply_to=_reply_to(email.case) if email.case_id else "",
                message_id=message_id("case", email.case_id) if email.case_id else "",
            )
        except EmailNotAllowed as refused:
            # the customer unsubscribed or bounced between the decision and the send
            email.not_sent_reason = refused.reason
            email.save(update_fields=["not_sent_reason"])
            return False
        email.emailed_at = timezone.now()
        email.save(update_fields=["emailed_at"])
    return True


def winback_emails_dispatch_unsent(*, now: datetime | None = None) -> list[int]:
    """Hand unsent win-backs to the queue again (the broker was down when they were written)."""
    now = now or timezone.now()
    ids = list(
        WinBackEmail.objects.filter(
            emailed_at__isnull=True, not_sent_reason="", created_at__lte=now - timedelta(minutes=5)
        ).values_list("pk", flat=True)[:500]
    )
    for email_id in ids:
        _enqueue(email_id)
    return ids


# ---------------------------------------------------------------------------------------------
# The rule (issue 21)
# ---------------------------------------------------------------------------------------------

DETRACTOR_MAX = 6  # NPS 0–6


def winback_rule_candidates(*, now: datetime | None = None) -> list[Customer]:
    """Detractors nobody answered who have not bought for WINBACK_RULE_INACTIVE_DAYS, with consent.

    A detractor is a customer whose latest NPS answer (within WINBACK_RULE_LOOKBACK_DAYS) is 0–6.
    "Nobody answered": no public reply on any of their cases since that answer. A customer who
    already got a win-back since that answer is not picked again, so each answer earns one at most
    and running the rule twice sends nothing twice.
    """
    now = now or timezone.now()
    if settings.WINBACK_RULE_INACTIVE_DAYS <= 0:
        return []
    latest_nps = Answer.objects.filter(
        response__customer=OuterRef("pk"),
        question__kind="nps",
        number__isnull=False,
        response__submitted_at__gte=now - timedelta(days=settings.WINBACK_RULE_LOOKBACK_DAYS),
    ).order_by("-response__submitted_at", "-pk")
    last_order = Order.objects.filter(customer=OuterRef("pk"), cancelled_at__isnull=True).order_by("-placed_at")
    replied = CaseMessage.objects.filter(
        case__customer=OuterRef("pk"), kind=CaseMessage.Kind.REPLY, created_at__gte=OuterRef("nps_at")
    )
    won_back = WinBackEmail.objects.filter(customer=OuterRef("pk"), created_at__gte=OuterRef("nps_at"))
    return list(
        Customer.objects.filter(
            erased_at__isnull=True, unsubscribed_at__isnull=True, marketing_consent=MarketingConsent.GRANTED
        )
        .exclude(email="")
        .annotate(
            nps=Subquery(latest_nps.values("number")[:1]),
            nps_at=Subquery(latest_nps.values("response__submitted_at")[:1]),
            last_order_at=Subquery(last_order.values("placed_at")[:1]),
        )
        .filter(nps__lte=DETRACTOR_MAX, last_order_at__lt=now - timedelta(days=settings.WINBACK_RULE_INACTIVE_DAYS))
        .exclude(Exists(replied))
        .exclude(Exists(won_back))
        .order_by("nps_at", "pk")[:500]
    )


def winback_rule_run(*, now: datetime | None = None) -> int:
    """Send the win-back to every customer the rule picks; returns how many were written."""
    now = now or timezone.now()
    written = 0
    for customer in winback_rule_candidates(now=now):
        case = customer.cases.filter(opened_at__gte=customer.nps_at).order_by("-opened_at").first()
        try:
            winback_send(customer=customer, case=case, now=now, is_automatic=True)
        except WinBackRefused:
            continue  # in the cooldown, or unsubscribed since the list was read
        written += 1
    return written


@transaction.atomic
def winback_template_update(*, template: WinBackTemplate, data: dict, actor=None) -> WinBackTemplate:
    """Save a manager's edit of the text; audited with the fields that changed."""
    # read again: a bound ModelForm has already copied its data onto the instance it was given
    template = WinBackTemplate.objects.select_for_update().get(pk=template.pk)
    changed = [name for name, value in data.items() if getattr(template, name) != value]
    for name in changed:
        setattr(template, name, data[name])
    if changed:
        template.save(update_fields=changed)
        audit("support.winback_template", template, actor=actor, summary=", ".join(changed))
    return template
