from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError

from analytics import alerts


@shared_task(acks_late=True, ignore_result=True)
def alerts_check() -> int:
    return alerts.alerts_check()


@shared_task(acks_late=True, ignore_result=True)
def rollups_refresh() -> dict:
    """Recompute the dashboard rollups of the days that changed; idempotent and cheap when none did."""
    from analytics import rollups

    done = rollups.refresh()
    rollups.retention_snapshots_warm()
    return done


@shared_task(acks_late=True, ignore_result=True)
def rollups_rebuild() -> dict:
    """Recount every day of the rollups, in the shop's time zone (after the Settings page changed it)."""
    from analytics import rollups

    return rollups.rebuild_in_current_zone()


@shared_task(acks_late=True, ignore_result=True)
def segments_refresh() -> int:
    """Nightly: recompute every customer's RFM segment; returns how many changed segment."""
    from customers.segments import segments_refresh

    return segments_refresh().changed


@shared_task(acks_late=True, ignore_result=True)
def digests_queue(frequency: str) -> int:
    """Beat: owe every subscribed manager the period that just closed, and queue it."""
    from analytics.digests import digests_queue

    return len(digests_queue(frequency=frequency))


@shared_task(acks_late=True, ignore_result=True)
def digests_unsent() -> int:
    from analytics.digests import digests_dispatch_unsent

    return len(digests_dispatch_unsent())


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError, SMTPException, OSError, ConnectionError),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def digest_email(delivery_id: int) -> bool:
    from analytics.digests import digest_email_send

    return digest_email_send(delivery_id=delivery_id)
