"""API clients: tokens shown once and stored hashed, scopes, rotation, limits, documented schema."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from core.api_clients import api_client_create, api_client_rotate_token, token_digest
from core.models import ApiClient

pytestmark = pytest.mark.django_db


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_an_admin_creates_a_client_and_sees_its_token_once(admin_client):
    response = admin_client.post(
        reverse("admin:core_apiclient_add"),
        {"name": "ERP", "scopes": ["orders:write", "orders:read"], "is_active": "on"},
        follow=True,
    )

    client = ApiClient.objects.get(name="ERP")
    shown = [str(m) for m in response.context["messages"]]
    token = shown[0].split("<code>")[1].split("</code>")[0]
    assert token.startswith(f"voz_{client.token_prefix}_")
    assert client.token_digest == token_digest(token) and token not in client.token_digest
    assert client.scopes == ["orders:read", "orders:write"]
    assert bearer(token).get("/api/v1/orders/").status_code == 200
    # the change page never shows it again
    page = admin_client.get(reverse("admin:core_apiclient_change", args=[client.pk])).content.decode()
    assert token not in page


def test_api_clients_stay_with_the_admins_and_managers_cannot_open_them(client, django_user_model):
    from django.contrib.auth.models import Group

    from core.roles import MANAGERS

    api_client_create(name="ERP", scopes=["orders:read"])
    manager = django_user_model.objects.create_user("manager", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    client.force_login(manager)

    assert client.get(reverse("admin:core_apiclient_changelist")).status_code == 403
    assert reverse("admin:core_apiclient_changelist") not in client.get(reverse("admin:index")).content.decode()


def test_no_token_is_401_and_a_wrong_scope_is_403_with_the_error_shape():
    _, token = api_client_create(name="Reader", scopes=["feedback:read"])

    anonymous = APIClient().get("/api/v1/feedback/")
    wrong_scope = bearer(token).get("/api/v1/orders/")
    right_scope = bearer(token).get("/api/v1/feedback/")

    assert anonymous.status_code == 401 and anonymous.json()["type"] == "not_authenticated"
    assert wrong_scope.status_code == 403 and wrong_scope.json()["type"] == "permission_denied"
    assert "orders:read" in wrong_scope.json()["detail"]
    assert right_scope.status_code == 200


def test_read_scope_does_not_allow_writing():
    _, token = api_client_create(name="Reader", scopes=["feedback:read"])
    from tests.factories import FeedbackItemFactory

    item = FeedbackItemFactory()
    response = bearer(token).patch(f"/api/v1/feedback/{item.pk}/", {"sentiment_gold": "negative"}, format="json")

    assert response.status_code == 403
    item.refresh_from_db()
    assert item.sentiment_gold == ""


@pytest.mark.parametrize("token", ["voz_nothere_abc", "not-a-voz-token", "voz_x"])
def test_unknown_or_malformed_tokens_are_401(token):
    assert bearer(token).get("/api/v1/feedback/").status_code == 401


def test_a_deactivated_client_is_refused_and_rotation_revokes_the_old_token():
    client, token = api_client_create(name="ERP", scopes=["orders:read"])

    new_token = api_client_rotate_token(client=client)

    assert bearer(token).get("/api/v1/orders/").status_code == 401
    assert bearer(new_token).get("/api/v1/orders/").status_code == 200
    ApiClient.objects.filter(pk=client.pk).update(is_active=False)
    assert bearer(new_token).get("/api/v1/orders/").status_code == 401


def test_use_is_recorded_without_a_write_per_request(django_assert_max_num_queries):
    client, token = api_client_create(name="ERP", scopes=["orders:read"])
    api = bearer(token)
    api.get("/api/v1/orders/")
    client.refresh_from_db()
    first_use = client.last_used_at

    api.get("/api/v1/orders/")
    client.refresh_from_db()

    assert first_use is not None and client.last_used_at == first_use


def test_unknown_scopes_are_refused():
    from core.api_clients import InvalidScopes

    with pytest.raises(InvalidScopes):
        api_client_create(name="x", scopes=["everything:*"])


def test_an_oversized_body_is_refused_with_413_and_stores_nothing(settings, api_token_for):
    settings.API_MAX_BODY_BYTES = 1000
    api = bearer(api_token_for("orders:write"))

    response = api.post("/api/v1/orders/", {"external_id": "X" * 2000}, format="json")

    assert response.status_code == 413
    assert response.json()["type"] == "payload_too_large"
    from customers.models import Order

    assert not Order.objects.exists()


def test_the_openapi_schema_generates_without_warnings(tmp_path):
    target = tmp_path / "schema.json"

    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", "--file", str(target))

    schema = json.loads(target.read_text())
    assert "/api/v1/feedback/" in schema["paths"] and "/api/v1/orders/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"


def test_swagger_ui_and_redoc_are_served_from_the_project_not_a_cdn(client):
    for url in ("/api/docs/", "/api/redoc/"):
        html = client.get(url).content.decode()
        assert "/static/drf_spectacular_sidecar/" in html
        assert "cdn." not in html and "unpkg" not in html
