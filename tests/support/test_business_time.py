"""Business-time arithmetic for SLA clocks: nights, weekends, holidays, split days, DST, four zones."""

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from support.business_time import (
    Calendar,
    CalendarHasNoWorkingTime,
    Period,
    add_business_time,
    business_time_between,
    due_with_pauses,
)

MADRID = ZoneInfo("Europe/Madrid")


def weekdays(start: str, end: str, days=range(5)) -> tuple[Period, ...]:
    return tuple(Period.of(day, start, end) for day in days)


def calendar(zone="Europe/Madrid", periods=None, holidays=(), yearly=()) -> Calendar:
    return Calendar(zone, periods or weekdays("09:00", "18:00"), frozenset(holidays), frozenset(yearly))


def local(zone: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


def at(*args) -> datetime:
    return local("Europe/Madrid", *args)


def test_time_within_one_day():
    assert add_business_time(calendar(), at(2026, 3, 2, 10, 0), timedelta(hours=2)) == at(2026, 3, 2, 12, 0)


def test_overnight_carries_to_the_next_morning():
    # Monday 17:00 + 3 h = 1 h on Monday, 2 h on Tuesday
    assert add_business_time(calendar(), at(2026, 3, 2, 17, 0), timedelta(hours=3)) == at(2026, 3, 3, 11, 0)


def test_a_weekend_is_skipped():
    assert add_business_time(calendar(), at(2026, 3, 6, 16, 0), timedelta(hours=4)) == at(2026, 3, 9, 11, 0)


def test_a_start_outside_working_hours_waits_for_the_opening():
    assert add_business_time(calendar(), at(2026, 3, 7, 12, 0), timedelta(hours=1)) == at(2026, 3, 9, 10, 0)
    assert add_business_time(calendar(), at(2026, 3, 2, 6, 30), timedelta(0)) == at(2026, 3, 2, 9, 0)


def test_fixed_and_yearly_holidays_are_skipped():
    cal = calendar(holidays={date(2026, 4, 2)}, yearly={(12, 25)})

    assert add_business_time(cal, at(2026, 4, 1, 17, 0), timedelta(hours=2)) == at(2026, 4, 3, 10, 0)
    # 25 December 2028 is a Monday: the yearly holiday applies every year
    assert add_business_time(cal, at(2028, 12, 22, 17, 0), timedelta(hours=2)) == at(2028, 12, 26, 10, 0)


def test_several_periods_a_day():
    split = calendar(periods=weekdays("09:00", "14:00") + weekdays("16:00", "19:00"))

    assert add_business_time(split, at(2026, 3, 2, 13, 0), timedelta(hours=2)) == at(2026, 3, 2, 17, 0)
    assert business_time_between(split, at(2026, 3, 2, 8, 0), at(2026, 3, 2, 20, 0)) == timedelta(hours=8)


def test_a_period_ending_at_midnight_and_a_night_shift():
    night = calendar(periods=(Period.of(0, "22:00", "24:00"), Period.of(1, "00:00", "06:00")))

    assert add_business_time(night, at(2026, 3, 2, 23, 0), timedelta(hours=3)) == at(2026, 3, 3, 2, 0)


def test_spring_forward_in_madrid_counts_real_hours():
    # 29 March 2026: clocks jump from 02:00 to 03:00; a 01:00–04:00 shift has two real hours.
    shift = calendar(periods=(Period.of(6, "01:00", "04:00"),))

    assert business_time_between(shift, at(2026, 3, 29, 0, 0), at(2026, 3, 29, 5, 0)) == timedelta(hours=2)
    assert add_business_time(shift, at(2026, 3, 29, 1, 0), timedelta(hours=1, minutes=30)) == at(2026, 3, 29, 3, 30)
    # an ordinary working day keeps its nine hours across the change weekend
    assert business_time_between(calendar(), at(2026, 3, 27, 9, 0), at(2026, 3, 30, 18, 0)) == timedelta(hours=18)


def test_fall_back_in_madrid_counts_real_hours():
    # 25 October 2026: 03:00 becomes 02:00 again; a 01:00–04:00 shift has four real hours.
    shift = calendar(periods=(Period.of(6, "01:00", "04:00"),))

    assert business_time_between(shift, at(2026, 10, 24, 23, 0), at(2026, 10, 25, 5, 0)) == timedelta(hours=4)
    due = add_business_time(calendar(), at(2026, 10, 23, 17, 0), timedelta(hours=2))
    assert due == at(2026, 10, 26, 10, 0) and due.astimezone(MADRID).utcoffset() == timedelta(hours=1)


@pytest.mark.parametrize(
    ("zone", "offset"),
    [("America/Mexico_City", -6), ("America/Bogota", -5), ("America/Argentina/Buenos_Aires", -3)],
)
def test_zones_without_daylight_saving_keep_their_offset_all_year(zone, offset):
    cal = calendar(zone)
    for month in (1, 4, 7, 10):
        start = local(zone, 2026, month, 6, 17, 0)
        start += timedelta(days=(7 - start.weekday()) % 7)  # a Monday
        due = add_business_time(cal, start, timedelta(hours=2))
        assert due.astimezone(ZoneInfo(zone)).hour == 10
        assert due.astimezone(ZoneInfo(zone)).utcoffset() == timedelta(hours=offset)
        assert due.astimezone(UTC).hour == 10 - offset


def test_mexico_city_no_longer_changes_clocks_in_april():
    cal = calendar("America/Mexico_City")
    # First Sunday of April 2026 used to be the DST switch until 2022.
    friday = local("America/Mexico_City", 2026, 4, 3, 17, 0)
    assert add_business_time(cal, friday, timedelta(hours=2)) == local("America/Mexico_City", 2026, 4, 6, 10, 0)


def test_many_weeks_and_zero():
    start = at(2026, 1, 5, 9, 0)  # Monday
    assert add_business_time(calendar(), start, timedelta(hours=9 * 5 * 8)) == at(2026, 2, 27, 18, 0)
    assert add_business_time(calendar(), at(2026, 1, 5, 11, 0), timedelta(0)) == at(2026, 1, 5, 11, 0)


def test_round_the_clock_without_a_calendar():
    start = at(2026, 3, 7, 23, 0)
    assert add_business_time(None, start, timedelta(hours=5)) == start + timedelta(hours=5)
    assert business_time_between(None, start, start + timedelta(hours=30)) == timedelta(hours=30)


def test_a_calendar_without_working_time_is_an_error_not_a_hang():
    with pytest.raises(CalendarHasNoWorkingTime):
        add_business_time(Calendar("Europe/Madrid", ()), at(2026, 3, 2, 9, 0), timedelta(hours=1))


def test_pauses_push_the_due_time_back_by_the_business_time_they_cover():
    start = at(2026, 3, 2, 9, 0)
    pauses = [(at(2026, 3, 2, 10, 0), at(2026, 3, 3, 10, 0))]  # 9 business hours paused

    assert due_with_pauses(calendar(), start, timedelta(hours=4), pauses) == at(2026, 3, 3, 13, 0)
    assert due_with_pauses(calendar(), start, timedelta(hours=4), [(at(2026, 3, 2, 10, 0), None)]) is None


def test_adding_then_measuring_gives_back_the_same_duration():
    rng = random.Random(20261124)
    cal = calendar(periods=weekdays("09:00", "14:00") + weekdays("15:30", "19:00"), yearly={(1, 1), (12, 25)})
    for _ in range(300):
        start = at(2026, 1, 1, 0, 0) + timedelta(minutes=rng.randint(0, 60 * 24 * 360))
        duration = timedelta(minutes=rng.randint(0, 60 * 200))
        due = add_business_time(cal, start, duration)
        assert business_time_between(cal, start, due) == duration, (start, duration)
