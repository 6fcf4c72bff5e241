from celery import shared_task
from django.db import InterfaceError, OperationalError

from core import webhooks


@shared_task(
    name=webhooks.DELIVER_TASK,
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    max_retries=5,
)
def webhooks_deliver(event_ids: list[int] | None = None) -> dict[str, int]:
    """Send what is due. The ids only say why it woke: every run takes every due delivery, and a
    delivery claimed by one run is left alone by the others, so running it twice sends nothing twice."""
    return webhooks.webhooks_dispatch()
