from celery import shared_task
from django.db import InterfaceError, OperationalError

from support import services


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    max_retries=8,
)
def open_cases_for_feedback(feedback_ids: list[int]) -> int:
    return len(services.cases_open_for_feedback(ids=feedback_ids))


@shared_task(acks_late=True, ignore_result=True)
def sla_check() -> int:
    return services.sla_check()
