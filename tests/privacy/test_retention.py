"""The retention period on the Settings page: customers kept longer are erased, the rest stay."""

from datetime import timedelta

import pytest
from django.utils import timezone

from core.models import ShopSettings
from core.shop import shop_settings_save
from customers.models import Customer
from privacy.services import customers_erase_past_retention
from tests.factories import CustomerFactory, FeedbackItemFactory, OrderFactory

pytestmark = pytest.mark.django_db


def _old_customer(**kwargs) -> Customer:
    return CustomerFactory(created_at=timezone.now() - timedelta(days=800), **kwargs)


def test_without_a_retention_period_nobody_is_erased():
    customer = _old_customer()
    OrderFactory(customer=customer, placed_at=timezone.now() - timedelta(days=700))
    assert customers_erase_past_retention() == 0
    customer.refresh_from_db()
    assert customer.erased_at is None


def test_customers_silent_for_longer_than_the_period_are_erased_and_active_ones_kept():
    shop_settings_save(ShopSettings(retention_months=12))
    silent = _old_customer(email="silent@example.com")
    OrderFactory(customer=silent, placed_at=timezone.now() - timedelta(days=500))
    buyer = _old_customer(email="buyer@example.com")
    OrderFactory(customer=buyer, placed_at=timezone.now() - timedelta(days=30))
    talker = _old_customer(email="talker@example.com")
    FeedbackItemFactory(customer=talker)
    newcomer = CustomerFactory(email="new@example.com")

    assert customers_erase_past_retention() == 1

    assert Customer.objects.get(pk=silent.pk).erased_at is not None
    assert Customer.objects.get(pk=silent.pk).email != "silent@example.com"
    for kept in (buyer, talker, newcomer):
        assert Customer.objects.get(pk=kept.pk).erased_at is None
    # a second run finds nothing more to do
    assert customers_erase_past_retention() == 0
