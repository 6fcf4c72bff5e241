"""Shopify's order, refund and privacy webhooks, replayed from hand-written payloads."""

import json
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from core.models import AuditEvent
from customers.models import Customer, Order
from integrations.models import ConnectorOrder, PrivacyRequest, WebhookDelivery
from surveys.models import Invitation
from surveys.services import invitations_schedule_due
from tests.factories import default_survey
from tests.integrations.conftest import fixture_bytes, fixture_json, sign

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
# two days (the survey's delay) and an hour after the fixture's delivery
AFTER_THE_DELAY = datetime(2026, 11, 7, 13, 0, tzinfo=MADRID)


def test_a_signed_order_is_stored_with_its_customer_lines_and_language(shopify_shop, shopify):
    response = shopify_shop.post("orders/create", fixture_bytes("shopify", "orders_create.json"))

    assert response.status_code == 200, response.content
    assert response.json() == {"status": "queued"}
    order = Order.objects.get(external_id=f"shopify-{shopify.pk}-5500000001")
    assert order.total == Decimal("59.90") and order.currency == "EUR" and order.shipping_country == "ES"
    assert order.delivered_at is None and order.cancelled_at is None
    assert sorted((item.product.sku, item.quantity) for item in order.items.all()) == [
        ("CALC-TEC", 2),
        ("ZAP-TRAIL-39", 1),
    ]
    assert (order.customer.email, order.customer.name, order.customer.preferred_language) == (
        "lucia.fernandez@example.com",
        "Lucía Fernández",
        "es",
    )
    assert WebhookDelivery.objects.get().payload is None  # personal data is not kept once processed


@pytest.mark.parametrize("signature", ["", "bm90IHRoZSByaWdodCBzaWduYXR1cmU=", sign(b"another body")])
def test_a_missing_or_wrong_signature_is_401_and_nothing_is_stored(shopify_shop, shopify, signature):
    response = shopify_shop.post("orders/create", fixture_bytes("shopify", "orders_create.json"), signature=signature)

    assert response.status_code == 401
    assert response.json()["type"] == "invalid_signature"
    assert not Order.objects.exists() and not WebhookDelivery.objects.exists()
    shopify.refresh_from_db()
    assert shopify.last_error_code == "signature"  # the page says the secret is wrong


def test_a_signature_made_with_another_secret_is_refused(shopify_shop):
    body = fixture_bytes("shopify", "orders_create.json")

    response = shopify_shop.post("orders/create", body, signature=sign(body, "shpss_someone_else_s_secret"))

    assert response.status_code == 401 and not Order.objects.exists()


@pytest.mark.parametrize(
    "body",
    [b"{not json", b"[]", json.dumps({**fixture_json("shopify", "orders_create.json"), "line_items": []}).encode()],
)
def test_a_malformed_body_is_400_and_nothing_is_stored(shopify_shop, body):
    response = shopify_shop.post("orders/create", body)

    assert response.status_code == 400
    assert response.json()["type"] == "invalid_payload" and response.json()["detail"]
    assert not Order.objects.exists() and not WebhookDelivery.objects.exists()


