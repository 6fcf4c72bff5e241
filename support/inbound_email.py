"""Email that customers send to the shop, from a provider's inbound webhook or the IMAP mailbox.

A reply in a case's thread (its plus-address, or In-Reply-To/References naming a case email, see
core.mail_threading) becomes a customer message on that case: the SLA clock resumes and a resolved
case reopens. Anything else (a reply to a survey invitation, a new email, a reply to a closed
case) becomes a feedback message like those of the ingest API, so it is analysed, and a complaint
opens a case. Each email is taken once, by its Message-ID, however often it is delivered.
"""

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import getaddresses, parseaddr

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.text import get_valid_filename

from core.mail_threading import thread_find
from customers.emailing import unsubscribe, unsubscribe_read
from customers.models import Customer
from feedback.models import FeedbackItem, InboundAttachment, InboundMessage
from feedback.services import MessageData, messages_upsert
from support.email_text import html_to_text, reply_text_strip
from support.models import Case
from support.services import case_customer_message
from surveys.models import Invitation

logger = logging.getLogger(__name__)

EMAIL = FeedbackItem.Channel.EMAIL
AUTOMATIC_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")


@dataclass
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class ParsedEmail:
    message_id: str
    from_name: str
    from_email: str
    recipients: list[str]
    subject: str
    text: str  # the new words only
    sent_at: datetime
    in_reply_to: str
    references: str
    attachments: list[Attachment] = field(default_factory=list)
    automatic: bool = False


@dataclass
class InboundOutcome:
    status: str  # "case", "feedback", "duplicate", "unsubscribed" or "ignored"
    message: InboundMessage | None = None
    reason: str = ""


def _header(message: EmailMessage, name: str) -> str:
    try:
        return str(message.get(name, "") or "")
    except (ValueError, TypeError, IndexError):  # a header the parser could not make sense of
        return ""


def _body_text(message: EmailMessage) -> str:
    plain = message.get_body(preferencelist=("plain",))
    if plain is not None:
        return plain.get_content()
    html = message.get_body(preferencelist=("html",))
    return html_to_text(html.get_content()) if html is not None else ""


def _sent_at(message: EmailMessage, now: datetime) -> datetime:
    try:
        moment = message["Date"].datetime if message["Date"] is not None else None
    except (AttributeError, ValueError, TypeError):
        moment = None
    if moment is None or timezone.is_naive(moment) or moment > now:
        return now
    return moment


def _is_automatic(message: EmailMessage) -> bool:
    auto_submitted = _header(message, "Auto-Submitted").strip().lower()
    return (
        (auto_submitted not in ("", "no"))
        or bool(_header(message, "X-Autoreply") or _header(message, "X-Autorespond"))
        or _header(message, "Precedence").strip().lower() in AUTOMATIC_PRECEDENCE
    )


def email_parse(message: EmailMessage, *, now: datetime | None = None) -> ParsedEmail:
    """What Voz needs of an email, decoded (quoted-printable, base64, any charset)."""
    now = now or timezone.now()
    from_name, from_email = parseaddr(_header(message, "From"))
    recipients = [address for _name, address in getaddresses([_header(message, h) for h in RECIPIENT_HEADERS])]
    envelope = getattr(message, "envelope_recipient", None)  # given by some providers' webhooks
    if envelope:
        recipients.append(envelope)
    message_id = _header(message, "Message-ID").strip()
    if not message_id:
        # no id to dedupe by: the content is, so a redelivery still finds the first copy
        message_id = f"<sha256-{hashlib.sha256(message.as_bytes()).hexdigest()}@voz.invalid>"
    attachments = []
    for part in message.iter_attachments():
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename() or f"attachment-{len(attachments) + 1}"
        attachments.append(Attachment(filename, part.get_content_type(), data))
    return ParsedEmail(
        message_id=message_id[:255],
        from_name=from_name.strip()[:200],
        from_email=from_email.strip().lower()[:254],
        recipients=[r.strip().lower() for r in recipients if r],
        subject=" ".join(_header(message, "Subject").split())[:300],
        text=reply_text_strip(_body_text(message))[: settings.API_MAX_TEXT_LENGTH],
        sent_at=_sent_at(message, now),
        in_reply_to=_header(message, "In-Reply-To"),
        references=_header(message, "References"),
        attachments=attachments,
        automatic=_is_automatic(message),
    )


def _own_addresses() -> set[str]:
    addresses = {parseaddr(settings.DEFAULT_FROM_EMAIL)[1].lower(), settings.INBOUND_EMAIL_ADDRESS.lower()}
    return addresses - {""}


def _attachments_store(message: InboundMessage, parsed: ParsedEmail) -> None:
    limit = settings.INBOUND_EMAIL_MAX_ATTACHMENT_BYTES
    for attachment in parsed.attachments:
        if len(attachment.data) > limit:
            logger.warning(
                "Inbound email %s from %s: attachment %r refused, %d bytes is over the %d-byte limit "
                "(INBOUND_EMAIL_MAX_ATTACHMENT_BYTES); the email itself was taken",
                parsed.message_id,
                parsed.from_email,
                attachment.filename,
                len(attachment.data),
                limit,
            )
            continue
        stored = InboundAttachment(
            message=message,
            filename=attachment.filename[:255],
            content_type=attachment.content_type[:120],
            size=len(attachment.data),
        )
        name = get_valid_filename(attachment.filename)[-100:] or "attachment"
        stored.file.save(name, ContentFile(attachment.data), save=True)


