"""Dashboards read from the read replica through core.db_routers; writes and the freshness check
stay on the primary. The replica is Django's test mirror of the test database."""

from datetime import date, datetime

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext

from analytics import selectors
from core.models import ChangedDay
from tests.analytics.test_analytics import MADRID, answered

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])

FILTERS = selectors.Filters(start=date(2026, 3, 1), end=date(2026, 3, 15), period="week")
WRITES = ("INSERT", "UPDATE", "DELETE")


@pytest.fixture
def replica_router(settings):
    settings.DATABASE_ROUTERS = ["core.db_routers.DashboardReplicaRouter"]


def _read_with_queries_per_database(read):
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        result = read()
    return result, [q["sql"] for q in primary.captured_queries], [q["sql"] for q in replica.captured_queries]


def test_a_dashboard_reads_the_rollups_from_the_replica_after_refreshing_them_on_the_primary(replica_router):
    # given: an answer whose day the rollups have not taken yet
    answered(10, 5, datetime(2026, 3, 9, 10, tzinfo=MADRID))
    assert ChangedDay.objects.exists()

    series, primary, replica = _read_with_queries_per_database(lambda: selectors.satisfaction_series(FILTERS))

    # then: the numbers, read from the replica's rollups
    assert [row["nps"] for row in series] == [100]
    assert any("analytics_answerdaily" in sql for sql in replica)
    assert not any(sql.lstrip().upper().startswith(WRITES) for sql in replica)
    # the change log was read and the refresh written on the primary, which read no dashboard numbers
    assert any("core_changedday" in sql for sql in primary)
    assert any('INSERT INTO "analytics_answerdaily"' in sql for sql in primary)  # (after a WITH: one statement)
    assert not any("analytics_answerdaily" in sql and sql.startswith("SELECT") for sql in primary)
    assert not ChangedDay.objects.exists()


def test_a_read_inside_a_transaction_stays_on_the_primary_to_see_its_own_writes(replica_router):
    with transaction.atomic():
        answered(0, 1, datetime(2026, 3, 9, 10, tzinfo=MADRID))
        series, primary, replica = _read_with_queries_per_database(lambda: selectors.satisfaction_series(FILTERS))
    assert [row["nps"] for row in series] == [-100]
    assert replica == []
    assert any("analytics_answerdaily" in sql for sql in primary)


def test_without_the_router_every_read_stays_on_the_primary():
    answered(10, 5, datetime(2026, 3, 9, 10, tzinfo=MADRID))
    series, primary, replica = _read_with_queries_per_database(lambda: selectors.satisfaction_series(FILTERS))
    assert [row["nps"] for row in series] == [100]
    assert replica == []
