"""One language at a time: every staff page, admin page, customer page, API error and email, drawn in
Spanish and in English over the seeded demo shop, shows no text of the other language.

What counts as "the other language" comes from the translation catalogues (ours, Django's, DRF's,
allauth's): on a Spanish page an English msgid whose translation differs means a string left
untranslated; on an English page a Spanish msgstr means one translated where it should not be. Words
only one of the two languages has ("the", "your"; "para", "según") catch text that was never marked
for translation at all. Only what a person sees is read: text outside scripts and styles, and the
attributes a browser shows or reads out. Two things are not the interface's and are left out: text
inside an element whose `lang` says it is in another language (a customer's comment carries the
language it was written in), and what the shop's own data says (product names, customers'
comments, the names staff gave to teams and cases), found by comparing against every text the
database holds (the copies of sent emails aside, when the emails are what is checked).

A failure names the page (or endpoint, or email), the language it was drawn in, the words of the
other language and the text they were found in.
"""

import json
import re
from collections import defaultdict
from functools import cache, cached_property
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.db import models
from django.utils.translation import trans_real

from tests.conftest import shared_by_the_module
from tests.core.test_permission_matrix import ACCESS, client_for, world_build
from tests.demo.test_seed_demo import SMALL

LANGUAGES = ("es", "en")

# Placeholders in msgids: %(name)s, %s, %d, %%, {name}.
PLACEHOLDER = re.compile(r"%\([^)]*\)[sdfir]|%[sdfir]|%%|\{[^}]*\}")

# Words one language has and the other has not, for text nobody marked for translation.
ONLY_ENGLISH = (  # noqa: SIM905 (a word list reads best as words; not "has": Spanish has it too)
    "the and with your you for this that these those are is was were have been will not from "
    "which when what who there their they them our its into about after before than then here "
    "should would could can't don't doesn't isn't won't please yet still only each every already"
).split()
ONLY_SPANISH = (  # noqa: SIM905
    "el los las del al una unos unas con para por que según está están esta este estos estas sin "
    "también más cómo cuándo dónde qué tu tus su sus nuestro nuestra desde hasta hace todavía ya "
    "aún ningún ninguna cada sobre entre"
).split()

# Words and phrases both languages use, or names, so neither side may count them against the other.
SHARED = {
    "Voz",
    "NPS",
    "CSAT",
    "CES",
    "SLA",
    "API",
    "CSV",
    "JSON",
    "URL",
    "HTML",
    "RFM",
    "ID",
    "OK",
    "Email",
    "email",
    "Shopify",
    "WooCommerce",
    "PrestaShop",
    "Google",
    "Trustpilot",
    "Slack",
    "Webhook",
    "webhook",
    "Chat",
    "chat",
    "Total",
    "Error",
    "No",
    "Online",
    "total",  # Spanish has the word too ("en total")
    # words of the trade Spanish uses as they are
    "endpoint",
    "endpoints",
    "token",
    "Token",
    "tokens",
    "bytes",
}
# Names, and the titles of works cited, are the same in either language.
NAMES = (
    "Microsoft Teams",
    "OpenID Connect",
    "Rocket.Chat",
    "The American Statistician",
    "Interval estimation for the 'Net Promoter Score'",
)
# Code rather than words, wherever it is shown: a webhook topic (orders/create, order.created), an
# address or a path, a time zone (America/Los_Angeles), a scope (cases:read), an attribute (data-customer).
CODE = re.compile(r"\S*(?:[A-Za-z]{2}[./][A-Za-z]|/|\w:\w)\S*|\b[a-z]+-[a-z0-9-]+\b=?")


def shown_text(piece: str) -> str:
    """A piece of text as the comparison reads it: one space between words, without placeholders
    ({name} in a text to edit is a field, not a word) or code."""
    return CODE.sub(" ", PLACEHOLDER.sub(" ", " ".join(piece.split())))


