"""Win-back emails: a personalised follow-up to a dissatisfied customer, in their language, about
what they complained of. Sent by a task after the commit and swept if the hand-over was lost;
`emailed_at` makes every send happen once."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone
from django.utils.html import escape, linebreaks
from django.utils.translation import gettext

from core.audit import audit
from core.exceptions import ApplicationError
from core.queueing import enqueue
from core.shop import shop_settings
from customers.models import Customer
from support.models import Case, CaseEvent, WinBackEmail, WinBackTemplate

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
    language = customer.preferred_language if customer.preferred_language in ("es", "en") else settings.LANGUAGE_CODE
    fallback_topic = {"es": "tu pedido", "en": "your order"}[language]
    values = _Blank(
        name=(customer.name or "").split(" ")[0] or {"es": "cliente", "en": "there"}[language],
        topic=(topic.name(language).lower() if topic else fallback_topic),
        shop=shop_settings().name,
    )
    subject = getattr(template, f"subject_{language}").format_map(values)
    body = getattr(template, f"body_{language}").format_map(values)
    return language, subject, body


@transaction.atomic
def winback_send(
    *, customer: Customer, topic=None, case: Case | None = None, actor=None, now: datetime | None = None
) -> WinBackEmail:
    now = now or timezone.now()
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at is not None or not customer.email:
        raise WinBackRefused(gettext("This customer cannot be emailed (no address, or their data was erased)."))
    last = customer.winback_emails.order_by("-created_at").values_list("created_at", flat=True).first()
    if last is not None and now - last < WINBACK_COOLDOWN:
        raise WinBackRefused(
            gettext(
                "A win-back email already went to this customer on %(day)s; the next one can go after %(days)s days."
            )
            % {"day": f"{timezone.localtime(last):%Y-%m-%d}", "days": WINBACK_COOLDOWN.days}
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


def winback_email_send(*, email_id: int) -> bool:
    with transaction.atomic():
        email = (
            WinBackEmail.objects.select_for_update(of=("self",))
            .select_related("customer")
            .filter(pk=email_id, emailed_at__isnull=True)
            .first()
        )
        if email is None or email.customer.erased_at is not None:
            return False
        message = EmailMultiAlternatives(
            email.subject,
            email.body,
            from_email=shop_settings().from_email,
            to=[email.customer.email],
            headers={"Content-Language": email.language},
        )
        message.attach_alternative(linebreaks(escape(email.body)), "text/html")
        message.send()
        email.emailed_at = timezone.now()
        email.save(update_fields=["emailed_at"])
    return True


def winback_emails_dispatch_unsent(*, now: datetime | None = None) -> list[int]:
    """Hand unsent win-backs to the queue again (the broker was down when they were written)."""
    now = now or timezone.now()
    ids = list(
        WinBackEmail.objects.filter(emailed_at__isnull=True, created_at__lte=now - timedelta(minutes=5)).values_list(
            "pk", flat=True
        )[:500]
    )
    for email_id in ids:
        _enqueue(email_id)
    return ids
