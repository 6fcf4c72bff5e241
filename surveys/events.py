"""The webhook events of a survey submission: survey.answered, and feedback.created per comment.

They travel with the submission's own statements (surveys.services._response_store), in its one
round trip and its transaction: the response's and the items' ids only exist inside it, so those
(and the customer's reference) are filled in by the database. Each statement writes nothing when
no webhook endpoint wants its event type.
"""

from collections.abc import Mapping
from datetime import datetime

from core.models import WebhookEventType
from core.prepared import Statement
from core.webhooks import iso, webhook_events_statement
from customers.models import Customer
from feedback.models import FeedbackItem
from surveys.comments import survey_comment_origin
from surveys.models import Answer, Invitation, Question, Response

_RESPONSE_ROWS = (
    f"FROM {Response._meta.db_table} response"
    f" LEFT JOIN {Customer._meta.db_table} customer ON customer.id = response.customer_id"
    " WHERE response.invitation_id = %s"
)
_COMMENT_ROWS = (
    f"FROM {FeedbackItem._meta.db_table} item"
    f" JOIN {Answer._meta.db_table} answer ON answer.id = item.survey_answer_id"
    f" JOIN {Response._meta.db_table} response ON response.id = answer.response_id"
    f" LEFT JOIN {Customer._meta.db_table} customer ON customer.id = response.customer_id"
    " WHERE response.invitation_id = %s"
)


def survey_answered_statement(
    *,
    invitation: Invitation,
    answers: Mapping[int, object],
    questions: Mapping[int, Question],
    language: str,
    now: datetime,
) -> Statement:
    data = {
        "id": None,  # the response's, filled in by the database
        "survey": invitation.survey.slug,
        "customer": None,
        "order": invitation.order.external_id if invitation.order_id else None,
        "language": language,
        "submitted_at": iso(now),
        "answers": [{"question": questions[pk].code, "value": value} for pk, value in answers.items()],
    }
    return webhook_events_statement(
        WebhookEventType.SURVEY_ANSWERED,
        data,
        rows=_RESPONSE_ROWS,
        params=[invitation.pk],
        key="response.id",
        fill={"id": "response.id", "customer": "customer.external_id"},
        now=now,
    )


def comments_created_statement(*, invitation: Invitation, user_agent: str, language: str, now: datetime) -> Statement:
    """feedback.created for each comment, in the shape of feedback.services.feedback_created_data."""
    origin = survey_comment_origin(invitation=invitation, user_agent=user_agent)
    data = {
        "id": None,
        "channel": origin["channel"],
        "source": origin["source"],
        "text": "",
        "language": language,
        "received_at": iso(now),
        "customer": None,
        "order": invitation.order.external_id if invitation.order_id else None,
    }
    return webhook_events_statement(
        WebhookEventType.FEEDBACK_CREATED,
        data,
        rows=_COMMENT_ROWS,
        params=[invitation.pk],
        key="item.id",
        fill={"id": "item.id", "text": "item.text", "customer": "customer.external_id"},
        now=now,
    )
