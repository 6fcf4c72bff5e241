from feedback.models import FeedbackItem
from feedback.pipeline import feedback_analysis_enqueue

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
