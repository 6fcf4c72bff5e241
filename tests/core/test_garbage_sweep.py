"""Every page and endpoint that reads a query string, with garbage in every parameter any of them reads.

The parameter names come from the project's own forms and filter sets, so a new filter is swept as soon
as it exists. The same URLs also get every HTTP method, empty and broken bodies, and garbage in the
request headers they read. Whatever the value, the answer is a page or a clear 4xx — never a 500.
"""

import copy
import sys
from contextlib import ExitStack, contextmanager
from functools import partial
from unittest import mock

import django_filters
import pytest
from django import forms
from django.core.handlers.base import BaseHandler
from django.core.handlers.wsgi import WSGIRequest
from django.http import HttpRequest, QueryDict
from django.http.request import HttpHeaders
from django.urls import get_resolver
from django.utils.datastructures import MultiValueDict
from django.utils.functional import cached_property
from rest_framework.request import Request as ApiRequest

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


class ParametersRead:
    """The query-string parameters that handling a request looked at, and whether it looked at them all.

    While `watching()`, every look into a QueryDict (request.GET, DRF's query_params, the copies views
    make of them) is noted: `get`, `[]`, `getlist`, `in`, `pop` note the name asked for; iterating,
    `items()`, `dict()` and the like mean every parameter is read. Copying and `urlencode` only carry
    the values along (into a link), which any parameter exercises alike.
    """

    NAMED = {MultiValueDict: ("__getitem__", "get", "getlist", "_getlist", "__contains__"), QueryDict: ("pop",)}
    EVERY = {MultiValueDict: ("__iter__", "keys", "items", "lists", "values", "dict")}
    # building, filling and copying look inside too (filling asks `in`), but no view's reading is in it
    FILLED = ("__init__", "setlist", "setlistdefault", "appendlist", "setdefault", "update")
    CARRIED = {MultiValueDict: FILLED, QueryDict: (*FILLED, "copy", "__copy__", "__deepcopy__", "urlencode")}

    def __init__(self):
        self.names: set[str] = set()
        self.names_lately: set[str] = set()  # since the caller last emptied it
        self.every = False
        self._depth = 0  # looks from inside another look (`get` calls `[]`, a copy iterates) are not the view's

    def _watched(self, original, kind):
        def look(dictionary, *args, **kwargs):
            # URL reversing keeps its own MultiValueDict; only query strings count
            if self._depth == 0 and isinstance(dictionary, QueryDict):
                if kind == "named" and args and isinstance(args[0], str):
                    self.names.add(args[0])
                    self.names_lately.add(args[0])
                elif kind == "every":
                    self.every = True
            self._depth += 1
            try:
                return original(dictionary, *args, **kwargs)
            finally:
                self._depth -= 1

        return look

    @contextmanager
    def watching(self):
        with ExitStack() as stack:
            for kind, methods in (("named", self.NAMED), ("every", self.EVERY), ("carried", self.CARRIED)):
                for cls, names in methods.items():
                    for name in names:
                        stack.enter_context(mock.patch.object(cls, name, self._watched(getattr(cls, name), kind)))
            yield self


@pytest.mark.django_db
def test_the_sweep_sees_which_parameters_a_page_reads(admin_client):
    # if the watching broke, the sweep would send garbage alone to no parameter at all
    read = ParametersRead()
    with read.watching():
        admin_client.get("/api/v1/metrics/satisfaction/", {"format": "nope", "start": "x"})  # 404 on the format
        assert read.names == {"format"} and not read.every
        admin_client.get("/api/v1/metrics/satisfaction/", {"start": "x"})
        admin_client.get("/dashboards/topics/?" + QueryDict("period=week").urlencode())
    assert {"start", "end", "period", "topic"} <= read.names and not read.every
    # the query sweep sends the htmx fragment's request only where a page looks at HX-Request
    for path, reads_htmx in (("/api/v1/metrics/satisfaction/", False), ("/feedback/", True)):
        with HeadersRead().watching() as headers_read:
            admin_client.get(path)
        assert ("HTTP_HX_REQUEST" in headers_read.names) is reads_htmx, path
    # the header sweep sends each value alone to every URL whose view reads the header, and to one
    # URL for a header only the middleware reads (the language asked for, LocaleMiddleware's)
    assert "HTTP_HX_REQUEST" in headers_read.view_names
    assert "HTTP_ACCEPT_LANGUAGE" in headers_read.names and "HTTP_ACCEPT_LANGUAGE" not in headers_read.view_names
    assert {place.rsplit("/", 1)[-1] for place, _line in headers_read.middleware_places["HTTP_ACCEPT_LANGUAGE"]} == {
        "trans_real.py"  # get_language_from_request
    }


# no view reads it: alone, it stands for every parameter a page only carries along into its links
UNREAD_PARAMETER = "voz_unread"


