"""The languages feedback is written in, as APIs accept them ("" while unknown)."""

CONTENT_LANGUAGE_CHOICES = [("", "unknown"), ("es", "Spanish"), ("en", "English")]
