from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from core.audit import audit
from core.changes import Source, changes_record
from core.exceptions import ApplicationError
from core.models import WebhookEventType
from core.prepared import execute_prepared, insert_columns
from core.webhooks import iso, webhook_events_record
from feedback.models import FeedbackItem, Sentiment
from feedback.pipeline import feedback_analysed_announce, feedback_analysis_enqueue
from sentiment import selectors
from sentiment.models import FeedbackAnalysis, FeedbackTopic, Topic

if TYPE_CHECKING:
    from sentiment.engine import TextAnalysis

logger = logging.getLogger(__name__)

ITEM_ANALYSIS_FIELDS = [
    "language",
    "language_confidence",
    "sentiment",
    "sentiment_score",
    "sentiment_confidence",
    "model_version",
    "taxonomy_version",
    "analysed_at",
    "analysis_status",
    "analysis_error",
]
# A text that breaks the analyzer is tried this many times on its own before it is marked failed.
ITEM_ATTEMPTS = 2


def chunked(ids: Sequence[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield list(ids[start : start + size])


def feedback_pending_sweep(*, now=None) -> int:
    """Queue every item still pending after the grace period: its first hand-over was lost."""
    now = now or timezone.now()
    ids = selectors.feedback_pending_ids(received_before=now - settings.SENTIMENT_PENDING_GRACE)
    feedback_analysis_enqueue(ids)
    return len(ids)


def _language_hint(item: FeedbackItem) -> str | None:
    return item.language if item.language in ("es", "en") else None


def feedback_analyse_batch(*, ids: Sequence[int], force: bool = False) -> int:
    """Analyse these items and store the results; returns how many were (re)written.

    Idempotent: an item already analysed by this model and this taxonomy, with the text that
    was analysed, is left alone — so a redelivered or duplicated task changes nothing. The
    NLP runs outside the transaction; the rows are locked only to write.
    """
    # imported here: the NLP stack (scikit-learn, spaCy) takes seconds to import and only the
    # workers need it, not every web process
    from sentiment.runtime import get_analyzer

    analyzer = get_analyzer()
    model_version, taxonomy_version = analyzer.model_version, analyzer.taxonomy_version

    def is_done(item: FeedbackItem) -> bool:
        return (
            item.analysis_status == FeedbackItem.AnalysisStatus.DONE
            and item.model_version == model_version
            and item.taxonomy_version == taxonomy_version
        )

    items = [
        item
        for item in FeedbackItem.objects.filter(pk__in=list(ids), erased_at__isnull=True).only(
            "pk", "text", "language", "analysis_status", "model_version", "taxonomy_version"
        )
        if force or not is_done(item)
    ]
    if not items:
        return 0
    results = _analyse_tolerating_bad_items(analyzer, items)
    topic_ids = dict(Topic.objects.values_list("slug", "pk"))
    now = timezone.now()

    with transaction.atomic():
        locked = {
            item.pk: item
            for item in FeedbackItem.objects.select_for_update()
            .filter(pk__in=[item.pk for item in items])
            .only(
                "pk",
                "text",
                "language",
                "analysis_status",
                "model_version",
                "taxonomy_version",
                "received_at",
                "brand_id",
            )
        }
        to_write: list[tuple[FeedbackItem, TextAnalysis | str]] = []
        for item, result in zip(items, results, strict=True):
            current = locked.get(item.pk)
            # Gone, or edited since we read it (its new text is queued on its own), or done meanwhile.
            if current is None or current.text != item.text or (not force and is_done(current)):
                continue
            to_write.append((current, result))
        if not to_write:
            return 0
        _store_results(to_write, topic_ids, model_version, taxonomy_version, now)
        changes_record(Source.FEEDBACK, [item.received_at for item, _result in to_write])
        analysed_ids = [item.pk for item, result in to_write if not isinstance(result, str)]
        feedback_analysed_announce(analysed_ids)
        webhook_events_record(WebhookEventType.FEEDBACK_ANALYSED, lambda: feedback_analysed_data(to_write), now=now)
    return len(to_write)


def feedback_analysed_data(analysed: Sequence[tuple[FeedbackItem, TextAnalysis | str]]) -> list[dict]:
    """The data of feedback.analysed events (version 1), for the shop's own feedback."""
    return [
        {
            "id": item.pk,
            "language": result.language,
            "sentiment": {
                "label": result.label,
                "score": float(result.score),
                "confidence": float(result.confidence),
            },
            "topics": [{"slug": topic.slug, "sentiment": topic.label} for topic in result.topics],
            "model_version": item.model_version,
            "analysed_at": iso(item.analysed_at),
        }
        for item, result in analysed
        if not isinstance(result, str) and item.brand_id is None
    ]


def _analyse_tolerating_bad_items(analyzer, items: list[FeedbackItem]) -> list[TextAnalysis | str]:
    """The analysis of each item, or, for an item that failed every attempt, the reason."""
    texts = [item.text for item in items]
    hints = [_language_hint(item) for item in items]
    try:
        return analyzer.analyze(texts, hints)
    except Exception:
        # One pathological text must not keep a whole batch pending forever: retry one by one
        # and mark only the culprits as failed.
        logger.exception("Batch analysis failed; analysing %d items one by one", len(items))
    results: list[TextAnalysis | str] = []
    for item, text, hint in zip(items, texts, hints, strict=True):
        reason = ""
        for _attempt in range(ITEM_ATTEMPTS):
            try:
                results.append(analyzer.analyze([text], [hint])[0])
                break
            except Exception as error:
                reason = f"{type(error).__name__}: {error}"[:300]
        else:
            logger.error("Analysis of feedback item %s failed %d times: %s", item.pk, ITEM_ATTEMPTS, reason)
            results.append(reason)
    return results


def _store_results(
    to_write: list[tuple[FeedbackItem, TextAnalysis | str]],
    topic_ids: dict[str, int],
    model_version: str,
    taxonomy_version: str,
    now,
) -> None:
    analysed = [(item, result) for item, result in to_write if not isinstance(result, str)]
    failed = [(item, result) for item, result in to_write if isinstance(result, str)]
    analysed_ids = [item.pk for item, _ in analysed]

    if analysed_ids:
        FeedbackAnalysis.objects.filter(feedback_id__in=analysed_ids, is_current=True).update(is_current=False)
        # A re-run with the same versions (new text, or forced) replaces that run instead of adding a twin.
        FeedbackAnalysis.objects.filter(
            feedback_id__in=analysed_ids, model_version=model_version, taxonomy_version=taxonomy_version
        ).delete()
        FeedbackTopic.objects.filter(feedback_id__in=analysed_ids).delete()

    analyses: dict[str, list] = {name: [] for name in _ANALYSIS_COLUMNS}
    mentions: dict[str, list] = {name: [] for name in _MENTION_COLUMNS}
    for item, result in analysed:
        data = result.as_dict()
        row = (
            item.pk,
            model_version,
            taxonomy_version,
            result.language,
            result.language_confidence,
            result.label,
            result.score,
            result.confidence,
            data["sentences"],
            data["topics"],
            True,
            now,
        )
        for name, value in zip(_ANALYSIS_COLUMNS, row, strict=True):
            analyses[name].append(value)
        for topic in result.topics:
            if topic.slug in topic_ids:
                row = (item.pk, topic_ids[topic.slug], topic.label, topic.score, topic.matches)
                for name, value in zip(_MENTION_COLUMNS, row, strict=True):
                    mentions[name].append(value)
        if result.language in ("es", "en") or not item.language:
            item.language = result.language
        item.language_confidence = result.language_confidence
        item.sentiment = result.label
        item.sentiment_score = result.score
        item.sentiment_confidence = result.confidence
        item.model_version = model_version
        item.taxonomy_version = taxonomy_version
        item.analysed_at = now
        item.analysis_status = FeedbackItem.AnalysisStatus.DONE
        item.analysis_error = ""
    for item, reason in failed:
        item.analysis_status = FeedbackItem.AnalysisStatus.FAILED
        item.analysis_error = reason
        item.analysed_at = now
    insert_columns(FeedbackAnalysis, analyses)
    insert_columns(FeedbackTopic, mentions)
    _update_items([item for item, _ in to_write])


_ANALYSIS_COLUMNS = (
    "feedback_id",
    "model_version",
    "taxonomy_version",
    "language",
    "language_confidence",
    "sentiment",
    "score",
    "confidence",
    "sentences",
    "topics",
    "is_current",
    "analysed_at",
)
_MENTION_COLUMNS = ("feedback_id", "topic_id", "sentiment", "score", "matches")


def _update_items(items: list[FeedbackItem]) -> None:
    """Write the analysis fields of many items at once.

    Django's bulk_update builds a CASE expression per field and row, which costs more than the
    NLP itself; on PostgreSQL one UPDATE joined to unnest()-ed arrays does the same in a few ms.
    """
    if connection.vendor != "postgresql":
        FeedbackItem.objects.bulk_update(items, ITEM_ANALYSIS_FIELDS)
        return
    columns = {
        "id": ("bigint", [item.pk for item in items]),
        **{name: (_SQL_TYPES[name], [getattr(item, name) for item in items]) for name in ITEM_ANALYSIS_FIELDS},
    }
    table = FeedbackItem._meta.db_table
    assignments = ", ".join(f"{name} = v.{name}" for name in ITEM_ANALYSIS_FIELDS)
    arrays = ", ".join(f"%b::{sql_type}[]" for sql_type, _ in columns.values())
    execute_prepared(
        f"UPDATE {table} AS f SET {assignments} FROM unnest({arrays}) AS v({', '.join(columns)}) WHERE f.id = v.id",
        [values for _, values in columns.values()],
    )


_SQL_TYPES = {
    "language": "text",
    "language_confidence": "double precision",
    "sentiment": "text",
    "sentiment_score": "double precision",
    "sentiment_confidence": "double precision",
    "model_version": "text",
    "taxonomy_version": "text",
    "analysed_at": "timestamptz",
    "analysis_status": "text",
    "analysis_error": "text",
}


def feedback_reanalyse(
    *,
    ids: Sequence[int],
    batch_size: int | None = None,
    force: bool = False,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Run analysis in this process over many items, batch by batch (used by `reanalyze`)."""
    written = 0
    for batch in chunked(list(ids), batch_size or settings.SENTIMENT_BATCH_SIZE):
        written += feedback_analyse_batch(ids=batch, force=force)
        if progress:
            progress(len(batch))
    return written


def feedback_retag_all() -> int:
    """After a taxonomy edit: queue every analysed item so its topics follow the new patterns."""
    ids = list(FeedbackItem.objects.order_by("pk").values_list("pk", flat=True))
    feedback_analysis_enqueue(ids)
    return len(ids)


class InvalidSentimentLabel(ApplicationError):
    code = "invalid_sentiment"
    status_code = 400


@transaction.atomic
def feedback_sentiment_correct(*, item: FeedbackItem, label: str, user) -> FeedbackItem:
    """Staff override the model's label; the correction is kept as a gold label for training.

    An empty label withdraws the correction.
    """
    if label and label not in Sentiment.values:
        raise InvalidSentimentLabel(f"Unknown sentiment {label!r}; use one of {', '.join(Sentiment.values)}.")
    item = FeedbackItem.objects.select_for_update().get(pk=item.pk)
    item.sentiment_gold = label
    item.sentiment_corrected_by = user if label else None
    item.sentiment_corrected_at = timezone.now() if label else None
    item.save(update_fields=["sentiment_gold", "sentiment_corrected_by", "sentiment_corrected_at"])
    changes_record(Source.FEEDBACK, [item.received_at])
    audit("feedback.correct_sentiment", item, actor=user, details={"label": label, "model_label": item.sentiment})
    return item


def topics_seed_default(topic_model=Topic) -> int:
    """Create the default e-commerce taxonomy; topics that already exist are left as staff edited them."""
    from sentiment.taxonomy_default import DEFAULT_TOPICS

    created = 0
    for spec in DEFAULT_TOPICS:
        _, was_created = topic_model.objects.get_or_create(
            slug=spec["slug"],
            defaults={
                "name_es": spec["name_es"],
                "name_en": spec["name_en"],
                "patterns_es": "\n".join(spec["patterns_es"]),
                "patterns_en": "\n".join(spec["patterns_en"]),
            },
        )
        created += was_created
    return created
