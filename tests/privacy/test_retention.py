"""Retention: customers inactive for longer than VOZ_DATA_RETENTION_DAYS are anonymised at night;
a dry run reports what would change and changes nothing; the dashboards keep their figures."""

import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from core.models import AuditEvent
from customers.models import Customer
from feedback.models import FeedbackItem
from privacy.retention import inactive_customers_anonymise
from privacy.tasks import inactive_customers_anonymise as nightly_task
from tests.privacy.test_erasure_complete import database_as_text
from tests.privacy.test_privacy import dashboard_numbers, shop  # noqa: F401 (shop is a fixture)

INACTIVE_DAYS = 60


def days_back_to(moment) -> int:
    """The command counts from today: the days that put the cutoff INACTIVE_DAYS before the demo's today."""
    return (timezone.now() - moment).days + INACTIVE_DAYS


def test_a_dry_run_counts_per_table_and_changes_nothing(shop, capsys):  # noqa: F811
    before = database_as_text()

    call_command("anonymise_inactive", "--dry-run", "--days", str(days_back_to(shop)))

    out = capsys.readouterr()
    customers = int(re.search(r"Would anonymise (\d+) customer", out.out).group(1))
    assert 0 < customers < Customer.objects.count()
    assert re.search(r"survey answers: [1-9]", out.out) and re.search(r"feedback items: [1-9]", out.out)
    assert "Dry run: nothing was changed." in out.out
    assert "customer" in out.err  # the progress bar
    assert database_as_text() == before


def test_the_real_run_anonymises_the_inactive_and_keeps_every_dashboard_figure(shop):  # noqa: F811
    now = shop
    cutoff = now - timedelta(days=INACTIVE_DAYS)
    recent = set(Customer.objects.filter(orders__placed_at__gte=cutoff).values_list("pk", flat=True))
    dry = inactive_customers_anonymise(days=INACTIVE_DAYS, now=now, dry_run=True)
    before = dashboard_numbers(now)

    report = inactive_customers_anonymise(days=INACTIVE_DAYS, now=now)

    assert report.customers == dry.customers > 0 and report.rows == dry.rows
    erased = set(Customer.objects.filter(erased_at__isnull=False).values_list("pk", flat=True))
    assert len(erased) == report.customers and not erased & recent
    assert not FeedbackItem.objects.filter(customer__in=erased).exclude(text="").exists()
    assert FeedbackItem.objects.filter(customer__in=recent).exclude(text="").exists()
    assert dashboard_numbers(now) == before
    event = AuditEvent.objects.filter(action="customer.erase").first()
    assert event.actor_label == "retention" and event.summary.startswith("Retention: inactive since")
    # a second run finds nobody left to anonymise
    assert inactive_customers_anonymise(days=INACTIVE_DAYS, now=now).customers == 0


def test_the_nightly_task_does_nothing_while_retention_is_off(shop, settings):  # noqa: F811
    settings.VOZ_DATA_RETENTION_DAYS = 0
    assert nightly_task() == 0
    assert not Customer.objects.filter(erased_at__isnull=False).exists()
    with pytest.raises(CommandError, match="Retention is off"):
        call_command("anonymise_inactive", "--dry-run")

    settings.VOZ_DATA_RETENTION_DAYS = days_back_to(shop)
    assert nightly_task() == Customer.objects.filter(erased_at__isnull=False).count() > 0