def garbage_rounds(client, name: str, path: str, names: list[str], read: ParametersRead, headers: dict) -> list[str]:
    """Every garbage value in every parameter at once, in rounds: a parameter a round saw read (a bad
    `format` that ends an API request at once, a `q` that takes another path) is left out of the
    next, so the parameters it shadowed get read too; rounds stop when nothing new was read."""
    failures = []
    # bare, the page looks at every parameter its default path reads
    if client.get(path, headers=headers).status_code >= 500:
        failures.append(f"{name} bare {headers}: 500")
    sent = set(names)
    while sent and not read.every:
        read.names_lately.clear()
        for value in GARBAGE:
            if client.get(path, dict.fromkeys(sorted(sent), value), headers=headers).status_code >= 500:
                failures.append(f"{name} {len(sent)} at once={value[:20]!r} {headers}: 500")
        if not read.names_lately & sent:
            break
        sent -= read.names_lately
    return failures


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
        # The full page first; then the fragment htmx asks for, where the page looked at HX-Request
        # (elsewhere the answers would repeat the first pass's, at twice its cost).
        read, headers_read = ParametersRead(), HeadersRead()
        with read.watching(), headers_read.watching():
            failures += garbage_rounds(client, name, path, names, read, {})
        if headers_read.every or "HTTP_HX_REQUEST" in headers_read.names:
            with read.watching():
                failures += garbage_rounds(client, name, path, names, read, {"HX-Request": "true"})
        # alone, so one parameter's 400 cannot hide another's crash: each parameter the page read in the
        # requests above (all of them if it iterated over the query string), and one it never reads
        alone = set(names) | read.names if read.every else read.names
        for parameter in sorted(alone | {UNREAD_PARAMETER}):
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
    """(role, client, url name, its method, its path) for every URL of a shard of the permission matrix.

    Each URL gets a client of its own, signed in afresh: garbage posted to the logout page, or a
    garbage cookie the session middleware answers by deleting the session's, would otherwise sweep
    every URL after it as an anonymous visitor."""
    for role in roles:
        for name, (method, template, _expected) in access_in_shard(shard):
            client = client_for(role, world)
            client.raise_request_exception = False
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


@contextmanager
def body_read():
    """Whether handling a request looked at its body: read it, parsed its form, or had DRF choose a parser."""
    looked = {"body": False}

    def noting(original):
        def look(*args, **kwargs):
            looked["body"] = True
            return original(*args, **kwargs)

        return look

    with ExitStack() as stack:
        for cls, name in ((HttpRequest, "_load_post_and_files"), (ApiRequest, "_parse")):
            stack.enter_context(mock.patch.object(cls, name, noting(getattr(cls, name))))
        for name in ("read", "readline", "readlines"):
            stack.enter_context(mock.patch.object(HttpRequest, name, noting(getattr(HttpRequest, name))))
        stack.enter_context(mock.patch.object(HttpRequest, "body", property(noting(HttpRequest.body.fget))))
        yield looked


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
        for method in ("POST", "PUT", "PATCH"):
            # a request answered without a look at its body (a redirect to the login page, a 405) is
            # answered alike whatever the body: the first broken one stands for the rest there
            for index, (content_type, body) in enumerate(BROKEN_BODIES):
                with body_read() as looked:
                    if client.generic(method, path, body, content_type=content_type).status_code >= 500:
                        failures.append(f"{role} {method} {name} {content_type} {body[:12]!r}")
                if index == 0 and not looked["body"]:
                    break
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


def _in_the_view() -> bool:
    """Whether the code running now was called from the view's side of the request (Django's
    `_get_response`: URL resolution, `process_view`, the view, its template) rather than from the
    middleware stack around it, which every URL runs alike."""
    frame = sys._getframe(2)
    while frame is not None:
        if frame.f_code is _VIEW_SIDE:
            return True
        frame = frame.f_back
    return False


_VIEW_SIDE = BaseHandler._get_response.__code__


