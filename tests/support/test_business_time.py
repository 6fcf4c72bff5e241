"""Business-time arithmetic for SLA clocks: nights, weekends, holidays, split days, DST, four zones,
and due times after any pauses, checked against a minute-by-minute walk of the wall clock."""

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.business_time import (
    Calendar,
    CalendarHasNoWorkingTime,
    Period,
    WorkingTimeIndex,
    add_business_time,
    business_time_between,
    due_with_pauses,
    paused_business_time,
)
from tests.support.business_time_reference import due_by_walking, working_time_by_walking

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


# ---------------------------------------------------------------------------------------
# Due times after pauses, against the minute-by-minute reference
# ---------------------------------------------------------------------------------------
SPLIT_DAY = weekdays("09:00", "14:00") + weekdays("16:00", "19:00")
# Spain's national holidays: the fixed ones every year, Good Friday by date.
SPANISH_HOLIDAYS = Calendar(
    "Europe/Madrid",
    SPLIT_DAY,
    frozenset({date(2026, 4, 3), date(2027, 3, 26)}),
    frozenset({(1, 1), (1, 6), (5, 1), (8, 15), (10, 12), (11, 1), (12, 6), (12, 8), (12, 25)}),
)


def test_a_pause_over_the_due_time_moves_it_past_the_pause():
    # Due Tuesday 09:12 unpaused (Monday 09:00 + 8 h 12 min of a 5 + 3 h day); the case waits for
    # the customer from Tuesday 07:55 to the next Thursday 07:55, so it is due that Thursday 09:12,
    # not on Tuesday, when it would have shown as overdue all week.
    start, target = at(2026, 3, 2, 9, 0), timedelta(hours=8, minutes=12)
    pauses = [(at(2026, 3, 3, 7, 55), at(2026, 3, 12, 7, 55))]

    assert add_business_time(SPANISH_HOLIDAYS, start, target) == at(2026, 3, 3, 9, 12)
    assert due_with_pauses(SPANISH_HOLIDAYS, start, target, pauses) == at(2026, 3, 12, 9, 12)
    assert due_by_walking(SPANISH_HOLIDAYS, start, target, pauses) == at(2026, 3, 12, 9, 12)


def test_a_long_pause_followed_by_more_pauses_is_not_cut_short():
    # Three pauses in a row, each starting where the last left the due time: every one counts.
    start, target = at(2026, 3, 2, 9, 0), timedelta(hours=4)
    pauses = [
        (at(2026, 3, 2, 12, 0), at(2026, 3, 9, 9, 0)),
        (at(2026, 3, 9, 9, 30), at(2026, 3, 16, 9, 0)),
        (at(2026, 3, 16, 9, 15), at(2026, 4, 13, 9, 0)),
    ]

    # 3 h + 30 min + 15 min before the pauses, the last 15 min after them
    assert due_with_pauses(SPANISH_HOLIDAYS, start, target, pauses) == at(2026, 4, 13, 9, 15)


def test_overlapping_pauses_stop_the_clock_once():
    start, target = at(2026, 3, 2, 9, 0), timedelta(hours=4)
    pauses = [(at(2026, 3, 2, 10, 0), at(2026, 3, 2, 12, 0)), (at(2026, 3, 2, 11, 0), at(2026, 3, 2, 13, 0))]

    assert due_with_pauses(calendar(), start, target, pauses) == at(2026, 3, 2, 16, 0)
    assert paused_business_time(calendar(), pauses, start, at(2026, 3, 2, 18, 0)) == timedelta(hours=3)


def test_round_the_clock_pauses_add_their_length():
    start = at(2026, 3, 7, 23, 0)
    pauses = [
        (start + timedelta(hours=1), start + timedelta(days=3)),
        (start + timedelta(days=2), start + timedelta(days=4)),
    ]

    assert due_with_pauses(None, start, timedelta(hours=2), pauses) == start + timedelta(days=4, hours=1)


MINUTES = timedelta(minutes=1)


