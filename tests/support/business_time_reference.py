"""A slow, obviously-right business clock for checking `support.business_time` against.

It walks real time one minute at a time and asks of each minute only what a person would: does a
clock on the wall in the calendar's zone show a working time of a working day, and is the case
paused? Nothing is shared with the module under test but the `Calendar` description.
"""

from datetime import UTC, datetime, timedelta

from support.business_time import Calendar, Pause

MINUTE = timedelta(minutes=1)


def is_working_minute(calendar: Calendar, moment: datetime) -> bool:
    """Whether the minute that starts at `moment` is working time, read off the wall clock."""
    wall = moment.astimezone(calendar.zone)
    if calendar.is_holiday(wall.date()):
        return False
    minute_of_day = wall.hour * 60 + wall.minute
    return any(p.weekday == wall.weekday() and p.start_minute <= minute_of_day < p.end_minute for p in calendar.periods)


def is_paused(pauses: list[Pause], moment: datetime) -> bool:
    return any(start <= moment < end for start, end in pauses)


def due_by_walking(calendar: Calendar, start: datetime, target: timedelta, pauses: list[Pause]) -> datetime:
    """The first moment by which `target` of unpaused working time has run since `start`
    (all inputs on whole minutes; a positive target)."""
    moment, counted = start.astimezone(UTC), timedelta(0)
    while counted < target:
        if is_working_minute(calendar, moment) and not is_paused(pauses, moment):
            counted += MINUTE
        moment += MINUTE
    return moment


def working_time_by_walking(calendar: Calendar, start: datetime, end: datetime) -> timedelta:
    moment, counted = start.astimezone(UTC), timedelta(0)
    while moment < end:
        counted += MINUTE if is_working_minute(calendar, moment) else timedelta(0)
        moment += MINUTE
    return counted
