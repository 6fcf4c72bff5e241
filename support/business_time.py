"""Business-time arithmetic for SLA clocks — pure functions, no database.

A calendar is a time zone, working periods per weekday and holidays. Business time is the
real time elapsed inside working periods: each period's wall-clock boundaries are turned
into UTC on its own day, so a 09:00–18:00 day is nine real hours even across a daylight-saving
change, and a period that spans the change (01:00–04:00 on the spring-forward night in Madrid)
counts the two real hours it has. Periods may end at 24:00; a night shift is two periods
(22:00–24:00 and 00:00–06:00 the next day). `None` as calendar means round-the-clock time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_SEARCH_DAYS = 366 * 5  # a calendar with no working time at all must not loop forever
END_OF_DAY = 24 * 60


class CalendarHasNoWorkingTime(ValueError):
    pass


@dataclass(frozen=True, order=True)
class Period:
    weekday: int  # Monday 0 … Sunday 6
    start_minute: int  # minutes after local midnight
    end_minute: int  # up to 1440 (24:00)

    @classmethod
    def of(cls, weekday: int, start: str, end: str) -> Period:
        def minutes(text: str) -> int:
            hours, mins = text.split(":")
            return int(hours) * 60 + int(mins)

        return cls(weekday, minutes(start), minutes(end))


@dataclass(frozen=True)
class Calendar:
    time_zone: str
    periods: tuple[Period, ...]
    holidays: frozenset[date] = field(default_factory=frozenset)
    yearly_holidays: frozenset[tuple[int, int]] = field(default_factory=frozenset)  # (month, day)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def is_holiday(self, day: date) -> bool:
        return day in self.holidays or (day.month, day.day) in self.yearly_holidays

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The working intervals of a local date, as UTC datetimes, in order."""
        if self.is_holiday(day):
            return []
        zone = self.zone
        intervals = []
        for period in sorted(p for p in self.periods if p.weekday == day.weekday()):
            start = _local_to_utc(day, period.start_minute, zone)
            end = _local_to_utc(day, period.end_minute, zone)
            if end > start:
                intervals.append((start, end))
        return intervals


def _local_to_utc(day: date, minute: int, zone: ZoneInfo) -> datetime:
    if minute >= END_OF_DAY:
        day, minute = day + timedelta(days=1), minute - END_OF_DAY
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    return local.astimezone(UTC)


def _intervals_from(calendar: Calendar, moment: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Working intervals (UTC) that end after `moment`, clipped to start no earlier than it."""
    day = moment.astimezone(calendar.zone).date() - timedelta(days=1)
    for _ in range(MAX_SEARCH_DAYS):
        for start, end in calendar.intervals_on(day):
            if end > moment:
                yield max(start, moment), end
        day += timedelta(days=1)
    raise CalendarHasNoWorkingTime(f"No working time within {MAX_SEARCH_DAYS} days in {calendar.time_zone}")


def add_business_time(calendar: Calendar | None, start: datetime, duration: timedelta) -> datetime:
    """The moment `duration` of business time after `start` (an aware datetime)."""
    if duration < timedelta(0):
        raise ValueError("duration must not be negative")
    if calendar is None:
        return start + duration
    remaining = duration
    for interval_start, interval_end in _intervals_from(calendar, start):
        available = interval_end - interval_start
        if remaining <= available:
            # A zero duration outside working hours lands on the next opening, like any other.
            return interval_start + remaining
        remaining -= available
    raise CalendarHasNoWorkingTime(calendar.time_zone)  # unreachable: _intervals_from raises first


def business_time_between(calendar: Calendar | None, start: datetime, end: datetime) -> timedelta:
    """Business time elapsed from `start` to `end` (zero when end is not after start)."""
    if end <= start:
        return timedelta(0)
    if calendar is None:
        return end - start
    total = timedelta(0)
    day = start.astimezone(calendar.zone).date() - timedelta(days=1)
    last = end.astimezone(calendar.zone).date() + timedelta(days=1)
    while day <= last:
        for interval_start, interval_end in calendar.intervals_on(day):
            overlap = min(interval_end, end) - max(interval_start, start)
            if overlap > timedelta(0):
                total += overlap
        day += timedelta(days=1)
    return total


Pause = tuple[datetime, datetime | None]  # (paused at, resumed at or None while still paused)


def paused_business_time(
    calendar: Calendar | None, pauses: Iterable[Pause], start: datetime, end: datetime
) -> timedelta:
    total = timedelta(0)
    for paused_at, resumed_at in pauses:
        total += business_time_between(calendar, max(paused_at, start), min(resumed_at or end, end))
    return total


def due_with_pauses(
    calendar: Calendar | None, start: datetime, target: timedelta, pauses: list[Pause]
) -> datetime | None:
    """When `target` of unpaused business time will have run; None while a pause is open.

    Pauses push the due time back by the business time they cover; pushing it back can bring a
    later pause into range, so this repeats until the due time stops moving.
    """
    if any(resumed_at is None for _, resumed_at in pauses):
        return None
    due = add_business_time(calendar, start, target)
    for _ in range(len(pauses) + 2):
        paused = paused_business_time(calendar, pauses, start, due)
        moved = add_business_time(calendar, start, target + paused)
        if moved == due:
            break
        due = moved
    return due
