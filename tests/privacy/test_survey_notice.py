"""Survey pages say who collects the answers and why, and link to the shop's privacy policy."""

import pytest

from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def test_the_survey_page_says_who_collects_the_answers_and_why_in_both_languages(client, settings):
    settings.VOZ_SHOP_NAME = "Tienda Ana"
    settings.VOZ_PRIVACY_POLICY_URL = "https://tienda-ana.example/privacidad"
    invitation = InvitationFactory(language="es")

    spanish = client.get(f"/s/{invitation.token}/").content.decode()
    english = client.get(f"/s/{invitation.token}/?lang=en").content.decode()

    assert "Tienda Ana recoge tus respuestas para mejorar sus productos y su servicio" in spanish
    assert "Tienda Ana collects your answers to improve its products and service" in english
    link = '<a href="https://tienda-ana.example/privacidad" rel="noopener noreferrer">'
    assert f"{link}Lee nuestra política de privacidad</a>" in spanish
    assert f"{link}Read our privacy policy</a>" in english


def test_without_a_privacy_policy_the_notice_stays_and_no_empty_link_is_shown(client, settings):
    settings.VOZ_PRIVACY_POLICY_URL = ""
    invitation = InvitationFactory(language="es")

    page = client.get(f"/s/{invitation.token}/").content.decode()

    assert "recoge tus respuestas" in page and "política de privacidad" not in page
    # the thanks page carries it too
    assert "recoge tus respuestas" in client.get(f"/s/{invitation.token}/thanks/").content.decode()
