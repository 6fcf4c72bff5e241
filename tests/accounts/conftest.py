import re

import pytest

from accounts.roles import role_assign
from tests.accounts.oidc_provider import OidcProvider

PASSWORD = "Ladrillo-Azul-77"


def default_team():
    from support.models import Team

    return Team.objects.get_or_create(slug="atencion-al-cliente", defaults={"name": "Atención al cliente"})[0]


def staff_create(username: str, role: str = "agent", *, email: str = "", language: str = "es", team=None):
    """A staff account as an accepted invitation leaves it: role, verified address, language."""
    from allauth.account.models import EmailAddress
    from django.contrib.auth import get_user_model

    from support.models import StaffProfile

    user = get_user_model().objects.create_user(username, email=email or f"{username}@voz.example", password=PASSWORD)
    role_assign(user, role)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    StaffProfile.objects.create(user=user, language=language)
    if team is not None:
        team.members.add(user)
    return user


@pytest.fixture
def team(db):
    return default_team()


@pytest.fixture
def make_staff(db):
    return staff_create


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
