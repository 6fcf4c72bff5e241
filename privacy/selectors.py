"""What Voz holds about one customer, read from every app (GDPR art. 15 and 20)."""

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from django.db.models import Q

from customers.models import Customer
from feedback.models import FeedbackItem, InboundMessage
from onsite.models import WebFeedback
from reviews.models import Review
from social.models import Mention
from support.models import EMAIL_AUTHOR_PREFIX, Case, CaseMessage, WinBackEmail
from surveys.models import Invitation, Response

EXPORT_FORMAT = 2
# internal bookkeeping of the customer row, not data about the person
_CUSTOMER_FIELDS_LEFT_OUT = {"id"}


def customer_data(customer: Customer) -> dict:
    """Everything about the customer, as plain JSON: their profile (every field of the customer row,
    so consent and preferences appear as soon as the row holds them), orders with their lines,
    survey answers, reviews with the shop's replies, feedback from every channel, social posts and
    website comments matched to them, messages they sent, their cases with the messages exchanged
    (staff's internal notes are the shop's, not theirs) and the emails Voz sent them."""
    theirs = FeedbackItem.objects.filter(Q(customer=customer) | Q(case__customer=customer))
    return {
        "format": EXPORT_FORMAT,
        "customer": {
            field.name: _plain(getattr(customer, field.attname))
            for field in Customer._meta.concrete_fields
            if field.name not in _CUSTOMER_FIELDS_LEFT_OUT
        },
        "orders": _orders(customer),
        "survey_answers": _survey_answers(customer),
        "reviews": [
            {
                "rating": review.rating,
                "title": review.title,
                "text": review.body,
                "product": review.product.sku if review.product_id else None,
                "status": review.status,
                "written_at": _plain(review.created_at),
                "shop_reply": review.reply.text if hasattr(review, "reply") else None,
            }
            for review in Review.objects.filter(customer=customer).select_related("product", "reply").order_by("pk")
        ],
        "feedback": [
            {
                "channel": item.channel,
                "text": item.text,
                "page": item.page_url,
                "received_at": _plain(item.received_at),
                "sentiment": item.sentiment,
            }
            for item in FeedbackItem.objects.filter(customer=customer).order_by("received_at", "pk")
        ],
        "social_mentions": [
            {
                "platform": mention.platform,
                "author": mention.author_handle,
                "url": mention.url,
                "text": mention.text,
                "posted_at": _plain(mention.posted_at),
            }
            for mention in Mention.objects.filter(pk__in=theirs.values("mention_id")).order_by("posted_at", "pk")
        ],
        "website_feedback": [
            {
                "rating": comment.rating,
                "comment": comment.comment,
                "email": comment.email,
                "page": comment.page_url,
                "received_at": _plain(comment.created_at),
            }
            for comment in WebFeedback.objects.filter(
                Q(pk__in=theirs.values("web_feedback_id")) | Q(email__iexact=customer.email)
            ).order_by("created_at", "pk")
        ],
        "messages": [
            {
                "channel": message.channel,
                "subject": message.subject,
                "text": message.text,
                "sent_at": _plain(message.sent_at),
                "attachments": [attachment.filename for attachment in message.attachments.all()],
            }
            for message in InboundMessage.objects.filter(customer=customer)
            .prefetch_related("attachments")
            .order_by("sent_at", "pk")
        ],
        "cases": _cases(customer),
        "emails_sent": _emails_sent(customer),
    }


def _orders(customer: Customer) -> list[dict]:
    orders = customer.orders.prefetch_related("items__product").order_by("placed_at", "pk")
    return [
        {
            "external_id": order.external_id,
            "placed_at": _plain(order.placed_at),
            "delivered_at": _plain(order.delivered_at),
            "cancelled_at": _plain(order.cancelled_at),
            "total": _plain(order.total),
            "currency": order.currency,
            "shipping_country": order.shipping_country,
            "items": [
                {
                    "sku": item.product.sku,
                    "name": item.product.name,
                    "quantity": item.quantity,
                    "unit_price": _plain(item.unit_price),
                }
                for item in order.items.all()
            ],
        }
        for order in orders
    ]


def _survey_answers(customer: Customer) -> list[dict]:
    responses = (
        Response.objects.filter(customer=customer)
        .select_related("survey", "order")
        .prefetch_related("answers__question")
        .order_by("submitted_at", "pk")
    )
    return [
        {
            "survey": response.survey.slug,
            "order": response.order.external_id if response.order_id else None,
            "submitted_at": _plain(response.submitted_at),
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
    ]


def _cases(customer: Customer) -> list[dict]:
    # with those opened from an email of theirs before they were known as a customer
    written_from = Q(social_author=f"{EMAIL_AUTHOR_PREFIX}{customer.email.lower()}", customer__isnull=True)
    cases = Case.objects.filter(Q(customer=customer) | written_from).order_by("opened_at", "pk")
    messages = CaseMessage.objects.filter(case__in=cases).exclude(kind=CaseMessage.Kind.NOTE)
    by_case: dict[int, list[dict]] = {}
    for message in messages.order_by("created_at", "pk"):
        by_case.setdefault(message.case_id, []).append(
            {"kind": message.kind, "text": message.text, "at": _plain(message.created_at)}
        )
    return [
        {
            "id": case.pk,
            "subject": case.subject,
            "status": case.status,
            "opened_at": _plain(case.opened_at),
            "resolved_at": _plain(case.resolved_at),
            "messages": by_case.get(case.pk, []),
        }
        for case in cases
    ]


def _emails_sent(customer: Customer) -> list[dict]:
    winbacks = [
        {
            "kind": "winback",
            "subject": email.subject,
            "text": email.body,
            "sent_at": _plain(email.emailed_at),
        }
        for email in WinBackEmail.objects.filter(customer=customer, emailed_at__isnull=False).order_by("emailed_at")
    ]
    invitations = [
        {"kind": "survey_invitation", "survey": invitation.survey.slug, "sent_at": _plain(invitation.sent_at)}
        for invitation in Invitation.objects.filter(customer=customer, sent_at__isnull=False)
        .select_related("survey")
        .order_by("sent_at")
    ]
    return sorted(winbacks + invitations, key=lambda email: email["sent_at"] or "")


def _plain(value):
    """A field's value as JSON has it: dates in ISO 8601, amounts as strings (no float rounding)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    return value


def customers_inactive_since(cutoff: datetime):
    """Customers not yet erased who have done nothing since `cutoff`: no order, survey answer,
    feedback, review, message or case, and no case still open."""
    return (
        Customer.objects.filter(erased_at__isnull=True, created_at__lt=cutoff)
        .exclude(orders__placed_at__gte=cutoff)
        .exclude(survey_responses__submitted_at__gte=cutoff)
        .exclude(feedback_items__received_at__gte=cutoff)
        .exclude(reviews__created_at__gte=cutoff)
        .exclude(inbound_messages__sent_at__gte=cutoff)
        .exclude(cases__opened_at__gte=cutoff)
        .exclude(cases__last_response_at__gte=cutoff)
        .exclude(cases__status__in=Case.OPEN_STATUSES)
        .order_by("pk")
    )
