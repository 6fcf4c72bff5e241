"""Business-time arithmetic for SLA clocks — pure functions, no database.

A calendar is a time zone, working periods per weekday and holidays. Business time is the real
time during which a clock on the wall in the calendar's zone shows a working period of a working
day: a minute counts when its wall-clock reading falls in a period of that reading's date, and
the date is not a holiday. Periods may end at 24:00; a night shift is two periods (22:00–24:00 and
00:00–06:00 the next day). `None` as calendar means round-the-clock time.

Daylight-saving changes follow from that one rule, and every zone is treated alike:
- An ordinary 09:00–18:00 day is nine real hours on the days the clocks change, since the
  change happens outside it.
- Spring forward: wall-clock times that are skipped never show, so they never count. A period
  that starts or ends inside the skipped hour starts or ends at the moment of the jump. In Madrid
  on 29 March 2026 (02:00 → 03:00) a 01:00–04:00 shift has two real hours, 02:30–04:00 has one
  (03:00–04:00 summer time), 01:00–02:30 has one (01:00–02:00 winter time), 02:15–02:45 none.
- Fall back: wall-clock times that repeat show twice, so they count twice. In Madrid on
  25 October 2026 (03:00 → 02:00) a 01:00–04:00 shift has four real hours and 02:30–04:00 has
  two (02:30–03:00 summer time, then 02:30–04:00 winter time); the half hour from 02:00 to 02:30
  winter time is outside it, as the wall clock says.
- In zones that change at midnight (America/Santiago) the same holds for the date: the repeated
  hour 23:00–24:00 belongs twice to the day it shows, and a period from 00:00 on the night the
  clocks jump to 01:00 starts at 01:00.
A period is turned into real time by finding the zone's offset change, if any, near it; a zone is
assumed to change its offset at most once in any two days, which every zone in use does.

An SLA clock stops while a case is paused. The due time is found by walking the stretches
between pauses (overlapping pauses count once) and spending the target on the business time
each stretch holds, so it is exact for any number and length of pauses.
"""

from __future__ import annotations

from bisect import bisect_right
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
        """The working intervals of a local date, as UTC datetimes, in order and disjoint."""
        if self.is_holiday(day):
            return []
        zone = self.zone
        pieces = []
        for period in self.periods:
            if period.weekday == day.weekday():
                pieces.extend(_wall_span_in_utc(day, period.start_minute, period.end_minute, zone))
        return _merge(pieces)


# Every real moment whose wall-clock reading lies in a span lies within this margin of it, UTC
# offsets being between −12 and +14 hours.
_EARLIEST_OFFSET, _LATEST_OFFSET = timedelta(hours=-12), timedelta(hours=14)


def _wall_span_in_utc(day: date, start_minute: int, end_minute: int, zone: ZoneInfo) -> list[tuple[datetime, datetime]]:
    """The real moments (UTC) at which the wall clock shows a time of `day` within the span.

    Before the zone's offset change (if one falls near the span) wall time is UTC + the old
    offset, after it UTC + the new one, so the span is the union of two pieces, one on each side
    of the change: a skipped hour drops out, a repeated one counts twice.
    """
    midnight = datetime.combine(day, time())
    wall_start = (midnight + timedelta(minutes=start_minute)).replace(tzinfo=UTC)
    wall_end = (midnight + timedelta(minutes=end_minute)).replace(tzinfo=UTC)
    low, high = wall_start - _LATEST_OFFSET, wall_end - _EARLIEST_OFFSET
    before, after = _offset(low, zone), _offset(high, zone)
    if before == after:
        return [(wall_start - before, wall_end - before)]
    change = _offset_change(low, high, zone, after)
    pieces = [
        (wall_start - before, min(wall_end - before, change)),
        (max(wall_start - after, change), wall_end - after),
    ]
    return [(start, end) for start, end in pieces if end > start]


def _offset(moment: datetime, zone: ZoneInfo) -> timedelta:
    return moment.astimezone(zone).utcoffset()


def _offset_change(low: datetime, high: datetime, zone: ZoneInfo, after: timedelta) -> datetime:
    """The first second in (low, high] from which the zone's offset is `after` (tz changes fall
    on whole seconds)."""
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) // 2
        middle -= timedelta(microseconds=middle.microsecond)
        if middle <= low:
            middle = low + timedelta(seconds=1)
        if _offset(middle, zone) == after:
            high = middle
        else:
            low = middle
    return high


