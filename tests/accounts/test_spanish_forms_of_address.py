"""Voz speaks to its users as "tú"; allauth's own Spanish says "usted". Our catalogue (first in
LOCALE_PATHS) overrides the sentences the sign-in, password and two-factor pages show."""

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from tests.accounts.conftest import sign_in

pytestmark = pytest.mark.django_db

USTED = ("¿Ha olvidado su contraseña?", "Introduzca su", "Su cuenta está protegida", "Por favor, entre")


def _no_usted(html: str) -> None:
    assert not [phrase for phrase in USTED if phrase in html]


def test_the_sign_in_page_says_tu_in_spanish(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "¿Has olvidado tu contraseña?" in html
    _no_usted(html)


def test_the_password_reset_page_says_tu_in_spanish(client):
    html = client.get("/accounts/password/reset/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "¿Has olvidado tu contraseña? Escribe tu dirección de correo" in html
    _no_usted(html)


def test_the_two_factor_step_says_tu_in_spanish(client, agent):
    TOTP.activate(agent, generate_totp_secret())
    sign_in(client, "alberto", HTTP_ACCEPT_LANGUAGE="es")

    html = client.get("/accounts/2fa/authenticate/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "Tu cuenta está protegida con autenticación de dos factores. Escribe un código del autenticador:" in html
    _no_usted(html)


def test_english_keeps_allauths_wording(client):
    html = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "Forgot your password?" in html
