import copy
import threading
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from rest_framework.test import APIClient

from customers.models import Customer, Order, OrderItem, Product
from surveys.services import invitations_schedule_due
from tests.factories import CustomerFactory, OrderFactory, OrderItemFactory, ProductFactory

ORDERS_URL = "/api/v1/orders/"


def order_payload(**overrides) -> dict:
    payload = {
        "external_id": "PED-1001",
        "customer": {
            "external_id": "CLI-1",
            "email": "ana.garcia@example.com",
            "name": "Ana García",
            "preferred_language": "es",
        },
        "placed_at": "2024-05-01T10:00:00+02:00",
        "delivered_at": None,
        "total": "59.80",
        "currency": "EUR",
        "items": [
            {"sku": "TAZA-01", "name": "Taza de cerámica", "category": "Hogar", "quantity": 2, "unit_price": "19.90"},
            {"sku": "PLATO-01", "name": "Plato llano", "category": "Hogar", "quantity": 1, "unit_price": "20.00"},
        ],
    }
    payload.update(overrides)
    return payload


def assert_error_shape(body: dict, error_type: str) -> None:
    assert set(body) == {"type", "detail", "errors"}
    assert body["type"] == error_type
    assert body["detail"]


def assert_nothing_stored() -> None:
    assert Order.objects.count() == 0
    assert OrderItem.objects.count() == 0
    assert Customer.objects.count() == 0
    assert Product.objects.count() == 0


@pytest.mark.django_db
def test_request_without_token_is_refused_with_the_error_shape():
    response = APIClient().post(ORDERS_URL, order_payload(), format="json")

    assert response.status_code == 401
    assert_error_shape(response.json(), "not_authenticated")
    assert response.json()["errors"] == {}
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert_nothing_stored()


@pytest.mark.django_db
@pytest.mark.parametrize("method", ["get", "post"])
def test_token_without_order_scopes_is_forbidden(api_token_for, method):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('feedback:read')}")

    response = client.get(ORDERS_URL) if method == "get" else client.post(ORDERS_URL, order_payload(), format="json")

    assert response.status_code == 403
    assert_error_shape(response.json(), "permission_denied")
    assert_nothing_stored()


@pytest.mark.django_db
def test_post_creates_the_order_with_its_customer_and_items(api_client):
    response = api_client.post(ORDERS_URL, order_payload(), format="json")

    assert response.status_code == 201
    body = response.json()
    assert body["external_id"] == "PED-1001"
    assert body["customer"]["external_id"] == "CLI-1"
    assert body["customer"]["email"] is None  # the token lacks personal_data:read
    assert Customer.objects.get(external_id="CLI-1").email == "ana.garcia@example.com"
    assert body["total"] == "59.80"
    assert sorted((item["sku"], item["quantity"], item["unit_price"]) for item in body["items"]) == [
        ("PLATO-01", 1, "20.00"),
        ("TAZA-01", 2, "19.90"),
    ]
    order = Order.objects.get(external_id="PED-1001")
    assert order.customer.name == "Ana García"
    assert order.total == Decimal("59.80")
    assert order.delivered_at is None
    assert order.items.count() == 2
    assert Product.objects.get(sku="TAZA-01").name == "Taza de cerámica"


@pytest.mark.django_db
def test_posting_the_same_order_again_updates_it_and_replaces_its_items(api_client):
    api_client.post(ORDERS_URL, order_payload(), format="json")
    updated = order_payload(
        delivered_at="2024-05-03T12:00:00+02:00",
        total="39.80",
        items=[{"sku": "TAZA-01", "name": "Taza de cerámica", "quantity": 2, "unit_price": "19.90"}],
    )

    response = api_client.post(ORDERS_URL, updated, format="json")

    assert response.status_code == 200
    assert [item["sku"] for item in response.json()["items"]] == ["TAZA-01"]
    assert Order.objects.count() == 1
    assert Customer.objects.count() == 1
    order = Order.objects.get()
    assert order.total == Decimal("39.80")
    assert order.delivered_at == datetime.fromisoformat("2024-05-03T12:00:00+02:00")
    assert list(order.items.values_list("product__sku", "quantity")) == [("TAZA-01", 2)]


