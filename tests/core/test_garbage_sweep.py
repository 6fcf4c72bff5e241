"""Every page and endpoint that reads a query string, with garbage in every parameter any of them reads.

The parameter names come from the project's own forms and filter sets, so a new filter is swept as soon
as it exists. The same URLs also get every HTTP method, empty and broken bodies, and garbage in the
request headers they read. Whatever the value, the answer is a page or a clear 4xx — never a 500.
"""

import django_filters
import pytest
from django import forms
from django.urls import get_resolver

from tests.core.test_permission_matrix import ACCESS, client_for, world  # noqa: F401 (world is a fixture)

PROJECT_APPS = {
    "analytics",
    "brands",
    "core",
    "customers",
    "feedback",
    "integrations",
    "onsite",
    "reviews",
    "sentiment",
    "social",
    "support",
    "surveys",
}
# read straight from request.GET rather than through a form
LOOSE_PARAMETERS = {"page", "page_size", "cursor", "ordering", "export", "view", "format", "lang", "search"}
GARBAGE = (
    "\x00",
    "-1",
    "99999999999999999999999",
    "2026-02-31",
    "nan",
    "' OR 1=1 --",
    "x" * 5000,
    "%",
    "1e309",
)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


# The sweeps below are the suite's longest tests; each runs as a few shards of the URL list, so a parallel
# run spreads one sweep over its workers instead of leaving one worker on it for minutes.
SHARDS = 3


def access_in_shard(shard: int):
    """(name, (method, template, expected)) of every `SHARDS`-th URL of the permission matrix."""
    return [entry for index, entry in enumerate(ACCESS.items()) if index % SHARDS == shard]


def query_parameter_names() -> set[str]:
    get_resolver().check()  # imports every view, hence every form and filter set they use
    names = set(LOOSE_PARAMETERS)
    for form in _subclasses(forms.BaseForm):
        if form.__module__.split(".")[0] in PROJECT_APPS:
            names |= set(getattr(form, "base_fields", {}))
    for filterset in _subclasses(django_filters.FilterSet):
        if filterset.__module__.split(".")[0] in PROJECT_APPS:
            names |= set(filterset.base_filters)
    return names


