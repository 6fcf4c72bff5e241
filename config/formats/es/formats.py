# Spanish as shops and their customers write it on invoices and receipts: 1.234,5 (Django's own
# Spanish groups with a non-breaking space, the RAE's recommendation, which shop staff rarely use).
from django.conf.locale.es.formats import *  # noqa: F403

THOUSAND_SEPARATOR = "."
