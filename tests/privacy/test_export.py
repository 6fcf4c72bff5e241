"""A customer's data, exported whole (GDPR art. 15 and 20): from the staff's customer page and the API, audited."""

import pytest
from django.contrib.auth.models import Group
from rest_framework.test import APIClient

from core.models import AuditEvent
from core.roles import AGENTS, MANAGERS
from tests.privacy.test_erasure_complete import ADDRESS, EMAIL, NAME, ORDERS, PHONE, WRITTEN, a_customer_everywhere


def staff(django_user_model, group: str):
    user = django_user_model.objects.create_user(group.lower(), password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    client = APIClient()
    client.force_login(user)
    return client, user


@pytest.mark.django_db
def test_a_manager_downloads_everything_about_a_customer_from_their_page(django_user_model):
    customer, _message = a_customer_everywhere()
    manager, user = staff(django_user_model, MANAGERS)

    page = manager.get(f"/admin/customers/customer/{customer.pk}/change/")
    response = manager.get(f"/customers/{customer.pk}/export.json")

    assert f'href="/customers/{customer.pk}/export.json"' in page.content.decode()
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="voz-customer-{customer.pk}.json"'
    data = response.json()
    assert data["customer"]["name"] == NAME and data["customer"]["email"] == EMAIL
    assert data["customer"]["attributes"] == {"phone": PHONE, "address": ADDRESS}
    assert [order["external_id"] for order in data["orders"]] == ORDERS
    assert data["orders"][0]["items"][0]["quantity"] == 1
    assert [answer["text"] for answer in data["survey_answers"][0]["answers"]] == [WRITTEN]
    [review] = data["reviews"]
    assert review["text"] == WRITTEN and review["shop_reply"].startswith(f"Hola {NAME}")
    assert {item["channel"] for item in data["feedback"]} == {"survey", "review", "social", "web"}
    assert [mention["author"] for mention in data["social_mentions"]] == ["rigoberta.quinones"]
    # the widget comment matched to them and the one that only carries their email address
    assert [comment["rating"] for comment in data["website_feedback"]] == [1, 2]
    [case] = [case for case in data["cases"] if case["messages"]]
    # the staff's internal note stays the shop's
    assert [message["kind"] for message in case["messages"]] == ["customer", "reply"]
    assert {email["kind"] for email in data["emails_sent"]} == {"winback", "survey_invitation"}
    event = AuditEvent.objects.get(action="customer.export")
    assert (event.actor, event.target_id) == (user, str(customer.pk))


@pytest.mark.django_db
def test_agents_cannot_export_a_customer_and_see_no_button(django_user_model):
    from tests.factories import CustomerFactory

    customer = CustomerFactory()
    agent, _user = staff(django_user_model, AGENTS)

    assert agent.get(f"/customers/{customer.pk}/export.json").status_code == 403
    assert APIClient().get(f"/customers/{customer.pk}/export.json").status_code == 302
    assert not AuditEvent.objects.filter(action="customer.export").exists()


@pytest.mark.django_db
def test_the_api_exports_a_customer_with_the_personal_data_scope_only(api_token_for):
    customer, _message = a_customer_everywhere()
    path = f"/api/v1/customers/{customer.external_id}/export/"
    allowed, reader = APIClient(), APIClient()
    allowed.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('personal_data:read')}")
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('orders:read', 'feedback:read')}")

    assert reader.get(path).status_code == 403
    assert APIClient().get(path).status_code == 401
    assert allowed.get("/api/v1/customers/nobody/export/").status_code == 404
    assert not AuditEvent.objects.filter(action="customer.export").exists()
    response = allowed.get(path)

    assert response.status_code == 200
    assert response.json()["customer"]["email"] == EMAIL
    assert len(response.json()["cases"]) == 2
    event = AuditEvent.objects.get(action="customer.export")
    assert event.actor_label.startswith("API: ") and event.target_id == str(customer.pk)
