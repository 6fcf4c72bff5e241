from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import F, Prefetch, Q, QuerySet

from feedback.models import FeedbackItem
from sentiment.models import FeedbackTopic

# Stemming follows the item's own language, so "entregas" finds "entregado" in Spanish
# feedback and "delivered" finds "delivery" in English; anything else is matched word by word.
SEARCH_CONFIGS = {"es": "spanish", "en": "english"}


def search_vector(config: str) -> SearchVector:
    return SearchVector("text", config=config)


def feedback_search(queryset: QuerySet[FeedbackItem], query: str) -> QuerySet[FeedbackItem]:
    """Full-text search with PostgreSQL (GIN-indexed per language); a plain substring match elsewhere."""
    query = query.strip()
    if not query:
        return queryset
    if connection.vendor != "postgresql":
        return queryset.filter(text__icontains=query)
    condition = Q()
    for language, config in SEARCH_CONFIGS.items():
        condition |= Q(language=language) & Q(
            **{f"search_{language}": SearchQuery(query, config=config, search_type="websearch")}
        )
    condition |= ~Q(language__in=list(SEARCH_CONFIGS)) & Q(
        search_simple=SearchQuery(query, config="simple", search_type="websearch")
    )
    return queryset.annotate(
        search_es=search_vector("spanish"), search_en=search_vector("english"), search_simple=search_vector("simple")
    ).filter(condition)


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
