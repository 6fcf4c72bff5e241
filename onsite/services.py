from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

from django.db import transaction

from core.devices import device_class
from feedback.models import FeedbackItem
from feedback.services import feedback_items_upsert
from onsite.models import Site, WebFeedback


@dataclass(frozen=True)
class WebFeedbackData:
    rating: int | None
    comment: str
    email: str
    page_url: str
    referrer: str
    browser_language: str
    language: str  # the page's language, "es" or "en"


def traffic_source(page_url: str, referrer: str) -> str:
    """utm_source of the page's address, else the referring site's domain ("" when typed in or
    when the referrer is the shop itself)."""
    query = parse_qs(urlsplit(page_url).query)
    if query.get("utm_source"):
        return query["utm_source"][0].strip().lower()[:120]
    referring = (urlsplit(referrer).hostname or "").lower().removeprefix("www.")
    own = (urlsplit(page_url).hostname or "").lower().removeprefix("www.")
    return "" if referring == own else referring[:120]


@transaction.atomic
def web_feedback_submit(*, site: Site, data: WebFeedbackData, user_agent: str = "") -> WebFeedback:
    """Store what a visitor sent; a comment becomes a feedback item (channel "web") analysed like any other."""
    feedback = WebFeedback.objects.create(
        site=site,
        rating=data.rating,
        comment=data.comment,
        email=data.email,
        page_url=data.page_url,
        referrer=data.referrer,
        device=device_class(user_agent),
        browser_language=data.browser_language,
    )
    if data.comment:
        feedback_items_upsert(
            link="web_feedback",
            items=[
                FeedbackItem(
                    channel=FeedbackItem.Channel.WEB,
                    text=data.comment,
                    language=data.language,
                    web_feedback=feedback,
                    received_at=feedback.created_at,
                    source=traffic_source(data.page_url, data.referrer),
                    page_url=data.page_url,
                    device=feedback.device,
                )
            ],
        )
    return feedback