def _literal_parts(text: str) -> list[str]:
    """The pieces of a catalogue entry that stand as written, without its placeholders."""
    parts = []
    for part in PLACEHOLDER.split(text):
        part = part.strip(" \n\t.:,;()¿?¡!«»\"'·—–-…/")
        if len(part) >= 4 and re.search(r"[^\W\d_]{3}", part):
            parts.append(part)
    return parts


@cache
def catalogue_phrases() -> dict[str, frozenset[str]]:
    """language → phrases that are only that language's, from every translation catalogue loaded."""
    english, spanish = set(), set()
    for msgid, msgstr in trans_real.translation("es")._catalog.items():
        if isinstance(msgid, tuple):  # a plural form: (msgid, index)
            msgid = msgid[0]
        if not msgid or not msgstr or msgid == msgstr:
            continue
        english.update(_literal_parts(msgid))
        spanish.update(_literal_parts(msgstr))
    both = english & spanish
    return {"en": frozenset(english - both - SHARED), "es": frozenset(spanish - both - SHARED)}


@cache
def other_language(language: str) -> tuple[dict[str, tuple[str, ...]], frozenset[str]]:
    """What on a page drawn in `language` is the other language's: its catalogue phrases by their first
    word (longest first), and its words."""
    other = "en" if language == "es" else "es"
    by_first_word = defaultdict(list)
    for phrase in sorted(catalogue_phrases()[other], key=len, reverse=True):
        first = re.match(r"\w+", phrase)
        if first:
            by_first_word[first.group()].append(phrase)
    words = ONLY_ENGLISH if other == "en" else ONLY_SPANISH
    return (
        {word: tuple(phrases) for word, phrases in by_first_word.items()},
        frozenset(words) | {word.capitalize() for word in words},
    )


def other_language_matches(piece: str, language: str):
    """(start, end) of each phrase or word of the other language in a piece of a page."""
    phrases, words = other_language(language)
    for word in re.finditer(r"\w[\w'’]*", piece):
        start = word.start()
        if word.group() in words:
            yield start, word.end()
            continue
        for phrase in phrases.get(re.match(r"\w+", word.group()).group(), ()):
            end = start + len(phrase)
            if piece.startswith(phrase, start) and not piece[end : end + 1].isalnum():
                yield start, end
                break


