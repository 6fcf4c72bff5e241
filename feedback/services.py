from feedback.models import FeedbackItem
from sentiment.services import feedback_analysis_enqueue
from surveys.models import Question, Response


def feedback_items_from_response(*, response: Response, answers: list | None = None) -> list[FeedbackItem]:
    """Every non-empty open-text answer is something the customer said in their own words.

    The survey's language is what the customer chose to answer in, so it is recorded as the
    item's language until analysis detects otherwise. Analysis is queued for after the commit.
    `answers` (with their questions) saves reading back what the caller just wrote.
    """
    if answers is None:
        answers = list(response.answers.select_related("question"))
    answers = [answer for answer in answers if answer.question.kind == Question.Kind.OPEN_TEXT and answer.text.strip()]
    if not answers:
        return []
    from core.devices import device_class
    from core.visits import traffic_source

    country = response.order.shipping_country if response.order_id else ""
    # survey links reach customers in the invitation email, or on the shop's page (an intercept)
    channel, source, page_url = FeedbackItem.Channel.SURVEY, "email", ""
    invitation = response.invitation
    if invitation.intercept_id:  # said on the website: the web channel, like the feedback tab
        channel = FeedbackItem.Channel.WEB
        source, page_url = traffic_source(invitation.page_url, invitation.referrer), invitation.page_url
        country = country or invitation.country
    items = FeedbackItem.objects.bulk_create(
        FeedbackItem(
            channel=channel,
            text=answer.text.strip(),
            language=response.language,
            customer_id=response.customer_id,
            order_id=response.order_id,
            survey_answer=answer,
            received_at=response.submitted_at,
            source=source,
            page_url=page_url,
            device=device_class(response.user_agent) if response.user_agent else "",
            country=country,
        )
        for answer in answers
    )
    feedback_analysis_enqueue([item.pk for item in items])
    return items


SOURCE_FIELDS = [
    "text",
    "language",
    "customer",
    "order",
    "received_at",
    "source",
    "page_url",
    "device",
    "country",
    "brand",
]
ANALYSIS_RESET = {"analysis_status": FeedbackItem.AnalysisStatus.PENDING, "model_version": "", "taxonomy_version": ""}


def feedback_items_upsert(*, link: str, items: list[FeedbackItem]) -> list[FeedbackItem]:
    """Create or refresh the feedback items of reviews or mentions (`link` is "review" or "mention").

    Called only for new or reworded sources, so each one is (re)analysed once the transaction commits.
    """
    if not items:
        return []
    for item in items:
        for name, value in ANALYSIS_RESET.items():
            setattr(item, name, value)
    from analytics import rollups

    # A reworded item leaves the analysed set until it is analysed again: its old day changes too.
    previous_days = FeedbackItem.objects.filter(
        **{f"{link}_id__in": [getattr(item, f"{link}_id") for item in items]}
    ).values_list("received_at", flat=True)
    rollups.mark_dirty(rollups.Source.FEEDBACK, [*previous_days, *(item.received_at for item in items)])
    saved = FeedbackItem.objects.bulk_create(
        items, update_conflicts=True, unique_fields=[link], update_fields=SOURCE_FIELDS + list(ANALYSIS_RESET)
    )
    feedback_analysis_enqueue([item.pk for item in saved])
    return saved
