import pytest


@pytest.fixture(autouse=True)
def _locmem_email(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def api_user(django_user_model):
    """An integration account allowed to push and read orders, as a shop's back office would use."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user(username="shop-integration", password="x")
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="customers", codename__in=["add_order", "change_order", "view_order"]
        )
    )
    return user


@pytest.fixture
def api_client(api_user):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    client = APIClient()
    token = Token.objects.create(user=api_user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
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


def _is_transactional(request) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
