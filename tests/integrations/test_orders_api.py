"""The orders API is strict: a field it does not know is refused by name, not silently dropped."""

import pytest
from rest_framework.test import APIClient

from customers.models import Order
from surveys.models import Invitation

pytestmark = pytest.mark.django_db


def order_body(**changes) -> dict:
    body = {
        "external_id": "A-1",
        "customer": {"external_id": "C-1", "email": "ana@example.com"},
        "placed_at": "2026-11-01T10:00:00Z",
        "delivered_at": "2026-11-03T10:00:00Z",
        "total": "20.00",
        "items": [{"sku": "SKU-1", "quantity": 1}],
    }
    body.update(changes)
    return body


@pytest.fixture
def shop_api(api_token_for):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('orders:write', 'orders:read')}")
    return client


def test_a_misspelled_field_is_a_400_naming_it_and_nothing_is_stored(shop_api):
    body = order_body()
    body["delivered_on"] = body.pop("delivered_at")

    response = shop_api.post("/api/v1/orders/", body, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["delivered_on"]
    assert not Order.objects.exists()


def test_unknown_fields_inside_the_customer_and_the_lines_are_named_too(shop_api):
    body = order_body(
        customer={"external_id": "C-1", "emial": "ana@example.com", "email": "ana@example.com"},
        items=[{"sku": "SKU-1", "qty": 2}],
    )

    response = shop_api.post("/api/v1/orders/", body, format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors["customer"]) == ["emial"] and list(errors["items"]["0"]) == ["qty"]


def test_unknown_fields_are_named_beside_the_other_errors(shop_api):
    response = shop_api.post("/api/v1/orders/", order_body(total="-1", colour="red"), format="json")

    assert response.status_code == 400 and {"total", "colour"} <= set(response.json()["errors"])


def test_the_schema_lists_the_accepted_fields_and_closes_the_list(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    request = schema["components"]["schemas"]["OrderUpsertRequest"]

    assert request["additionalProperties"] is False
    assert {"external_id", "customer", "placed_at", "delivered_at", "cancelled_at", "items"} <= set(
        request["properties"]
    )
    assert schema["components"]["schemas"]["CustomerInputRequest"]["additionalProperties"] is False


def test_an_order_cancelled_through_the_api_withdraws_its_pending_invitation(
    shop_api, django_capture_on_commit_callbacks
):
    from surveys.services import invitations_schedule_due
    from tests.factories import default_survey

    default_survey()
    shop_api.post("/api/v1/orders/", order_body(), format="json")
    [invitation] = invitations_schedule_due(
        now=Order.objects.get().delivered_at + __import__("datetime").timedelta(days=3)
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = shop_api.post("/api/v1/orders/", order_body(cancelled_at="2026-11-05T09:00:00Z"), format="json")

    assert response.status_code == 200 and response.json()["cancelled_at"] == "2026-11-05T10:00:00+01:00"
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.CANCELLED
