"""Erasure on a customer's request, across every app that holds what they wrote or who they are.

It reaches into customers, surveys, reviews, feedback, sentiment and support alike, so it sits above
all of them rather than in customers, which the rest build on.
"""

import json
import re
import uuid
from dataclasses import dataclass

from django.contrib.admin.models import LogEntry
from django.db import transaction
from django.db.models import CharField, Q, TextField, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from core.audit import audit
from core.exceptions import ApplicationError
from core.models import AuditEvent, WebhookAttempt, WebhookDelivery, WebhookEvent
from customers.models import Customer, OutboundEmail
from feedback.models import FeedbackItem, InboundAttachment, InboundMessage
from integrations.models import ConnectorOrder, PrivacyRequest
from integrations.models import WebhookDelivery as ShopDelivery
from onsite.models import WebFeedback
from privacy.selectors import customer_data
from reviews.models import Review, ReviewReply
from reviews.services import review_photos_delete
from sentiment.models import FeedbackAnalysis, FeedbackTopic
from social.models import Mention
from support.models import (
    EMAIL_AUTHOR_PREFIX,
    Case,
    CaseEvent,
    CaseMessage,
    Notification,
    NotificationDelivery,
    WinBackEmail,
)
from surveys.models import Answer, Invitation, Response


@dataclass
class ErasureReport:
    customer_id: int
    orders_kept: int = 0
    answers_erased: int = 0
    feedback_erased: int = 0
    reviews_erased: int = 0
    review_photos_erased: int = 0
    messages_erased: int = 0
    cases_erased: int = 0
    invitations_revoked: int = 0
    web_feedback_erased: int = 0
    mentions_erased: int = 0
    emails_erased: int = 0
    traces_erased: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


class CustomerAlreadyErased(ApplicationError):
    status_code = 409
    code = "customer_already_erased"


