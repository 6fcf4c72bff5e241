"""PrestaShop, polled through its Webservice API, against a local stand-in of a shop's API."""

from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings

from bench.prestashop_stub import PrestaShopStub, fixtures_load
from customers.models import Order
from integrations import prestashop
from integrations.models import Connector, ConnectorOrder
from integrations.services import connector_create, prestashop_sync

pytestmark = pytest.mark.django_db
KEY = "K8W1ZQ4V7N2XJ5M9C3R6T0Y8P1L4H7D2"
MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2026, 11, 6, 12, 0, tzinfo=MADRID)


@pytest.fixture
def shop():
    with PrestaShopStub(fixtures_load(), key=KEY) as stub:
        yield stub


@pytest.fixture
def connector(shop):
    return connector_create(platform="prestashop", shop_url=shop.url, secret=KEY)


def order(connector, number: int) -> Order:
    return Order.objects.get(external_id=f"prestashop-{connector.pk}-{number}")


def test_a_poll_stores_the_changed_orders_with_their_customers_and_states(shop, connector):
    stored = prestashop_sync(connector_id=connector.pk, now=NOW)

    assert stored == 4
    delivered = order(connector, 41)
    assert delivered.delivered_at == datetime(2026, 11, 4, 17, 30, tzinfo=MADRID)
    assert (delivered.customer.email, delivered.customer.name) == ("carmen.ruiz@example.com", "Carmen Ruiz")
    # her newsletter box in the shop is her consent to the shop's own marketing emails
    assert (delivered.customer.marketing_consent, delivered.customer.marketing_consent_source) == ("granted", "shop")
    assert order(connector, 42).customer.marketing_consent != "granted"
    assert delivered.currency == "EUR" and str(delivered.total) == "49.99"
    assert order(connector, 42).delivered_at is None and order(connector, 42).customer.preferred_language == "en"
    assert order(connector, 43).cancelled_at is not None  # refunded
    assert ConnectorOrder.objects.get(platform_order_id="44").has_email is False
    connector.refresh_from_db()
    assert connector.cursor == "2026-11-06 10:00:00" and connector.last_error_code == ""
    # the key travels as the basic-auth user, the dates in the filter PrestaShop expects
    path, query = next(request for request in shop.requests if request[0] == "/api/orders")
    assert query["filter[date_upd]"] == "[2026-10-07 12:00:00,2026-11-06 12:00:00]"
    assert query["date"] == "1" and query["display"] == "full" and query["output_format"] == "JSON"


def test_the_next_poll_starts_at_the_cursor_and_changes_nothing_twice(shop, connector):
    prestashop_sync(connector_id=connector.pk, now=NOW)
    shop.requests.clear()

    prestashop_sync(connector_id=connector.pk, now=datetime(2026, 11, 6, 12, 5, tzinfo=MADRID))

    [query] = [query for path, query in shop.requests if path == "/api/orders"]
    assert query["filter[date_upd]"] == "[2026-11-06 10:00:00,2026-11-06 12:05:00]"
    assert Order.objects.count() == 4 and ConnectorOrder.objects.count() == 4


def test_a_later_change_in_the_shop_updates_the_order(shop, connector):
    prestashop_sync(connector_id=connector.pk, now=NOW)
    changed = next(row for row in shop.data["orders"] if row["id"] == 42)
    changed.update(current_state="5", date_upd="2026-11-06 11:00:00", delivery_date="2026-11-06 11:00:00")

    prestashop_sync(connector_id=connector.pk, now=datetime(2026, 11, 6, 12, 5, tzinfo=MADRID))

    assert order(connector, 42).delivered_at == datetime(2026, 11, 6, 11, 0, tzinfo=MADRID)


def test_pages_are_read_until_the_last_one(shop, connector, monkeypatch):
    monkeypatch.setattr(prestashop, "PAGE_SIZE", 3)

    assert prestashop_sync(connector_id=connector.pk, now=NOW) == 4
    assert [query["limit"] for path, query in shop.requests if path == "/api/orders"] == ["0,3", "3,3"]


def test_a_wrong_key_is_shown_on_the_page_and_the_cursor_stays(shop, staff):
    connector = connector_create(platform="prestashop", shop_url=shop.url, secret="NOT-THE-KEY-OF-THIS-SHOP")

    assert prestashop_sync(connector_id=connector.pk, now=NOW) == 0

    connector.refresh_from_db()
    assert (connector.last_error_code, connector.last_error, connector.cursor) == ("auth", "401", "")
    manager = staff("manager")
    assert (
        "error: error 401: check the key" in manager.get("/integrations/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    )
    spanish = manager.get("/integrations/", HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "error 401: revisa la clave" in spanish and "Última sincronización" in spanish


# a client that retries at once: the pauses between tries (1 s, 2 s) are the client's, not the sync's
IMPATIENT_CLIENT = partial(prestashop.Client, retry_pause=0)


def test_a_shop_that_keeps_failing_is_retried_then_reported(shop, connector):
    shop.status_override = 503

    prestashop_sync(connector_id=connector.pk, now=NOW, client_class=IMPATIENT_CLIENT)

    assert len(shop.requests) == prestashop.ATTEMPTS  # the first call, tried three times
    connector.refresh_from_db()
    assert connector.last_error_code == "http" and connector.last_error == "503"


def test_an_unreachable_shop_is_reported_not_swallowed(connector, shop):
    Connector.objects.filter(pk=connector.pk).update(shop_url="http://127.0.0.1:9")

    prestashop_sync(connector_id=connector.pk, now=NOW, client_class=IMPATIENT_CLIENT)

    connector.refresh_from_db()
    assert connector.last_error_code == "unreachable" and connector.last_sync_at == NOW


def test_beat_polls_prestashop_every_few_minutes(shop, connector):
    from integrations.tasks import connectors_poll

    Connector.objects.filter(pk=connector.pk).update(cursor="2026-11-01 00:00:00")  # the fixtures' month
    entry = settings.CELERY_BEAT_SCHEDULE["integrations.connectors_poll"]
    assert entry["task"] == "integrations.tasks.connectors_poll"
    assert entry["schedule"].total_seconds() <= 10 * 60

    assert connectors_poll() == 1  # eager in tests: the sync ran
    assert Order.objects.count() == 4


def test_test_connection_says_whether_the_key_works(shop, connector, staff):
    manager = staff("manager")

    manager.post(f"/integrations/{connector.pk}/test/")
    connector.refresh_from_db()
    assert connector.last_test_ok is True

    bad = connector_create(platform="prestashop", shop_url=shop.url, secret="NOT-THE-KEY-OF-THIS-SHOP")
    response = manager.post(f"/integrations/{bad.pk}/test/", follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert "Error 401: the shop refused the key" in response.content.decode()
    assert [path for path, query in shop.requests][-1] == "/api/orders"


def test_sync_now_from_the_page(shop, connector, staff):
    Connector.objects.filter(pk=connector.pk).update(cursor="2026-11-01 00:00:00")  # the fixtures' month
    response = staff("manager").post(f"/integrations/{connector.pk}/sync/", follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "4 orders read from the shop." in response.content.decode()
    assert Order.objects.count() == 4
