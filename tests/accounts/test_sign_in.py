import pytest
from django.core import mail

from core.models import AuditEvent, ShopSettings
from core.shop import shop_settings_save
from tests.accounts.conftest import link_in, sign_in

pytestmark = pytest.mark.django_db

TOO_MANY = "Demasiados intentos fallidos"


def test_staff_sign_in_with_their_username_or_their_email(client, agent):
    assert sign_in(client, "alberto").status_code == 302
    client.logout()
    response = sign_in(client, "ALBERTO@voz.example")

    assert response.status_code == 302
    assert client.get("/support/").status_code == 200


def test_the_admin_login_and_the_root_lead_to_the_one_sign_in_page(client):
    response = client.get("/admin/login/?next=/support/")

    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/support/"
    assert client.get("/support/")["Location"] == "/accounts/login/?next=/support/"
    assert client.get("/")["Location"] == "/accounts/login/?next=/home/"


def test_a_superuser_still_reaches_the_admin_after_signing_in(client, make_staff):
    make_staff("root", "admin")

    sign_in(client, "root")

    assert client.get("/admin/").status_code == 200


def test_sign_ins_and_failures_go_to_the_audit_log_with_the_address(client, agent):
    sign_in(client, "alberto", "wrong-one", REMOTE_ADDR="198.51.100.4")
    sign_in(client, "alberto", REMOTE_ADDR="198.51.100.4")

    events = list(AuditEvent.objects.filter(target_id=str(agent.pk)).order_by("pk").values_list("action", "ip_address"))
    assert events == [("auth.sign_in_failed", "198.51.100.4"), ("auth.sign_in", "198.51.100.4")]


def test_a_failure_for_an_unknown_name_is_logged_without_the_name(client, db):
    sign_in(client, "my-password-typed-in-the-wrong-box", "x")

    event = AuditEvent.objects.get(action="auth.sign_in_failed")
    assert event.target_id == "" and "my-password" not in event.summary + str(event.details)


def test_a_wrong_password_and_an_unknown_account_get_the_same_answer(client, agent):
    known = sign_in(client, "alberto", "wrong-one").content.decode()
    unknown = sign_in(client, "nadie", "wrong-one").content.decode()

    message = "El usuario o la contraseña que has escrito no son correctos."  # tú, as all of Voz
    assert message in known and message in unknown


def test_after_five_failures_the_account_is_locked_even_for_the_right_password(client, agent, make_staff):
    make_staff("otra")
    for attempt in range(5):
        sign_in(client, "alberto", f"wrong-{attempt}", REMOTE_ADDR="198.51.100.4")

    locked = sign_in(client, "alberto", REMOTE_ADDR="203.0.113.9")  # from elsewhere, right password

    assert locked.status_code == 200 and TOO_MANY in locked.content.decode()
    assert not client.session.get("_auth_user_id")
    assert AuditEvent.objects.filter(action="auth.sign_in_locked", target_id=str(agent.pk)).exists()
    # another account is not locked with it
    assert sign_in(client, "otra", REMOTE_ADDR="203.0.113.9").status_code == 302


def test_an_unknown_account_is_locked_the_same_way_so_locking_tells_nothing(client, db):
    for attempt in range(5):
        sign_in(client, "nadie", f"wrong-{attempt}")

    assert TOO_MANY in sign_in(client, "nadie", "again").content.decode()


def test_one_address_trying_many_accounts_is_stopped(client, make_staff):
    make_staff("victima")
    for n in range(10):
        sign_in(client, f"cuenta-{n}", "wrong", REMOTE_ADDR="198.51.100.66")

    refused = sign_in(client, "victima", REMOTE_ADDR="198.51.100.66")
    allowed = sign_in(client, "victima", REMOTE_ADDR="198.51.100.67")

    assert TOO_MANY in refused.content.decode()
    assert allowed.status_code == 302


def test_the_username_and_the_email_of_an_account_share_one_counter(client, agent):
    for attempt in range(3):
        sign_in(client, "alberto", f"wrong-{attempt}")
    for attempt in range(2):
        sign_in(client, "Alberto@voz.example", f"wrong-{attempt}")

    assert TOO_MANY in sign_in(client, "alberto").content.decode()


def test_resetting_the_password_lifts_the_lock(client, agent):
    for attempt in range(6):
        sign_in(client, "alberto", f"wrong-{attempt}")
    assert TOO_MANY in sign_in(client, "alberto").content.decode()
    client.post("/accounts/password/reset/", {"email": agent.email})
    reset_link = link_in(mail.outbox[0].body)
    form_page = client.get(reset_link, follow=True)
    new = "Otra-Clave-Larga-42"

    done = client.post(form_page.redirect_chain[-1][0], {"password1": new, "password2": new})

    assert done.status_code == 302
    assert sign_in(client, "alberto", new).status_code == 302
    assert AuditEvent.objects.filter(action="account.password_set", target_id=str(agent.pk)).exists()


def test_password_reset_answers_the_same_for_an_unknown_address_and_sends_nothing(client, agent):
    known = client.post("/accounts/password/reset/", {"email": agent.email})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@voz.example"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert [email.to for email in mail.outbox] == [[agent.email]]


def test_the_reset_email_is_in_the_users_language(client, make_staff):
    make_staff("emma", language="en")
    make_staff("elena", language="es")

    client.post("/accounts/password/reset/", {"email": "emma@voz.example"})
    client.post("/accounts/password/reset/", {"email": "elena@voz.example"})

    english, spanish = mail.outbox
    assert "Password Reset" in english.subject
    assert "Restablecer" in spanish.subject or "contraseña" in spanish.subject.lower()


def test_the_reset_email_of_an_account_without_a_profile_is_in_the_shops_language(client, django_user_model):
    shop_settings_save(ShopSettings(default_language="en"))
    django_user_model.objects.create_user("admin2", email="admin2@voz.example", password="x")  # made in the admin

    client.post("/accounts/password/reset/", {"email": "admin2@voz.example"}, HTTP_ACCEPT_LANGUAGE="es")

    (email,) = mail.outbox
    assert "Password Reset" in email.subject
    # signed with the shop's name and Voz's public address, not the host the request came in on
    assert email.body.startswith("Hello from Tienda Demo!") and "Thank you for using Tienda Demo!" in email.body
    assert "voz.example" in email.body.splitlines()[-1]


def test_a_common_password_is_refused_at_reset(client, agent):
    client.post("/accounts/password/reset/", {"email": agent.email})
    form_page = client.get(link_in(mail.outbox[0].body), follow=True)

    refused = client.post(form_page.redirect_chain[-1][0], {"password1": "password123", "password2": "password123"})

    assert refused.status_code == 200
    assert "Esta contraseña es demasiado común." in refused.content.decode()


def test_a_manager_sees_an_accounts_recent_sign_ins_and_an_agent_does_not(client, agent, manager):
    sign_in(client, "alberto", "wrong", REMOTE_ADDR="198.51.100.4")
    sign_in(client, "alberto", REMOTE_ADDR="198.51.100.5")
    client.logout()
    client.force_login(manager)

    page = client.get(f"/staff/accounts/{agent.pk}/").content.decode()

    assert "198.51.100.4" in page and "198.51.100.5" in page
    assert "Contraseña incorrecta" in page and "Ha entrado" in page
    client.force_login(agent)
    assert client.get(f"/staff/accounts/{manager.pk}/").status_code == 403
