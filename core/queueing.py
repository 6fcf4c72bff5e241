import logging

from celery import Task

logger = logging.getLogger(__name__)


def enqueue(task: Task, *args, **kwargs) -> bool:
    """Hand a task to the broker without letting a broker outage fail the caller.

    Whatever is not queued stays recorded in the database as not yet done, and a periodic
    sweep hands it over again, so a Redis outage delays work but never loses it.
    """
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except Exception:  # kombu raises several unrelated types when the broker is unreachable
        logger.warning("Could not enqueue %s; the sweep will retry it", task.name, exc_info=True)
        return False
    return True
