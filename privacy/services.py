"""Erasure on a customer's request, across every app that holds what they wrote or who they are.

It reaches into customers, surveys, reviews, feedback, sentiment and support alike, so it sits above
all of them rather than in customers, which the rest build on.
"""

import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, Q, Value
from django.db.models.functions import Cast, Concat
from django.utils import timezone

from core.audit import acting_as, audit
from core.exceptions import ApplicationError
from core.shop import shop_settings
from customers.models import Customer, Order
from feedback.models import FeedbackItem, InboundAttachment, InboundMessage
from reviews.models import Review, ReviewReply
from sentiment.models import FeedbackAnalysis, FeedbackTopic
from support.models import EMAIL_AUTHOR_PREFIX, Case, CaseMessage
from surveys.models import Answer, Invitation, Response


@dataclass
class ErasureReport:
    customer_id: int
    orders_kept: int = 0
    answers_erased: int = 0
    feedback_erased: int = 0
    reviews_erased: int = 0
    messages_erased: int = 0
    cases_erased: int = 0
    invitations_revoked: int = 0

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

    reviews = Review.objects.filter(
        Q(customer=customer) | Q(author_email__iexact=original_email, customer__isnull=True)
    )
    review_ids = list(reviews.values_list("pk", flat=True))
    report.reviews_erased = Review.objects.filter(pk__in=review_ids).update(
        author_name="", author_email="", title="", body="", author_key="", text_fingerprint="", customer=customer
    )
    ReviewReply.objects.filter(review_id__in=review_ids).update(text="")

    messages = InboundMessage.objects.filter(
        Q(customer=customer) | Q(author_email__iexact=original_email, customer__isnull=True)
    )
    message_ids = list(messages.values_list("pk", flat=True))
    report.messages_erased = InboundMessage.objects.filter(pk__in=message_ids).update(
        author_name="", author_email="", subject="", text="", url="", customer=customer
    )
    attachments = list(InboundAttachment.objects.filter(message_id__in=message_ids))
    for attachment in attachments:
        # the file goes once the erasure commits; a rollback must not leave rows without files
        transaction.on_commit(lambda name=attachment.file.name, storage=attachment.file.storage: storage.delete(name))
    InboundAttachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()

    responses = Response.objects.filter(customer=customer)
    responses.update(user_agent="")
    report.answers_erased = Answer.objects.filter(response__in=responses).exclude(text="").update(text="")

    items = FeedbackItem.objects.filter(
        Q(customer=customer)
        | Q(review_id__in=review_ids)
        | Q(survey_answer__response__customer=customer)
        | Q(inbound_message_id__in=message_ids)
    )
    item_ids = list(items.values_list("pk", flat=True))
    report.feedback_erased = FeedbackItem.objects.filter(pk__in=item_ids).update(text="", erased_at=now)
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
        subject=Concat(Value("#"), Cast("pk", output_field=CharField())), social_author=""
    )
    CaseMessage.objects.filter(case__customer=customer).update(text="")

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

    customer.external_id = f"erased-{customer.pk}"
    customer.email = f"erased-{customer.pk}@erased.invalid"
    customer.name = ""
    customer.attributes = {}
    customer.erased_at = now
    customer.save(update_fields=["external_id", "email", "name", "attributes", "erased_at"])
    audit("customer.erase", customer, actor=actor, summary=reason[:500], details=report.as_dict())
    return report


RETENTION_BATCH = 200


def customers_past_retention(*, now=None) -> list[int]:
    """Customers with no order and no feedback within the retention period on the Settings page
    (none when it is empty), oldest first, one batch at a time."""
    months = shop_settings().retention_months
    if not months:
        return []
    now = now or timezone.now()
    cutoff = now - timedelta(days=round(months * 365.25 / 12))
    recent_order = Order.objects.filter(customer=OuterRef("pk"), placed_at__gte=cutoff)
    recent_feedback = FeedbackItem.objects.filter(customer=OuterRef("pk"), created_at__gte=cutoff)
    return list(
        Customer.objects.filter(erased_at__isnull=True, created_at__lt=cutoff)
        .exclude(Exists(recent_order))
        .exclude(Exists(recent_feedback))
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:RETENTION_BATCH]
    )


def customers_erase_past_retention(*, now=None) -> int:
    """Erase, as on a request, the customers kept longer than the shop's retention period.

    Each erasure is its own transaction, so one that fails leaves the others done; the next run
    (daily) takes what is left.
    """
    erased = 0
    with acting_as("data retention"):
        for customer_id in customers_past_retention(now=now):
            with transaction.atomic():
                customer = Customer.objects.filter(pk=customer_id, erased_at__isnull=True).first()
                if customer is None:
                    continue
                customer_erase(customer=customer, reason="retention period")
                erased += 1
    return erased


def customer_data_export(*, customer: Customer) -> dict:
    """What Voz holds about a customer (GDPR art. 15): profile, orders, survey answers, reviews,
    feedback and what was written to and by them in cases. Internal notes are staff's, not theirs."""
    orders = customer.orders.prefetch_related("items__product").order_by("placed_at")
    responses = (
        Response.objects.filter(customer=customer).select_related("survey").prefetch_related("answers__question")
    )
    iso = _iso
    return {
        "customer": {
            "external_id": customer.external_id,
            "email": customer.email,
            "name": customer.name,
            "preferred_language": customer.preferred_language,
            "attributes": customer.attributes,
            "created_at": iso(customer.created_at),
            "erased_at": iso(customer.erased_at),
        },
        "orders": [
            {
                "external_id": order.external_id,
                "placed_at": iso(order.placed_at),
                "delivered_at": iso(order.delivered_at),
                "cancelled_at": iso(order.cancelled_at),
                "total": str(order.total),
                "currency": order.currency,
                "shipping_country": order.shipping_country,
                "items": [
                    {"sku": item.product.sku, "name": item.product.name, "quantity": item.quantity}
                    for item in order.items.all()
                ],
            }
            for order in orders
        ],
        "survey_answers": [
            {
                "survey": response.survey.slug,
                "submitted_at": iso(response.submitted_at),
                "answers": [
                    {
                        "question": answer.question.code,
                        "number": answer.number,
                        "text": answer.text,
                        "choices": answer.choices,
                    }
                    for answer in response.answers.all()
                ],
            }
            for response in responses
        ],
        "reviews": [
            {"rating": review.rating, "title": review.title, "text": review.body, "written_at": iso(review.created_at)}
            for review in Review.objects.filter(customer=customer)
        ],
        "feedback": [
            {"channel": item.channel, "text": item.text, "received_at": iso(item.received_at)}
            for item in FeedbackItem.objects.filter(customer=customer)
        ],
        "case_messages": [
            {"case": message.case_id, "kind": message.kind, "text": message.text, "at": iso(message.created_at)}
            for message in CaseMessage.objects.filter(case__customer=customer)
            .exclude(kind=CaseMessage.Kind.NOTE)
            .order_by("created_at")
        ],
    }


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


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