def _merge(spans: Iterable[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """Spans as disjoint, ordered intervals: overlapping or touching ones become one."""
    merged: list[tuple[datetime, datetime]] = []
    for start, end in sorted(spans):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


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
        return start.astimezone(UTC) + duration
    # in UTC: adding to a zoned datetime would add wall-clock time, wrong across a clock change
    start = start.astimezone(UTC)
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
        return end.astimezone(UTC) - start.astimezone(UTC)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
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
    """Business time within [start, end) that falls in a pause (open pauses run to `end`);
    overlapping pauses count once."""
    stretches = _merge((max(paused_at, start), min(resumed_at or end, end)) for paused_at, resumed_at in pauses)
    return sum((business_time_between(calendar, a, b) for a, b in stretches), timedelta(0))


class WorkingTimeIndex:
    """A calendar's working intervals laid end to end with running totals, for measuring many
    spans on one calendar (the clocks of thousands of cases in a rollup): the business time
    between two moments is then two binary searches, where `business_time_between` works out the
    intervals of every date between them again for every span.

    It gives the same durations as `business_time_between` and `paused_business_time`: the
    intervals are the calendar's own (`intervals_on`), and those of different dates never overlap
    (a moment shows one wall-clock reading, of one date), so running totals add them up exactly.
    The dates covered grow as spans ask for more. It knows the calendar as it was given, so it
    lives no longer than one computation that reads the calendar once.
    """

    # Dates added around what a span needs when the index grows, at least (it grows by as much
    # as it holds, so that spans reaching ever further make it grow a few times, not once each).
    GROWTH_DAYS = 31

    def __init__(self, calendar: Calendar | None):
        self.calendar = calendar
        self._days: tuple[date, date] | None = None  # the local dates covered, first and last
        # every moment in [_low, _high) lies in a date whose neighbours are covered
        self._low = self._high = datetime.max.replace(tzinfo=UTC)
        self._starts: list[datetime] = []
        self._ends: list[datetime] = []
        self._done_before: list[timedelta] = []  # working time in the intervals before each one

    def between(self, start: datetime, end: datetime) -> timedelta:
        """As `business_time_between`."""
        if end <= start:
            return timedelta(0)
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if self.calendar is None:
            return end - start
        if not (self._low <= start and end < self._high):
            self._cover(start, end)
        return self._done_by(end) - self._done_by(start)

    def unpaused_between(self, pauses: Iterable[Pause], start: datetime, end: datetime) -> timedelta:
        """`between` less `paused_business_time`: what an SLA clock that stops in pauses shows."""
        stretches = _merge((max(paused_at, start), min(resumed_at or end, end)) for paused_at, resumed_at in pauses)
        return self.between(start, end) - sum((self.between(a, b) for a, b in stretches), timedelta(0))

    def _done_by(self, moment: datetime) -> timedelta:
        """Working time from the first covered date up to `moment`."""
        i = bisect_right(self._starts, moment) - 1
        if i < 0:
            return timedelta(0)
        return self._done_before[i] + min(moment, self._ends[i]) - self._starts[i]

    def _cover(self, start: datetime, end: datetime) -> None:
        # the dates business_time_between looks at for this span, and a margin
        zone = self.calendar.zone
        first = start.astimezone(zone).date() - timedelta(days=1)
        last = end.astimezone(zone).date() + timedelta(days=1)
        margin = timedelta(days=self.GROWTH_DAYS)
        if self._days is not None:
            held_first, held_last = self._days
            if held_first <= first and last <= held_last:
                return  # near the edge, where [_low, _high) is cautious, but held
            margin = max(margin, held_last - held_first)
            first = first - margin if first < held_first else held_first
            last = last + margin if last > held_last else held_last
        else:
            first, last = first - margin, last + margin
        self._starts, self._ends, self._done_before = [], [], []
        done, day = timedelta(0), first
        while day <= last:
            for interval_start, interval_end in self.calendar.intervals_on(day):
                self._starts.append(interval_start)
                self._ends.append(interval_end)
                self._done_before.append(done)
                done += interval_end - interval_start
            day += timedelta(days=1)
        self._days = (first, last)
        # a moment's local date is within a day of its UTC date (offsets: −12 to +14 hours)
        self._low = datetime.combine(first + timedelta(days=2), time(), tzinfo=UTC)
        self._high = datetime.combine(last - timedelta(days=1), time(), tzinfo=UTC)


def due_with_pauses(
    calendar: Calendar | None, start: datetime, target: timedelta, pauses: list[Pause]
) -> datetime | None:
    """When `target` of unpaused business time will have run; None while a pause is open.

    The clock runs in the stretches between pauses: each stretch's business time is spent on the
    target in turn, and the due time is found inside the stretch where the target runs out (or
    after the last pause). A target of zero is due at the first unpaused working moment.
    """
    if any(resumed_at is None for _, resumed_at in pauses):
        return None
    if target < timedelta(0):
        raise ValueError("target must not be negative")
    remaining, moment = target, start
    for paused_at, resumed_at in _merge((max(a, start), b) for a, b in pauses):
        if paused_at > moment:
            available = business_time_between(calendar, moment, paused_at)
            if available > timedelta(0) and remaining <= available:
                return add_business_time(calendar, moment, remaining)
            remaining -= available
        moment = max(moment, resumed_at)
    return add_business_time(calendar, moment, remaining)
