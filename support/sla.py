"""The state of one SLA target of a case at a given moment — pure, built on business_time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from support.business_time import (
    Calendar,
    Pause,
    add_business_time,
    business_time_between,
    due_with_pauses,
    paused_business_time,
)

RUNNING, PAUSED, MET, BREACHED = "running", "paused", "met", "breached"


@dataclass(frozen=True)
class TargetState:
    name: str
    target: timedelta
    status: str  # running / paused / met / breached
    elapsed: timedelta  # business time consumed, pauses excluded
    due_at: datetime | None  # None while paused (the clock is not moving)
    warning_at: datetime | None
    is_warning: bool  # the warning share of the target is used up and it is not met yet

    @property
    def remaining(self) -> timedelta:
        """Business time left; negative when overdue."""
        return self.target - self.elapsed


def target_state(
    *,
    name: str,
    calendar: Calendar | None,
    started_at: datetime,
    target: timedelta,
    stopped_at: datetime | None,
    pauses: list[Pause],
    now: datetime,
    warning_share: float = 0.75,
) -> TargetState:
    """`stopped_at` is when the target was fulfilled (first reply, resolution), if it was."""
    until = stopped_at or now
    elapsed = business_time_between(calendar, started_at, until) - paused_business_time(
        calendar, pauses, started_at, until
    )
    closed_pauses = [(start, end or until) for start, end in pauses] if stopped_at else pauses
    due_at = due_with_pauses(calendar, started_at, target, closed_pauses)
    warning_offset = timedelta(seconds=target.total_seconds() * warning_share)
    warning_at = due_with_pauses(calendar, started_at, warning_offset, closed_pauses)
    status = target_status(target=target, elapsed=elapsed, is_stopped=stopped_at is not None, pauses=pauses)
    return TargetState(
        name=name,
        target=target,
        status=status,
        elapsed=elapsed,
        due_at=due_at,
        warning_at=warning_at,
        is_warning=status in (RUNNING, PAUSED) and elapsed >= warning_offset,
    )


def target_status(*, target: timedelta, elapsed: timedelta, is_stopped: bool, pauses: list[Pause]) -> str:
    """Met or breached once the target is fulfilled; before that breached as soon as the clock
    passes it, else paused or running."""
    if is_stopped:
        return MET if elapsed <= target else BREACHED
    if elapsed > target:
        return BREACHED
    if any(end is None for _, end in pauses):
        return PAUSED
    return RUNNING


__all__ = ["TargetState", "target_state", "target_status", "add_business_time", "RUNNING", "PAUSED", "MET", "BREACHED"]