@transaction.atomic
def customer_erase(*, customer: Customer, reason: str = "", actor=None) -> ErasureReport:
    """Erase what identifies a customer or what they wrote (GDPR art. 17), keeping every number.

    Orders, scores, ratings and sentiment labels stay, unlinked from anything personal, so the
    dashboards and their rollups do not change: the customer becomes "erased-<id>", their comments,
    reviews' text and case messages are blanked, their survey links stop working, and the analysed
    items are frozen so a later re-analysis cannot turn blank text into new labels.
    """
    customer = Customer.objects.select_for_update().get(pk=customer.pk)
    if customer.erased_at is not None:
        raise CustomerAlreadyErased("This customer's personal data was already erased.")
    now = timezone.now()
    report = ErasureReport(customer_id=customer.pk, orders_kept=customer.orders.count())
    original_email = customer.email
    # what others wrote about them (staff, the audit log, outgoing webhooks) is searched for these
    traces = _Traces.of(customer)

    reviews = Review.objects.filter(
        Q(customer=customer) | Q(author_email__iexact=original_email, customer__isnull=True)
    )
    review_ids = list(reviews.values_list("pk", flat=True))
    report.reviews_erased = Review.objects.filter(pk__in=review_ids).update(
        author_name="", author_email="", title="", body="", author_key="", text_fingerprint="", customer=customer
    )
    ReviewReply.objects.filter(review_id__in=review_ids).update(text="")
    report.review_photos_erased = review_photos_delete(review_ids=review_ids)

    messages = InboundMessage.objects.filter(
        Q(customer=customer) | Q(author_email__iexact=original_email, customer__isnull=True)
    )
    message_ids = list(messages.values_list("pk", flat=True))
    # the Message-ID names the sender's mail server, sometimes the sender
    report.messages_erased = InboundMessage.objects.filter(pk__in=message_ids).update(
        author_name="", author_email="", subject="", text="", url="", customer=customer, external_id=_erased_pk()
    )
    attachments = list(InboundAttachment.objects.filter(message_id__in=message_ids))
    for attachment in attachments:
        # the file goes once the erasure commits; a rollback must not leave rows without files
        transaction.on_commit(lambda name=attachment.file.name, storage=attachment.file.storage: storage.delete(name))
    InboundAttachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()

    responses = Response.objects.filter(customer=customer)
    responses.update(user_agent="")
    report.answers_erased = Answer.objects.filter(response__in=responses).exclude(text="").update(text="")

    # widget comments: those matched to them, and those they left their email address on
    theirs = FeedbackItem.objects.filter(Q(customer=customer) | Q(case__customer=customer))
    web_feedback_ids = set(theirs.filter(web_feedback__isnull=False).values_list("web_feedback_id", flat=True))
    web_feedback_ids |= set(WebFeedback.objects.filter(email__iexact=original_email).values_list("pk", flat=True))
    report.web_feedback_erased = WebFeedback.objects.filter(pk__in=web_feedback_ids).update(
        comment="", email="", page_url="", referrer=""
    )
    # a public post's id and link lead back to its author
    mention_ids = list(theirs.filter(mention__isnull=False).values_list("mention_id", flat=True))
    report.mentions_erased = Mention.objects.filter(pk__in=mention_ids).update(
        text="", author_handle="", url="", external_id=_erased_pk()
    )

    items = FeedbackItem.objects.filter(
        Q(customer=customer)
        | Q(review_id__in=review_ids)
        | Q(survey_answer__response__customer=customer)
        | Q(inbound_message_id__in=message_ids)
        | Q(web_feedback_id__in=web_feedback_ids)
        | Q(mention_id__in=mention_ids)
    )
    item_ids = list(items.values_list("pk", flat=True))
    report.feedback_erased = FeedbackItem.objects.filter(pk__in=item_ids).update(text="", page_url="", erased_at=now)
    FeedbackTopic.objects.filter(feedback_id__in=item_ids).update(matches=[])
    analyses = list(FeedbackAnalysis.objects.filter(feedback_id__in=item_ids).only("pk", "sentences", "topics"))
    for analysis in analyses:
        analysis.sentences = [_without_text(sentence) for sentence in analysis.sentences]
        analysis.topics = [_without_text(topic) for topic in analysis.topics]
    FeedbackAnalysis.objects.bulk_update(analyses, ["sentences", "topics"], batch_size=500)

    # the subject was the complaint's first words
    written_from = Q(social_author=f"{EMAIL_AUTHOR_PREFIX}{original_email.lower()}", customer__isnull=True)
    CaseMessage.objects.filter(case__in=Case.objects.filter(written_from)).update(text="")
    Case.objects.filter(written_from).update(customer=customer)
    report.cases_erased = Case.objects.filter(customer=customer).update(
        subject=Concat(Value("#"), Cast("pk", output_field=CharField())), social_author="", priority_factors=[]
    )
    CaseMessage.objects.filter(case__customer=customer).update(text="")
    report.emails_erased = WinBackEmail.objects.filter(customer=customer).update(subject="", body="")

    # a new public id voids every survey link already sent
    invitations = list(Invitation.objects.filter(customer=customer).only("pk", "status"))
    for invitation in invitations:
        invitation.public_id = uuid.uuid4()
        invitation.page_url = invitation.referrer = invitation.visitor_id = ""
        if invitation.status in (Invitation.Status.PENDING, Invitation.Status.SENT, Invitation.Status.OPENED):
            invitation.status = Invitation.Status.EXPIRED
        invitation.last_error = ""
    Invitation.objects.bulk_update(
        invitations, ["public_id", "status", "last_error", "page_url", "referrer", "visitor_id"], batch_size=500
    )
    report.invitations_revoked = len(invitations)

    # the order numbers are the shop's way back to the person; the orders themselves (dates, totals) stay
    ConnectorOrder.objects.filter(order__customer=customer).update(platform_order_id=_erased_pk())
    customer.orders.update(external_id=_erased_pk())

    # what was emailed to them: the address and the texts go, the kind and the dates stay; the
    # suppression list keeps only a keyed hash of the address (customers.emailing), on purpose
    OutboundEmail.objects.filter(customer=customer).update(
        to_email="", subject="", body_text="", body_html="", headers={}, reply_to=""
    )
    WinBackEmail.objects.filter(customer=customer).update(subject="", body="")

    report.traces_erased = traces.erase_everywhere()

    customer.external_id = f"erased-{customer.pk}"
    customer.email = f"erased-{customer.pk}@erased.invalid"
    customer.name = ""
    customer.attributes = {}
    customer.erased_at = now
    customer.save(update_fields=["external_id", "email", "name", "attributes", "erased_at"])
    audit("customer.erase", customer, actor=actor, summary=traces.redact(reason[:500]), details=report.as_dict())
    return report


