"""Dashboards read from a PostgreSQL streaming replica when one is configured
(DATABASE_REPLICA_URL, alias "replica"); everything else, and every write, stays on the primary.

Only reads that say they are a dashboard's (inside `replica_reads()`, which analytics'
`fresh_for_the_read` opens once the rollups are known to be current on the primary) go to the
replica: the freshness check and the refresh it may run must see and change the primary. A read
inside a transaction stays on the primary too, so that it sees that transaction's own writes. The
replica lags the primary by its replication delay, usually well under a second.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

_dashboard_read: ContextVar[bool] = ContextVar("dashboard_read", default=False)


@contextmanager
def replica_reads() -> Iterator[None]:
    """Reads made inside go to the replica, if there is one."""
    token = _dashboard_read.set(True)
    try:
        yield
    finally:
        _dashboard_read.reset(token)


class DashboardReplicaRouter:
    def db_for_read(self, model, **hints) -> str | None:
        if (
            _dashboard_read.get()
            and REPLICA in settings.DATABASES
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        return None

    def db_for_write(self, model, **hints) -> str:
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints) -> bool:
        # the replica holds the primary's rows: an object read from either relates to any other
        return True

    def allow_migrate(self, db: str, app_label: str, **hints) -> bool:
        return db != REPLICA  # a streaming replica is read-only; it follows the primary's schema
