"""Emails to customers: who may get which, who they come from, and how they stop.

Every customer email that is not a transaction (survey invitations and reminders, review replies,
defection surveys, win-backs) goes out through `customer_email_send`, so the rules hold on every
path at once:

- the legal basis of each kind is set in one place (settings.VOZ_EMAIL_LEGAL_BASIS): a kind sent on
  consent goes only to customers who opted in;
- nobody who unsubscribed, and no address that hard-bounced or reported spam, gets any of them;
- each carries a signed one-click unsubscribe link in its body and in the RFC 8058 headers
  (List-Unsubscribe, List-Unsubscribe-Post), so mail clients offer their own button;
- each comes from the shop's sender and reply-to (VOZ_CUSTOMER_EMAIL_FROM / _REPLY_TO), and the
  kinds that ask for an answer refuse a no-reply address.

The suppression list holds a keyed hash of the normalised address (HMAC-SHA256 with
VOZ_SUPPRESSION_HASH_KEY), never the address: it outlives the customer's erasure without saying
who they were, and the same address imported again later is still left alone. That is the one
thing Voz keeps after an erasure that can recognise the person, and only when shown the address.
"""

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid, parseaddr
from enum import StrEnum
from urllib.parse import quote

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from core.audit import audit
from core.exceptions import ApplicationError
from core.shop import regional_override, shop_settings
from customers.models import ConsentSource, Customer, EmailSuppression, MarketingConsent, OutboundEmail


class EmailKind(StrEnum):
    SURVEY_INVITATION = "survey_invitation"
    SURVEY_REMINDER = "survey_reminder"
    REVIEW_REPLY = "review_reply"
    DEFECTION_SURVEY = "defection_survey"
    WINBACK = "winback"


class LegalBasis(StrEnum):
    CONSENT = "consent"
    LEGITIMATE_INTEREST = "legitimate_interest"


# These ask the customer to write back; a no-reply sender would tell them not to.
ANSWERED_KINDS = frozenset({EmailKind.DEFECTION_SURVEY, EmailKind.WINBACK})
_NO_REPLY = re.compile(r"^(no|do[-_.]?not)[-_.]?reply$", re.IGNORECASE)


class EmailNotAllowed(ApplicationError):
    """This email may not go to this customer; `reason` says which rule stopped it."""

    status_code = 409
    code = "email_not_allowed"

    def __init__(self, reason: str, message: str = ""):
        super().__init__(message or f"Not sent: {reason}.")
        self.reason = reason


# ---------------------------------------------------------------------------------------------
# Rules
# ---------------------------------------------------------------------------------------------


def normalise_address(address: str) -> str:
    return unicodedata.normalize("NFKC", (address or "").strip()).lower()


def address_hash(address: str) -> str:
    key = settings.VOZ_SUPPRESSION_HASH_KEY.encode() or salted_hmac("voz.suppression", "key").digest()
    return hmac.new(key, normalise_address(address).encode(), hashlib.sha256).hexdigest()


def legal_basis(kind: str) -> str:
    return settings.VOZ_EMAIL_LEGAL_BASIS.get(str(kind), LegalBasis.CONSENT)


def is_no_reply(address: str) -> bool:
    local = parseaddr(address or "")[1].rsplit("@", 1)[0].split("+", 1)[0]
    return bool(_NO_REPLY.match(local))


def is_suppressed(address: str) -> bool:
    return EmailSuppression.objects.filter(address_hash=address_hash(address)).exists()


def sending_blocked_reason(*, kind: str, customer: Customer | None, address: str) -> str | None:
    """Why this email may not go out, or None. The same answer for every sending path."""
    if not address or "@" not in address:
        return "no_address"
    if customer is not None:
        if customer.erased_at is not None:
            return "erased"
        if customer.unsubscribed_at is not None:
            return "unsubscribed"
    if is_suppressed(address):
        return "suppressed"
    if legal_basis(kind) == LegalBasis.CONSENT and (
        customer is None or customer.marketing_consent != MarketingConsent.GRANTED
    ):
        return "no_consent"
    return None


def customer_is_reachable(customer: Customer, kind: str) -> bool:
    return sending_blocked_reason(kind=kind, customer=customer, address=customer.email) is None


def sender_for(kind: str, *, reply_to: str = "") -> tuple[str, str]:
    """(From, Reply-To) for a customer email; the kinds that ask for an answer refuse no-reply."""
    # the Settings page's sender and reply-to, else the environment's (core.shop resolves both)
    shop = shop_settings()
    from_email = shop.from_email
    reply_to = reply_to or shop.reply_to
    if kind in ANSWERED_KINDS and (is_no_reply(from_email) or is_no_reply(reply_to)):
        raise EmailNotAllowed(
            "no_reply_sender",
            "Win-back and defection emails may not come from a no-reply address: set VOZ_CUSTOMER_EMAIL_FROM "
            "(and VOZ_CUSTOMER_EMAIL_REPLY_TO) to an address the shop reads.",
        )
    return from_email, reply_to


