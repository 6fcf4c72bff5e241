import pytest

from core.models import ApiClient, AuditEvent
from tests.accounts.conftest import sign_in

pytestmark = pytest.mark.django_db


def test_api_clients_keep_their_tokens_and_their_creation_and_rotation_join_the_audit_log(client, make_staff):
    make_staff("root", "admin")
    sign_in(client, "root", REMOTE_ADDR="198.51.100.8")

    created = client.post(
        "/admin/core/apiclient/add/",
        {"name": "ERP", "scopes": ["orders:read"], "is_active": "on", "owner_language": "es"},
        REMOTE_ADDR="198.51.100.8",
    )
    api_client = ApiClient.objects.get(name="ERP")
    client.post(
        "/admin/core/apiclient/",
        {"action": "rotate_token", "_selected_action": [api_client.pk]},
        REMOTE_ADDR="198.51.100.8",
    )

    assert created.status_code == 302
    trail = list(
        AuditEvent.objects.filter(target_type="core.apiclient")
        .order_by("pk")
        .values_list("action", "actor_label", "ip_address")
    )
    assert ("api_client.create", "root", "198.51.100.8") in trail
    assert ("api_client.rotate_token", "root", "198.51.100.8") in trail
    assert AuditEvent.objects.filter(action="auth.sign_in", actor_label="root").exists()  # in the same log
