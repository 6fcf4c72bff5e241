import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from accounts.models import TeamMfaRequirement
from core.models import AuditEvent
from tests.accounts.conftest import sign_in, totp_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def secret(agent):
    secret = generate_totp_secret()
    TOTP.activate(agent, secret)
    return secret


def test_with_an_authenticator_app_the_password_alone_does_not_sign_in(client, agent, secret):
    response = sign_in(client, "alberto")

    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/support/").status_code == 302  # not signed in yet
    assert not AuditEvent.objects.filter(action="auth.sign_in").exists()


def test_the_code_from_the_app_completes_the_sign_in(client, agent, secret):
    sign_in(client, "alberto")

    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000"})
    right = client.post("/accounts/2fa/authenticate/", {"code": totp_code(secret)})

    assert wrong.status_code == 200
    assert right.status_code == 302
    assert client.get("/support/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.sign_in", target_id=str(agent.pk)).count() == 1


def test_a_recovery_code_signs_in_once(client, agent, secret):
    codes = RecoveryCodes.activate(agent).get_unused_codes()
    sign_in(client, "alberto")
    assert client.post("/accounts/2fa/authenticate/", {"code": codes[0]}).status_code == 302
    client.logout()

    sign_in(client, "alberto")
    reused = client.post("/accounts/2fa/authenticate/", {"code": codes[0]})

    assert reused.status_code == 200
    assert not client.session.get("_auth_user_id")


def test_a_manager_requires_two_factor_for_their_team_and_members_must_set_it_up(client, manager, agent, team):
    client.force_login(manager)
    client.post(f"/staff/accounts/teams/{team.pk}/mfa/", {"required": "1"})
    assert TeamMfaRequirement.objects.filter(team=team).exists()
    assert AuditEvent.objects.filter(action="staff.team_mfa_require").exists()

    client.force_login(agent)
    page = client.get("/support/")
    api = client.get("/api/v1/cases/")

    assert page.status_code == 302 and page["Location"] == "/accounts/2fa/"
    assert api.status_code == 403 and api.json()["type"] == "mfa_required"
    assert client.get("/accounts/2fa/").status_code == 200  # the set-up itself stays open
    TOTP.activate(agent, generate_totp_secret())
    assert client.get("/support/").status_code == 200


def test_a_manager_cannot_set_the_requirement_for_a_team_they_are_not_in(client, make_staff):
    from support.models import Team

    other = Team.objects.create(name="Otra", slug="otra")
    client.force_login(make_staff("jefa", "manager"))

    assert client.post(f"/staff/accounts/teams/{other.pk}/mfa/", {"required": "1"}).status_code == 403
    assert not TeamMfaRequirement.objects.exists()


def test_admins_must_set_up_two_factor_when_the_setting_says_so(client, make_staff, settings):
    settings.VOZ_MFA_REQUIRED_FOR_ADMINS = True
    admin = make_staff("root", "admin")
    client.force_login(admin)

    assert client.get("/admin/")["Location"] == "/accounts/2fa/"
    settings.VOZ_MFA_REQUIRED_FOR_ADMINS = False
    client.force_login(admin)
    assert client.get("/admin/").status_code == 200


def test_production_settings_require_two_factor_for_admins():
    from tests.core.test_security import manage_with_production_settings

    result = manage_with_production_settings(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings; print(settings.DEBUG, settings.VOZ_MFA_REQUIRED_FOR_ADMINS)",
    )

    assert result.stdout.split() == ["False", "True"], result.stderr


def test_an_admin_resets_a_lost_second_factor_and_it_is_audited(client, agent, secret, make_staff):
    from django.test import Client

    agents_browser = Client()
    agents_browser.force_login(agent)
    RecoveryCodes.activate(agent)
    client.force_login(make_staff("root", "admin"))

    response = client.post(f"/staff/accounts/{agent.pk}/mfa-reset/")

    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=agent).exists()
    event = AuditEvent.objects.get(action="account.mfa_reset")
    assert event.target_id == str(agent.pk) and event.actor_label == "root"
    assert agents_browser.get("/support/").status_code == 302  # signed out
    assert sign_in(Client(), "alberto").status_code == 302  # the password alone, to set it up again


def test_a_manager_cannot_reset_someone_elses_second_factor(client, manager, agent, secret):
    client.force_login(manager)

    assert client.post(f"/staff/accounts/{agent.pk}/mfa-reset/").status_code == 403
    assert Authenticator.objects.filter(user=agent).exists()