# ---------------------------------------------------------------------------------------------
# Unsubscribing
# ---------------------------------------------------------------------------------------------

UNSUBSCRIBE_SALT = "voz.customers.unsubscribe"


@dataclass(frozen=True)
class UnsubscribeRequest:
    customer_id: int | None
    address_hash: str
    language: str


def unsubscribe_token(*, customer: Customer | None, address: str, language: str) -> str:
    """A signed, non-expiring key: an old email's link must still work years later."""
    payload = {"c": customer.pk if customer else None, "h": address_hash(address), "l": language}
    return signing.dumps(payload, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_url(token: str) -> str:
    return settings.VOZ_PUBLIC_BASE_URL + reverse("unsubscribe", args=[token])


def unsubscribe_read(token: str) -> UnsubscribeRequest | None:
    try:
        payload = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("h"), str):
        return None
    customer_id = payload.get("c")
    language = payload.get("l") if payload.get("l") in {code for code, _name in settings.LANGUAGES} else ""
    return UnsubscribeRequest(
        customer_id=customer_id if isinstance(customer_id, int) else None,
        address_hash=payload["h"],
        language=language or settings.LANGUAGE_CODE,
    )


def _suppress(*, address_hash: str, reason: str, provider: str = "", now: datetime) -> bool:
    _row, created = EmailSuppression.objects.get_or_create(
        address_hash=address_hash, defaults={"reason": reason, "provider": provider[:40], "created_at": now}
    )
    return created


@transaction.atomic
def unsubscribe(*, request: UnsubscribeRequest, now: datetime | None = None) -> bool:
    """Stop every non-transactional email to this customer and address, on every channel and survey.

    Idempotent: a second click (or a mail client's POST after the person's own) changes nothing.
    """
    now = now or timezone.now()
    created = _suppress(address_hash=request.address_hash, reason=EmailSuppression.Reason.UNSUBSCRIBED, now=now)
    customer = (
        Customer.objects.select_for_update().filter(pk=request.customer_id).first() if request.customer_id else None
    )
    changed = False
    if customer is not None and customer.unsubscribed_at is None:
        customer.unsubscribed_at = now
        fields = ["unsubscribed_at"]
        if customer.marketing_consent != MarketingConsent.WITHDRAWN:
            customer.marketing_consent = MarketingConsent.WITHDRAWN
            customer.marketing_consent_source = ConsentSource.UNSUBSCRIBE
            customer.marketing_consent_at = now
            fields += ["marketing_consent", "marketing_consent_source", "marketing_consent_at"]
        customer.save(update_fields=fields)
        changed = True
    if changed or created:
        audit(
            "customer.unsubscribe",
            customer,
            actor=None,
            summary="One-click unsubscribe",
            details={"address_hash": request.address_hash[:12]},
        )
    return changed or created


@transaction.atomic
def consent_record(*, customer: Customer, granted: bool, source: str, now: datetime | None = None, actor=None) -> bool:
    """Record a statement of marketing consent; returns whether anything changed.

    A consent given on the survey page lifts an earlier unsubscribe: it is the person's own, newer
    word. The shop's import cannot: an unsubscribe through our link is newer than what the shop
    knows. The shop withdrawing consent only undoes consent the shop itself gave.
    """
    now = now or timezone.now()
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at is not None:
        return False
    fields: list[str] = []
    if granted:
        if source == ConsentSource.SHOP and customer.unsubscribed_at is not None:
            return False
        if source == ConsentSource.SURVEY_PAGE and customer.unsubscribed_at is not None:
            customer.unsubscribed_at = None
            fields.append("unsubscribed_at")
            EmailSuppression.objects.filter(
                address_hash=address_hash(customer.email), reason=EmailSuppression.Reason.UNSUBSCRIBED
            ).delete()
        state = MarketingConsent.GRANTED
    else:
        if source == ConsentSource.SHOP and customer.marketing_consent_source not in ("", ConsentSource.SHOP):
            return False
        state = MarketingConsent.WITHDRAWN
    if customer.marketing_consent == state and not fields:
        return False
    before = customer.marketing_consent
    customer.marketing_consent, customer.marketing_consent_source, customer.marketing_consent_at = state, source, now
    customer.save(update_fields=[*fields, "marketing_consent", "marketing_consent_source", "marketing_consent_at"])
    audit(
        "customer.consent",
        customer,
        actor=actor,
        summary=f"Marketing consent {before} → {state} ({source})",
        details={"from": before, "to": state, "source": source},
    )
    return True


