from celery import shared_task
from django.db import InterfaceError, OperationalError

from feedback import pipeline
from sentiment import learning, services


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


@shared_task(acks_late=True, ignore_result=True)
def retrain_model(model_id: int) -> None:
    learning.model_retrain(model_id=model_id)


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    max_retries=8,
)
def reanalyse_for_model(model_id: int) -> None:
    # a slice at a time, each its own task: a worker restart loses at most one slice
    if learning.model_reanalyse(model_id=model_id):
        reanalyse_for_model.delay(model_id)
