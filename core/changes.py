"""The change log: which days of which source tables were written.

A writer calls `changes_record(source, moments)` inside its transaction; whatever keeps figures
derived from those tables (the dashboard rollups) reads the log on its own time and deletes what it
has taken into account. The log lives here, at the bottom, so that writers depend on nothing above
them: they say what they changed, not who should care.
"""

from collections.abc import Iterable
from datetime import date, datetime

from django.utils import timezone

from core.models import ChangedDay
from core.prepared import Statement, rows_insert_statement, statements_run

Source = ChangedDay.Source


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def changes_statement(source: str, moments: Iterable[datetime | date | None]) -> Statement | None:
    """The INSERT that records that rows of `source` dated on these moments (or days) changed,
    for a writer that sends it with its own statements (core.prepared.statements_run)."""
    days = {m if isinstance(m, date) and not isinstance(m, datetime) else local_day(m) for m in moments if m}
    if not days:
        return None
    now = timezone.now()
    return rows_insert_statement(ChangedDay, ("source", "day", "marked_at"), [(source, day, now) for day in days])


def changes_record(source: str, moments: Iterable[datetime | date | None]) -> None:
    """Record that rows of `source` dated on these moments (or days) changed.

    One plain INSERT: every writer calls this in its transaction, and bulk_create cost as much CPU
    as the survey submission's own writes.
    """
    statement = changes_statement(source, moments)
    if statement is not None:
        statements_run(statement)
