"""The IANA time zones this machine knows, read once per process.

`zoneinfo.available_timezones()` walks the time zone database's files on every call (about 9 ms, some
600 files opened), and the settings pages and time zone validators asked it on every request and save.
The database only changes with a package upgrade, which restarts the processes anyway."""

from functools import cache
from zoneinfo import available_timezones


@cache
def known_time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def time_zone_names() -> tuple[str, ...]:
    """Every known zone, in alphabetical order (as a choice list shows them)."""
    return tuple(sorted(known_time_zones()))
