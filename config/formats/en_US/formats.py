# English for a shop in the US: Django's own American formats (12/03/2026, "Dec. 3, 2026").
from django.conf.locale.en.formats import *  # noqa: F403
