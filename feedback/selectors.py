from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q, QuerySet

from feedback.models import FeedbackItem

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
