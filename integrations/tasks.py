from celery import shared_task
from django.db import OperationalError

from core.queueing import enqueue
from integrations import services


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def delivery_process(delivery_id: int) -> bool:
    return services.delivery_process(delivery_id=delivery_id)


@shared_task(acks_late=True, ignore_result=True)
def deliveries_requeue() -> int:
    return len(services.deliveries_requeue())


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=3)
def prestashop_sync(connector_id: int) -> int:
    return services.prestashop_sync(connector_id=connector_id)


@shared_task(acks_late=True, ignore_result=True)
def connectors_poll() -> int:
    """Beat's entry point: one sync task per PrestaShop connector, so a slow shop holds up no other."""
    due = services.prestashop_connectors_due()
    for connector_id in due:
        enqueue(prestashop_sync, connector_id)
    return len(due)
