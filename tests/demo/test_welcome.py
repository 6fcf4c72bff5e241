"""The box `make run` prints once Voz is up: the address, the demo logins, a survey to answer."""

import io

import pytest
from django.core.management import call_command

from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def test_the_welcome_box_names_the_address_the_logins_and_a_live_survey(django_user_model, settings):
    settings.VOZ_PUBLIC_BASE_URL = "http://127.0.0.1:8000"
    django_user_model.objects.create_user("manager", password="manager", is_staff=True)
    invitation = InvitationFactory()
    out = io.StringIO()

    call_command("demo_welcome", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("┌") and lines[-1].startswith("└")
    assert len({len(line) for line in lines}) == 1  # a closed box
    text = out.getvalue()
    assert "http://127.0.0.1:8000/" in text
    assert "manager / manager" in text
    assert "agente / agente" not in text  # not created here: no login that does not work
    assert invitation.url in text
