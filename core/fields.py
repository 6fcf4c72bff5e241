from datetime import datetime, timedelta

from django.utils import timezone
from rest_framework import serializers

# Nothing a shop sends happened before e-commerce or more than a day ahead of our clock; dates
# outside that are typos or garbage (year 0269 would even be shown with the zone's 1900s offset).
EARLIEST = datetime(2000, 1, 1, tzinfo=timezone.get_fixed_timezone(0))
FUTURE_SLACK = timedelta(days=1)


class EventDateTimeField(serializers.DateTimeField):
    """When something happened: from 2000-01-01 up to a day from now."""

    default_error_messages = {
        "too_early": "Dates before 2000-01-01 are not accepted.",
        "in_future": "This date is in the future.",
    }

    def to_internal_value(self, value):
        moment = super().to_internal_value(value)
        if moment < EARLIEST:
            self.fail("too_early")
        if moment > timezone.now() + FUTURE_SLACK:
            self.fail("in_future")
        return moment
