from celery import shared_task
from django.db import OperationalError


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def invitation_email_send(invitation_id: int) -> None:
    from accounts.emails import invitation_email_send as send

    send(invitation_id=invitation_id)
