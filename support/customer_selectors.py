"""Reads for the customer page (one customer, everything the shop knows of them) that agents reach
from a search, a case, the feedback feed or the API."""

from django.db.models import Prefetch, Q, QuerySet

from customers.models import Customer, CustomerRfm, Order, OrderItem
from feedback.models import FeedbackItem
from feedback.services import HAND_LINKED_CHANNELS
from support.models import Case
from support.selectors import cases_visible_to
from surveys.models import Answer, Question


def customer_orders(customer: Customer) -> QuerySet[Order]:
    """Every order of the customer, newest first, with its items."""
    return customer.orders.prefetch_related(
        Prefetch("items", queryset=OrderItem.objects.select_related("product"))
    ).order_by("-placed_at", "-pk")


def customer_feedback(customer: Customer) -> QuerySet[FeedbackItem]:
    """What the customer said on every channel (survey comments, reviews, mentions, the website
    widget, emails and chats), newest first."""
    return (
        customer.feedback_items.select_related(
            "review__product", "mention", "web_feedback", "inbound_message", "case", "survey_answer__question"
        )
        .filter(brand__isnull=True)
        .order_by("-received_at", "-pk")
    )


def customer_cases(customer: Customer, *, user) -> QuerySet[Case]:
    """The customer's cases that this member of staff may open, newest first."""
    return cases_visible_to(user).filter(customer=customer).order_by("-opened_at", "-pk")


def customer_nps_history(customer: Customer) -> list[dict]:
    """Each NPS answer of the customer, newest first, with the question as they read it."""
    answers = (
        Answer.objects.filter(response__customer=customer, question__kind=Question.Kind.NPS, number__isnull=False)
        .select_related("response__survey", "question")
        .order_by("-response__submitted_at")
    )
    return [
        {
            "at": answer.response.submitted_at,
            "score": answer.number,
            "group": "promoter" if answer.number >= 9 else ("passive" if answer.number >= 7 else "detractor"),
            "survey": answer.response.survey,
            "prompt": answer.prompt(),
        }
        for answer in answers
    ]


def customer_rfm(customer: Customer) -> CustomerRfm | None:
    return CustomerRfm.objects.filter(customer=customer).first()


def customer_consent_fields(customer: Customer) -> list[tuple[str, object]]:
    """The customer's consent and unsubscribe state, labelled in the reader's language."""
    field = customer._meta.get_field
    return [
        (str(field("marketing_consent").verbose_name), customer.get_marketing_consent_display()),
        (
            str(field("marketing_consent_source").verbose_name),
            customer.get_marketing_consent_source_display() if customer.marketing_consent_source else "",
        ),
        (str(field("marketing_consent_at").verbose_name), customer.marketing_consent_at),
        (str(field("unsubscribed_at").verbose_name), customer.unsubscribed_at),
    ]


def customer_link_suggestions(customer: Customer, *, limit: int = 10) -> QuerySet[FeedbackItem]:
    """Unlinked mentions, widget comments and messages that name this customer's email or one of
    their order numbers, for staff to link by hand."""
    clues = Q(web_feedback__email__iexact=customer.email) | Q(inbound_message__author_email__iexact=customer.email)
    if customer.email:
        clues |= Q(text__icontains=customer.email)
    for number in customer.orders.order_by("-placed_at").values_list("external_id", flat=True)[:20]:
        clues |= Q(text__icontains=number)
    return (
        FeedbackItem.objects.filter(
            customer__isnull=True, brand__isnull=True, erased_at__isnull=True, channel__in=HAND_LINKED_CHANNELS
        )
        .filter(clues)
        .select_related("mention", "web_feedback")
        .order_by("-received_at")[:limit]
    )
