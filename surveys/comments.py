"""A survey's open-text answers as feedback items: what the customer said in their own words."""

from core.devices import device_class
from core.prepared import Statement
from core.visits import traffic_source
from feedback.models import FeedbackItem
from surveys.models import Answer, Invitation, Response


def survey_comment_origin(*, invitation: Invitation, user_agent: str) -> dict[str, str]:
    """Where a survey comment was said: channel, traffic source, page, device and country.

    Survey links reach customers in the invitation email, or on the shop's website (an intercept,
    whose comments belong to the web channel like the feedback tab's).
    """
    origin = {
        "channel": FeedbackItem.Channel.SURVEY.value,
        "source": "email",
        "page_url": "",
        "device": device_class(user_agent) if user_agent else "",
        "country": invitation.order.shipping_country if invitation.order_id else "",
    }
    if invitation.intercept_id:
        origin |= {
            "channel": FeedbackItem.Channel.WEB.value,
            "source": traffic_source(invitation.page_url, invitation.referrer),
            "page_url": invitation.page_url,
            "country": origin["country"] or invitation.country,
        }
    return origin


# What a comment's item is given; every other column is empty until analysis (NULL or its default).
# The survey's language is what the customer chose to answer in, so it is the item's language
# until analysis detects otherwise.
_ITEMS_SQL = f"""
INSERT INTO {FeedbackItem._meta.db_table} (
    channel, source, page_url, device, country, text, language, received_at, created_at,
    customer_id, order_id, survey_answer_id, analysis_status, sentiment, sentiment_gold,
    model_version, taxonomy_version
)
SELECT %s, %s, %s, %s, %s, answer.text, response.language, response.submitted_at, response.submitted_at,
    response.customer_id, response.order_id, answer.id, '{FeedbackItem.AnalysisStatus.PENDING.value}', '', '',
    '', ''
FROM {Response._meta.db_table} response JOIN {Answer._meta.db_table} answer ON answer.response_id = response.id
WHERE response.invitation_id = %s AND answer.text <> ''
RETURNING id
"""
_ORIGIN = ("channel", "source", "page_url", "device", "country")


def feedback_items_statement(*, invitation: Invitation, user_agent: str) -> Statement:
    """The INSERT that makes every comment (an answer with text) of the response to `invitation`
    a feedback item, once the response and its answers are written; it returns the items' ids.

    Queue them for analysis (feedback.pipeline.feedback_analysis_enqueue).
    """
    origin = survey_comment_origin(invitation=invitation, user_agent=user_agent)
    return Statement(_ITEMS_SQL, [*(origin[name] for name in _ORIGIN), invitation.pk])
