"""The stages a feedback item goes through after it is written, and the tasks that carry it.

A channel (survey, review, mention, website) writes an item as `pending` and hands it on by the
task *name* below; the layer that does the next step registers a task under that name. Names, not
imports: the feedback layer sits below the analysis and the triage, and must not reach up to them.

    written ──ANALYSE──▶ sentiment (language, sentiment, topics) ──ANALYSED──▶ support (a complaint
    may open a case: support/reactions.py)

Nothing is lost when the broker is down: an item stays `pending` (or, once analysed, a complaint
stays without a case) and the sweeps of the layer above hand it on again.
"""

from collections.abc import Sequence

from django.conf import settings
from django.db import transaction

from core.queueing import BatchedHandOver, enqueue

# Registered by sentiment.tasks.analyse_feedback.
ANALYSE = "feedback.analyse"
# Registered by support.reactions.complaints_triage.
ANALYSED = "feedback.analysed"

_analysis_hand_over = BatchedHandOver(
    ANALYSE,
    delay=lambda: settings.SENTIMENT_HANDOVER_DELAY_MS / 1000,
    batch_size=lambda: settings.SENTIMENT_BATCH_SIZE,
)


def feedback_analysis_enqueue(ids: Sequence[int]) -> None:
    """Queue new or changed items for analysis once the transaction that wrote them commits.

    If the broker is down the items simply stay `pending`; the periodic sweep queues them again.
    """
    ids = list(ids)
    if ids:
        transaction.on_commit(lambda: _analysis_hand_over.add(ids))


def feedback_analysed_announce(ids: Sequence[int]) -> None:
    """Tell the layers above that these items have a fresh analysis, once the transaction commits."""
    ids = list(ids)
    if ids:
        transaction.on_commit(lambda: enqueue(ANALYSED, ids))
