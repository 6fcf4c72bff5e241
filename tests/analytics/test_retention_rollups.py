"""Retention from the snapshot, per RFM and saved segment, against the naive computation."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from analytics import rollups, selectors
from bench import naive as oracle
from demo.seed import seed_demo
from tests.analytics.test_rollups import TODAY


def _seeded_shop() -> datetime:
    seed_demo(customers=40, orders=150, today=TODAY)
    return timezone.make_aware(datetime.combine(TODAY, time.min))


@pytest.fixture
def shop_now(db) -> datetime:
    return _seeded_shop()


pytestmark = pytest.mark.django_db


def test_retention_of_each_segment_adds_up_to_every_customer(shop_now):
    from customers.models import CustomerRfm
    from customers.segments import segments_refresh

    segments_refresh()
    everyone = selectors.retention()
    per_segment = {name: selectors.retention(segment=name) for name in CustomerRfm.Segment.values}

    for name, data in per_segment.items():
        assert data == oracle.retention_naive(segment=name) | {
            "rates": data["rates"],
            "cohorts": data["cohorts"],
        }
        members = set(CustomerRfm.objects.filter(segment=name).values_list("customer_id", flat=True))
        assert sum(row["customers"] for row in data["cohorts"]) <= len(members)
    # every customer with an order is in exactly one segment
    for index, row in enumerate(everyone["cohorts"]):
        parts = [
            cohort["customers"]
            for data in per_segment.values()
            for cohort in data["cohorts"]
            if cohort["cohort"] == row["cohort"]
        ]
        assert sum(parts) == row["customers"], index
    for month, row in enumerate(everyone["rates"]):
        assert sum(data["rates"][month]["base"] for data in per_segment.values()) == row["base"]
        assert sum(data["rates"][month]["returning"] for data in per_segment.values()) == row["returning"]


def test_retention_figures_equal_the_naive_computation(shop_now):
    from analytics.selectors.retention import retention_figures
    from customers.models import CustomerRfm, SavedSegment
    from customers.segments import segments_refresh

    segments_refresh()
    SavedSegment.objects.create(name="Recientes", slug="recent", recency_max_days=90)
    for segment in ["", "recent", *CustomerRfm.Segment.values]:
        for window in ({}, {"months": 3, "cohort_months": 5}):
            expected = oracle.retention_naive(now=shop_now, segment=segment, **window)
            assert retention_figures(now=shop_now, segment=segment, **window) == expected, (segment, window)
    assert any(row["returning"] for row in retention_figures(now=shop_now)["rates"])


def test_a_saved_segments_retention_follows_attribute_changes(shop_now):
    from customers.models import Customer, SavedSegment
    from customers.services import customer_attributes_update

    SavedSegment.objects.create(name="Vigo", slug="vigo", attributes={"city": "vigo"})
    assert sum(row["customers"] for row in selectors.retention(segment="vigo")["cohorts"]) == 0

    # when: the shop moves a buyer to Vigo, and the snapshot has passed its minimum age
    buyer = Customer.objects.filter(orders__isnull=False).first()
    customer_attributes_update(customer=buyer, changes={"city": "Vigo"})
    from analytics.models import RetentionSnapshot

    RetentionSnapshot.objects.update(computed_at=timezone.now() - rollups.RETENTION_MAX_AGE - timedelta(seconds=1))

    # then: the dashboard notices on its own
    assert sum(row["customers"] for row in selectors.retention(segment="vigo")["cohorts"]) == 1


def test_a_saved_segments_retention_follows_attributes_an_order_brings(shop_now):
    """Orders from the shop (API, import, connectors) carry the customer's attributes too."""
    from customers.models import Customer, SavedSegment
    from customers.services import CustomerData, customer_upsert

    SavedSegment.objects.create(name="Vigo", slug="vigo", attributes={"city": "vigo"})
    assert sum(row["customers"] for row in selectors.retention(segment="vigo")["cohorts"]) == 0

    # when: an order arrives saying a buyer now lives in Vigo, and the snapshot has passed its minimum age
    buyer = Customer.objects.filter(orders__isnull=False).first()
    customer_upsert(data=CustomerData(external_id=buyer.external_id, email=buyer.email, attributes={"city": "Vigo"}))
    from analytics.models import RetentionSnapshot

    RetentionSnapshot.objects.update(computed_at=timezone.now() - rollups.RETENTION_MAX_AGE - timedelta(seconds=1))

    # then: the dashboard notices on its own
    assert sum(row["customers"] for row in selectors.retention(segment="vigo")["cohorts"]) == 1
