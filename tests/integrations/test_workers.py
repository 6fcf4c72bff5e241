"""Workers side by side: one busy with a shop's delivery never makes another skip the next one."""

import threading
import time

import pytest
from django.db import connection, transaction

from customers.models import Order
from integrations.models import Connector, WebhookDelivery
from tests.integrations.conftest import SECRET, fixture_json


@pytest.mark.django_db(transaction=True)
def test_a_delivery_is_processed_while_another_worker_holds_the_shops_connector_row():
    from integrations.services import connector_create, delivery_process

    connector = connector_create(platform="shopify", shop_url="https://tienda-demo.myshopify.com", secret=SECRET)
    delivery = WebhookDelivery.objects.create(
        connector=connector,
        topic="orders/create",
        delivery_id="d-1",
        payload=fixture_json("shopify", "orders_create.json"),
    )
    locked, release = threading.Event(), threading.Event()

    def other_worker():
        # another delivery of the same shop being processed: it holds the connector row until it commits
        with transaction.atomic():
            Connector.objects.select_for_update().get(pk=connector.pk)
            locked.set()
            release.wait(5)
        connection.close()

    thread = threading.Thread(target=other_worker)
    thread.start()
    locked.wait(5)
    threading.Timer(0.3, release.set).start()
    started = time.monotonic()

    processed = delivery_process(delivery_id=delivery.pk)

    thread.join()
    assert processed is True  # waited for the row the other worker held, instead of skipping the delivery
    assert Order.objects.count() == 1 and time.monotonic() - started < 5