def _text_or_attachment_names(parsed: ParsedEmail) -> str:
    if parsed.text:
        return parsed.text
    return "[" + ", ".join(a.filename for a in parsed.attachments) + "]" if parsed.attachments else ""


def inbound_email_receive(*, message: EmailMessage, source: str, now: datetime | None = None) -> InboundOutcome:
    """Take one email: onto its case, or in as feedback; once per Message-ID."""
    now = now or timezone.now()
    parsed = email_parse(message, now=now)
    if parsed.automatic:
        logger.info("Inbound email %s from %s ignored: an automatic reply", parsed.message_id, parsed.from_email)
        return InboundOutcome("ignored", reason="automatic reply")
    if not parsed.from_email or parsed.from_email in _own_addresses():
        logger.info("Inbound email %s ignored: sent by Voz itself or without sender", parsed.message_id)
        return InboundOutcome("ignored", reason="no sender, or our own address")
    if settings.VOZ_UNSUBSCRIBE_MAILTO and settings.VOZ_UNSUBSCRIBE_MAILTO.lower() in parsed.recipients:
        return _unsubscribe_by_mail(parsed)
    text = _text_or_attachment_names(parsed)
    if not text:
        logger.info("Inbound email %s from %s ignored: nothing new in it", parsed.message_id, parsed.from_email)
        return InboundOutcome("ignored", reason="empty")
    if InboundMessage.objects.filter(channel=EMAIL, external_id=parsed.message_id).exists():
        return InboundOutcome("duplicate", InboundMessage.objects.get(channel=EMAIL, external_id=parsed.message_id))

    thread = thread_find(*parsed.recipients, parsed.in_reply_to, *reversed(parsed.references.split()))
    if thread is not None and thread.kind == "case":
        outcome = _onto_case(thread.pk, parsed, text, source, now)
        if outcome is not None:
            return outcome
    invitation = None
    if thread is not None and thread.kind == "invitation":
        invitation = Invitation.objects.select_related("customer", "order").filter(pk=thread.pk).first()
    return _as_feedback(parsed, text, source, invitation, now)


def _unsubscribe_by_mail(parsed: ParsedEmail) -> InboundOutcome:
    """A mail client's List-Unsubscribe mailto: the subject carries the signed token of the email
    it came from, so nobody unsubscribes someone else by writing in their name."""
    for word in parsed.subject.split():
        request = unsubscribe_read(word)
        if request is not None:
            unsubscribe(request=request)
            logger.info("Inbound email %s: an unsubscribe by mail", parsed.message_id)
            return InboundOutcome("unsubscribed", reason="unsubscribe by mail")
    logger.info("Inbound email %s to the unsubscribe address without a valid token: ignored", parsed.message_id)
    return InboundOutcome("ignored", reason="unsubscribe address, no valid token")


@transaction.atomic
def _onto_case(case_id: int, parsed: ParsedEmail, text: str, source: str, now: datetime) -> InboundOutcome | None:
    case = Case.objects.select_for_update().filter(pk=case_id).first()
    if case is None or case.status == Case.Status.CLOSED:
        return None  # a closed conversation: the email is new feedback, which may open a new case
    inbound, created = InboundMessage.objects.get_or_create(
        channel=EMAIL,
        external_id=parsed.message_id,
        defaults={
            "source": source,
            "author_name": parsed.from_name,
            "author_email": parsed.from_email,
            "customer": case.customer,
            "subject": parsed.subject,
            "text": text,
            "sent_at": parsed.sent_at,
            "case": case,
            "received_at": now,
            "updated_at": now,
        },
    )
    if not created:
        return InboundOutcome("duplicate", inbound)
    case_customer_message(case=case, text=text, now=now)
    _attachments_store(inbound, parsed)
    logger.info("Inbound email %s from %s added to case #%s", parsed.message_id, parsed.from_email, case.pk)
    return InboundOutcome("case", inbound)


@transaction.atomic
def _as_feedback(
    parsed: ParsedEmail, text: str, source: str, invitation: Invitation | None, now: datetime
) -> InboundOutcome:
    customer: Customer | None = invitation.customer if invitation is not None else None
    (result,) = messages_upsert(
        items=[
            MessageData(
                channel=EMAIL,
                external_id=parsed.message_id,
                text=text,
                # the subject of a reply to our invitation is ours ("Re: How was your order?")
                subject="" if invitation is not None else parsed.subject,
                source=source,
                author_name=parsed.from_name,
                author_email=parsed.from_email,
                customer=customer.external_id if customer is not None else "",
                order=invitation.order.external_id if invitation is not None and invitation.order_id else "",
                language=invitation.language if invitation is not None else "",
                sent_at=parsed.sent_at,
            )
        ],
        now=now,
    )
    if result.status == "error":  # e.g. the invited customer was erased since
        logger.warning("Inbound email %s not stored: %s", parsed.message_id, result.errors)
        return InboundOutcome("ignored", reason=str(result.errors))
    _attachments_store(result.obj, parsed)
    logger.info("Inbound email %s from %s taken as feedback", parsed.message_id, parsed.from_email)
    return InboundOutcome("feedback", result.obj)
