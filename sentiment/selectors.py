import hashlib
from dataclasses import dataclass

from django.db.models import F, Prefetch, QuerySet

from feedback.models import FeedbackItem, Sentiment
from sentiment.models import FeedbackTopic, SentimentModel, Topic
from surveys.models import Answer, Question


def taxonomy_active() -> list[Topic]:
    return list(Topic.objects.filter(is_active=True).order_by("slug"))


def taxonomy_version(topics: list[Topic] | None = None) -> str:
    """A short fingerprint of the active taxonomy: it changes whenever staff edit a topic."""
    topics = taxonomy_active() if topics is None else topics
    digest = hashlib.sha256()
    for topic in topics:
        # (examples only when there are some: the fingerprint of a taxonomy without them stays as it was)
        examples = f"\t{topic.examples}" if topic.examples else ""
        digest.update(f"{topic.slug}\t{topic.patterns_es}\t{topic.patterns_en}{examples}\n".encode())
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


# What a customer's own score says about the comment beside it. Only the ends of each scale count:
# a passive's 7 or a middling 3 stars comes with comments of every tone.
def nps_label(score: int) -> str | None:
    return Sentiment.NEGATIVE if score <= 6 else Sentiment.POSITIVE if score >= 9 else None


def csat_label(score: int) -> str | None:
    return Sentiment.NEGATIVE if score <= 2 else Sentiment.POSITIVE if score >= 4 else None


stars_label = csat_label  # 1–5 stars read like a 1–5 satisfaction score

# A correction by staff weighs this many ratings: someone read the text itself.
CORRECTION_WEIGHT = 3


@dataclass(frozen=True)
class ShopLabel:
    item_id: int
    language: str
    text: str
    label: str
    source: str  # "correction" | "survey" | "review" | "web"
    topics: tuple[str, ...] = ()

    @property
    def weight(self) -> int:
        return CORRECTION_WEIGHT if self.source == "correction" else 1


def shop_labels() -> list[ShopLabel]:
    """The shop's own feedback, labelled for free: staff corrections first, else the score the
    customer gave beside the comment (survey NPS, else CSAT, else a star question; review stars;
    the website widget's page rating). Spanish and English only, erased items never."""
    items = FeedbackItem.objects.filter(erased_at__isnull=True, language__in=("es", "en")).exclude(text="")
    survey_scores: dict[int, str] = {}
    rank = {Question.Kind.NPS: 0, Question.Kind.CSAT: 1, Question.Kind.RATING: 2}
    best: dict[int, int] = {}
    answers = Answer.objects.filter(
        question__kind__in=list(rank),
        number__isnull=False,
        response_id__in=items.filter(survey_answer__isnull=False).values("survey_answer__response_id"),
    ).values_list("response_id", "question__kind", "number")
    for response_id, kind, number in answers.iterator():
        if rank[kind] < best.get(response_id, 99):
            best[response_id] = rank[kind]
            survey_scores[response_id] = nps_label(number) if kind == Question.Kind.NPS else csat_label(number)

    rows = items.values_list(
        "pk",
        "language",
        "text",
        "sentiment_gold",
        "survey_answer__response_id",
        "review__rating",
        "web_feedback__rating",
    )
    topics = _topic_slugs_by_item()
    labelled = []
    for pk, language, text, gold, response_id, stars, page_rating in rows.order_by("pk").iterator():
        if gold:
            label, source = gold, "correction"
        elif response_id is not None:
            label, source = survey_scores.get(response_id), "survey"
        elif stars is not None:
            label, source = stars_label(stars), "review"
        elif page_rating is not None:
            label, source = stars_label(page_rating), "web"
        else:
            label = None
        if label:
            labelled.append(ShopLabel(pk, language, text, label, source, topics.get(pk, ())))
    return labelled


def _topic_slugs_by_item() -> dict[int, tuple[str, ...]]:
    slugs: dict[int, list[str]] = {}
    for item_id, slug in FeedbackTopic.objects.values_list("feedback_id", "topic__slug").iterator():
        slugs.setdefault(item_id, []).append(slug)
    return {item_id: tuple(sorted(values)) for item_id, values in slugs.items()}


def model_active() -> SentimentModel | None:
    """The model the workers use; one indexed read, made before every batch."""
    return SentimentModel.objects.filter(is_active=True).only("pk", "version", "kind", "artifact", "status").first()


def model_previous() -> SentimentModel | None:
    """The model that was active before the active one, for "roll back"."""
    return SentimentModel.objects.filter(is_active=False, activated_at__isnull=False).order_by("-activated_at").first()


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
