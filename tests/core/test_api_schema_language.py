"""The OpenAPI schema and the API docs pages follow the reader's language: every summary, description
and title of ours is written in Spanish in the Spanish schema, and both schemas describe the same API
(the same paths, fields and types). That neither holds words of the other language is checked with
every other page, in tests/core/test_one_language.py."""

import json
import re

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from tests.core.test_one_language import TEXT_KEYS, schema_address, schema_texts, shown_text

pytestmark = pytest.mark.django_db


def schema_in(language: str, **headers) -> dict:
    response = APIClient().get("/api/schema/", {"format": "json", "lang": language}, **headers)
    assert response.status_code == 200
    return response.json()


def words(text: str) -> list[str]:
    """The words of a text, without what is code: `quoted`, paths, addresses, snake_case names, numbers."""
    text = re.sub(r"`[^`]*`|\{[^}]*\}|<[^>]*>", " ", text)
    return [word for word in re.findall(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*", shown_text(text)) if len(word) > 1]


# Texts that read the same in both languages: names (the metric's, kept in English in Spanish too).
SAME_IN_BOTH = {"Net Promoter Score (0–10)"}


def test_every_text_of_ours_in_the_spanish_schema_is_in_spanish():
    english, spanish = schema_texts(schema_in("en")), schema_texts(schema_in("es"))

    untranslated = sorted(
        text
        for path, text in english.items()
        if spanish.get(path) == text and text not in SAME_IN_BOTH and len(words(text)) >= 2
    )

    assert untranslated == [], "\n".join(untranslated)


def _without_texts(value):
    if isinstance(value, dict):
        return {key: _without_texts(item) for key, item in value.items() if key not in TEXT_KEYS}
    if isinstance(value, list):
        return [_without_texts(item) for item in value]
    return value


def test_both_schemas_describe_the_same_api():
    assert _without_texts(schema_in("es")) == _without_texts(schema_in("en"))


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_schema_follows_accept_language_without_lang(language):
    response = APIClient().get("/api/schema/", {"format": "json"}, HTTP_ACCEPT_LANGUAGE=language)

    assert response.json() == schema_in(language)


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
@pytest.mark.parametrize(("language", "title"), [("es", "API de Voz"), ("en", "Voz API")])
def test_a_docs_page_loads_the_schema_in_its_readers_language(client, page, language, title):
    response = client.get(page, HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()

    assert f'<html lang="{language}">' in html and f"<title>{title}</title>" in html
    address = schema_address(html)
    assert address == f"/api/schema/?lang={language}"
    assert client.get(address, HTTP_ACCEPT="application/json").json()["info"]["title"] == title


def test_lang_on_a_docs_page_draws_it_and_its_schema_in_that_language(client):
    html = client.get("/api/redoc/", {"lang": "en"}, HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert '<html lang="en">' in html and schema_address(html) == "/api/schema/?lang=en"


def test_redoc_speaks_spanish_to_a_spanish_reader(client):
    html = client.get("/api/redoc/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert '"responseSamples": "Ejemplos de respuesta"' in html and "fonts.googleapis.com" not in html


@pytest.mark.parametrize("page", ["/api/docs/", "/api/redoc/"])
def test_a_docs_page_asked_for_json_with_a_bad_token_says_it_only_has_html(client, page):
    # a bad token used to be refused twice: once by the page, once more while drawing the refusal (500)
    answer = client.get(page, HTTP_AUTHORIZATION="Bearer", HTTP_ACCEPT="application/json")

    assert answer.status_code == 406
    assert client.get(page, HTTP_AUTHORIZATION="Bearer nonsense").status_code == 200  # the page is public


def test_the_schema_is_generated_once_per_language_whatever_the_reader_sends(monkeypatch):
    # Generating it takes about a second of CPU: a public address that did it on every request
    # let anyone keep the server busy.
    from core.api_docs import SchemaView

    monkeypatch.setattr(SchemaView, "_generated", {})
    monkeypatch.setattr(SchemaView, "_rendered", {})
    generated = []
    original = SchemaView.generator_class.get_schema

    def counted(self, *args, **kwargs):
        generated.append(translation.get_language())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SchemaView.generator_class, "get_schema", counted)
    spanish = schema_in("es")
    again = [
        schema_in("es"),
        schema_in("es", HTTP_ACCEPT_LANGUAGE="en"),
        APIClient().get("/api/schema/", {"format": "json", "version": "9"}, HTTP_ACCEPT_LANGUAGE="es").json(),
        # a language Voz does not speak reads the request's
        APIClient().get("/api/schema/", {"format": "json", "lang": "zz"}, HTTP_ACCEPT_LANGUAGE="es").json(),
    ]
    english = schema_in("en")

    assert generated == ["es", "en"]
    assert all(schema == spanish for schema in again)
    assert (spanish["info"]["title"], english["info"]["title"]) == ("API de Voz", "Voz API")
    assert spanish["info"]["version"] == english["info"]["version"] == "1.0.0"


def test_the_schema_is_written_once_per_language_and_format_and_reads_as_before(monkeypatch):
    import yaml
    from drf_spectacular.renderers import OpenApiJsonRenderer, OpenApiYamlRenderer

    from core.api_docs import SchemaView

    monkeypatch.setattr(SchemaView, "_generated", {})
    monkeypatch.setattr(SchemaView, "_rendered", {})
    written = []
    for renderer in (OpenApiYamlRenderer, OpenApiJsonRenderer):
        original = renderer.render

        def counted(self, data, *args, _original=original, **kwargs):
            written.append(type(self).__name__)
            return _original(self, data, *args, **kwargs)

        monkeypatch.setattr(renderer, "render", counted)
    client = APIClient()

    answers = [client.get("/api/schema/", {"lang": "es"}) for _ in range(3)]
    as_json = [client.get("/api/schema/", {"lang": "es", "format": "json"}) for _ in range(2)]
    indented = client.get("/api/schema/", {"lang": "es"}, HTTP_ACCEPT="application/vnd.oai.openapi; indent=7")

    assert [answer.status_code for answer in [*answers, *as_json, indented]] == [200] * 6
    assert answers[0]["Content-Type"] == "application/vnd.oai.openapi; charset=utf-8"
    assert answers[0]["Content-Disposition"].startswith('inline; filename="')
    assert as_json[0]["Content-Type"] == "application/vnd.oai.openapi+json"
    assert answers[0].content == answers[2].content and as_json[0].content == as_json[1].content
    assert yaml.safe_load(answers[0].content) == json.loads(as_json[0].content)
    assert yaml.safe_load(answers[0].content)["info"]["title"] == "API de Voz"
    # once per format; the Accept with parameters is written as asked, every time, and not kept
    assert sorted(written) == sorted(["OpenApiYamlRenderer", "OpenApiJsonRenderer", "OpenApiYamlRenderer"])
    assert len(SchemaView._rendered) == 2
