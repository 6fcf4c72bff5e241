"""Social mentions: bulk API and the HMAC-signed connector webhook, deduplicated."""

import json
import time
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from feedback.models import FeedbackItem
from social.models import Connector, Mention
from social.services import connector_create, connector_rotate_secret, webhook_signature

pytestmark = pytest.mark.django_db


def mention(**fields) -> dict:
    return {
        "platform": "x",
        "external_id": "1790001",
        "author_handle": "@lucia_g",
        "author_followers": 48200,
        "text": "@TiendaDemo mi pedido lleva 10 días sin llegar y nadie contesta",
        "url": "https://x.com/lucia_g/status/1790001",
        "is_reply_to_shop": True,
        **fields,
    }


@pytest.fixture
def connector() -> tuple[Connector, str]:
    return connector_create(name="X listener", platform="x")


def post_webhook(connector: Connector, body: bytes, *, secret: str, timestamp: int | None = None, signature=None):
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    headers = {
        "HTTP_X_VOZ_TIMESTAMP": timestamp,
        "HTTP_X_VOZ_SIGNATURE": signature or webhook_signature(secret, timestamp, body),
    }
    return APIClient().generic(
        "POST", f"/api/v1/webhooks/social/{connector.public_id}/", body, content_type="application/json", **headers
    )


def test_a_signed_webhook_stores_mentions_with_their_reach_and_queues_analysis(
    connector, django_capture_on_commit_callbacks
):
    connector, secret = connector
    body = json.dumps({"items": [mention(), mention(external_id="1790002", text="Me encanta la web nueva")]}).encode()

    with django_capture_on_commit_callbacks(execute=True):
        response = post_webhook(connector, body, secret=secret)

    assert response.status_code == 200 and response.json()["created"] == 2
    stored = Mention.objects.get(external_id="1790001")
    assert (stored.author_handle, stored.author_followers, stored.is_reply_to_shop) == ("lucia_g", 48200, True)
    assert stored.connector == connector
    item = FeedbackItem.objects.get(mention=stored)
    assert item.channel == "social" and item.analysis_status == "done" and item.sentiment == "negative"


@pytest.mark.parametrize(
    "tamper",
    ["bad_signature", "other_secret", "stale", "future", "no_signature", "body_changed"],
)
def test_a_badly_signed_or_stale_webhook_is_401_and_stores_nothing(connector, tamper):
    connector, secret = connector
    body = json.dumps({"items": [mention()]}).encode()
    now = int(time.time())
    kwargs = {
        "bad_signature": {"secret": secret, "signature": "sha256=" + "0" * 64},
        "other_secret": {"secret": "not-the-secret"},
        "stale": {"secret": secret, "timestamp": now - 360},  # a minute past the window, so a slow run stays outside it
        "future": {"secret": secret, "timestamp": now + 360},
        "no_signature": {"secret": secret, "signature": " "},
    }.get(tamper, {"secret": secret})
    if tamper == "body_changed":
        timestamp = str(now)
        signature = webhook_signature(secret, timestamp, body)
        body = body.replace(b"10 d", b"11 d")
        kwargs = {"secret": secret, "timestamp": now, "signature": signature}

    response = post_webhook(connector, body, **kwargs)

    assert response.status_code == 401
    assert response.json()["type"] == "invalid_signature"
    assert not Mention.objects.exists() and not FeedbackItem.objects.exists()


def test_after_a_rotation_both_secrets_work_until_the_old_one_expires(connector):
    connector, old_secret = connector
    new_secret = connector_rotate_secret(connector=connector)
    connector.refresh_from_db()
    body = json.dumps({"items": [mention()]}).encode()

    assert post_webhook(connector, body, secret=old_secret).status_code == 200
    assert post_webhook(connector, body, secret=new_secret).status_code == 200

    Connector.objects.filter(pk=connector.pk).update(previous_secret_expires_at=timezone.now() - timedelta(seconds=1))
    assert post_webhook(connector, body, secret=old_secret).status_code == 401
    assert post_webhook(connector, body, secret=new_secret).status_code == 200
    assert Mention.objects.count() == 1, "the same mention three times is stored once"


def test_a_signed_but_malformed_body_is_400(connector):
    connector, secret = connector

    assert post_webhook(connector, b"{not json", secret=secret).status_code == 400
    assert post_webhook(connector, json.dumps({"items": "x"}).encode(), secret=secret).status_code == 400
    assert not Mention.objects.exists()


def test_an_unknown_or_disabled_connector_is_404(connector):
    connector, secret = connector
    Connector.objects.filter(pk=connector.pk).update(is_active=False)

    assert post_webhook(connector, b"{}", secret=secret).status_code == 404


def test_bulk_api_deduplicates_and_updates_by_platform_and_external_id(api_token_for):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('feedback:write', 'feedback:read')}")

    first = api.post("/api/v1/mentions/bulk/", {"items": [mention(), mention(platform="instagram")]}, format="json")
    again = api.post(
        "/api/v1/mentions/bulk/",
        {"items": [mention(author_followers=50000), mention(external_id="", text="")]},
        format="json",
    )

    assert [r["status"] for r in first.json()["results"]] == ["created", "created"]
    assert [r["status"] for r in again.json()["results"]] == ["updated", "error"]
    assert set(again.json()["results"][1]["errors"]) == {"external_id", "text"}
    assert Mention.objects.count() == 2
    assert Mention.objects.get(platform="x").author_followers == 50000
    assert FeedbackItem.objects.filter(channel="social").count() == 2
    listed = api.get("/api/v1/mentions/", {"min_followers": 49000}).json()["results"]
    assert [m["platform"] for m in listed] == ["x"]


def test_an_admin_creates_a_connector_and_sees_its_secret_once(admin_client):
    response = admin_client.post(
        "/admin/social/connector/add/", {"name": "TikTok", "platform": "tiktok", "is_active": "on"}, follow=True
    )

    connector = Connector.objects.get(name="TikTok")
    message = [str(m) for m in response.context["messages"]][0]
    assert connector.secret in message
    page = admin_client.get(f"/admin/social/connector/{connector.pk}/change/").content.decode()
    assert connector.secret not in page and str(connector.public_id) in page