@st.composite
def paused_cases(draw):
    start = at(2026, 1, 1, 0, 0) + draw(st.integers(0, 365 * 24 * 60)) * MINUTES
    target = draw(st.integers(60, 40 * 60)) * MINUTES
    pauses = []
    for _ in range(draw(st.integers(0, 5))):
        # from a little before the case opened to well after it is due, 30 min to 20 days long
        paused_at = start + draw(st.integers(-3 * 24 * 60, 30 * 24 * 60)) * MINUTES
        pauses.append((paused_at, paused_at + draw(st.integers(30, 20 * 24 * 60)) * MINUTES))
    return start, target, pauses


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(paused_cases())
def test_due_time_after_any_pauses_matches_the_minute_by_minute_walk(case):
    start, target, pauses = case

    assert due_with_pauses(SPANISH_HOLIDAYS, start, target, pauses) == due_by_walking(
        SPANISH_HOLIDAYS, start, target, pauses
    )


# ---------------------------------------------------------------------------------------
# Periods on a skipped or a repeated hour: the wall clock decides
# ---------------------------------------------------------------------------------------
def test_spring_forward_in_madrid_skips_the_missing_half_hours():
    # 29 March 2026 (Sunday): 02:00 jumps to 03:00.
    late = calendar(periods=(Period.of(6, "02:30", "04:00"),))
    early = calendar(periods=(Period.of(6, "01:00", "02:30"),))
    inside = calendar(periods=(Period.of(6, "02:15", "02:45"), Period.of(6, "05:00", "06:00")))
    night = at(2026, 3, 29, 0, 0), at(2026, 3, 29, 8, 0)

    assert business_time_between(late, *night) == timedelta(hours=1)  # 03:00–04:00 summer time
    assert add_business_time(late, at(2026, 3, 29, 0, 0), timedelta(minutes=30)) == at(2026, 3, 29, 3, 30)
    assert business_time_between(early, *night) == timedelta(hours=1)  # 01:00–02:00 winter time
    assert add_business_time(early, at(2026, 3, 29, 1, 30), timedelta(hours=1)) == at(2026, 4, 5, 1, 30)
    assert business_time_between(inside, *night) == timedelta(hours=1)  # only 05:00–06:00


def test_fall_back_in_madrid_counts_the_repeated_half_hours_twice():
    # 25 October 2026 (Sunday): 03:00 summer time becomes 02:00 winter time.
    late = calendar(periods=(Period.of(6, "02:30", "04:00"),))
    night = at(2026, 10, 25, 0, 0), at(2026, 10, 25, 8, 0)
    first_0230 = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 summer time
    second_0200 = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)  # 02:00 winter time

    assert business_time_between(late, *night) == timedelta(hours=2)
    # the half hour 02:00–02:30 winter time shows a time before the period: the clock waits it out
    assert add_business_time(late, first_0230, timedelta(minutes=30)) == second_0200
    assert add_business_time(late, first_0230, timedelta(minutes=31)) == second_0200 + timedelta(minutes=31)


def santiago(*args) -> datetime:
    return local("America/Santiago", *args)


def test_spring_forward_in_santiago_at_midnight():
    # Sunday 6 September 2026: 00:00 jumps to 01:00, so a period from 00:30 starts at 01:00.
    night = calendar("America/Santiago", periods=(Period.of(5, "22:00", "24:00"), Period.of(6, "00:30", "06:00")))

    assert business_time_between(night, santiago(2026, 9, 5, 21, 0), santiago(2026, 9, 6, 7, 0)) == timedelta(hours=7)
    assert add_business_time(night, santiago(2026, 9, 5, 23, 0), timedelta(hours=1)) == santiago(2026, 9, 6, 1, 0)
    assert add_business_time(night, santiago(2026, 9, 5, 23, 0), timedelta(hours=2)) == santiago(2026, 9, 6, 2, 0)


