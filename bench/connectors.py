"""Replay the hand-written shop fixtures against a running Voz, then a burst of 1,000 orders.

Against the server `make run` started (http://127.0.0.1:8000, or --url; 127.0.0.1 only), with the
same settings and database as that server (it reads the same environment and .env):

1. sets up three connectors (Shopify, WooCommerce, PrestaShop) with secrets it knows;
2. posts the Shopify and WooCommerce fixtures of tests/fixtures/, signed as the platforms sign them,
   with their dates moved so the deliveries happened three days ago;
3. serves the PrestaShop fixtures from a stand-in Webservice on 127.0.0.1 and presses the connector
   page's "Sync now" as the admin (--username/--password, admin/admin after `make run`);
4. runs the invitation scheduler once — what beat does every 15 minutes — and prints, per platform,
   the orders that arrived and the invitations scheduled;
5. sends 1,000 Shopify orders/create webhooks from --concurrency threads and reports how fast they
   were answered and how long until the last one was stored: a 429 or 503 is retried after its
   Retry-After, as the platforms do, and counted; nothing may be dropped.

Usage: .venv/bin/python bench/connectors.py [--url http://127.0.0.1:8000] [--burst 1000]
It stops by itself (the stand-in shop with it) and leaves the connectors and orders in place, for the
Connect-your-shop page to show.
"""

import argparse
import base64
import hashlib
import hmac
import json
import logging
import os
import re
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

FIXTURES = ROOT / "tests" / "fixtures"
SECRETS = {"shopify": "bench-shopify-secret-0123456789", "woocommerce": "bench-woo-secret-0123456789"}
PRESTASHOP_KEY = "BENCHPRESTASHOPKEY0123456789ABCD"
SHOP_URLS = {
    "shopify": "https://bench-tienda.myshopify.com",
    "woocommerce": "https://bench-tienda-woo.example.com",
}
# the fixtures' deliveries; every date in them moves by the same amount, so this lands three days ago
FIXTURE_DELIVERY = datetime.fromisoformat("2026-11-05T11:58:00+01:00")
STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[+-]\d{2}:\d{2}|Z)?")

SHOPIFY_REPLAY = [
    ("orders/create", "orders_create.json"),
    ("orders/paid", "orders_paid.json"),
    ("orders/fulfilled", "orders_fulfilled.json"),
    ("orders/cancelled", "orders_cancelled.json"),
    ("orders/create", "orders_create_no_email.json"),
]
WOOCOMMERCE_REPLAY = [
    ("order.created", "order_created.json"),
    ("order.updated", "order_updated_completed.json"),
    ("order.created", "order_created_no_email.json"),
]


def shifted(text: str, delta: timedelta) -> str:
    """Every date and time in `text` moved by `delta`, written as it was (with or without offset)."""

    def move(match: re.Match) -> str:
        stamp = match.group(0)
        if stamp.startswith("0000"):
            return stamp  # PrestaShop's "no date"
        moment = datetime.fromisoformat(stamp.replace("Z", "+00:00")) + delta
        result = moment.strftime("%Y-%m-%dT%H:%M:%S" if "T" in stamp else "%Y-%m-%d %H:%M:%S")
        if stamp.endswith("Z"):
            return result + "Z"
        return result + moment.strftime("%z")[:3] + ":" + moment.strftime("%z")[3:] if moment.tzinfo else result

    return STAMP.sub(move, text)