# ---------------------------------------------------------------------------------------------
# Sending
# ---------------------------------------------------------------------------------------------


def _list_unsubscribe(url: str, token: str) -> str:
    targets = [f"<{url}>"]
    if settings.VOZ_UNSUBSCRIBE_MAILTO:
        targets.append(f"<mailto:{settings.VOZ_UNSUBSCRIBE_MAILTO}?subject={quote('unsubscribe ' + token)}>")
    return ", ".join(targets)


def customer_email_send(
    *,
    kind: str,
    customer: Customer | None,
    language: str,
    subject: str,
    template: str,
    context: dict,
    to: str = "",
    reply_to: str = "",
    message_id: str = "",
    now: datetime | None = None,
) -> OutboundEmail:
    """Render `template`.txt/.html with the unsubscribe link, send, and keep the message.

    Raises EmailNotAllowed (nothing sent) when a rule stops it; the caller records why.
    """
    now = now or timezone.now()
    to = to or (customer.email if customer else "")
    reason = sending_blocked_reason(kind=kind, customer=customer, address=to)
    if reason is not None:
        raise EmailNotAllowed(reason)
    from_email, reply_to = sender_for(kind, reply_to=reply_to)
    token = unsubscribe_token(customer=customer, address=to, language=language)
    url = unsubscribe_url(token)
    with regional_override(language):
        full_context = {"shop_name": shop_settings().name, "language": language, **context, "unsubscribe_url": url}
        text = render_to_string(f"{template}.txt", full_context)
        html = render_to_string(f"{template}.html", full_context)
    headers = {
        "Content-Language": language,
        "Message-ID": message_id or make_msgid(domain=parseaddr(from_email)[1].rsplit("@", 1)[-1] or None),
        "List-Unsubscribe": _list_unsubscribe(url, token),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    outbound = OutboundEmail.objects.create(
        kind=str(kind),
        customer=customer,
        address_hash=address_hash(to),
        to_email=to,
        from_email=from_email,
        reply_to=reply_to,
        subject=subject[:300],
        body_text=text,
        body_html=html,
        headers=headers,
        message_id=headers["Message-ID"],
        sent_at=now,
    )
    _message(outbound).send(fail_silently=False)
    return outbound


def _message(outbound: OutboundEmail) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=outbound.subject,
        body=outbound.body_text,
        from_email=outbound.from_email,
        to=[outbound.to_email],
        reply_to=[outbound.reply_to] if outbound.reply_to else None,
        headers=dict(outbound.headers),
    )
    if outbound.body_html:
        message.attach_alternative(outbound.body_html, "text/html")
    # an email provider's backend (django-anymail) sends it along and its webhooks bring it back
    message.metadata = {"voz_outbound": str(outbound.pk)}
    return message


def outbound_emails_retry_due(*, now: datetime | None = None) -> int:
    """Send again, as they were, the emails whose soft bounce's wait is over."""
    now = now or timezone.now()
    sent = 0
    ids = list(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.SOFT_BOUNCED, retry_at__lte=now).values_list(
            "pk", flat=True
        )[:500]
    )
    for outbound_id in ids:
        with transaction.atomic():
            outbound = (
                OutboundEmail.objects.select_for_update(of=("self",))
                .select_related("customer")
                .filter(pk=outbound_id, status=OutboundEmail.Status.SOFT_BOUNCED, retry_at__lte=now)
                .first()
            )
            if outbound is None:
                continue
            reason = sending_blocked_reason(kind=outbound.kind, customer=outbound.customer, address=outbound.to_email)
            if reason is not None:
                outbound.status, outbound.retry_at, outbound.last_event = OutboundEmail.Status.FAILED, None, reason
                outbound.save(update_fields=["status", "retry_at", "last_event"])
                continue
            _message(outbound).send(fail_silently=False)
            outbound.status, outbound.retry_at = OutboundEmail.Status.SENT, None
            outbound.attempts += 1
            outbound.save(update_fields=["status", "retry_at", "attempts"])
            sent += 1
    return sent


# ---------------------------------------------------------------------------------------------
# Providers' reports (django-anymail tracking webhooks)
# ---------------------------------------------------------------------------------------------

