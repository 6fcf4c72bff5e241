from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError

from core.queueing import enqueue
from customers.services import ORDER_CANCELLED
from surveys import services

TRANSIENT_ERRORS = (OperationalError, SMTPException, OSError, ConnectionError)


@shared_task(acks_late=True, ignore_result=True)
def invitations_schedule_due() -> int:
    return len(services.invitations_schedule_due())


@shared_task(name=ORDER_CANCELLED, acks_late=True, ignore_result=True)
def invitations_cancel_for_order(order_id: int) -> int:
    return services.invitations_cancel_for_order(order_id=order_id)


@shared_task(acks_late=True, ignore_result=True)
def invitations_dispatch_unsent() -> int:
    return len(services.invitations_dispatch_unsent())


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def invitation_send(invitation_id: int) -> bool:
    return services.invitation_send(invitation_id=invitation_id)


@shared_task(acks_late=True, ignore_result=True)
def invitations_send_reminders() -> int:
    due = services.invitations_due_for_reminder()
    for invitation_id in due:
        enqueue(invitation_remind, invitation_id)
    return len(due)


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def invitation_remind(invitation_id: int) -> bool:
    return services.invitation_remind(invitation_id=invitation_id)


@shared_task(acks_late=True, ignore_result=True)
def invitations_expire() -> int:
    return services.invitations_expire()


@shared_task(acks_late=True, ignore_result=True)
def lapsed_customers_invite() -> int:
    return services.lapsed_customers_invite()
