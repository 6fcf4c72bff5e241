import time

import pytest
from django.test import Client

from accounts.middleware import SEEN_KEY
from core.models import AuditEvent
from tests.accounts.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


def test_a_session_unused_for_the_idle_time_ends(client, agent, settings):
    settings.VOZ_SESSION_IDLE_MINUTES = 30
    sign_in(client, "alberto")
    assert client.get("/support/").status_code == 200
    session = client.session
    session[SEEN_KEY] = int(time.time()) - 31 * 60
    session.save()

    response = client.get("/support/")

    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get("/support/").status_code == 302


def test_a_session_in_use_stays_open(client, agent, settings):
    settings.VOZ_SESSION_IDLE_MINUTES = 30
    sign_in(client, "alberto")
    session = client.session
    session[SEEN_KEY] = int(time.time()) - 29 * 60
    session.save()

    assert client.get("/support/").status_code == 200
    assert client.session[SEEN_KEY] > time.time() - 5  # the clock starts again


def test_the_session_store_forgets_a_session_after_the_idle_time(settings):
    from django.conf import settings as live

    assert live.SESSION_COOKIE_AGE == live.VOZ_SESSION_IDLE_MINUTES * 60 + 60


def test_sign_out_everywhere_ends_the_persons_sessions_on_every_device(agent, manager):
    laptop, phone, colleague = Client(), Client(), Client()
    sign_in(laptop, "alberto")
    sign_in(phone, "alberto")
    colleague.force_login(manager)

    response = phone.post("/accounts/sign-out-everywhere/")

    assert response.status_code == 302
    assert laptop.get("/support/").status_code == 302
    assert phone.get("/support/").status_code == 302
    assert colleague.get("/support/").status_code == 200
    assert AuditEvent.objects.filter(action="account.sessions_end", target_id=str(agent.pk)).exists()


def test_an_admin_signs_someone_out_everywhere(agent, make_staff):
    agents_browser, admins_browser = Client(), Client()
    agents_browser.force_login(agent)  # a session allauth did not see start
    sign_in(Client(), "alberto")
    admins_browser.force_login(make_staff("root", "admin"))

    admins_browser.post(f"/staff/accounts/{agent.pk}/sign-out/")

    assert agents_browser.get("/support/").status_code == 302
    assert admins_browser.get("/support/").status_code == 200


def test_changing_the_password_ends_the_other_sessions_and_keeps_this_one(agent):
    laptop, phone = Client(), Client()
    sign_in(laptop, "alberto")
    sign_in(phone, "alberto")
    new = "Otra-Clave-Larga-42"

    changed = laptop.post("/accounts/password/change/", {"oldpassword": PASSWORD, "password1": new, "password2": new})

    assert changed.status_code == 302
    assert laptop.get("/support/").status_code == 200
    assert phone.get("/support/").status_code == 302