def test_the_sweep_knows_the_filters_the_pages_read():
    names = query_parameter_names()
    # a sample of what the dashboards, feed, inbox and API filter on; if the collection broke, this fails
    assert {"start", "end", "period", "segment", "channel", "topic", "sentiment", "received_after"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize("shard", range(SHARDS))
def test_garbage_in_any_query_parameter_never_ends_in_a_500(world, shard):  # noqa: F811
    # a superuser's session reaches every page and endpoint; tokens share the API's code after authentication
    role = "admin"
    client = client_for(role, world)
    client.raise_request_exception = False  # list every crash, not only the first
    names = sorted(query_parameter_names())
    failures = []
    for name, (method, template, expected) in access_in_shard(shard):
        if method != "GET" or expected[role] != 200:
            continue
        path = template.format(**world["ids"])
        for value in GARBAGE:
            for headers in ({}, {"HX-Request": "true"}):  # the full page, and the fragment htmx asks for
                response = client.get(path, dict.fromkeys(names, value), headers=headers)
                if response.status_code >= 500:
                    failures.append(f"{name} all={value[:20]!r} {headers}: {response.status_code}")
        for parameter in names:  # alone, so one parameter's 400 cannot hide another's crash
            for value in ("\x00", "-1"):
                response = client.get(path, {parameter: value})
                if response.status_code >= 500:
                    failures.append(f"{name} {parameter}={value!r}: {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_garbage_in_any_form_field_posted_to_any_page_or_endpoint_never_ends_in_a_500(world):  # noqa: F811
    client = client_for("admin", world)
    client.raise_request_exception = False
    names = sorted(query_parameter_names())
    failures = []
    for name, (method, template, _expected) in ACCESS.items():
        if method != "POST":
            continue
        path = template.format(**world["ids"])
        for value in GARBAGE:
            for response in (
                client.post(path, dict.fromkeys(names, value)),  # a browser's form
                client.post(path, dict.fromkeys(names, value), format="json"),  # an API client's body
            ):
                if response.status_code >= 500:
                    failures.append(f"{name} {value[:20]!r}: {response.status_code}")
    assert not failures, "\n".join(failures)


def every_url_as(world, roles, shard):  # noqa: F811
    """(role, client, url name, its method, its path) for every URL of a shard of the permission matrix."""
    for role in roles:
        client = client_for(role, world)
        client.raise_request_exception = False
        for name, (method, template, _expected) in access_in_shard(shard):
            yield role, client, name, method, template.format(**world["ids"])


BROKEN_BODIES = (
    ("application/json", b"{not json"),
    ("application/json", b'"a string"'),
    ("application/json", b"[1, 2]"),
    ("application/json", b'{"a": {"b": [null]}}'),
    ("multipart/form-data; boundary=xx", b"--xx\r\nbroken"),
    ("multipart/form-data", b"no boundary"),
    ("application/x-www-form-urlencoded", b"a=%ZZ&&=&b"),
    ("text/plain", b"\xff\xfe\x00"),
    ("application/xml", b"<a/>"),
)


@pytest.mark.django_db
@pytest.mark.parametrize("shard", range(SHARDS))
def test_any_method_empty_or_broken_body_on_any_page_or_endpoint_never_ends_in_a_500(world, shard):  # noqa: F811
    # every URL gets every method, those listed for GET too: several pages also take a form
    failures = []
    for role, client, name, _method, path in every_url_as(world, ("admin", "customer", "token_all"), shard):
        for method in ("POST", "HEAD", "OPTIONS", "PUT", "PATCH", "DELETE", "TRACE"):
            if client.generic(method, path).status_code >= 500:  # no body at all
                failures.append(f"{role} {method} {name}")
        if client.post(path, {}).status_code >= 500:  # a form with no field
            failures.append(f"{role} POST {name} empty form")
        for content_type, body in BROKEN_BODIES:
            for method in ("POST", "PUT", "PATCH"):
                if client.generic(method, path, body, content_type=content_type).status_code >= 500:
                    failures.append(f"{role} {method} {name} {content_type} {body[:12]!r}")
    assert not failures, "\n".join(sorted(set(failures)))


# Header values as a WSGI server hands them over (bytes read as Latin-1).
HEADER_GARBAGE = {
    "HTTP_ACCEPT_LANGUAGE": ["\x00", "zz-ZZ;q=abc", "*;q=2", "es" * 3000, "é,ñ;q=0.5".encode().decode("latin-1")],
    "HTTP_AUTHORIZATION": [
        "Bearer",
        "Bearer \x00",
        "Bearer vz_x_y",
        "Bearer vz_\x00_y",
        "Basic Zm9vOmJhcg==",
        "Bearer a b",
        "Token ✓".encode().decode("latin-1"),
        "Bearer ñ".encode().decode("latin-1"),
    ],
    "HTTP_COOKIE": [
        "csrftoken=\x00",
        "sessionid=garbage",
        "sessionid=" + "x" * 5000,
        "csrftoken=short",
        "a=b; ; =; ;;",
        "django_language=xx",
    ],
    "HTTP_HX_REQUEST": ["true"],
    "HTTP_HX_TARGET": ["\x00", "x" * 3000],
    "HTTP_HX_CURRENT_URL": ["::::", "\x00"],
    "HTTP_ACCEPT": ["application/json", "text/csv", "*/*;q=x", "application/xml", "text/html; version=2"],
    "HTTP_IF_MODIFIED_SINCE": ["garbage", "Mon, 99 Foo 9999"],
    "HTTP_IF_NONE_MATCH": ["\x00", "*"],
    "HTTP_X_FORWARDED_FOR": ["\x00", "not-an-ip, 1.2.3.4"],
    "HTTP_ORIGIN": ["null", "\x00", "http://evil.example"],
    "HTTP_REFERER": ["\x00", "::::"],
    "HTTP_USER_AGENT": ["\x00", "x" * 10000],
    "HTTP_RANGE": ["bytes=abc"],
    "HTTP_X_CSRFTOKEN": ["\x00", "x" * 64],
}


@pytest.mark.django_db
@pytest.mark.parametrize("shard", range(SHARDS))
def test_garbage_in_any_request_header_never_ends_in_a_500(world, settings, shard):  # noqa: F811
    settings.VOZ_TRUSTED_PROXIES = 1  # so the forwarded address is read too
    failures = []
    for role, client, name, method, path in every_url_as(world, ("admin", "customer", "token_all"), shard):
        for header, values in HEADER_GARBAGE.items():
            for value in values:
                if client.generic(method, path, **{header: value}).status_code >= 500:
                    failures.append(f"{role} {method} {name} {header}={value[:20]!r}")
    assert not failures, "\n".join(sorted(set(failures)))


PATH_GARBAGE = ("a%00b", "-1", "9" * 25, "%C3%28", "x" * 300)


@pytest.mark.django_db
def test_garbage_in_any_part_of_an_address_that_names_a_record_never_ends_in_a_500(world):  # noqa: F811
    client = client_for("admin", world)
    client.raise_request_exception = False
    failures = []
    for name, (method, template, _expected) in ACCESS.items():
        if "{" not in template:
            continue
        for value in PATH_GARBAGE:
            path = template.format(**dict.fromkeys(world["ids"], value))
            response = client.get(path) if method == "GET" else client.post(path, {}, format="json")
            if response.status_code >= 500:
                failures.append(f"{name} {path}: {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.django_db
def test_garbage_in_any_answer_of_the_survey_form_never_ends_in_a_500(settings):
    from django.test import Client

    from surveys.models import Question
    from tests.factories import InvitationFactory

    settings.VOZ_RATE_LIMITS = []  # every answer below comes from the same address
    invitation = InvitationFactory()
    fields = [f"q_{code}" for code in Question.objects.filter(survey=invitation.survey).values_list("code", flat=True)]
    assert len(fields) >= 4
    client = Client()
    client.raise_request_exception = False
    failures = []
    for value in (*GARBAGE, "Hola\x00mundo", "\u202eal revés", "😀" * 2000):
        for field in (*fields, "lang", "website"):
            invitation = InvitationFactory()
            response = client.post(f"/s/{invitation.token}/", {"q_nps": "9", field: value})
            if response.status_code >= 500:
                failures.append(f"{field}={value[:20]!r}: {response.status_code}")
    assert not failures, "\n".join(failures)