def test_fall_back_in_santiago_at_midnight():
    # Saturday 4 April 2026: 24:00 becomes 23:00 again, so Saturday's 23:30–24:00 shows twice.
    late = calendar("America/Santiago", periods=(Period.of(5, "23:30", "24:00"),))
    evening = calendar("America/Santiago", periods=(Period.of(5, "22:00", "24:00"),))
    span = santiago(2026, 4, 4, 20, 0), santiago(2026, 4, 5, 6, 0)

    assert business_time_between(late, *span) == timedelta(hours=1)
    assert business_time_between(evening, *span) == timedelta(hours=3)
    first_2330 = datetime(2026, 4, 5, 2, 30, tzinfo=UTC)  # 23:30 summer time (−03)
    assert add_business_time(late, first_2330, timedelta(minutes=45)) == datetime(2026, 4, 5, 3, 45, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "night"),
    [
        ("Europe/Madrid", date(2026, 3, 29)),
        ("Europe/Madrid", date(2026, 10, 25)),
        ("America/Santiago", date(2026, 9, 5)),
        ("America/Santiago", date(2026, 4, 4)),
    ],
)
@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(bounds=st.lists(st.integers(0, 96), min_size=2, max_size=6, unique=True))
def test_periods_around_a_clock_change_match_the_wall_clock(zone, night, bounds):
    # periods with quarter-hour boundaries anywhere in the day of the change and in the next day
    ends = sorted(bounds)
    pairs = list(zip(ends[::2], ends[1::2], strict=False))
    periods = tuple(Period((night.weekday() + shift) % 7, a * 15, b * 15) for shift in (0, 1) for a, b in pairs)
    cal = Calendar(zone, periods)
    start = local(zone, night.year, night.month, night.day) - timedelta(hours=3)
    end = start + timedelta(hours=54)

    assert business_time_between(cal, start, end) == working_time_by_walking(cal, start, end)


# ---------------------------------------------------------------------------------------
# Many spans on one calendar at once (the case rollups)
# ---------------------------------------------------------------------------------------
SECONDS_IN_400_DAYS = 400 * 24 * 3600
moments = st.integers(0, SECONDS_IN_400_DAYS)
lengths = st.integers(0, 12 * 24 * 3600)


@pytest.mark.parametrize("zone", ["Europe/Madrid", "America/Santiago", "Australia/Lord_Howe", "Asia/Kolkata"])
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(
    spans=st.lists(st.tuples(moments, lengths), min_size=1, max_size=8),
    pauses=st.lists(st.tuples(st.integers(-2 * 24 * 3600, 12 * 24 * 3600), st.none() | lengths), max_size=3),
)
def test_an_index_of_working_time_measures_any_spans_as_the_calendar_does(zone, spans, pauses):
    # split days, a night shift across midnight, holidays of one year and of every year, and a
    # year of clock changes in both hemispheres (Lord Howe's are half an hour), spans in any order
    periods = (
        weekdays("09:00", "14:00")
        + weekdays("15:30", "19:00")
        + (Period.of(5, "22:00", "24:00"), Period.of(6, "00:00", "06:00"))
    )
    cal = calendar(zone, periods=periods, holidays={date(2026, 4, 3)}, yearly={(1, 1), (12, 25)})
    index = WorkingTimeIndex(cal)
    origin = local(zone, 2026, 1, 1)
    for offset, length in spans:
        start = origin + timedelta(seconds=offset)
        end = start + timedelta(seconds=length)
        case_pauses = [
            (start + timedelta(seconds=a), None if b is None else start + timedelta(seconds=a + b)) for a, b in pauses
        ]

        assert index.between(start, end) == business_time_between(cal, start, end)
        assert index.unpaused_between(case_pauses, start, end) == business_time_between(
            cal, start, end
        ) - paused_business_time(cal, case_pauses, start, end)


def test_an_index_without_a_calendar_counts_every_hour_but_the_pauses():
    index, start = WorkingTimeIndex(None), at(2026, 3, 7, 23, 0)
    pauses = [(start + timedelta(hours=1), start + timedelta(hours=3)), (start + timedelta(hours=2), None)]

    assert index.between(start, start + timedelta(hours=30)) == timedelta(hours=30)
    assert index.unpaused_between(pauses, start, start + timedelta(hours=30)) == timedelta(hours=1)
