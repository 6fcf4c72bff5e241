"""What support does when something happens below it: the one place where triage reacts.

The layers below announce by task name (feedback.pipeline) and never import support; the reactions
are registered here under those names and call down into support's services. A reaction that
could not be queued (broker down) is caught up by `cases_sweep`, which looks for complaints that
were analysed but have no case.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError

from feedback import pipeline
from support import services


@shared_task(
    name=pipeline.ANALYSED,
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    max_retries=8,
)
def complaints_triage(feedback_ids: list[int]) -> int:
    """An analysed item that is a complaint (a detractor, a 1–2 star review, a negative mention)
    opens a case, or joins its customer's open one."""
    return len(services.cases_open_for_feedback(ids=feedback_ids))