def _without_items(payload: dict) -> dict:
    del payload["items"]
    return payload


def _with(**changes):
    return lambda payload: {**payload, **changes}


def _with_first_item(**changes):
    def change(payload: dict) -> dict:
        payload["items"][0].update(changes)
        return payload

    return change


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "error_path"),
    [
        pytest.param(_without_items, ["items"], id="missing-items"),
        pytest.param(_with(items=[]), ["items"], id="empty-items"),
        pytest.param(
            _with(placed_at="2024-05-03T10:00:00+02:00", delivered_at="2024-05-01T10:00:00+02:00"),
            ["delivered_at"],
            id="delivered-before-placed",
        ),
        pytest.param(_with(currency="EURO"), ["currency"], id="bad-currency"),
        pytest.param(_with(total="-1.00"), ["total"], id="negative-total"),
        pytest.param(_with_first_item(quantity=0), ["items", "0", "quantity"], id="quantity-zero"),
        pytest.param(_with(customer={"external_id": "CLI-1"}), ["customer", "email"], id="customer-without-email"),
    ],
)
def test_invalid_payload_is_refused_per_field_and_stores_nothing(api_client, change, error_path):
    payload = change(copy.deepcopy(order_payload()))

    response = api_client.post(ORDERS_URL, payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert_error_shape(body, "validation_error")
    errors = body["errors"]
    for key in error_path:
        errors = errors[key]
    assert errors, body
    assert_nothing_stored()


@pytest.mark.django_db
def test_malformed_json_is_refused_and_stores_nothing(api_client):
    response = api_client.post(ORDERS_URL, data='{"external_id": "PED-1001", ', content_type="application/json")

    assert response.status_code == 400
    assert_error_shape(response.json(), "parse_error")
    assert_nothing_stored()


@pytest.mark.django_db
def test_invalid_update_leaves_the_stored_order_as_it_was(api_client):
    api_client.post(ORDERS_URL, order_payload(), format="json")

    response = api_client.post(ORDERS_URL, order_payload(total="-5", items=[]), format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"total", "items"}
    order = Order.objects.get()
    assert order.total == Decimal("59.80")
    assert order.items.count() == 2


@pytest.mark.django_db
def test_an_order_cannot_move_to_another_customer(api_client):
    api_client.post(ORDERS_URL, order_payload(), format="json")
    other_customer = {"external_id": "CLI-2", "email": "luis@example.com", "name": "Luis"}

    response = api_client.post(ORDERS_URL, order_payload(customer=other_customer, total="1.00"), format="json")

    assert response.status_code == 409
    body = response.json()
    assert_error_shape(body, "order_customer_conflict")
    assert "customer" in body["errors"]
    order = Order.objects.get()
    assert order.customer.external_id == "CLI-1"
    assert order.total == Decimal("59.80")
    assert not Customer.objects.filter(external_id="CLI-2").exists()


@pytest.mark.django_db
def test_an_order_created_concurrently_after_the_lookup_still_cannot_move_to_another_customer(api_client, monkeypatch):
    # given an order of CLI-1 that the service's locked lookup misses, as when another request commits
    # it between that lookup and the insert
    api_client.post(ORDERS_URL, order_payload(), format="json")
    monkeypatch.setattr(Order.objects, "select_for_update", Order.objects.none)
    other_customer = {"external_id": "CLI-2", "email": "luis@example.com", "name": "Luis"}

    response = api_client.post(ORDERS_URL, order_payload(customer=other_customer), format="json")

    assert response.status_code == 409
    assert Order.objects.get().customer.external_id == "CLI-1"


@pytest.mark.django_db
def test_list_is_paginated_newest_first_with_a_bounded_number_of_queries(api_client, django_assert_max_num_queries):
    for _ in range(30):
        order = OrderFactory()
        OrderItemFactory.create_batch(2, order=order)
    newest = OrderFactory(placed_at=Order.objects.order_by("-placed_at").first().placed_at + timedelta(hours=1))
    OrderItemFactory(order=newest)

    # Token and user, the user's and groups' permissions, the count, the page, its items with products.
    with django_assert_max_num_queries(7):
        response = api_client.get(ORDERS_URL)

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 31
    assert len(body["results"]) == 31
    assert body["results"][0]["external_id"] == newest.external_id
    assert all(len(order["items"]) == 2 for order in body["results"][1:])
    assert body["results"][1]["customer"]["external_id"]


@pytest.mark.django_db
def test_retrieve_an_order_by_its_external_id(api_client):
    order = OrderFactory(external_id="PED-2024.7")
    OrderItemFactory(order=order, product=ProductFactory(sku="TAZA-01"))

    response = api_client.get(f"{ORDERS_URL}{order.external_id}/")

    assert response.status_code == 200
    body = response.json()
    assert body["external_id"] == "PED-2024.7"
    assert body["customer"]["external_id"] == order.customer.external_id
    assert [item["sku"] for item in body["items"]] == ["TAZA-01"]


@pytest.mark.django_db
def test_retrieving_an_unknown_order_answers_404_with_the_error_shape(api_client):
    response = api_client.get(f"{ORDERS_URL}PED-404/")

    assert response.status_code == 404
    assert_error_shape(response.json(), "not_found")


@pytest.mark.django_db
def test_delivery_set_through_the_api_makes_the_order_due_for_a_survey(api_client):
    api_client.post(ORDERS_URL, order_payload(), format="json")
    assert invitations_schedule_due(now=datetime.fromisoformat("2024-05-04T12:00:00+02:00")) == []

    api_client.post(ORDERS_URL, order_payload(delivered_at="2024-05-03T12:00:00+02:00"), format="json")
    invitations = invitations_schedule_due(now=datetime.fromisoformat("2024-05-06T12:00:00+02:00"))

    assert [invitation.order.external_id for invitation in invitations] == ["PED-1001"]
    assert invitations[0].customer.external_id == "CLI-1"


def _post_concurrently(token: str, payloads: list[dict]) -> list[int | Exception]:
    """POST each payload from its own thread (and database connection), all released at once."""
    barrier = threading.Barrier(len(payloads))
    results: list[int | Exception] = [0] * len(payloads)

    def post(index: int, payload: dict) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait(timeout=10)
            results[index] = client.post(ORDERS_URL, payload, format="json").status_code
        except Exception as exc:
            # Hand the failure to the test's assertion instead of losing it in the thread.
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(index, payload)) for index, payload in enumerate(payloads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_identical_posts_leave_exactly_one_order(api_token_for):
    results = _post_concurrently(api_token_for("orders:write"), [order_payload(), order_payload()])

    assert sorted(results) == [200, 201], results
    assert Order.objects.count() == 1
    assert Customer.objects.count() == 1
    assert Product.objects.count() == 2
    assert OrderItem.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_of_one_order_for_two_customers_refuse_the_second(api_token_for):
    # With customers and products already stored the two requests reach the order insert together.
    first, second = CustomerFactory(external_id="CLI-1"), CustomerFactory(external_id="CLI-2")
    ProductFactory(sku="TAZA-01")
    ProductFactory(sku="PLATO-01")
    payloads = [
        order_payload(customer={"external_id": customer.external_id, "email": customer.email, "name": customer.name})
        for customer in (first, second)
    ]

    results = _post_concurrently(api_token_for("orders:write"), payloads)

    assert sorted(results) == [201, 409], results
    order = Order.objects.get()
    winner = first if results[0] == 201 else second
    assert order.customer == winner
