import logging
import threading
import time
from collections.abc import Callable

from celery import Task
from django.conf import settings

logger = logging.getLogger(__name__)
# Until when (monotonic clock) this process treats the broker as down after a failed hand-over.
_broker_down_until = 0.0


def task_named(name: str) -> Task:
    """The task registered under `name`: lower layers hand work up by name, never by import.

    Looked up in the project's Celery app, not Celery's "current app", which is kept per thread:
    web processes send their gathered hand-overs from a timer thread.
    """
    from config.celery import app

    if name not in app.tasks:
        # A web process has not imported the apps' task modules (workers do at start): do it once.
        app.loader.import_default_modules()
    return app.tasks[name]


def enqueue(task: Task | str, *args, **kwargs) -> bool:
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
        if isinstance(task, str):
            task = task_named(task)
        task.apply_async(args=args, kwargs=kwargs)
    except Exception:  # kombu raises several unrelated types when the broker is unreachable
        logger.warning("Could not enqueue %s; the sweep will retry it", getattr(task, "name", task), exc_info=True)
        _broker_down_until = time.monotonic() + settings.BROKER_RETRY_AFTER_SECONDS
        return False
    return True


class BatchedHandOver:
    """Gathers ids handed over within `delay` seconds into one task per `batch_size` ids.

    A busy web process would otherwise publish one message per request (about a sixth of a survey
    submission's CPU); gathered, the workers also get fuller batches. Ids still waiting when the
    process dies are not lost: they are recorded as pending in the database and the periodic sweep
    queues them again. With eager tasks (tests, the embedded default) or a zero delay, each
    hand-over goes at once.
    """

    def __init__(self, task: Task | str, *, delay: Callable[[], float] | float, batch_size: Callable[[], int] | int):
        # Settings are read when used (tests change them), so they may come as callables.
        self._task = task
        self._delay = delay if callable(delay) else (lambda: delay)
        self._batch_size = batch_size if callable(batch_size) else (lambda: batch_size)
        self._lock = threading.Lock()
        self._ids: list[int] = []
        self._timer: threading.Timer | None = None

    def add(self, ids: list[int]) -> None:
        delay = self._delay()
        if delay <= 0 or settings.CELERY_TASK_ALWAYS_EAGER:
            self._send(ids)
            return
        with self._lock:
            self._ids.extend(ids)
            if self._timer is None:
                self._timer = threading.Timer(delay, self.flush)
                self._timer.daemon = True
                self._timer.start()

    def flush(self) -> None:
        with self._lock:
            ids, self._ids, self._timer = self._ids, [], None
        self._send(ids)

    def _send(self, ids: list[int]) -> None:
        size = self._batch_size()
        for start in range(0, len(ids), size):
            enqueue(self._task, ids[start : start + size])
