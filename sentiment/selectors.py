import hashlib

from django.db.models import F, Prefetch, QuerySet

from feedback.models import FeedbackItem, Sentiment
from sentiment.models import FeedbackTopic, Topic
from surveys.models import Answer, Question


def taxonomy_active() -> list[Topic]:
    return list(Topic.objects.filter(is_active=True).order_by("slug"))


def taxonomy_version(topics: list[Topic] | None = None) -> str:
    """A short fingerprint of the active taxonomy: it changes whenever staff edit a topic."""
    topics = taxonomy_active() if topics is None else topics
    digest = hashlib.sha256()
    for topic in topics:
        digest.update(f"{topic.slug}\t{topic.patterns_es}\t{topic.patterns_en}\n".encode())
    return f"tx-{digest.hexdigest()[:10]}"


def feedback_needing_analysis(*, model_version: str, taxonomy_version: str) -> QuerySet[FeedbackItem]:
    """Items whose current analysis was made by another model or another taxonomy (or never)."""
    return FeedbackItem.objects.exclude(model_version=model_version, taxonomy_version=taxonomy_version)


def feedback_pending_ids(*, received_before) -> list[int]:
    return list(
        FeedbackItem.objects.filter(analysis_status=FeedbackItem.AnalysisStatus.PENDING, created_at__lt=received_before)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def nps_label(score: int) -> str:
    if score <= 6:
        return Sentiment.NEGATIVE
    if score <= 8:
        return Sentiment.NEUTRAL
    return Sentiment.POSITIVE


def stars_label(rating: int) -> str:
    if rating <= 2:
        return Sentiment.NEGATIVE
    if rating == 3:
        return Sentiment.NEUTRAL
    return Sentiment.POSITIVE


def shop_labelled_feedback() -> list[tuple[int, str, str, str]]:
    """(item id, language, text, label) for the shop's own feedback, labelled for free.

    A staff correction wins; otherwise the customer's own rating next to the comment says
    how they felt (NPS 0–6 negative, 7–8 neutral, 9–10 positive).
    """
    labelled: dict[int, tuple[int, str, str, str]] = {}
    nps_by_response = dict(
        Answer.objects.filter(question__kind=Question.Kind.NPS, number__isnull=False).values_list(
            "response_id", "number"
        )
    )
    # survey comments, whether the survey came by email or on the website (an intercept)
    survey_items = FeedbackItem.objects.filter(survey_answer__isnull=False).values_list(
        "pk", "language", "text", "survey_answer__response_id"
    )
    for pk, language, text, response_id in survey_items.iterator():
        score = nps_by_response.get(response_id)
        if score is not None and language in ("es", "en"):
            labelled[pk] = (pk, language, text, nps_label(int(score)))
    gold = FeedbackItem.objects.exclude(sentiment_gold="").values_list("pk", "language", "text", "sentiment_gold")
    for pk, language, text, label in gold.iterator():
        if language in ("es", "en"):
            labelled[pk] = (pk, language, text, label)
    return [labelled[pk] for pk in sorted(labelled)]


def feedback_for_api() -> QuerySet[FeedbackItem]:
    """The feed as the API shows it: the item, its customer's and order's references, its topics.

    Lighter than `feedback_feed`, which the page and the export use: no reviews or mentions (the
    API does not show them), the references as columns rather than Customer and Order rows, and
    the topics as a plain list (a related manager's cache costs a queryset per item).
    """
    return (
        FeedbackItem.objects.annotate(customer_ref=F("customer__external_id"), order_ref=F("order__external_id"))
        .prefetch_related(
            Prefetch("topic_mentions", queryset=FeedbackTopic.objects.select_related("topic"), to_attr="topic_list")
        )
        .order_by("-received_at", "-pk")
    )


def feedback_feed() -> QuerySet[FeedbackItem]:
    """Every channel's feedback, newest first, with what the list and the export show."""
    return (
        FeedbackItem.objects.select_related("customer", "order", "review__product", "mention")
        .prefetch_related("topic_mentions__topic")
        .order_by("-received_at", "-pk")
    )
