from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError

from support import notifications, services
from support.reactions import complaints_triage  # noqa: F401  (registered under its pipeline name)


@shared_task(acks_late=True, ignore_result=True)
def sla_check() -> int:
    return services.sla_check()


@shared_task(acks_late=True, ignore_result=True)
def cases_sweep() -> int:
    return services.cases_sweep()


EMAIL_RETRY = {
    "acks_late": True,
    "ignore_result": True,
    "autoretry_for": (OperationalError, SMTPException, OSError, ConnectionError),
    "retry_backoff": 30,
    "retry_backoff_max": 3600,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(**EMAIL_RETRY)
def case_reply_email(message_id: int) -> bool:
    return notifications.case_reply_email_send(message_id=message_id)


@shared_task(**EMAIL_RETRY)
def case_followup(case_id: int) -> bool:
    return notifications.case_followup_send(case_id=case_id)


@shared_task(acks_late=True, ignore_result=True)
def followups_unsent() -> int:
    return len(notifications.followups_dispatch_unsent())


@shared_task(**EMAIL_RETRY)
def case_owner_email(case_id: int, reason: str) -> int:
    return len(notifications.case_owner_email_send(case_id=case_id, reason=reason))


@shared_task(**EMAIL_RETRY)
def winback_email(email_id: int) -> bool:
    from support.winback import winback_email_send

    return winback_email_send(email_id=email_id)


@shared_task(acks_late=True, ignore_result=True)
def winback_emails_unsent() -> int:
    from support.winback import winback_emails_dispatch_unsent

    return len(winback_emails_dispatch_unsent())


@shared_task(acks_late=True, ignore_result=True, autoretry_for=(OperationalError,), max_retries=3)
def winback_rule_run() -> int:
    from support.winback import winback_rule_run as run

    return run()


@shared_task(ignore_result=True)
def mailbox_poll() -> int:
    from django.core.cache import cache

    from support.mailbox import mailbox_poll as poll

    # one reader at a time: a slow mailbox must not have the next beat tick read the same emails
    if not cache.add("voz:mailbox_poll", 1, timeout=600):
        return 0
    try:
        return poll().seen
    finally:
        cache.delete("voz:mailbox_poll")


# Not retried by Celery: a failed send is recorded on its row and retried, with backoff, by the sweep.
@shared_task(acks_late=True, ignore_result=True, autoretry_for=(OperationalError,), max_retries=3)
def notification_deliveries_send(delivery_ids: list[int]) -> int:
    from support.notify import deliveries_send

    return deliveries_send(ids=delivery_ids)


@shared_task(acks_late=True, ignore_result=True)
def notification_deliveries_send_due() -> int:
    from support.notify import deliveries_send_due

    return deliveries_send_due()
