import base64
import hashlib
import hmac
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from core.roles import AGENTS, MANAGERS

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SECRET = "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"


def fixture_bytes(platform: str, name: str) -> bytes:
    return (FIXTURES / platform / name).read_bytes()


def fixture_json(platform: str, name: str) -> dict:
    return json.loads(fixture_bytes(platform, name))


def sign(body: bytes, secret: str = SECRET) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


@pytest.fixture
def shopify(db):
    from integrations.services import connector_create

    return connector_create(platform="shopify", shop_url="https://tienda-demo.myshopify.com", secret=SECRET)


@pytest.fixture
def woocommerce(db):
    from integrations.services import connector_create

    return connector_create(platform="woocommerce", shop_url="https://tienda-woo.example.com", secret=SECRET)


class Shop:
    """Posts webhooks as the platform does: the raw body, signed, with the platform's headers."""

    def __init__(self, connector, headers: dict[str, str], capture):
        self.connector, self.headers, self.client, self.capture = connector, headers, APIClient(), capture
        self.sent = 0

    def post(self, topic: str, body: bytes, *, signature: str | None = None, delivery_id: str | None = None):
        self.sent += 1
        headers = {
            self.headers["topic"]: topic,
            self.headers["signature"]: sign(body) if signature is None else signature,
            self.headers["delivery"]: delivery_id or f"delivery-{self.sent}",
        }
        # the test's transaction never commits: run what the request leaves for after the commit
        # (the hand-over to the worker, eager in tests), as a real commit would
        with self.capture(execute=True):
            return self.client.generic(
                "POST",
                f"/api/v1/connectors/{self.connector.platform}/{self.connector.public_id}/",
                body,
                content_type="application/json",
                headers=headers,
            )


@pytest.fixture
def shopify_shop(shopify, django_capture_on_commit_callbacks):
    return Shop(
        shopify,
        {"topic": "X-Shopify-Topic", "signature": "X-Shopify-Hmac-Sha256", "delivery": "X-Shopify-Webhook-Id"},
        django_capture_on_commit_callbacks,
    )


@pytest.fixture
def woo_shop(woocommerce, django_capture_on_commit_callbacks):
    return Shop(
        woocommerce,
        {"topic": "X-WC-Webhook-Topic", "signature": "X-WC-Webhook-Signature", "delivery": "X-WC-Webhook-Delivery-ID"},
        django_capture_on_commit_callbacks,
    )


@pytest.fixture
def staff(db, django_user_model):
    """A logged-in client per role."""

    def make(role: str):
        client = APIClient()
        if role == "admin":
            user = django_user_model.objects.create_superuser("root", password="x")
        else:
            user = django_user_model.objects.create_user(role, password="x", is_staff=True)
            user.groups.add(Group.objects.get(name={"agent": AGENTS, "manager": MANAGERS}[role]))
        client.force_login(user)
        return client

    return make
