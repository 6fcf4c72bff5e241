from celery import shared_task

from analytics import alerts


@shared_task(acks_late=True, ignore_result=True)
def alerts_check() -> int:
    return alerts.alerts_check()
