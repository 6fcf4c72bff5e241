"""WooCommerce's order webhooks and its creation ping, replayed from hand-written payloads."""

from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from customers.models import Order
from integrations.models import ConnectorOrder, WebhookDelivery
from surveys.models import Invitation
from surveys.services import invitations_schedule_due
from tests.factories import default_survey
from tests.integrations.conftest import fixture_bytes, sign

pytestmark = pytest.mark.django_db


def test_the_ping_sent_when_a_webhook_is_created_is_answered_200_and_stores_nothing(woocommerce):
    response = APIClient().post(
        f"/api/v1/connectors/woocommerce/{woocommerce.public_id}/",
        "webhook_id=15",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert not WebhookDelivery.objects.exists() and not Order.objects.exists()


def test_an_order_is_delivered_when_completed_and_then_surveyed(woo_shop, woocommerce):
    default_survey()
    created = woo_shop.post("order.created", fixture_bytes("woocommerce", "order_created.json"))

    assert created.status_code == 200
    order = Order.objects.get(external_id=f"woocommerce-{woocommerce.pk}-727")
    assert order.delivered_at is None
    assert order.customer.preferred_language == "es"  # from WPML's meta data
    assert {item.product.sku for item in order.items.all()} == {"CAM-LINO-M", "woo-22"}

    woo_shop.post("order.updated", fixture_bytes("woocommerce", "order_updated_completed.json"))

    order.refresh_from_db()
    assert order.delivered_at == datetime(2026, 11, 5, 17, 2, tzinfo=UTC)
    assert ConnectorOrder.objects.get().platform_status == "completed"
    assert len(invitations_schedule_due(now=order.delivered_at + timedelta(days=2, hours=1))) == 1


def test_a_wrong_signature_is_401_and_nothing_is_stored(woo_shop):
    body = fixture_bytes("woocommerce", "order_created.json")

    response = woo_shop.post("order.created", body, signature=sign(body, "the-wrong-secret-entirely"))

    assert response.status_code == 401 and not Order.objects.exists()


def test_a_refund_cancels_the_order_and_its_pending_invitation(woo_shop):
    default_survey()
    woo_shop.post("order.updated", fixture_bytes("woocommerce", "order_updated_completed.json"))
    [invitation] = invitations_schedule_due(now=datetime(2026, 11, 7, 18, 0, tzinfo=UTC))  # not yet emailed

    woo_shop.post("order.updated", fixture_bytes("woocommerce", "order_updated_refunded.json"))

    assert Order.objects.get().cancelled_at == datetime(2026, 11, 7, 9, 0, tzinfo=UTC)
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.CANCELLED


def test_a_guest_order_without_an_email_is_stored_without_an_invitation(woo_shop):
    default_survey()

    woo_shop.post("order.created", fixture_bytes("woocommerce", "order_created_no_email.json"))

    order = Order.objects.get()
    assert order.customer.email == "" and order.delivered_at is not None
    assert ConnectorOrder.objects.get().has_email is False
    assert invitations_schedule_due(now=order.delivered_at + timedelta(days=3)) == []


def test_a_replayed_delivery_id_is_stored_once(woo_shop):
    body = fixture_bytes("woocommerce", "order_created.json")

    statuses = [woo_shop.post("order.created", body, delivery_id="9f8e7d").json()["status"] for _ in range(3)]

    assert statuses == ["queued", "duplicate", "duplicate"]
    assert Order.objects.count() == 1 and WebhookDelivery.objects.count() == 1
