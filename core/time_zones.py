"""The IANA time zones this machine knows, read once per process, and the select that offers them.

`zoneinfo.available_timezones()` walks the time zone database's files on every call (about 9 ms, some
600 files opened), and the settings pages and time zone validators asked it on every request and save.
The database only changes with a package upgrade, which restarts the processes anyway."""

from functools import cache
from zoneinfo import available_timezones

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


@cache
def known_time_zones() -> frozenset[str]:
    return frozenset(available_timezones())


@cache
def time_zone_names() -> tuple[str, ...]:
    """Every known zone, in alphabetical order (as a choice list shows them)."""
    return tuple(sorted(known_time_zones()))


class TimeZoneSelect(forms.Select):
    """IANA zone names are identifiers, not words of a language: browsers and translation tools
    (and the one-language test) are told not to translate them.

    Its 600 options are written in one pass: through Django's option template, one include each,
    they took 30 ms of every page with one."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = set(self.format_value(value))
        options = format_html_join(
            "",
            '\n  <option value="{}"{}{}>{}</option>',
            (
                (choice, NOT_TRANSLATED if choice else "", SELECTED if str(choice) in chosen else "", label)
                for choice, label in self.choices
            ),
        )
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return format_html('<select name="{}"{}>{}\n</select>', name, attributes, options)


NOT_TRANSLATED = mark_safe(' translate="no"')
SELECTED = mark_safe(" selected")