# Attributes a browser shows or reads out; `value` only on buttons.
SHOWN_ATTRIBUTES = {"title", "aria-label", "placeholder", "alt", "aria-description", "aria-roledescription"}
BUTTON_TYPES = {"submit", "button", "reset"}
# Not shown, or code rather than words: a snippet to paste, a webhook topic, a claim's name.
NOT_SHOWN = {"script", "style", "template", "code", "pre", "kbd", "samp"}
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class VisibleText(HTMLParser):
    """The pieces of text a person sees or hears on a page drawn in `language`."""

    def __init__(self, language: str):
        super().__init__(convert_charrefs=True)
        self.language = language
        self.stack: list[tuple[str, bool]] = []  # (tag, hidden: not shown, or in another language)
        self.pieces: list[str] = []
        self.charts: list[str] = []  # json_script payloads: chart labels and the like

    def _hidden(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        hidden = self._hidden() or tag in NOT_SHOWN
        lang = (attrs.get("lang") or "").split("-")[0].lower()
        if lang and lang != self.language:
            hidden = True
        if attrs.get("translate") == "no":  # identifiers such as time zone names, marked as such
            hidden = True
        if tag == "script" and attrs.get("type") == "application/json" and not self._hidden():
            self.stack.append(("script-json", True))
            return
        if not hidden:
            for name in SHOWN_ATTRIBUTES:
                if attrs.get(name):
                    self.pieces.append(attrs[name])
            if tag == "input" and attrs.get("type") in BUTTON_TYPES and attrs.get("value"):
                self.pieces.append(attrs["value"])
        if tag not in VOID:
            self.stack.append((tag, hidden))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack:
            self.stack.pop()

    def handle_endtag(self, tag):
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag or (tag == "script" and self.stack[index][0] == "script-json"):
                del self.stack[index:]
                return

    def handle_data(self, data):
        if self.stack and self.stack[-1][0] == "script-json":
            self.charts.append(data)
        elif not self._hidden() and data.strip():
            self.pieces.append(data)


def _strings_in_json(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings_in_json(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings_in_json(item)]
    return []


def visible_pieces(html: str, language: str) -> list[str]:
    parser = VisibleText(language)
    parser.feed(html)
    parser.close()
    pieces = list(parser.pieces)
    for payload in parser.charts:
        try:
            pieces += _strings_in_json(json.loads(payload))
        except ValueError:
            continue
    return pieces


# JSON fields that hold the shop's own words (other JSON fields hold what Voz wrote, in each language)
WORD_LISTS = ("sentiment.FeedbackTopic.matches",)


class ShopData:
    """Every text the database holds: the shop's own words, in whichever language they were written,
    and the names of things (`NAMES`)."""

    def __init__(self, *, leaving_out: tuple[str, ...] = ()):
        self.leaving_out = leaving_out

    @cached_property
    def by_word(self) -> dict[str, set[str]]:
        """Read at the first question, after the commit that analysed the demo's comments."""
        leaving_out = self.leaving_out
        texts = set()
        for model in apps.get_models():
            if model._meta.label in leaving_out:
                continue
            if model._meta.app_label in {"sessions", "django_celery_beat", "django_celery_results"}:
                continue
            fields = [
                field.attname
                for field in model._meta.concrete_fields
                if isinstance(field, (models.CharField, models.TextField)) and not field.choices
            ]
            for row in model._default_manager.values_list(*fields) if fields else ():
                texts.update(shown_text(value) for value in row if isinstance(value, str) and len(value) > 1)
            # the words of a comment that matched a topic, stored as a JSON list
            lists = [f for f in WORD_LISTS if f.startswith(f"{model._meta.label}.")]
            for row in model._default_manager.values_list(*(f.rsplit(".", 1)[1] for f in lists)) if lists else ():
                for value in row:
                    texts.update(shown_text(word) for word in value or () if isinstance(word, str) and len(word) > 1)
        texts.update(NAMES)
        # by every word and every start of one: a text shown cut short ends in part of a word
        by_word: dict[str, set[str]] = defaultdict(set)
        for text in texts:
            for word in set(re.findall(r"\w+", text.lower())):
                for end in range(2, len(word) + 1):
                    by_word[word[:end]].add(text)
        return by_word

    def covers(self, piece: str, start: int, end: int) -> bool:
        """Whether the match at piece[start:end] lies inside what the shop's data says: the stretch of the
        piece around it reads the same as one of the database's texts, for 20 characters or all of it
        (a title may be cut short, or put after a case's number), or the whole piece is part of one."""
        word = re.match(r"\w+", piece[start:end]).group().lower()
        for text in self.by_word.get(word, ()):
            at = text.find(piece[start:end])
            while at >= 0:
                left = 0
                while left < min(start, at) and piece[start - left - 1] == text[at - left - 1]:
                    left += 1
                right = 0
                tail = min(len(piece) - end, len(text) - at - (end - start))
                while right < tail and piece[end + right] == text[at + (end - start) + right]:
                    right += 1
                common = left + (end - start) + right
                if common >= min(20, len(text)) or common == len(piece):
                    return True
                at = text.find(piece[start:end], at + 1)
        return False


def other_language_in(html: str, language: str, shop: ShopData) -> list[str]:
    found = []
    for piece in visible_pieces(html, language):
        piece = shown_text(piece)
        for start, end in other_language_matches(piece, language):
            if not shop.covers(piece, start, end):
                found.append(f"{piece[start:end]!r} in {piece[:160]!r}")
    return found


def _build():
    from django.contrib.auth import get_user_model

    from core.api_clients import api_client_create
    from customers.emailing import unsubscribe_token
    from demo.seed import seed_demo
    from support.models import Case
    from support.notifications import followup_token

    seed_demo(seed=7, **SMALL)
    world = world_build(
        get_user_model(), lambda *scopes, name="Shop": api_client_create(name=name, scopes=list(scopes))[1]
    )
    # the pages a customer opens from an email follow the language the email was in
    by_language = {}
    for language in LANGUAGES:
        case = Case.objects.filter(customer__preferred_language=language).order_by("pk").first()
        by_language[language] = {
            "followup": followup_token(case),
            "unsubscribe": unsubscribe_token(customer=case.customer, address=case.customer.email, language=language),
        }
    return {"world": world, "by_language": by_language, "shop": ShopData()}


demo = shared_by_the_module(_build)
pytestmark = pytest.mark.django_db


def _html_in_other_language(response, language: str, shop: ShopData) -> list[str]:
    if "html" not in response.get("Content-Type", ""):
        return []
    return other_language_in(response.content.decode(), language, shop)


def test_every_staff_page_is_in_one_language(demo):
    world, shop = demo["world"], demo["shop"]
    found = []
    for role in ("admin", "manager", "agent"):
        client = client_for(role, world)
        client.raise_request_exception = False
        for name, (method, template, expected) in ACCESS.items():
            # the admin reaches every page; the others see their own home and nav
            if method != "GET" or expected[role] != 200 or expected["anonymous"] == 200:
                continue
            if role != "admin" and name != "staff:home":
                continue
            path = template.format(**world["ids"])
            for language in LANGUAGES:
                response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
                found += [
                    f"{language} {role} {name}: {hit}" for hit in _html_in_other_language(response, language, shop)
                ]
                # what a screen reader pronounces the page in
                html = response.content.decode() if "html" in response.get("Content-Type", "") else ""
                if "<html" in html and f'<html lang="{language}"' not in html:
                    found.append(f"{language} {role} {name}: <html lang> is not {language!r}")
    assert not found, "\n".join(found)


def test_every_customer_and_public_page_is_in_one_language(demo):
    world, shop = demo["world"], demo["shop"]
    client = client_for("anonymous", world)
    client.raise_request_exception = False
    found = []
    for name, (method, template, expected) in ACCESS.items():
        if method != "GET" or expected["anonymous"] not in (200, 401, 404):
            continue
        for language in LANGUAGES:
            path = template.format(**{**world["ids"], **demo["by_language"][language]})
            response = client.get(path, {"lang": language}, HTTP_ACCEPT_LANGUAGE=language)
            found += [f"{language} {name}: {hit}" for hit in _html_in_other_language(response, language, shop)]
    assert not found, "\n".join(found)


# Admin pages of other projects' models whose field labels are not marked for translation upstream
# (django-celery-beat's schedules, allauth's authenticators and social apps): only superusers open them.
ADMIN_APPS_UNTRANSLATED_UPSTREAM = {"django_celery_beat", "mfa", "socialaccount"}


def test_every_admin_page_is_in_one_language(demo):
    from django.contrib import admin
    from django.urls import reverse

    world, shop = demo["world"], demo["shop"]
    client = client_for("admin", world)
    client.raise_request_exception = False
    found = []
    for language in LANGUAGES:
        pages = ["/admin/"]
        for model in admin.site._registry:
            if model._meta.app_label in ADMIN_APPS_UNTRANSLATED_UPSTREAM:
                continue
            info = (model._meta.app_label, model._meta.model_name)
            pages += [reverse("admin:{}_{}_changelist".format(*info)), reverse("admin:{}_{}_add".format(*info))]
            row = model._default_manager.order_by("pk").first()
            if row is not None:
                pages.append(reverse("admin:{}_{}_change".format(*info), args=[row.pk]))
        for path in pages:
            response = client.get(path, HTTP_ACCEPT_LANGUAGE=language)
            found += [f"{language} {path}: {hit}" for hit in _html_in_other_language(response, language, shop)]
    assert not found, "\n".join(found)


def _api_errors(world):
    """(what, role, method, path, body, expected status) of an API client's usual mistakes."""
    ids = world["ids"]
    return [
        ("no credentials", "anonymous", "get", "/api/v1/feedback/", None, 401),
        ("a forged token", "forged", "get", "/api/v1/feedback/", None, 401),
        ("a scope the token lacks", "token_feedback", "get", "/api/v1/orders/", None, 403),
        ("a role without the permission", "agent", "get", "/api/v1/segments/", None, 403),
        ("an unknown record", "token_all", "get", "/api/v1/customers/nobody/", None, 404),
        ("an unknown case", "token_all", "get", "/api/v1/cases/999999/", None, 404),
        ("a bad period", "token_all", "get", "/api/v1/metrics/satisfaction/?period=fortnight", None, 400),
        ("an empty invitation", "token_all", "post", "/api/v1/invitations/", {}, 400),
        (
            "a wrong invitation",
            "token_all",
            "post",
            "/api/v1/invitations/",
            {"order": 5, "survey": "", "email": "x"},
            400,
        ),
        ("an empty note", "token_all", "post", f"/api/v1/cases/{ids['case']}/notes/", {}, 400),
        ("an empty review reply", "token_all", "post", f"/api/v1/reviews/{ids['review']}/reply/", {}, 400),
        # a bulk import answers 200 with an error per refused item
        ("a refused bulk item", "token_all", "post", "/api/v1/reviews/bulk/", {"items": [{"rating": 9}]}, 200),
        ("a body that is not JSON", "token_all", "post", "/api/v1/invitations/", "{not json", 400),
    ]


def _strings_shown(body: dict) -> list[str]:
    """The messages of an error body: its detail and the field errors ("type" is a code for programs,
    the keys of "errors" are field names)."""
    return _strings_in_json({key: value for key, value in body.items() if key != "type"})


def test_every_api_error_is_in_the_language_the_client_asked_for(demo):
    from rest_framework.test import APIClient

    world, shop = demo["world"], demo["shop"]
    found = []
    for what, role, method, path, body, status in _api_errors(world):
        if role == "forged":
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION="Bearer vz_forged_token")
        else:
            client = client_for(role, world)
        for language in LANGUAGES:
            kwargs = {"HTTP_ACCEPT_LANGUAGE": language}
            if isinstance(body, str):
                response = getattr(client, method)(path, body, content_type="application/json", **kwargs)
            else:
                response = getattr(client, method)(path, body, format="json", **kwargs)
            assert response.status_code == status, (what, language, response.status_code, response.content[:300])
            messages = _strings_shown(response.json())
            assert messages, (what, language)
            for message in messages:
                message = shown_text(message)
                for start, end in other_language_matches(message, language):
                    if not shop.covers(message, start, end):
                        found.append(f"{language} {what}: {message[start:end]!r} in {message[:160]!r}")
    assert not found, "\n".join(found)


TEXT_KEYS = {"description", "summary", "title"}
# The list of choices drf-spectacular appends to a field's text: "* `value` - label", one a line.
CHOICE = re.compile(r"^\* `([^`]*)` - (.*)$")


def schema_texts(value, path: str = "") -> dict[str, str]:
    """path → each text a reader sees: a field's own text and, apart, each choice label that is not
    just its value (`day` - day is code)."""
    found = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if key in TEXT_KEYS and isinstance(item, str):
                own = []
                for line in item.splitlines():
                    match = CHOICE.match(line)
                    if not match:
                        own.append(line)
                    elif match.group(1) != match.group(2):
                        found[f"{path}/{key}/{match.group(1)}"] = match.group(2)
                found[f"{path}/{key}"] = "\n".join(own).strip()
            else:
                found |= schema_texts(item, f"{path}/{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found |= schema_texts(item, f"{path}/{index}")
    return found


def schema_address(html: str) -> str:
    """The address a docs page's script fetches the schema from (escaped for JavaScript)."""
    (address,) = re.findall(r'(?:url: |Redoc\.init\()"([^"]+)"', html)
    return json.loads(f'"{address}"')


def test_the_api_docs_and_the_schema_they_load_are_in_one_language(demo):
    """The docs pages draw the API's texts from the schema their script fetches, and ReDoc's own
    words from its settings: both are read, as well as the page."""
    from django.test import Client

    shop = demo["shop"]
    client = Client()
    found = []
    for page in ("/api/docs/", "/api/redoc/"):
        for language in LANGUAGES:
            response = client.get(page, HTTP_ACCEPT_LANGUAGE=language)
            html = response.content.decode()
            found += [f"{language} {page}: {hit}" for hit in other_language_in(html, language, shop)]
            labels = re.search(r"const redocSettings = (\{.*?\});", html, re.S)
            pieces = list(json.loads(labels.group(1))["labels"].values()) if labels else []
            schema = client.get(schema_address(html), HTTP_ACCEPT="application/json").json()
            pieces += list(schema_texts(schema).values())
            for piece in pieces:
                piece = shown_text(re.sub(r"`[^`]*`", " ", piece))  # `code` is the same in either language
                for start, end in other_language_matches(piece, language):
                    if not shop.covers(piece, start, end):
                        found.append(f"{language} {page} schema: {piece[start:end]!r} in {piece[:160]!r}")
    assert not found, "\n".join(found)


def _refusals(settings, ids):
    """(what, status, request) of the refusals that come before a view reads anything: a method the
    endpoint has not, a body too big or of a type it does not read, and too many requests."""
    settings.VOZ_RATE_LIMITS = [("webhook", "POST", "/api/v1/webhooks/", 0, 60)]
    too_big = str(settings.API_MAX_BODY_BYTES + 1)
    return [
        (
            "a method the endpoint has not",
            405,
            lambda client, **kw: client.post(f"/api/v1/reviews/{ids['review']}/", {}, format="json", **kw),
        ),
        (
            "a body too big",
            413,
            lambda client, **kw: client.post(
                "/api/v1/invitations/", "{}", content_type="application/json", CONTENT_LENGTH=too_big, **kw
            ),
        ),
        (
            "a body of a type the API does not read",
            415,
            lambda client, **kw: client.post("/api/v1/invitations/", "order=5", content_type="text/plain", **kw),
        ),
        (
            "too many requests",
            429,
            lambda client, **kw: client.post(
                "/api/v1/webhooks/social/00000000-0000-0000-0000-000000000000/",
                "{}",
                content_type="application/json",
                **kw,
            ),
        ),
    ]


def test_every_refusal_of_an_api_request_is_in_the_language_the_client_asked_for(demo, settings):
    world, shop = demo["world"], demo["shop"]
    client = client_for("token_all", world)
    found = []
    for what, status, send in _refusals(settings, world["ids"]):
        details = {}
        # the other language first, so a message that stays in the previous request's language shows
        for language in ("en", "es", "en"):
            response = send(client, HTTP_ACCEPT_LANGUAGE=language)
            assert response.status_code == status, (what, language, response.status_code, response.content[:300])
            details[language] = response.json()["detail"]
            message = shown_text(details[language])
            for start, end in other_language_matches(message, language):
                if not shop.covers(message, start, end):
                    found.append(f"{language} {what}: {message[start:end]!r} in {message[:160]!r}")
        if details["es"] == details["en"]:
            found.append(f"{what}: the same in both languages, {details['es']!r}")
    assert not found, "\n".join(found)


def _email_in_other_language(message, language: str, shop: ShopData) -> list[str]:
    pieces = [message.subject, *message.body.splitlines()]
    for html, _type in getattr(message, "alternatives", []):
        pieces += visible_pieces(html, language)
    found = []
    for piece in pieces:
        piece = shown_text(piece)
        for start, end in other_language_matches(piece, language):
            if not shop.covers(piece, start, end):
                found.append(f"{piece[start:end]!r} in {piece[:160]!r}")
    return found


def test_every_email_is_in_its_recipients_language(demo):
    from django.core import mail

    from accounts.emails import invitation_email_send
    from accounts.services import invitation_create
    from customers.models import MarketingConsent
    from support.models import Case
    from support.notifications import case_followup_send
    from tests.customers.test_emailing import send_every_kind
    from tests.factories import CustomerFactory

    world = demo["world"]
    sent = {}
    for language in LANGUAGES:
        customer = CustomerFactory(preferred_language=language, marketing_consent=MarketingConsent.GRANTED)
        for kind, message in send_every_kind(customer).items():
            sent[(language, kind)] = message
        case = Case.objects.filter(customer__preferred_language=language, followup_sent_at__isnull=True).first()
        Case.objects.filter(pk=case.pk).update(status=Case.Status.RESOLVED)
        count = len(mail.outbox)
        case_followup_send(case_id=case.pk)
        sent[(language, "case follow-up")] = mail.outbox[-1] if len(mail.outbox) > count else None
        invitation = invitation_create(
            email=f"colleague-{language}@voz.example",
            role="agent",
            team=None,
            language=language,
            invited_by=world["users"]["manager"],
        )
        count = len(mail.outbox)
        invitation_email_send(invitation_id=invitation.pk)
        sent[(language, "staff invitation")] = mail.outbox[-1] if len(mail.outbox) > count else None
    # with the customers and orders the emails were about, but not the copies of the emails themselves
    shop = ShopData(leaving_out=("customers.OutboundEmail",))
    found = []
    for (language, kind), message in sent.items():
        assert message is not None, (language, kind)
        found += [f"{language} {kind}: {hit}" for hit in _email_in_other_language(message, language, shop)]
    assert not found, "\n".join(found)


def _htmx_fragments(world) -> list[tuple[str, str, str, dict]]:
    """(what, method, path, data) of what staff pages load or post through htmx (hx-get, hx-post in the
    templates): their fragments are drawn by the views, outside the page that holds them."""
    from analytics.models import AlertRule
    from surveys import editing
    from surveys.models import Survey

    survey = Survey.objects.get(pk=world["ids"]["survey"])
    order = [question.pk for question in editing.survey_questions_current(survey)]
    rule = AlertRule.objects.order_by("pk").first()
    fragments = [
        ("the feed's filtered results", "get", "/feedback/", {"sentiment": "negative"}),
        ("the notification bell", "get", "/support/notifications/bell/", {}),
        ("the questions, reordered", "post", f"/surveys/{survey.pk}/questions/order/", {"order": order}),
        ("the questions, one removed", "post", f"/surveys/{survey.pk}/questions/{order[-1]}/remove/", {}),
        # twice: switched off, and on again
        ("an alert rule's row", "post", f"/dashboards/alerts/{rule.pk}/toggle/", {}),
        ("an alert rule's row", "post", f"/dashboards/alerts/{rule.pk}/toggle/", {}),
    ]
    for kind in AlertRule.Kind.values:
        fragments += [
            (f"a new rule's form for {kind}", "get", "/dashboards/alerts/new/", {"kind": kind}),
            (f"a rule's form for {kind}", "get", f"/dashboards/alerts/{rule.pk}/", {"kind": kind}),
        ]
    return fragments


def test_every_htmx_fragment_is_in_one_language(demo):
    from django.urls import reverse

    world, shop = demo["world"], demo["shop"]
    client = client_for("admin", world)
    client.raise_request_exception = False
    assert reverse("support:notification-bell") == "/support/notifications/bell/"
    found = []
    for language in LANGUAGES:
        for what, method, path, data in _htmx_fragments(world):
            response = getattr(client, method)(path, data, HTTP_ACCEPT_LANGUAGE=language, HTTP_HX_REQUEST="true")
            assert response.status_code == 200, (what, language, response.status_code)
            found += [f"{language} {what}: {hit}" for hit in _html_in_other_language(response, language, shop)]
    assert not found, "\n".join(found)


def test_every_staff_action_answers_in_one_language(demo):
    """What a page shows after a form on it is posted (a case action, a setting saved, a refusal):
    each POST of the staff pages, sent empty as the permission matrix sends it, and the page it leads to."""
    world, shop = demo["world"], demo["shop"]
    client = client_for("admin", world)
    client.raise_request_exception = False
    found = []
    for name, (method, template, expected) in ACCESS.items():
        if method != "POST" or expected["admin"] not in (200, 302, 400) or expected["anonymous"] != 302:
            continue
        path = template.format(**world["ids"])
        for language in LANGUAGES:
            response = client.post(path, {}, follow=True, HTTP_ACCEPT_LANGUAGE=language)
            found += [f"{language} {name}: {hit}" for hit in _html_in_other_language(response, language, shop)]
    assert not found, "\n".join(found)


def _staff_notifications(case, recipient, language: str) -> list:
    """One notification of each event, with the data their announcers store (support.notify)."""
    from analytics.alerts import _rule_names, _signal_names
    from analytics.models import AlertRule
    from support.models import Notification, NotificationEvent

    rule = AlertRule.objects.order_by("pk").first()
    case_data = {"case": case.pk, "due_at": "2026-12-03T16:30:00+00:00", "priority": case.priority}
    made = []
    for event in NotificationEvent.values:
        if event == NotificationEvent.ALERT:
            data = {"rule": _rule_names(rule), "value": 23.25, "signal": _signal_names(rule), "url": "/dashboards/"}
        else:
            data = {**case_data, "target": "first_response"}
        made.append(
            Notification.objects.create(
                recipient=recipient,
                event=event,
                event_key=f"one-language:{event}:{language}",
                case=None if event == NotificationEvent.ALERT else case,
                data=data,
            )
        )
    return made


def test_every_staff_email_and_chat_message_is_in_its_readers_language(demo):
    """The digests, the staff notifications (email and chat), allauth's password reset: in the
    language the reader chose (their profile; the shop's for a team's chat)."""
    from django.core import mail
    from django.core.cache import cache
    from django.test import Client
    from django.utils import timezone

    from analytics.digests import digest_build, digest_message, digest_window, unsubscribe_token
    from core.shop import CACHE_KEY, shop_settings_row, shop_settings_save
    from support import chat, notify
    from support.models import Case, ChatWebhook, StaffProfile, Team

    world, shop = demo["world"], demo["shop"]
    manager = world["users"]["manager"]
    case = Case.objects.filter(customer__isnull=False).order_by("pk").first()
    webhook = ChatWebhook(
        team=Team.objects.order_by("pk").first(), kind=ChatWebhook.Kind.SLACK, url="https://chat.example/x"
    )
    sent: dict[tuple[str, str], object] = {}
    found = []
    digests = {}
    for frequency in ("daily", "weekly"):
        start, end = digest_window(frequency, timezone.localdate())
        digests[frequency] = digest_build(frequency=frequency, start=start, end=end)
    for language in LANGUAGES:
        StaffProfile.objects.update_or_create(user=manager, defaults={"language": language})
        row = shop_settings_row()
        row.default_language = language
        shop_settings_save(row)
        for frequency, digest in digests.items():
            sent[(language, f"{frequency} digest")] = digest_message(
                digest, language, to=manager.email or "m@voz.example", unsubscribe=unsubscribe_token(manager, frequency)
            )
        for notification in _staff_notifications(case, manager, language):
            count = len(mail.outbox)
            notify._email_send(notification)
            sent[(language, f"{notification.event} email")] = mail.outbox[-1] if len(mail.outbox) > count else None
            for kind in ChatWebhook.Kind.values:
                webhook.kind = kind
                language_read, zone = notify._shop_reader()
                payload = chat.payload_for(webhook, notify.message_for(notification, language=language_read, zone=zone))
                for text in _strings_in_json(payload):
                    text = shown_text(text)
                    found += [
                        f"{language} {notification.event} {kind} chat: {text[start:end]!r} in {text[:160]!r}"
                        for start, end in other_language_matches(text, language)
                        if not shop.covers(text, start, end)
                    ]
        count = len(mail.outbox)
        Client().post("/accounts/password/reset/", {"email": manager.email}, HTTP_ACCEPT_LANGUAGE=language)
        sent[(language, "password reset")] = mail.outbox[-1] if len(mail.outbox) > count else None
    # the settings row goes back with the test's savepoint; its cached copy must go with it
    cache.delete(CACHE_KEY)
    for (language, kind), message in sent.items():
        assert message is not None, (language, kind)
        found += [f"{language} {kind}: {hit}" for hit in _email_in_other_language(message, language, shop)]
    assert not found, "\n".join(found)
