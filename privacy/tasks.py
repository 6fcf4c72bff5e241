from celery import shared_task
from django.db import OperationalError

from core.queueing import enqueue
from integrations.services import PRIVACY_REQUEST
from privacy import services, shop_requests


@shared_task(
    name=PRIVACY_REQUEST, acks_late=True, ignore_result=True, autoretry_for=(OperationalError,), retry_backoff=True
)
def shop_privacy_request_fulfil(request_id: int) -> bool:
    return shop_requests.shop_privacy_request_fulfil(request_id=request_id)


@shared_task(acks_late=True, ignore_result=True)
def shop_privacy_requests_sweep() -> int:
    """Requests whose hand-over was lost (broker down) are carried out here."""
    pending = shop_requests.shop_privacy_requests_pending()
    for request_id in pending:
        enqueue(shop_privacy_request_fulfil, request_id)
    return len(pending)


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(OperationalError,), retry_backoff=True)
def customers_erase_past_retention() -> int:
    """Daily: erase customers kept longer than the retention period set on the Settings page."""
    return services.customers_erase_past_retention()
