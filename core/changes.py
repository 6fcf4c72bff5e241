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
from core.prepared import rows_insert

Source = ChangedDay.Source


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def changes_record(source: str, moments: Iterable[datetime | date | None]) -> None:
    """Record that rows of `source` dated on these moments (or days) changed.

    One plain INSERT: every writer calls this in its transaction, and bulk_create cost as much CPU
    as the survey submission's own writes.
    """
    days = {m if isinstance(m, date) and not isinstance(m, datetime) else local_day(m) for m in moments if m}
    if days:
        now = timezone.now()
        rows_insert(ChangedDay, ("source", "day", "marked_at"), [(source, day, now) for day in days])
