import logging
import time

from celery import Task
from django.conf import settings

logger = logging.getLogger(__name__)
# Until when (monotonic clock) this process treats the broker as down after a failed hand-over.
_broker_down_until = 0.0


def enqueue(task: Task, *args, **kwargs) -> bool:
    """Hand a task to the broker without letting a broker outage fail the caller.

    Whatever is not queued stays recorded in the database as not yet done, and a periodic
    sweep hands it over again, so a Redis outage delays work but never loses it. After a failure
    the process stops trying for BROKER_RETRY_AFTER_SECONDS: each attempt against a dead broker
    costs about a second, which every request would otherwise pay.
    """
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return False  # the broker failed moments ago: do not make this request wait to find out again
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception:  # kombu raises several unrelated types when the broker is unreachable
        logger.warning("Could not enqueue %s; the sweep will retry it", task.name, exc_info=True)
        _broker_down_until = time.monotonic() + settings.BROKER_RETRY_AFTER_SECONDS
        return False
    return True
