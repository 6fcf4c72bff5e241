import pytest


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """Every test starts with empty rate-limit counters (they live in Redis, across tests)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _broker_believed_up():
    """A test that made the broker unreachable must not make the next one skip its hand-overs."""
    from core import queueing

    queueing._broker_down_until = 0.0


@pytest.fixture(autouse=True)
def _survey_questions_read_afresh():
    """A rolled-back test may have edited questions without this process hearing of it."""
    from surveys.services import survey_questions_forget

    survey_questions_forget()


@pytest.fixture
def api_token_for(db):
    """A token with the given scopes, as created by a shop admin in the admin."""
    from core.api_clients import api_client_create

    def make(*scopes: str, name: str = "Shop back office") -> str:
        return api_client_create(name=name, scopes=list(scopes))[1]

    return make


@pytest.fixture
def api_client(api_token_for):
    """A shop's back office with a token allowed to push and read orders."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('orders:read', 'orders:write')}")
    return client


@pytest.fixture(autouse=True)
def _default_survey(request):
    """Transactional tests flush the database, data migrations included; put the shipped survey and topics back."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("db" if not _is_transactional(request) else "transactional_db")
    from tests.factories import default_survey

    default_survey()
    if _is_transactional(request):
        from sentiment.services import topics_seed_default

        topics_seed_default()
        from importlib import import_module

        from django.apps import apps

        import_module("reviews.migrations.0002_default_moderation_rules").create_rules(apps, None)
        import_module("support.migrations.0002_defaults").create_defaults(apps, None)
        import_module("surveys.migrations.0004_defection_survey").create_defection_survey(apps, None)


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
