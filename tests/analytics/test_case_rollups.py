"""The case rollups count every case as its own SLA clocks do: business hours, holidays, clock
changes, pauses (open, closed, overlapping), cases without a policy or on a round-the-clock one,
and the calendar as it is when they are computed."""

import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from analytics import rollups
from bench.naive import case_hours, case_sla_counts
from support.models import BusinessCalendar, Case, CasePause, Holiday, SLAPolicy, WorkingPeriod

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2026, 11, 2, 12, 0, tzinfo=MADRID)


def per_case_rows(cases, *, now):
    """The rollup rows built one case at a time from the SLA clocks, as before the rollups."""
    groups = defaultdict(lambda: dict.fromkeys(rollups.SLA_COUNTS, 0))
    durations = defaultdict(int)
    for case in cases.select_related("policy__calendar", "team").prefetch_related("pauses"):
        day, channels = rollups.local_day(case.opened_at), rollups.channels_key(case.channels)
        totals = groups[(day, case.priority, case.team.name if case.team else "", channels, "")]
        for field, count in case_sla_counts(case, now=now).items():
            totals[field] += count
        for target, hours in case_hours(case).items():
            durations[(day, channels, "", target, rollups.duration_bucket(hours))] += 1
    return dict(groups), dict(durations)


def as_dicts(rows):
    groups, durations = rows
    return dict(groups), dict(durations)


def night_shift_in_santiago() -> BusinessCalendar:
    calendar = BusinessCalendar.objects.create(name="Noche", time_zone="America/Santiago")
    for weekday in range(7):
        WorkingPeriod.objects.create(calendar=calendar, weekday=weekday, start=time(22), end=time(0))
        WorkingPeriod.objects.create(calendar=calendar, weekday=weekday, start=time(0), end=time(6))
    Holiday.objects.create(calendar=calendar, date=date(2026, 9, 18), name="Fiestas Patrias", repeats_yearly=True)
    return calendar


def cases_of_every_kind(count: int) -> None:
    rng = random.Random(26)
    policies = list(SLAPolicy.objects.all()) + [
        SLAPolicy.objects.create(
            name="Noche",
            first_response=timedelta(hours=2),
            resolution=timedelta(hours=12),
            calendar=night_shift_in_santiago(),
        ),
        SLAPolicy.objects.create(name="24 h", first_response=timedelta(hours=3), business_hours_only=False),
        None,
    ]
    for _ in range(count):
        # across both clock changes of 2026 in Madrid and in Santiago, and Spain's holidays
        opened = datetime(2026, 3, 1, tzinfo=MADRID) + timedelta(minutes=rng.randint(0, 60 * 24 * 240))
        replied = opened + timedelta(minutes=rng.randint(0, 60 * 60)) if rng.random() < 0.8 else None
        resolved = opened + timedelta(minutes=rng.randint(0, 60 * 24 * 9)) if rng.random() < 0.7 else None
        case = Case.objects.create(
            subject="x",
            channels=rng.choice([["survey"], ["review", "social"], []]),
            priority=rng.choice(["urgent", "high", "normal", "low"]),
            policy=rng.choice(policies),
            opened_at=opened,
            first_response_at=replied,
            resolved_at=resolved,
        )
        for _ in range(rng.choice([0, 0, 1, 2, 3])):
            paused = opened + timedelta(minutes=rng.randint(-600, 60 * 24 * 6))
            resumed = paused + timedelta(minutes=rng.randint(0, 60 * 24 * 3)) if rng.random() < 0.8 else None
            CasePause.objects.create(case=case, started_at=paused, ended_at=resumed)


def test_case_rollups_count_what_each_case_clock_shows():
    # given
    cases_of_every_kind(300)
    cases = Case.objects.all()

    # when
    groups, durations = rollups.case_rows(cases, now=NOW)

    # then
    expected_groups, expected_durations = per_case_rows(cases, now=NOW)
    assert sum(totals["first_response_decided"] for totals in expected_groups.values()) > 100
    assert len(expected_durations) > 100
    assert (dict(groups), dict(durations)) == (expected_groups, expected_durations)


def test_case_rollups_follow_the_calendar_as_it_is_edited_between_two_computations():
    # given: cases on the default calendar (weekdays 9–14 and 15–18 in Madrid), counted once
    cases_of_every_kind(60)
    Case.objects.update(policy=SLAPolicy.objects.get(is_default=True))
    cases = Case.objects.all()
    before = as_dicts(rollups.case_rows(cases, now=NOW))
    calendar = BusinessCalendar.objects.get(is_default=True)

    # when: the shop works Saturday mornings, then makes every day a case was opened a holiday
    WorkingPeriod.objects.create(calendar=calendar, weekday=5, start=time(10), end=time(13))
    with_saturdays, expected_with_saturdays = as_dicts(rollups.case_rows(cases, now=NOW)), per_case_rows(cases, now=NOW)
    for day in {rollups.local_day(opened) for opened in cases.values_list("opened_at", flat=True)}:
        Holiday.objects.create(calendar=calendar, date=day)
    with_holidays, expected_with_holidays = as_dicts(rollups.case_rows(cases, now=NOW)), per_case_rows(cases, now=NOW)

    # then: each computation counts on the calendar as it was then
    assert with_saturdays == expected_with_saturdays != before
    assert with_holidays == expected_with_holidays != with_saturdays
