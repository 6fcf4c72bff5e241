from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import StaffInvitation
from accounts.roles import role_of
from core.models import AuditEvent
from tests.accounts.conftest import PASSWORD, link_in, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def invite(django_capture_on_commit_callbacks):
    def post(client, manager, **fields):
        client.force_login(manager)
        data = {"email": "lucia@voz.example", "role": "agent", "team": "", "language": "es", **fields}
        with django_capture_on_commit_callbacks(execute=True):  # the email goes once the invitation is saved
            return client.post("/staff/accounts/", data)

    return post


def test_a_manager_invites_a_colleague_who_chooses_a_password_and_gets_the_role_and_team(client, manager, team, invite):
    response = invite(client, manager, role="manager", team=team.pk, language="en")

    assert response.status_code == 302
    (email,) = mail.outbox
    assert email.to == ["lucia@voz.example"]
    assert email.subject == "You are invited to Tienda Demo on Voz"
    assert "72 hours" in email.body
    link = link_in(email.body)
    client.logout()

    page = client.get(link)
    assert page.status_code == 200
    assert "lucia@voz.example" in page.content.decode()
    accepted = client.post(link, {"first_name": "Lucía", "password1": PASSWORD, "password2": PASSWORD})

    assert accepted.status_code == 302 and accepted["Location"] == "/accounts/login/"
    invitation = StaffInvitation.objects.get()
    user = invitation.accepted_user
    assert (user.email, user.first_name, role_of(user)) == ("lucia@voz.example", "Lucía", "manager")
    assert list(user.support_teams.all()) == [team]
    assert user.staff_profile.language == "en"
    assert user.emailaddress_set.get().verified
    assert sign_in(client, "lucia@voz.example").status_code == 302
    assert {event.action for event in AuditEvent.objects.all()} >= {
        "staff.invitation_create",
        "staff.invitation_accept",
        "auth.sign_in",
    }


def test_the_invitation_email_is_in_the_language_chosen_for_the_colleague(client, manager, invite):
    invite(client, manager, language="es")

    assert mail.outbox[0].subject == "Te invitan a Tienda Demo en Voz"


def test_an_invitation_link_works_only_once(client, manager, invite):
    invite(client, manager)
    link = link_in(mail.outbox[0].body)
    client.logout()
    client.post(link, {"password1": PASSWORD, "password2": PASSWORD})

    again = client.get(link)

    assert again.status_code == 404
    assert "ya no funciona" in again.content.decode()


def test_an_invitation_link_expires_after_72_hours(client, manager, invite):
    invite(client, manager)
    link = link_in(mail.outbox[0].body)
    StaffInvitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client.logout()

    assert client.get(link).status_code == 404
    assert client.post(link, {"password1": PASSWORD, "password2": PASSWORD}).status_code == 404
    assert not StaffInvitation.objects.get().accepted_at


def test_a_signed_link_older_than_72_hours_is_refused_even_if_the_row_says_otherwise(manager, settings):
    from accounts import services

    invitation = services.invitation_create(
        email="x@voz.example", role="agent", team=None, language="es", invited_by=manager
    )
    token = services.invitation_token(invitation)
    settings.VOZ_INVITATION_MAX_AGE_HOURS = 0  # the signature's own age check

    with pytest.raises(services.InvitationUnusable):
        services.invitation_from_token(token)


def test_a_forged_link_is_refused(client, manager, invite):
    invite(client, manager)
    link = link_in(mail.outbox[0].body)

    assert client.get(link[:-3] + "abc/").status_code == 404


def test_resending_sends_a_new_link_and_the_old_one_stops_working(
    client, manager, invite, django_capture_on_commit_callbacks
):
    invite(client, manager)
    old_link = link_in(mail.outbox[0].body)
    invitation = StaffInvitation.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/staff/accounts/invitations/{invitation.pk}/resend/")

    assert response.status_code == 302
    assert len(mail.outbox) == 2
    new_link = link_in(mail.outbox[1].body)
    assert new_link != old_link
    client.logout()
    assert client.get(old_link).status_code == 404
    assert client.get(new_link).status_code == 200


def test_a_revoked_invitation_cannot_be_accepted_and_leaves_the_pending_list(client, manager, invite):
    invite(client, manager)
    link = link_in(mail.outbox[0].body)
    invitation = StaffInvitation.objects.get()

    client.post(f"/staff/accounts/invitations/{invitation.pk}/revoke/")

    page = client.get("/staff/accounts/").content.decode()
    assert f'id="invitation-{invitation.pk}"' not in page
    assert AuditEvent.objects.filter(action="staff.invitation_revoke").count() == 1
    client.logout()
    assert client.get(link).status_code == 404


def test_the_staff_page_lists_pending_invitations(client, manager, invite):
    invite(client, manager, email="pending@voz.example")

    page = client.get("/staff/accounts/").content.decode()

    assert "pending@voz.example" in page
    assert "Reenviar" in page and "Revocar" in page


def test_an_address_that_already_has_an_account_cannot_be_invited(client, manager, agent, invite):
    response = invite(client, manager, email=agent.email.upper())

    assert response.status_code == 400
    assert "ya tiene una cuenta" in response.content.decode()
    assert not StaffInvitation.objects.exists()
    assert not mail.outbox


def test_an_agent_cannot_invite(client, agent, invite):
    response = invite(client, agent)

    assert response.status_code == 403
    assert not StaffInvitation.objects.exists()


@pytest.mark.parametrize(
    "password, message",
    [
        ("password123", "Esta contraseña es demasiado común."),
        ("12345678901", "Esta contraseña es completamente numérica."),
        ("corta", "demasiado corta"),
    ],
)
def test_the_chosen_password_must_pass_the_validators(client, manager, password, message, invite):
    invite(client, manager)
    link = link_in(mail.outbox[0].body)
    client.logout()

    response = client.post(link, {"password1": password, "password2": password})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not StaffInvitation.objects.get().accepted_at


def test_the_two_passwords_must_match(client, manager, invite):
    invite(client, manager)
    link = link_in(mail.outbox[0].body)
    client.logout()

    response = client.post(link, {"password1": PASSWORD, "password2": PASSWORD + "x"})

    assert response.status_code == 400
    assert not StaffInvitation.objects.get().accepted_at


def test_the_staff_page_reads_a_fixed_number_of_queries_however_many_accounts(
    client, manager, make_staff, team, django_assert_max_num_queries
):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    for n in range(12):
        user = make_staff(f"agente{n}", team=team)
        TOTP.activate(user, generate_totp_secret())
    client.force_login(manager)
    client.get("/staff/accounts/")

    with django_assert_max_num_queries(15):  # + the staff navigation
        page = client.get("/staff/accounts/")

    assert page.content.decode().count('class="badge positive">Activada') == 12
