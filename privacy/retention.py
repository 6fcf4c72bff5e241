"""Retention: personal data is not kept for ever (GDPR art. 5(1)(e)).

A customer who has done nothing for VOZ_DATA_RETENTION_DAYS (no order, answer, review, message or
case) is anonymised the way an erasure request would be (privacy.services.customer_erase): their
name, contact details, order numbers and everything they wrote go; orders, scores, ratings and
sentiment labels stay, so every dashboard keeps its figures. A dry run does the same work inside a
transaction it rolls back, so its counts are exactly what a real run would change.
"""

from collections import Counter
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.audit import acting_as
from core.shop import shop_settings
from privacy.selectors import customers_inactive_since
from privacy.services import CustomerAlreadyErased, ErasureReport, customer_erase

# what a dry run counts, per kind of row, in the words the command prints
COUNTED = {
    "orders_kept": "orders (kept, numbers removed)",
    "answers_erased": "survey answers",
    "feedback_erased": "feedback items",
    "reviews_erased": "reviews",
    "messages_erased": "messages",
    "cases_erased": "cases",
    "invitations_revoked": "survey invitations",
    "web_feedback_erased": "website comments",
    "mentions_erased": "social mentions",
    "emails_erased": "win-back emails",
    "traces_erased": "other rows naming them (audit log, notes, notifications, webhooks)",
}


@dataclass
class RetentionReport:
    cutoff: datetime
    dry_run: bool
    customers: int = 0
    rows: Counter = field(default_factory=Counter)

    def add(self, erasure: ErasureReport) -> None:
        self.customers += 1
        self.rows.update({key: value for key, value in erasure.as_dict().items() if key in COUNTED})


class _DryRun(Exception):
    def __init__(self, report: ErasureReport):
        self.report = report


def retention_days() -> int:
    """The Settings page's period (months) wins over the environment's default (days)."""
    months = shop_settings().retention_months
    return round(months * 365.25 / 12) if months else settings.VOZ_DATA_RETENTION_DAYS


def inactive_customers_anonymise(
    *,
    days: int | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
    limit: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> RetentionReport | None:
    """Anonymise the customers inactive for `days` (by default the period managers set on the
    Settings page, else VOZ_DATA_RETENTION_DAYS); None when retention is off. Each customer is
    erased in a transaction of its own, so a run stopped halfway keeps what it did and the next
    run carries on."""
    days = retention_days() if days is None else days
    if not days or days <= 0:
        return None
    now = now or timezone.now()
    report = RetentionReport(cutoff=now - timedelta(days=days), dry_run=dry_run)
    customer_ids = list(customers_inactive_since(report.cutoff).values_list("pk", flat=True)[:limit])
    reason = f"Retention: inactive since {report.cutoff:%Y-%m-%d} ({days} days)"
    with acting_as("retention"):
        for done, customer_id in enumerate(customer_ids, start=1):
            # one erased on request meanwhile is skipped
            with suppress(CustomerAlreadyErased):
                report.add(_anonymise(customer_id, reason=reason, dry_run=dry_run))
            if progress:
                progress(done, len(customer_ids))
    return report


def _anonymise(customer_id: int, *, reason: str, dry_run: bool) -> ErasureReport:
    from customers.models import Customer

    customer = Customer(pk=customer_id)
    if not dry_run:
        return customer_erase(customer=customer, reason=reason)
    try:
        with transaction.atomic():
            raise _DryRun(customer_erase(customer=customer, reason=reason))
    except _DryRun as rolled_back:
        return rolled_back.report
