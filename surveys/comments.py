"""A survey's open-text answers as feedback items: what the customer said in their own words."""

from core.devices import device_class
from core.prepared import rows_insert
from core.visits import traffic_source
from feedback.models import FeedbackItem
from feedback.pipeline import feedback_analysis_enqueue
from surveys.models import Invitation, Response


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
ITEM_COLUMNS = (
    "channel",
    "text",
    "language",
    "received_at",
    "created_at",
    "customer_id",
    "order_id",
    "survey_answer_id",
    "source",
    "page_url",
    "device",
    "country",
    "analysis_status",
    "sentiment",
    "sentiment_gold",
    "model_version",
    "taxonomy_version",
)


def feedback_items_from_response(*, response: Response, invitation: Invitation, comments: dict[int, str]) -> list[int]:
    """Every comment (the text of an open-text answer, by answer id) becomes a feedback item.

    The items are queued for analysis after the commit. The survey's language is what the
    customer chose to answer in, so it is recorded as the item's language until analysis detects
    otherwise. Returns the items' ids.
    """
    comments = {answer_id: text.strip() for answer_id, text in comments.items() if text.strip()}
    if not comments:
        return []
    origin = survey_comment_origin(invitation=invitation, user_agent=response.user_agent)
    values = {
        "language": response.language,
        "received_at": response.submitted_at,
        "created_at": response.submitted_at,
        "customer_id": response.customer_id,
        "order_id": response.order_id,
        "analysis_status": FeedbackItem.AnalysisStatus.PENDING.value,
        "sentiment": "",
        "sentiment_gold": "",
        "model_version": "",
        "taxonomy_version": "",
        **origin,
    }
    rows = [
        [{**values, "text": text, "survey_answer_id": answer_id}[name] for name in ITEM_COLUMNS]
        for answer_id, text in comments.items()
    ]
    item_ids = rows_insert(FeedbackItem, ITEM_COLUMNS, rows)
    feedback_analysis_enqueue(item_ids)
    return item_ids