class HeadersRead:
    """The request headers that handling a request looked at (in `request.META` or `request.headers`),
    or whether it looked at them all (iterated over them). Building `request.headers` copies every
    header, which is not a look at any of them.

    Each look is also noted as the view's (`view_names`) or the middleware's, with the place in the
    code that looked (`middleware_places`): a header only the middleware stack reads is read by the
    same code whatever the URL."""

    def __init__(self):
        self.names: set[str] = set()
        self.view_names: set[str] = set()
        self.middleware_places: dict[str, set[tuple[str, int]]] = {}
        self.every = False
        self.every_in_view = False
        self._depth = 0

    def note(self, key: str) -> None:
        """A look at header `key` by the first code up the stack that is not this module's watching."""
        if self._depth:
            return
        self.names.add(key)
        if _in_the_view():
            self.view_names.add(key)
        else:
            reader = sys._getframe(1)
            while reader.f_code.co_filename == __file__:
                reader = reader.f_back
            self.middleware_places.setdefault(key, set()).add((reader.f_code.co_filename, reader.f_lineno))

    def _cookies(self, cookies: dict) -> dict:
        """The parsed cookies: the middleware parses them once, and a look at one is a look at the header."""
        watcher = self

        class WatchedCookies(dict):
            def __getitem__(self, key):
                watcher.note("HTTP_COOKIE")
                return super().__getitem__(key)

            def get(self, key, default=None):
                watcher.note("HTTP_COOKIE")
                return super().get(key, default)

            def __contains__(self, key):
                watcher.note("HTTP_COOKIE")
                return super().__contains__(key)

            def __iter__(self):
                watcher.note("HTTP_COOKIE")
                return super().__iter__()

        return WatchedCookies(cookies)

    def _environ(self, environ: dict) -> dict:
        watcher = self

        class WatchedEnviron(dict):
            def _note(self, key):
                watcher.note(key)

            def __getitem__(self, key):
                self._note(key)
                return super().__getitem__(key)

            def get(self, key, default=None):
                self._note(key)
                return super().get(key, default)

            def __contains__(self, key):
                self._note(key)
                return super().__contains__(key)

            def _every(self, name, *args):
                if watcher._depth == 0:
                    watcher.every = True
                    watcher.every_in_view |= _in_the_view()
                return getattr(super(), name)(*args)

            def __iter__(self):
                return self._every("__iter__")

            def keys(self):
                return self._every("keys")

            def items(self):
                return self._every("items")

            def values(self):
                return self._every("values")

            def copy(self):
                return self._every("copy")

        return WatchedEnviron(environ)

    @contextmanager
    def watching(self):
        original_init, headers_init, headers_get = WSGIRequest.__init__, HttpHeaders.__init__, HttpHeaders.__getitem__

        def request_init(request, environ):
            original_init(request, environ)
            request.environ = request.META = self._environ(request.META)

        def copied(headers, environ):
            self._depth += 1
            try:
                headers_init(headers, environ)
            finally:
                self._depth -= 1

        def looked_up(headers, key):
            self.note(HttpHeaders.to_wsgi_name(key))
            return headers_get(headers, key)

        parse_cookies = WSGIRequest.COOKIES.func

        def cookies(request):
            return self._cookies(parse_cookies(request))

        watched_cookies = cached_property(cookies)
        watched_cookies.__set_name__(WSGIRequest, "COOKIES")

        with ExitStack() as stack:
            stack.enter_context(mock.patch.object(WSGIRequest, "__init__", request_init))
            stack.enter_context(mock.patch.object(WSGIRequest, "COOKIES", watched_cookies))
            stack.enter_context(mock.patch.object(HttpHeaders, "__init__", copied))
            stack.enter_context(mock.patch.object(HttpHeaders, "__getitem__", looked_up))
            yield self


def sent_with_headers(client, method, path, signed_in, failures, label, headers: dict) -> HeadersRead:
    """Send the request with these headers, note a 500 in `failures`, and sign the client back in
    (a garbage cookie's answer deleted the session's): which headers the answer looked at."""
    with HeadersRead().watching() as read:
        if client.generic(method, path, **headers).status_code >= 500:
            failures.append(f"{label} " + " ".join(f"{header}={value[:20]!r}" for header, value in headers.items()))
    client.cookies = copy.deepcopy(signed_in)
    return read


@pytest.mark.django_db
@pytest.mark.parametrize("shard", range(SHARDS))
def test_garbage_in_any_request_header_never_ends_in_a_500(world, settings, shard):  # noqa: F811
    settings.VOZ_TRUSTED_PROXIES = 1  # so the forwarded address is read too
    failures = []
    # (role, method, header, the places in the middleware that read it) whose values went alone
    swept_in_the_middleware = set()
    for role, client, name, method, path in every_url_as(world, ("admin", "customer", "token_all"), shard):
        signed_in = copy.deepcopy(client.cookies)
        send = partial(sent_with_headers, client, method, path, signed_in, failures, f"{role} {method} {name}")
        # Each header's first garbage value, all at once, in rounds as the query sweep goes: a header
        # a round saw read (a garbage cookie that signs the visitor out, a token refused at once) is
        # left out of the next, so the headers its answer was given without reading get read too.
        # A header no round read is answered alike whatever its value: its first stands for the rest.
        unread, looked_at, read_by_the_view = set(HEADER_GARBAGE), set(), set()
        middleware_places: dict[str, set] = {}
        while unread:
            read = send({header: HEADER_GARBAGE[header][0] for header in sorted(unread)})
            newly = set(unread) if read.every else unread & read.names
            if not newly:
                break
            looked_at |= newly
            unread -= newly
            read_by_the_view |= set(HEADER_GARBAGE) if read.every_in_view else read.view_names
            for header, places in read.middleware_places.items():
                middleware_places.setdefault(header, set()).update(places)
        # Every value of each header looked at, alone. A header only the middleware read (the
        # session's cookie, the language asked for, the user agent) meets the same code on every URL:
        # its values go alone to the first URL where those places read it, and every URL still gets
        # the first of them in the rounds above. What the middleware makes of them (a visitor signed
        # out, a language) reaches each view as any visitor's would: every URL is asked for by an
        # anonymous visitor and in both languages (test_permission_matrix, test_one_language).
        for header in sorted(looked_at):
            if header not in read_by_the_view:
                key = (role, method, header, frozenset(middleware_places.get(header, ())))
                if key in swept_in_the_middleware:
                    continue
                swept_in_the_middleware.add(key)
            for value in HEADER_GARBAGE[header]:
                send({header: value})
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
