"""The languages feedback is written in, as APIs accept them ("" while unknown)."""

from django.utils.translation import gettext_lazy as _

CONTENT_LANGUAGE_CHOICES = [("", _("unknown")), ("es", _("Spanish")), ("en", _("English"))]