def sign(body: bytes, secret: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class Shop:
    HEADERS = {
        "shopify": ("X-Shopify-Topic", "X-Shopify-Hmac-Sha256", "X-Shopify-Webhook-Id"),
        "woocommerce": ("X-WC-Webhook-Topic", "X-WC-Webhook-Signature", "X-WC-Webhook-Delivery-ID"),
    }

    def __init__(self, http, base_url: str, connector):
        self.http, self.connector = http, connector
        self.url = f"{base_url}/api/v1/connectors/{connector.platform}/{connector.public_id}/"
        self.retried = 0

    def post(self, topic: str, body: bytes, delivery_id: str):
        topic_header, signature_header, delivery_header = self.HEADERS[self.connector.platform]
        headers = {
            "Content-Type": "application/json",
            topic_header: topic,
            signature_header: sign(body, SECRETS[self.connector.platform]),
            delivery_header: delivery_id,
        }
        for _attempt in range(20):
            response = self.http.post(self.url, content=body, headers=headers)
            if response.status_code not in (429, 503):
                return response
            self.retried += 1  # refused for now, not dropped: the platforms send it again later
            time.sleep(min(float(response.headers.get("Retry-After", "1")), 5))
        return response


def connectors_set_up(stub_url: str):
    from integrations.models import Connector
    from integrations.services import connector_create, connector_update

    connectors = {}
    wanted = {**SHOP_URLS, "prestashop": None}
    secrets = {**SECRETS, "prestashop": PRESTASHOP_KEY}
    for platform, url in wanted.items():
        existing = Connector.objects.filter(platform=platform, secret_hint=secrets[platform][-4:]).first()
        shop_url = url or stub_url
        if existing:
            connectors[platform] = connector_update(connector=existing, shop_url=shop_url, secret=secrets[platform])
            Connector.objects.filter(pk=existing.pk).update(is_active=True, cursor="")
        else:
            connectors[platform] = connector_create(platform=platform, shop_url=shop_url, secret=secrets[platform])
    return connectors


def staff_session(http, base_url: str, username: str, password: str) -> str:
    """Sign in as the shop's admin, as a person would; returns the CSRF token for later posts."""
    http.get(f"{base_url}/accounts/login/")
    token = http.cookies.get("csrftoken")
    response = http.post(
        f"{base_url}/accounts/login/",
        data={"login": username, "password": password, "csrfmiddlewaretoken": token, "next": "/integrations/"},
        headers={"Referer": f"{base_url}/accounts/login/"},
    )
    if "sessionid" not in http.cookies:
        raise SystemExit(
            f"Could not sign in as {username!r} (HTTP {response.status_code}); pass --username/--password."
        )
    return http.cookies.get("csrftoken")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--username", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--drain-timeout", type=float, default=300)
    args = parser.parse_args()
    base_url = args.url.rstrip("/")
    if urlsplit(base_url).hostname != "127.0.0.1":
        raise SystemExit("This benchmark only talks to a Voz on 127.0.0.1.")

    import django

    django.setup()
    import httpx

    # a line per request would bury the per-platform summary under a thousand burst requests
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.utils import timezone

    from bench.prestashop_stub import PrestaShopStub, fixtures_load
    from customers.models import Order
    from integrations.models import ConnectorOrder, WebhookDelivery
    from surveys.models import Invitation
    from surveys.services import invitations_schedule_due

    delta = (timezone.now() - timedelta(days=3) - FIXTURE_DELIVERY).total_seconds()
    delta = timedelta(seconds=int(delta))
    presta_data = json.loads(shifted(json.dumps(fixtures_load()), delta))

    with PrestaShopStub(presta_data, key=PRESTASHOP_KEY) as stub, httpx.Client(timeout=30) as http:
        try:
            http.get(f"{base_url}/healthz").raise_for_status()
        except httpx.HTTPError as error:
            raise SystemExit(f"No Voz at {base_url} ({error}); start it with `make run`.") from error
        connectors = connectors_set_up(stub.url)
        run = int(time.time())

        print("1. Replaying the hand-written fixtures")
        for platform, replay in (("shopify", SHOPIFY_REPLAY), ("woocommerce", WOOCOMMERCE_REPLAY)):
            shop = Shop(http, base_url, connectors[platform])
            for number, (topic, name) in enumerate(replay):
                body = shifted((FIXTURES / platform / name).read_text(), delta).encode()
                response = shop.post(topic, body, f"bench-{run}-{number}")
                print(f"   {platform:12} {topic:18} {name:34} → {response.status_code} {response.json().get('status')}")
        csrf = staff_session(http, base_url, args.username, args.password)
        response = http.post(
            f"{base_url}/integrations/{connectors['prestashop'].pk}/sync/",
            headers={"X-CSRFToken": csrf, "Referer": f"{base_url}/integrations/"},
        )
        asked = [path for path, _query in stub.requests]
        print(f"   prestashop   Sync now → {response.status_code}; the stand-in shop was asked {asked}")

        print("2. Scheduling invitations (what beat runs every 15 minutes)")
        created = invitations_schedule_due()
        print(f"   {len(created)} new invitation(s)")
        for platform, connector in connectors.items():
            orders = Order.objects.filter(connector_orders__connector=connector)
            invited = Invitation.objects.filter(order__in=orders)
            without_email = ConnectorOrder.objects.filter(connector=connector, has_email=False).count()
            delivered = orders.filter(delivered_at__isnull=False).count()
            cancelled = orders.filter(cancelled_at__isnull=False).count()
            states = ", ".join(sorted(set(invited.values_list("status", flat=True)))) or "-"
            print(
                f"   {platform:12} orders {orders.count()}, delivered {delivered}, cancelled {cancelled}, "
                f"without email {without_email}, invitations {invited.count()} ({states})"
            )

        print(f"3. A burst of {args.burst} Shopify orders/create from {args.concurrency} threads")
        shop = Shop(http, base_url, connectors["shopify"])
        template = json.loads(shifted((FIXTURES / "shopify" / "orders_create.json").read_text(), delta))
        before = ConnectorOrder.objects.filter(connector=connectors["shopify"]).count()

        def send(number: int) -> tuple[int, float]:
            order = dict(template, id=int(f"9{run % 10**8:08d}{number:05d}"), name=f"#B{number}")
            started = time.perf_counter()
            response = shop.post("orders/create", json.dumps(order).encode(), f"burst-{run}-{number}")
            return response.status_code, time.perf_counter() - started

        started = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            results = list(pool.map(send, range(args.burst)))
        answered = time.perf_counter() - started
        latencies = sorted(seconds for _status, seconds in results)
        p50, p99 = statistics.median(latencies) * 1000, latencies[int(len(latencies) * 0.99) - 1] * 1000
        statuses = {status: sum(1 for code, _s in results if code == status) for status, _s in results}
        while True:
            stored = ConnectorOrder.objects.filter(connector=connectors["shopify"]).count() - before
            waiting = WebhookDelivery.objects.filter(connector=connectors["shopify"], processed_at__isnull=True).count()
            if stored >= args.burst or time.perf_counter() - started > args.drain_timeout:
                break
            time.sleep(0.5)
        drained = time.perf_counter() - started
        print(
            f"   answered {dict(sorted(statuses.items()))} in {answered:.1f} s ({args.burst / answered:.0f}/s), "
            f"p50 {p50:.0f} ms, p99 {p99:.0f} ms; "
            f"{shop.retried} answered 429/503 first and were sent again"
        )
        print(f"   stored {stored} of {args.burst} orders {drained:.1f} s after the first; {waiting} still queued")
        if stored < args.burst:
            raise SystemExit("Some orders of the burst were not stored.")


if __name__ == "__main__":
    main()