HARD, SOFT, COMPLAINT, DELIVERED, UNSUBSCRIBED = "hard_bounce", "soft_bounce", "complaint", "delivered", "unsubscribed"
# Providers that report a temporary failure as "bounced" and say so only in their own field.
_SOFT_TYPES = {"postmark": ("Type", {"SoftBounce", "Transient", "DnsError"}), "sendgrid": ("type", {"blocked"})}


def tracking_classify(*, provider: str, event_type: str, reject_reason: str | None, esp_event) -> str | None:
    if event_type == "complained":
        return COMPLAINT
    if event_type == "unsubscribed":
        return UNSUBSCRIBED
    if event_type == "delivered":
        return DELIVERED
    if event_type == "deferred":
        return SOFT
    if event_type == "bounced":
        field, soft = _SOFT_TYPES.get(provider, ("", set()))
        if field and isinstance(esp_event, dict) and esp_event.get(field) in soft:
            return SOFT
        return HARD
    if event_type == "rejected" and reject_reason in ("bounced", "invalid"):
        return HARD
    return None


@dataclass(frozen=True)
class TrackingReport:
    provider: str
    event_type: str
    recipient: str
    message_id: str = ""
    metadata: dict | None = None
    reject_reason: str | None = None
    description: str = ""
    esp_event: object = None


def _outbound_for(report: TrackingReport, now: datetime) -> OutboundEmail | None:
    emails = OutboundEmail.objects.select_for_update(of=("self",)).select_related("customer")
    reference = str((report.metadata or {}).get("voz_outbound", ""))
    if reference.isdigit():
        found = emails.filter(pk=int(reference)).first()
        if found is not None:
            return found
    if report.message_id:
        found = emails.filter(message_id=report.message_id).order_by("-sent_at").first()
        if found is not None:
            return found
    # Sent through plain SMTP the provider's ids are its own: the latest email to that address
    if report.recipient:
        return (
            emails.filter(address_hash=address_hash(report.recipient), sent_at__gte=now - timedelta(days=7))
            .order_by("-sent_at")
            .first()
        )
    return None


@transaction.atomic
def tracking_event_record(*, report: TrackingReport, now: datetime | None = None) -> str:
    """Act on a provider's report; returns what was done ("suppressed", "retry", "ignored"…)."""
    now = now or timezone.now()
    outcome = tracking_classify(
        provider=report.provider,
        event_type=report.event_type,
        reject_reason=report.reject_reason,
        esp_event=report.esp_event,
    )
    if outcome is None or "@" not in report.recipient:
        return "ignored"
    outbound = _outbound_for(report, now)
    note = f"{report.provider}: {report.event_type} {report.description}".strip()[:300]
    if outcome in (HARD, COMPLAINT, UNSUBSCRIBED):
        reason = {
            HARD: EmailSuppression.Reason.HARD_BOUNCE,
            COMPLAINT: EmailSuppression.Reason.COMPLAINT,
            UNSUBSCRIBED: EmailSuppression.Reason.UNSUBSCRIBED,
        }[outcome]
        hashed = address_hash(report.recipient)
        if _suppress(address_hash=hashed, reason=reason, provider=report.provider, now=now):
            audit(
                "email.suppress",
                None,
                actor=None,
                summary=note,
                details={"address_hash": hashed[:12], "reason": reason},
            )
        if outbound is not None:
            outbound.status = {
                HARD: OutboundEmail.Status.BOUNCED,
                COMPLAINT: OutboundEmail.Status.COMPLAINED,
                UNSUBSCRIBED: OutboundEmail.Status.FAILED,
            }[outcome]
            outbound.retry_at, outbound.last_event = None, note
            outbound.save(update_fields=["status", "retry_at", "last_event"])
        return "suppressed"
    if outbound is None:
        return "ignored"
    if outcome == DELIVERED:
        # a provider that retried by itself got there: a retry of ours still waiting is not needed
        outbound.status, outbound.retry_at, outbound.last_event = OutboundEmail.Status.DELIVERED, None, note
        outbound.save(update_fields=["status", "retry_at", "last_event"])
        return "delivered"
    if outbound.status != OutboundEmail.Status.SENT:
        return "ignored"  # this attempt's retry is already planned, or the email is done with
    waits = settings.EMAIL_SOFT_BOUNCE_RETRY_MINUTES
    if outbound.attempts > len(waits):
        outbound.status, outbound.retry_at = OutboundEmail.Status.FAILED, None
        outcome_name = "given_up"
    else:
        outbound.status = OutboundEmail.Status.SOFT_BOUNCED
        outbound.retry_at = now + timedelta(minutes=waits[outbound.attempts - 1])
        outcome_name = "retry"
    outbound.last_event = note
    outbound.save(update_fields=["status", "retry_at", "last_event"])
    return outcome_name
