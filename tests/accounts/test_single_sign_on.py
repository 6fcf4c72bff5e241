from urllib.request import HTTPRedirectHandler, build_opener

import pytest

from accounts.roles import role_of
from core.models import AuditEvent
from tests.accounts.oidc_provider import provider_settings

pytestmark = pytest.mark.django_db
ROLE_GROUPS = {"voz-agents": "agent", "voz-managers": "manager", "voz-admins": "admin"}


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def sso_sign_in(client, provider):
    """What a browser does: start at Voz, visit the provider, come back with the code."""
    started = client.post("/accounts/oidc/sso/login/")
    assert started.status_code == 302 and started["Location"].startswith(provider.url + "/authorize")
    try:
        build_opener(_NoRedirect).open(started["Location"])
    except Exception as redirect:  # urllib raises HTTPError for the 302 it was told not to follow
        callback = redirect.headers["Location"]
    return client.get(callback.removeprefix("http://testserver"))


@pytest.fixture
def sso(settings, oidc_provider):
    provider_settings(settings, oidc_provider, ROLE_GROUPS)
    return oidc_provider


def test_the_sign_in_page_offers_the_configured_provider(client, sso):
    assert "Entrar con Acme SSO" in client.get("/accounts/login/").content.decode()


def test_a_person_in_a_mapped_group_gets_an_account_with_that_role(client, sso, django_user_model):
    sso.person = {**sso.person, "groups": ["staff", "voz-managers"]}

    response = sso_sign_in(client, sso)

    assert response.status_code == 302, response.content.decode()[:500]
    user = django_user_model.objects.get(email="ana@voz.example")
    assert role_of(user) == "manager" and user.is_staff and not user.has_usable_password()
    assert client.get("/dashboards/satisfaction/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.sign_in", target_id=str(user.pk)).exists()
    assert any(path.startswith("/token") or path == "/token" for path in sso.requests)


def test_the_role_follows_the_providers_groups_at_every_sign_in(client, sso, make_staff):
    user = make_staff("ana", "manager", email="ana@voz.example")
    sso.person = {**sso.person, "groups": ["voz-agents"]}

    sso_sign_in(client, sso)

    user.refresh_from_db()
    assert role_of(user) == "agent"
    assert client.get("/dashboards/satisfaction/").status_code == 403


def test_a_person_in_no_mapped_group_is_refused(client, sso, django_user_model):
    sso.person = {**sso.person, "groups": ["marketing"]}

    response = sso_sign_in(client, sso)

    assert response.status_code == 403
    assert "no tiene ningún papel en Voz" in response.content.decode()
    assert not django_user_model.objects.filter(email="ana@voz.example").exists()
    assert client.get("/support/").status_code == 302


def test_the_test_button_reads_the_discovery_document(client, sso, make_staff):
    client.force_login(make_staff("root", "admin"))

    page = client.post("/staff/sso/").content.decode()

    assert "Funciona" in page and f"{sso.url}/token" in page


def test_the_test_button_says_what_is_wrong_with_an_unreachable_provider(client, settings, make_staff):
    settings.OIDC_SERVER_URL = "http://127.0.0.1:9"  # nothing listens there
    client.force_login(make_staff("root", "admin"))

    page = client.post("/staff/sso/").content.decode()

    assert "No funciona" in page and "ConnectError" in page


def test_the_test_button_reports_a_discovery_document_that_lacks_endpoints(client, sso, make_staff, monkeypatch):
    monkeypatch.setattr(sso, "discovery", lambda: {"issuer": sso.url})
    client.force_login(make_staff("root", "admin"))

    page = client.post("/staff/sso/").content.decode()

    assert "No funciona" in page and "authorization_endpoint" in page


def test_the_content_security_policy_lets_the_sign_in_form_go_to_the_provider():
    from tests.core.test_security import manage_with_production_settings

    result = manage_with_production_settings(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['form-action'])",
        OIDC_SERVER_URL="https://login.acme.example/realms/staff",
    )

    assert "'https://login.acme.example'" in result.stdout, result.stderr
