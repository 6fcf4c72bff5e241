from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError


@shared_task(
    acks_late=True, ignore_result=True, autoretry_for=(OperationalError, SMTPException, OSError), max_retries=3
)
def outbound_emails_retry_due() -> int:
    from customers.emailing import outbound_emails_retry_due as retry

    return retry()
