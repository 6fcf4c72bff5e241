"""Date filters that refuse dates no shop data can have (year 45, year 9999) with a 400, instead of
letting them reach the database, where some overflow."""

from datetime import date, datetime

import django_filters
from django import forms
from django.utils import timezone

from core.fields import EARLIEST

LATEST_YEAR = 2100


def _check(value: date | datetime | None) -> None:
    if value is None:
        return
    day = value.date() if isinstance(value, datetime) else value
    if not (EARLIEST.date() <= day and day.year <= LATEST_YEAR):
        raise forms.ValidationError(f"Choose a date between {EARLIEST.date()} and {LATEST_YEAR}.", code="out_of_range")


class BoundedIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    def clean(self, value):
        moment = super().clean(value)
        if moment is not None:
            # an offset like +23:26 on an early date shifts it before year 1 in UTC
            try:
                _check(moment.astimezone(timezone.get_fixed_timezone(0)))
            except OverflowError as exc:
                raise forms.ValidationError("This date is out of range.", code="out_of_range") from exc
        return moment


class BoundedDateField(forms.DateField):
    def clean(self, value):
        day = super().clean(value)
        _check(day)
        return day


class IsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = BoundedIsoDateTimeField


class DateFilter(django_filters.DateFilter):
    field_class = BoundedDateField