def test_a_replayed_delivery_creates_nothing_twice(shopify_shop):
    body = fixture_bytes("shopify", "orders_create.json")

    first = shopify_shop.post("orders/create", body, delivery_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
    replay = shopify_shop.post("orders/create", body, delivery_id="b54557e4-bdd9-4b37-8a5f-bf7d70bcd043")
    # the same event again under a new delivery id (Shopify may send one order twice)
    duplicate = shopify_shop.post("orders/create", body, delivery_id="another-delivery")

    assert [first.json()["status"], replay.json()["status"], duplicate.json()["status"]] == [
        "queued",
        "duplicate",
        "queued",
    ]
    assert Order.objects.count() == 1 and Customer.objects.count() == 1
    assert Order.objects.get().items.count() == 2
    assert ConnectorOrder.objects.count() == 1


def test_paid_then_fulfilled_updates_the_order_and_its_survey_is_scheduled_after_the_delay(shopify_shop, shopify):
    survey = default_survey()
    for topic, name in (
        ("orders/create", "orders_create.json"),
        ("orders/paid", "orders_paid.json"),
        ("orders/fulfilled", "orders_fulfilled.json"),
    ):
        assert shopify_shop.post(topic, fixture_bytes("shopify", name)).status_code == 200

    order = Order.objects.get()
    assert order.delivered_at == datetime(2026, 11, 5, 11, 58, tzinfo=MADRID)
    assert ConnectorOrder.objects.get().platform_status == "fulfilled"
    assert invitations_schedule_due(now=order.delivered_at + timedelta(days=1)) == []  # before the delay
    [invitation] = invitations_schedule_due(now=AFTER_THE_DELAY)
    assert (invitation.order, invitation.survey, invitation.language) == (order, survey, "es")


def test_an_older_version_arriving_late_does_not_undo_the_delivery(shopify_shop):
    shopify_shop.post("orders/fulfilled", fixture_bytes("shopify", "orders_fulfilled.json"))

    late = shopify_shop.post("orders/create", fixture_bytes("shopify", "orders_create.json"))

    assert late.status_code == 200
    assert Order.objects.get().delivered_at is not None


def test_a_cancelled_order_is_stored_as_cancelled_and_never_surveyed(shopify_shop):
    default_survey()
    shopify_shop.post("orders/cancelled", fixture_bytes("shopify", "orders_cancelled.json"))

    order = Order.objects.get()
    assert order.cancelled_at == datetime(2026, 11, 3, 8, 5, tzinfo=MADRID)
    assert order.customer.preferred_language == "en" and order.shipping_country == "GB"
    order.delivered_at = order.placed_at + timedelta(days=1)  # even if it had been delivered
    order.save()
    assert invitations_schedule_due(now=order.delivered_at + timedelta(days=3)) == []


def test_a_full_refund_withdraws_the_invitation_not_yet_sent_and_counts_once(shopify_shop):
    default_survey()
    shopify_shop.post("orders/fulfilled", fixture_bytes("shopify", "orders_fulfilled.json"))
    # scheduled while the broker was down: still pending, not emailed
    [invitation] = invitations_schedule_due(now=AFTER_THE_DELAY)
    refund = fixture_bytes("shopify", "refunds_create.json")

    shopify_shop.post("refunds/create", refund, delivery_id="refund-1")
    shopify_shop.post("refunds/create", refund, delivery_id="refund-1-again")  # the same refund, sent twice

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.CANCELLED
    assert Order.objects.get().cancelled_at is not None
    link = ConnectorOrder.objects.get()
    assert link.refunded_total == Decimal("59.90") and link.refund_ids == ["8300000001"]
    assert mail.outbox == []


def test_a_partial_refund_keeps_the_survey(shopify_shop):
    default_survey()
    shopify_shop.post("orders/fulfilled", fixture_bytes("shopify", "orders_fulfilled.json"))
    refund = fixture_json("shopify", "refunds_create.json")
    refund["transactions"][0]["amount"] = "12.00"

    shopify_shop.post("refunds/create", json.dumps(refund).encode())

    assert Order.objects.get().cancelled_at is None
    assert len(invitations_schedule_due(now=AFTER_THE_DELAY)) == 1


def test_an_order_without_an_email_is_stored_without_an_invitation_and_counted(shopify_shop, staff):
    default_survey()

    response = shopify_shop.post("orders/create", fixture_bytes("shopify", "orders_create_no_email.json"))

    assert response.status_code == 200
    order = Order.objects.get()
    assert order.customer.email == "" and order.delivered_at is not None
    assert invitations_schedule_due(now=order.delivered_at + timedelta(days=3)) == []
    page = staff("manager").get("/integrations/", HTTP_ACCEPT_LANGUAGE="en")
    assert "1 without an email (stored, no survey)" in page.content.decode()


def test_a_topic_voz_does_not_use_is_acknowledged_and_ignored(shopify_shop):
    response = shopify_shop.post("products/update", b'{"id": 1}')

    assert response.status_code == 200 and response.json() == {"status": "ignored"}
    assert not WebhookDelivery.objects.exists()


def test_an_unknown_connector_is_404(shopify_shop, shopify):
    shopify.is_active = False
    shopify.save()

    assert shopify_shop.post("orders/create", fixture_bytes("shopify", "orders_create.json")).status_code == 404


def test_a_burst_is_queued_while_the_broker_is_down_and_worked_through_later(shopify_shop, monkeypatch):
    """Nothing is dropped: every delivery is answered and kept, and the sweep hands them over."""
    from integrations import services

    monkeypatch.setattr(services, "enqueue", lambda *args, **kwargs: False)  # Redis unreachable
    order = fixture_json("shopify", "orders_create.json")
    for number in range(60):
        order.update(id=6600000000 + number, name=f"#{2000 + number}")
        response = shopify_shop.post("orders/create", json.dumps(order).encode())
        assert response.status_code == 200
    assert WebhookDelivery.objects.filter(processed_at__isnull=True).count() == 60
    assert not Order.objects.exists()

    monkeypatch.undo()
    later = datetime.now(tz=MADRID) + services.DELIVERY_GRACE + timedelta(seconds=1)
    assert len(services.deliveries_requeue(now=later)) == 60

    assert Order.objects.count() == 60
    assert not WebhookDelivery.objects.filter(processed_at__isnull=True).exists()


def test_a_delivery_sent_again_while_its_first_copy_waits_is_worked_through(shopify_shop, monkeypatch):
    from integrations import services

    body = fixture_bytes("shopify", "orders_create.json")
    monkeypatch.setattr(services, "enqueue", lambda *args, **kwargs: False)  # the hand-over is lost
    shopify_shop.post("orders/create", body, delivery_id="retried-by-shopify")
    monkeypatch.undo()

    again = shopify_shop.post("orders/create", body, delivery_id="retried-by-shopify")

    assert again.json() == {"status": "duplicate"}
    assert Order.objects.count() == 1 and WebhookDelivery.objects.get().processed_at is not None


# ---------------------------------------------------------------------------------------------
# The mandatory privacy webhooks
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def lucia_with_an_answer(shopify_shop):
    shopify_shop.post("orders/fulfilled", fixture_bytes("shopify", "orders_fulfilled.json"))
    return Order.objects.get().customer


def test_a_customer_data_request_gives_the_owner_an_export_to_download(shopify_shop, lucia_with_an_answer, staff):
    response = shopify_shop.post("customers/data_request", fixture_bytes("shopify", "customers_data_request.json"))

    assert response.status_code == 200
    request = PrivacyRequest.objects.get()
    assert request.completed_at is not None and request.kind == "data_request"
    [exported] = request.export["customers"]
    assert exported["customer"]["email"] == "lucia.fernandez@example.com"
    assert [order["total"] for order in exported["orders"]] == ["59.90"]
    assert {"survey_answers", "reviews", "cases"} <= set(exported) and "emails_sent" in exported
    assert AuditEvent.objects.get(action="customer.export").summary.startswith("Shopify")
    url = f"/integrations/{request.connector_id}/privacy/{request.pk}/export.json"
    assert staff("manager").get(url).json()["customers"][0]["customer"]["name"] == "Lucía Fernández"
    assert staff("agent").get(url).status_code == 403


def test_a_customer_redact_erases_the_customer_and_keeps_the_order(shopify_shop, lucia_with_an_answer):
    response = shopify_shop.post("customers/redact", fixture_bytes("shopify", "customers_redact.json"))

    assert response.status_code == 200
    lucia_with_an_answer.refresh_from_db()
    assert lucia_with_an_answer.erased_at is not None and lucia_with_an_answer.email.endswith("@erased.invalid")
    assert Order.objects.get().total == Decimal("59.90")
    assert PrivacyRequest.objects.get().outcome == "Erased 1 customer(s)."


def test_a_shop_redact_erases_the_shops_customers_and_deactivates_the_connector(
    shopify_shop, shopify, lucia_with_an_answer
):
    shopify_shop.post("orders/cancelled", fixture_bytes("shopify", "orders_cancelled.json"))

    response = shopify_shop.post("shop/redact", fixture_bytes("shopify", "shop_redact.json"))

    assert response.status_code == 200
    assert Customer.objects.filter(erased_at__isnull=True).count() == 0
    shopify.refresh_from_db()
    assert not shopify.is_active


def test_a_privacy_request_lost_with_the_broker_is_carried_out_by_the_sweep(shopify_shop, lucia_with_an_answer):
    from integrations import services
    from privacy.shop_requests import PENDING_GRACE
    from privacy.tasks import shop_privacy_requests_sweep

    original = services.enqueue
    # the broker goes down between the delivery's hand-over and the privacy request's
    services.enqueue = lambda task, *args: False if task == services.PRIVACY_REQUEST else original(task, *args)
    try:
        shopify_shop.post("customers/redact", fixture_bytes("shopify", "customers_redact.json"))
    finally:
        services.enqueue = original
    request = PrivacyRequest.objects.get()
    assert request.completed_at is None
    PrivacyRequest.objects.update(received_at=request.received_at - PENDING_GRACE)

    assert shop_privacy_requests_sweep() == 1

    lucia_with_an_answer.refresh_from_db()
    assert lucia_with_an_answer.erased_at is not None
