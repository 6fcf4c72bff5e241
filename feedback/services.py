from feedback.models import FeedbackItem
from feedback.pipeline import feedback_analysis_enqueue
from surveys.models import Question, Response


def survey_comment_origin(*, invitation, user_agent: str) -> dict[str, str]:
    """Where a survey comment was said: channel, traffic source, page, device and country.

    Survey links reach customers in the invitation email, or on the shop's website (an intercept,
    whose comments belong to the web channel like the feedback tab's).
    """
    from core.devices import device_class
    from core.visits import traffic_source

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


def feedback_items_from_response(*, response: Response, answers: list | None = None) -> list[FeedbackItem]:
    """Every non-empty open-text answer is something the customer said in their own words.

    The survey's language is what the customer chose to answer in, so it is recorded as the
    item's language until analysis detects otherwise. Analysis is queued for after the commit.
    `answers` (with their questions) saves reading back what the caller just wrote.
    On PostgreSQL, survey submissions write their items in one statement instead (see
    surveys.services._SUBMISSION_SQL); this is the portable path.
    """
    if answers is None:
        answers = list(response.answers.select_related("question"))
    answers = [answer for answer in answers if answer.question.kind == Question.Kind.OPEN_TEXT and answer.text.strip()]
    if not answers:
        return []
    origin = survey_comment_origin(invitation=response.invitation, user_agent=response.user_agent)
    items = FeedbackItem.objects.bulk_create(
        FeedbackItem(
            text=answer.text.strip(),
            language=response.language,
            customer_id=response.customer_id,
            order_id=response.order_id,
            survey_answer=answer,
            received_at=response.submitted_at,
            **origin,
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
    from core.changes import Source, changes_record

    # A reworded item leaves the analysed set until it is analysed again: its old day changes too.
    previous_days = FeedbackItem.objects.filter(
        **{f"{link}_id__in": [getattr(item, f"{link}_id") for item in items]}
    ).values_list("received_at", flat=True)
    changes_record(Source.FEEDBACK, [*previous_days, *(item.received_at for item in items)])
    saved = FeedbackItem.objects.bulk_create(
        items, update_conflicts=True, unique_fields=[link], update_fields=SOURCE_FIELDS + list(ANALYSIS_RESET)
    )
    feedback_analysis_enqueue([item.pk for item in saved])
    return saved
