from celery import shared_task

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
def segments_refresh() -> int:
    """Nightly: recompute every customer's RFM segment; returns how many changed segment."""
    from customers.segments import segments_refresh

    return segments_refresh().changed
