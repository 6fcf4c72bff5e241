"""The Connect-your-shop page: who may use it, what it shows and never shows, in both languages."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from rest_framework.test import APIClient

from integrations.models import Connector
from integrations.secrets import secret_decrypt
from tests.integrations.conftest import SECRET, fixture_bytes

pytestmark = pytest.mark.django_db


def test_managers_and_admins_open_the_page_agents_and_strangers_do_not(staff):
    assert staff("manager").get("/integrations/").status_code == 200
    assert staff("admin").get("/integrations/").status_code == 200
    assert staff("agent").get("/integrations/").status_code == 403
    assert APIClient().get("/integrations/").status_code == 302


def test_an_agent_cannot_add_or_test_a_connector(staff, shopify):
    agent = staff("agent")

    assert (
        agent.post(
            "/integrations/", {"platform": "shopify", "shop_url": "https://x.example", "secret": "s" * 20}
        ).status_code
        == 403
    )
    assert agent.post(f"/integrations/{shopify.pk}/test/").status_code == 403
    assert agent.post(f"/integrations/{shopify.pk}/delete/").status_code == 403
    assert Connector.objects.count() == 1


def test_settings_and_the_first_steps_link_to_the_page_for_managers_only(staff):
    # the staff navigation's Settings section leads here (tests/staff/test_shell.py)
    manager = staff("manager")
    assert 'href="/integrations/"' in manager.get("/home/settings/").content.decode()
    assert 'href="/integrations/"' in manager.get("/home/start/").content.decode()
    assert 'href="/integrations/"' not in staff("agent").get("/home/").content.decode()


def test_a_manager_connects_a_shop_and_sees_the_webhook_urls_to_copy_but_never_the_secret(staff):
    manager = staff("manager")

    response = manager.post(
        "/integrations/",
        {"platform": "shopify", "shop_url": "https://tienda-demo.myshopify.com", "secret": SECRET},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    connector = Connector.objects.get()
    page = response.content.decode()
    assert f"https://voz.example/api/v1/connectors/shopify/{connector.public_id}/" in page  # VOZ_PUBLIC_BASE_URL
    for topic in (
        "orders/create",
        "orders/paid",
        "orders/fulfilled",
        "orders/cancelled",
        "refunds/create",
        "shop/redact",
    ):
        assert f"<code>{topic}</code>" in page
    assert SECRET not in page and f"•••• {SECRET[-4:]}" in page
    assert SECRET not in connector.secret_encrypted and secret_decrypt(connector.secret_encrypted) == SECRET


def test_woocommerce_without_a_secret_gets_one_made_shown_once(staff):
    response = staff("manager").post(
        "/integrations/",
        {"platform": "woocommerce", "shop_url": "https://tienda-woo.example.com", "secret": ""},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )

    secret = secret_decrypt(Connector.objects.get().secret_encrypted)
    assert len(secret) >= 32 and secret in response.content.decode()
    assert secret not in staff("admin").get("/integrations/").content.decode()


def test_a_bad_form_is_a_400_page_naming_the_problem_and_stores_nothing(staff):
    response = staff("manager").post(
        "/integrations/", {"platform": "prestashop", "shop_url": "not a url", "secret": ""}, HTTP_ACCEPT_LANGUAGE="en"
    )

    assert response.status_code == 400
    assert "Enter a valid URL." in response.content.decode()
    assert not Connector.objects.exists()


def test_changing_the_secret_keeps_the_old_one_when_left_empty(staff, shopify):
    manager = staff("manager")

    manager.post(f"/integrations/{shopify.pk}/edit/", {f"c{shopify.pk}-shop_url": "https://nueva.myshopify.com"})
    shopify.refresh_from_db()
    assert shopify.shop_url == "https://nueva.myshopify.com" and secret_decrypt(shopify.secret_encrypted) == SECRET

    manager.post(
        f"/integrations/{shopify.pk}/edit/",
        {f"c{shopify.pk}-shop_url": shopify.shop_url, f"c{shopify.pk}-secret": "shpss_a_brand_new_secret"},
    )
    shopify.refresh_from_db()
    assert secret_decrypt(shopify.secret_encrypted) == "shpss_a_brand_new_secret"


def test_the_page_in_spanish(staff, shopify):
    page = staff("manager").get("/integrations/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "Conecta tu tienda" in page and "Probar la conexión" in page and "Última sincronización" in page
    assert "Connect your shop" not in page


@pytest.fixture
def storefront():
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_test_connection_for_webhooks_reports_the_shop_and_the_last_signature_problem(staff, shopify, storefront):
    Connector.objects.filter(pk=shopify.pk).update(shop_url=storefront)
    manager = staff("manager")

    first = manager.post(f"/integrations/{shopify.pk}/test/", follow=True, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "The shop answers (HTTP 200)." in first and "No webhook has arrived yet" in first

    body = fixture_bytes("shopify", "orders_create.json")
    APIClient().generic(
        "POST",
        f"/api/v1/connectors/shopify/{shopify.public_id}/",
        body,
        content_type="application/json",
        headers={"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": "d3Jvbmc="},
    )
    second = manager.post(f"/integrations/{shopify.pk}/test/", follow=True, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "wrong signature" in second
    shopify.refresh_from_db()
    assert shopify.last_test_ok is False


def test_test_connection_says_when_the_shop_cannot_be_reached(staff, shopify):
    Connector.objects.filter(pk=shopify.pk).update(shop_url="http://127.0.0.1:9")

    response = staff("manager").post(f"/integrations/{shopify.pk}/test/", follow=True, HTTP_ACCEPT_LANGUAGE="en")

    assert "The shop cannot be reached" in response.content.decode()


def test_removing_a_connector_keeps_its_orders(staff, shopify_shop, shopify):
    from customers.models import Order

    shopify_shop.post("orders/create", fixture_bytes("shopify", "orders_create.json"))

    staff("manager").post(f"/integrations/{shopify.pk}/delete/")

    assert not Connector.objects.exists() and Order.objects.count() == 1
