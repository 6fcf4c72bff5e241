from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError

from reviews import services


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, SMTPException, OSError, ConnectionError),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def review_reply_email(reply_id: int) -> bool:
    return services.review_reply_email_send(reply_id=reply_id)


@shared_task(acks_late=True, ignore_result=True)
def review_replies_email_unsent() -> int:
    return services.review_replies_email_unsent()
