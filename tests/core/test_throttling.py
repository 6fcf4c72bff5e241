"""Public endpoints are rate-limited per client address, with counters in Redis."""

import time

import pytest
from django.core.cache import cache
from django.test import override_settings

from tests.factories import InvitationFactory


@pytest.mark.django_db
def test_survey_submissions_beyond_the_limit_get_429_and_store_nothing(client, settings):
    from surveys.models import Response

    settings.VOZ_RATE_LIMITS = [("survey_submit", "POST", "/s/", 3, 60)]
    invitation = InvitationFactory(language="es")
    statuses = [client.post(f"/s/{invitation.token}/", {"lang": "es"}).status_code for _ in range(4)]

    assert statuses[:3] == [400, 400, 400]  # empty answers: a validation error, counted
    refused = client.post(f"/s/{invitation.token}/", {"lang": "es"})
    assert statuses[3] == 429 and refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert client.get(f"/s/{invitation.token}/").status_code == 200  # reading the page is not limited
    assert Response.objects.count() == 0
    counters = [key.decode() for key in cache._cache.get_client().keys("*throttle:survey_submit:*")]
    assert len(counters) == 1  # in Redis, shared by every web process


@pytest.fixture(autouse=True)
def mid_window(monkeypatch):
    """Requests of one test fall in one fixed window, never either side of a minute's turn."""
    from core import throttling

    middle = (time.time() // 60) * 60 + 30  # counters are cleared between tests (conftest)
    monkeypatch.setattr(throttling, "clock", lambda: middle)


@pytest.mark.django_db
def test_each_client_address_has_its_own_counter(client, settings):
    settings.VOZ_RATE_LIMITS = [("login", "POST", "/accounts/login/", 2, 60)]
    for _ in range(2):
        client.post("/accounts/login/", {"login": "x", "password": "y"}, REMOTE_ADDR="10.0.0.1")

    assert client.post("/accounts/login/", {"login": "x"}, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert client.post("/accounts/login/", {"login": "x"}, REMOTE_ADDR="10.0.0.2").status_code == 200


@pytest.mark.django_db
def test_behind_a_proxy_the_client_is_the_hop_the_proxy_added_not_one_it_can_forge(client, settings):
    settings.VOZ_RATE_LIMITS = [("login", "POST", "/accounts/login/", 2, 60)]
    settings.VOZ_TRUSTED_PROXIES = 1

    def login(forwarded: str) -> int:
        return client.post(
            "/accounts/login/", {"login": "x"}, REMOTE_ADDR="10.0.0.254", HTTP_X_FORWARDED_FOR=forwarded
        ).status_code

    # the client makes up a new first hop every time; the proxy appends what it really saw
    assert [login(f"198.51.100.{n}, 203.0.113.7") for n in range(3)] == [200, 200, 429]
    assert login("203.0.113.8") == 200  # another client
    # a header that is not an address counts against the proxy's connection, as without a proxy
    assert [login("not-an-address") for _ in range(3)] == [200, 200, 429]


@pytest.mark.django_db
def test_without_trusted_proxies_the_forwarded_header_is_ignored(client, settings):
    settings.VOZ_RATE_LIMITS = [("login", "POST", "/accounts/login/", 2, 60)]
    settings.VOZ_TRUSTED_PROXIES = 0

    statuses = [
        client.post("/accounts/login/", {"login": "x"}, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").status_code
        for n in range(3)
    ]

    assert statuses == [200, 200, 429]


@pytest.mark.django_db
def test_the_webhook_limit_answers_in_the_api_error_shape(client, settings):
    settings.VOZ_RATE_LIMITS = [("webhook", "POST", "/api/v1/webhooks/", 1, 60)]
    url = "/api/v1/webhooks/social/00000000-0000-0000-0000-000000000000/"
    client.post(url, "{}", content_type="application/json")

    refused = client.post(url, "{}", content_type="application/json")

    assert refused.status_code == 429 and refused.json()["type"] == "throttled"


@pytest.mark.django_db
def test_without_redis_requests_still_go_through(client, settings):
    settings.VOZ_RATE_LIMITS = [("survey_submit", "POST", "/s/", 1, 60)]
    invitation = InvitationFactory(language="es")
    unreachable = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
    }
    with override_settings(CACHES=unreachable):
        statuses = [client.post(f"/s/{invitation.token}/", {"lang": "es"}).status_code for _ in range(3)]

    assert statuses == [400, 400, 400]
