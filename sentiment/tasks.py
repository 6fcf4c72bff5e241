from celery import shared_task
from django.db import InterfaceError, OperationalError

from feedback import pipeline
from sentiment import services


@shared_task(
    name=pipeline.ANALYSE,
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=8,
)
def analyse_feedback(feedback_ids: list[int]) -> int:
    return services.feedback_analyse_batch(ids=feedback_ids)


@shared_task(acks_late=True, ignore_result=True)
def analyse_pending_feedback() -> int:
    return services.feedback_pending_sweep()
