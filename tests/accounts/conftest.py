import re

import pytest

from accounts.roles import role_assign
from tests.accounts.oidc_provider import OidcProvider

PASSWORD = "Ladrillo-Azul-77"


@pytest.fixture
def team(db):
    from support.models import Team

    return Team.objects.get_or_create(slug="atencion-al-cliente", defaults={"name": "Atención al cliente"})[0]


@pytest.fixture
def make_staff(db, django_user_model):
    def make(username: str, role: str = "agent", *, email: str = "", language: str = "es", team=None):
        from allauth.account.models import EmailAddress

        from support.models import StaffProfile

        user = django_user_model.objects.create_user(
            username, email=email or f"{username}@voz.example", password=PASSWORD
        )
        role_assign(user, role)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
        StaffProfile.objects.create(user=user, language=language)
        if team is not None:
            team.members.add(user)
        return user

    return make


@pytest.fixture
def manager(make_staff, team):
    return make_staff("marta", "manager", team=team)


@pytest.fixture
def agent(make_staff, team):
    return make_staff("alberto", "agent", team=team)


def sign_in(client, login: str, password: str = PASSWORD, **extra):
    return client.post("/accounts/login/", {"login": login, "password": password}, **extra)


def totp_code(secret: str, *, step: int = 0) -> str:
    """The code an authenticator app shows now (step=1: the next period's, which the tolerance of
    one period accepts too — for a second sign-in within the same 30 s, whose code is spent)."""
    from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

    counters = list(yield_hotp_counters_from_time())
    return format_hotp_value(hotp_value(secret, counters[len(counters) // 2] + step))


def link_in(body: str) -> str:
    return re.search(r"https?://\S+", body)[0]


@pytest.fixture
def oidc_provider():
    with OidcProvider() as provider:
        yield provider