def _erased_pk():
    return Concat(Value("erased-"), Cast("pk", output_field=CharField()))


# Particles of Spanish and Portuguese names: too common to be searched for on their own.
_NAME_PARTICLES = {"de", "del", "la", "las", "los", "da", "do", "dos", "das", "van", "von", "y", "e", "i"}
REDACTED = "[…]"
# In the JSON of events, notifications and audit details, what a person wrote (feedback, a review,
# an answer, a case's subject) sits under these keys; in a row about the customer they are blanked.
_FREE_TEXT_KEYS = {"text", "body", "title", "subject", "comment", "value", "author_name", "priority_reason"}


@dataclass
class _Traces:
    """What names the customer, to be found in what others wrote: the staff's notes on other cases,
    the audit log, the admin's log, notifications, outgoing webhook events and connector payloads.

    Rows are found by the full values (a name, an email, an order number, their external id) and by
    their link to the customer's cases; within them each value, and each part of the name, is
    replaced, and in JSON what they wrote is blanked."""

    searched: list[str]
    parts: list[str]
    case_ids: list[int]

    @classmethod
    def of(cls, customer: Customer) -> "_Traces":
        values = [customer.name, customer.email, customer.external_id]
        values += [value for value in customer.attributes.values() if isinstance(value, str | int) and value != ""]
        values += list(customer.orders.values_list("external_id", flat=True))
        values += list(
            ConnectorOrder.objects.filter(order__customer=customer).values_list("platform_order_id", flat=True)
        )
        searched = sorted({str(value).strip() for value in values if len(str(value).strip()) >= 4}, key=len)[::-1]
        parts = {part for part in re.split(r"[\s,.'-]+", customer.name) if len(part) >= 3}
        parts -= {part for part in parts if part.lower() in _NAME_PARTICLES}
        written_from = Q(social_author=f"{EMAIL_AUTHOR_PREFIX}{customer.email.lower()}", customer__isnull=True)
        case_ids = list(Case.objects.filter(Q(customer=customer) | written_from).values_list("pk", flat=True))
        return cls(searched=searched, parts=sorted(parts, key=len, reverse=True), case_ids=case_ids)

    def _pattern(self, values: list[str]) -> re.Pattern | None:
        if not values:
            return None
        alternatives = "|".join(re.escape(value) for value in values)
        return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def names_them(self, value) -> bool:
        pattern = self._pattern(self.searched)
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
        return bool(pattern and pattern.search(text))

    def redact(self, value, *, blank_free_text: bool = False):
        if isinstance(value, str):
            for pattern in (self._pattern(self.searched), self._pattern(self.parts)):
                if pattern is not None:
                    value = pattern.sub(REDACTED, value)
            return value
        if isinstance(value, dict):
            return {
                key: ""
                if blank_free_text and key in _FREE_TEXT_KEYS and isinstance(item, str)
                else self.redact(item, blank_free_text=blank_free_text)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [self.redact(item, blank_free_text=blank_free_text) for item in value]
        return value

    def _rows_with(self, model, fields: list[str]):
        """The rows of `model` whose text (JSON as text) may hold a searched value (checked exactly later)."""
        annotations = {f"_{field}_text": Cast(field, TextField()) for field in fields}
        found = Q(pk__in=[])
        for value in self.searched:
            for field in fields:
                found |= Q(**{f"_{field}_text__icontains": value})
        return model.objects.annotate(**annotations).filter(found)

    def erase_everywhere(self) -> int:
        case_keys = [str(pk) for pk in self.case_ids]
        about_their_cases = {
            # the summary of a case's audit entry is "#<id> <subject>", and the subject was their words
            AuditEvent: Q(target_type="support.case", target_id__in=case_keys),
            CaseEvent: Q(case_id__in=self.case_ids),
            Notification: Q(case_id__in=self.case_ids),
            WebhookEvent: Q(event_type__startswith="case.", data__id__in=self.case_ids),
        }
        changed = 0
        for model, fields in [
            (AuditEvent, ["summary", "details"]),
            (LogEntry, ["object_repr", "change_message"]),
            (Case, ["subject", "priority_factors"]),
            (CaseMessage, ["text"]),
            (CaseEvent, ["data"]),
            (Notification, ["data"]),
            (NotificationDelivery, ["last_error"]),
            (WebhookEvent, ["data"]),
            (WebhookDelivery, ["last_error"]),
            (WebhookAttempt, ["error"]),
        ]:
            rows = {row.pk: row for row in self._rows_with(model, fields) if self._names_them_in(row, fields)}
            linked = about_their_cases.get(model)
            if linked is not None and self.case_ids:
                rows.update({row.pk: row for row in model.objects.filter(linked).exclude(pk__in=rows)})
            for row in rows.values():
                for field in fields:
                    setattr(row, field, self.redact(getattr(row, field), blank_free_text=True))
                if model is AuditEvent and row.target_type == "support.case" and row.target_id in case_keys:
                    row.summary = f"#{row.target_id}"
            model.objects.bulk_update(list(rows.values()), fields, batch_size=500)
            changed += len(rows)
        # a connector's raw delivery holds the whole order; one waiting to be processed is dropped
        deliveries = [
            row.pk
            for row in self._rows_with(ShopDelivery, ["payload", "error"])
            if self._names_them_in(row, ["payload", "error"])
        ]
        changed += ShopDelivery.objects.filter(pk__in=deliveries, processed_at__isnull=True).update(
            payload=None, processed_at=timezone.now(), error="erased before processing"
        )
        changed += ShopDelivery.objects.filter(pk__in=deliveries, processed_at__isnull=False).update(
            payload=None, error=""
        )
        # an export made for an earlier data request, and the request itself
        fields = ["email", "platform_customer_id", "platform_order_ids", "export"]
        requests = [row.pk for row in self._rows_with(PrivacyRequest, fields) if self._names_them_in(row, fields)]
        changed += PrivacyRequest.objects.filter(pk__in=requests).update(
            email="", platform_customer_id="", platform_order_ids=[], export=None
        )
        return changed

    def _names_them_in(self, row, fields: list[str]) -> bool:
        return any(self.names_them(getattr(row, field)) for field in fields)


def customer_data_export(*, customer: Customer, actor=None, reason: str = "") -> dict:
    """A copy of everything Voz holds about the customer (GDPR art. 15 and 20), for staff, the API
    or a shop's data request to hand over; each copy made is in the audit log."""
    data = customer_data(customer)
    audit("customer.export", customer, actor=actor, summary=reason[:500])
    return data


def _without_text(entry):
    """An analysis entry without the customer's words (sentences are kept as offsets and labels)."""
    if not isinstance(entry, dict):
        return entry
    cleaned = dict(entry)
    if "matches" in cleaned:
        cleaned["matches"] = []
    if "text" in cleaned:
        cleaned["text"] = ""
    return cleaned
