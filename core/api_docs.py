"""The API's reference pages, Swagger UI and ReDoc, in the reader's language.

The schema is written in the language it is asked for (Accept-Language, or drf-spectacular's
?lang=), but a docs page fetches it later, with a script, and the page's own language is not
passed along: so each page names its language in the schema's address. ?lang= on a page draws the
page in that language too, so a link can show Spanish docs to an English browser.

The words the two tools draw themselves: ReDoc translates some ("Response samples", "Download"…)
through its `labels` option; for the rest of ReDoc's and for all of Swagger UI's (neither has an
option: swagger-ui#2488, redoc#367) static/voz/api_docs_words.js puts this catalogue's words in
their place as the page draws itself. Only whole texts the tools write are replaced, never the
schema's own (operation names, field names, examples), which already comes in the reader's language.
"""

import json

from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import pgettext_lazy
from drf_spectacular.plumbing import get_relative_url, set_query_parameters
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.reverse import reverse

# ReDoc's words, by the keys of its `labels` option (redoc/src/services/Labels.ts).
REDOC_LABELS = {
    "enum": pgettext_lazy("API docs", "Enum"),
    "enumSingleValue": pgettext_lazy("API docs", "Value"),
    "enumArray": pgettext_lazy("API docs", "Items"),
    "default": pgettext_lazy("API docs", "Default"),
    "deprecated": pgettext_lazy("API docs", "Deprecated"),
    "example": pgettext_lazy("API docs", "Example"),
    "examples": pgettext_lazy("API docs", "Examples"),
    "recursive": pgettext_lazy("API docs", "Recursive"),
    "arrayOf": pgettext_lazy("API docs", "Array of "),
    "webhook": pgettext_lazy("API docs", "Event"),
    "const": pgettext_lazy("API docs", "Value"),
    "noResultsFound": pgettext_lazy("API docs", "No results found"),
    "download": pgettext_lazy("API docs", "Download"),
    "downloadSpecification": pgettext_lazy("API docs", "Download OpenAPI specification"),
    "responses": pgettext_lazy("API docs", "Responses"),
    "callbackResponses": pgettext_lazy("API docs", "Callback responses"),
    "requestSamples": pgettext_lazy("API docs", "Request samples"),
    "responseSamples": pgettext_lazy("API docs", "Response samples"),
}


# The tools' own words, as they write them (a whole text, an attribute, or the texts of one element
# joined: "query Parameters"); %(…)s stands for a part that varies ("<= 100 characters").
DOCS_UI_WORDS = [
    # Swagger UI
    pgettext_lazy("API docs", "Authorize"),
    pgettext_lazy("API docs", "Authorized"),
    pgettext_lazy("API docs", "Available authorizations"),
    pgettext_lazy("API docs", "Apply credentials"),
    pgettext_lazy("API docs", "authorization button unlocked"),
    pgettext_lazy("API docs", "authorization button locked"),
    pgettext_lazy("API docs", "Logout"),
    pgettext_lazy("API docs", "Close"),
    pgettext_lazy("API docs", "Name:"),
    pgettext_lazy("API docs", "In:"),
    pgettext_lazy("API docs", "Value:"),
    pgettext_lazy("API docs", "Try it out"),
    pgettext_lazy("API docs", "Cancel"),
    pgettext_lazy("API docs", "Execute"),
    pgettext_lazy("API docs", "Clear"),
    pgettext_lazy("API docs", "Parameters"),
    pgettext_lazy("API docs", "No parameters"),
    pgettext_lazy("API docs", "Name"),
    pgettext_lazy("API docs", "Description"),
    pgettext_lazy("API docs", "(query)"),
    pgettext_lazy("API docs", "(path)"),
    pgettext_lazy("API docs", "(header)"),
    pgettext_lazy("API docs", "(cookie)"),
    pgettext_lazy("API docs", "Available values"),
    pgettext_lazy("API docs", "Request body"),
    pgettext_lazy("API docs", "Responses"),
    pgettext_lazy("API docs", "Code"),
    pgettext_lazy("API docs", "Details"),
    pgettext_lazy("API docs", "Links"),
    pgettext_lazy("API docs", "No links"),
    pgettext_lazy("API docs", "Media type"),
    pgettext_lazy("API docs", "Media Type"),
    # "Controls <code>Accept</code> header."
    pgettext_lazy("API docs", "Controls"),
    pgettext_lazy("API docs", "header."),
    pgettext_lazy("API docs", "Example Value"),
    pgettext_lazy("API docs", "Schema"),
    pgettext_lazy("API docs", "Schemas"),
    pgettext_lazy("API docs", "Undocumented"),
    pgettext_lazy("API docs", "Request URL"),
    pgettext_lazy("API docs", "Request duration"),
    pgettext_lazy("API docs", "Server response"),
    pgettext_lazy("API docs", "Response body"),
    pgettext_lazy("API docs", "Response headers"),
    pgettext_lazy("API docs", "Download"),
    pgettext_lazy("API docs", "Please correct the following validation errors and try again."),
    pgettext_lazy("API docs", "Copy path to clipboard"),
    pgettext_lazy("API docs", "Copy cURL command to clipboard"),
    pgettext_lazy("API docs", "Copy code to clipboard"),
    pgettext_lazy("API docs", "Expand operation"),
    pgettext_lazy("API docs", "Collapse operation"),
    # both
    pgettext_lazy("API docs", "Expand all"),
    pgettext_lazy("API docs", "Collapse all"),
    # ReDoc
    pgettext_lazy("API docs", "Search..."),
    pgettext_lazy("API docs", "Search"),
    pgettext_lazy("API docs", "API docs by Redocly"),
    pgettext_lazy("API docs", "Authorizations:"),
    # between the schemes an operation accepts ("apiToken or cookieAuth")
    pgettext_lazy("API docs", " or "),
    pgettext_lazy("API docs", " and "),
    pgettext_lazy("API docs", "None"),
    pgettext_lazy("API docs", "query Parameters"),
    pgettext_lazy("API docs", "path Parameters"),
    pgettext_lazy("API docs", "header Parameters"),
    pgettext_lazy("API docs", "cookie Parameters"),
    pgettext_lazy("API docs", "Request Body schema:"),
    pgettext_lazy("API docs", "Response Schema:"),
    pgettext_lazy("API docs", "Response Headers"),
    pgettext_lazy("API docs", "required"),
    pgettext_lazy("API docs", "non-empty"),
    pgettext_lazy("API docs", "<= %(count)s characters"),
    pgettext_lazy("API docs", ">= %(count)s characters"),
    pgettext_lazy("API docs", "= %(count)s characters"),
    pgettext_lazy("API docs", "[ %(min)s .. %(max)s ] characters"),
    pgettext_lazy("API docs", "<= %(count)s items"),
    pgettext_lazy("API docs", ">= %(count)s items"),
    pgettext_lazy("API docs", "[ %(min)s .. %(max)s ] items"),
    # "[ items <= 100 characters ]": the constraints of an array's items
    pgettext_lazy("API docs", "[ items"),
    pgettext_lazy("API docs", "Content type"),
    pgettext_lazy("API docs", "Payload"),
    pgettext_lazy("API docs", "Copy"),
    pgettext_lazy("API docs", "Copied"),
    pgettext_lazy("API docs", "No sample"),
    pgettext_lazy("API docs", "expand"),
    pgettext_lazy("API docs", "collapse"),
    pgettext_lazy("API docs", "expand %(name)s"),
    pgettext_lazy("API docs", "Show pattern"),
    pgettext_lazy("API docs", "Hide pattern"),
]


def docs_ui_words() -> dict[str, str]:
    """{English: the active language's} for the words that read differently in it (none in English)."""
    with translation.override("en"):
        english = [str(word) for word in DOCS_UI_WORDS]
    translated = [str(word) for word in DOCS_UI_WORDS]
    return {word: words for word, words in zip(english, translated, strict=True) if words != word}


def docs_language(request: HttpRequest) -> str:
    """The language ?lang= asks for when Voz has it, otherwise the request's own (the session's,
    or Accept-Language's), as one of settings.LANGUAGES ("en" for a US shop's "en-us")."""
    try:
        return translation.get_supported_language_variant(request.GET.get("lang", ""))
    except LookupError:
        return translation.get_supported_language_variant(translation.get_language())


class _InTheReadersLanguage:
    # Public pages: the schema they load is what checks credentials. Consulting them here, a bad
    # token asking for JSON ended in a 500: DRF draws the 401 with the only renderer the page has,
    # the HTML template, whose context asks for the user again and fails again.
    authentication_classes = ()

    def dispatch(self, request, *args, **kwargs):
        with translation.override(docs_language(request)):
            response = super().dispatch(request, *args, **kwargs)
            # drawn here, in that language, rather than after the middleware has restored the session's
            if hasattr(response, "render"):
                response.render()
            response.headers["Content-Language"] = translation.get_language()
        return response

    @extend_schema(exclude=True)  # as drf-spectacular's own get
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        response.data["ui_words"] = docs_ui_words()
        return response

    def _get_schema_url(self, request):
        schema_url = self.url or get_relative_url(reverse(self.url_name, request=request))
        return set_query_parameters(url=schema_url, lang=translation.get_language(), version=request.GET.get("version"))


class SwaggerView(_InTheReadersLanguage, SpectacularSwaggerView):
    template_name = "core/api_swagger_ui.html"


class RedocView(_InTheReadersLanguage, SpectacularRedocView):
    template_name = "core/api_redoc.html"

    def _dump(self, data):
        labels = {key: str(label) for key, label in REDOC_LABELS.items()}
        # inside a <script>: no "</script>" may close it early
        return json.dumps({**(data or {}), "labels": labels}, indent=2).replace("<", "\\u003c")


class SchemaView(SpectacularAPIView):
    """The OpenAPI document, generated once per language in each process.

    Generating it walks every view and serializer: about a second of CPU, for a document that only
    a deploy changes. Public (SERVE_PUBLIC), it is the same for every reader, so anyone could make
    the server spend that second on every request.
    """

    _generated: dict[str, dict] = {}
    # and rendered once per language and format: YAML, the default, takes about 0.15 s to write
    _rendered: dict[tuple, bytes] = {}

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs):
        # Kept once per language Voz speaks (an unknown ?lang= reads the request's, as the docs pages
        # do). The API has no versions (no versioning class), so a ?version= changes nothing and is
        # not a key: a reader cannot make the server generate the document again at will.
        if not self.serve_public or self.api_version or self.urlconf or self.custom_settings or request.version:
            return super().get(request, *args, **kwargs)
        language = docs_language(request)
        schema = self._generated.get(language)
        if schema is None:
            with translation.override(language):
                generator = self.generator_class(api_version=None, patterns=self.patterns)
                schema = self._generated[language] = generator.get_schema(request=request, public=True)
        renderer, media_type = request.accepted_renderer, request.accepted_media_type
        # an Accept with parameters ("; indent=7") is rendered as asked and not kept: a reader must
        # not be able to fill the memory with variants
        key = (language, type(renderer)) if media_type == renderer.media_type else None
        body = self._rendered.get(key)
        if body is None:
            body = renderer.render(schema, media_type, self.get_renderer_context())
            body = body.encode(renderer.charset or "utf-8") if isinstance(body, str) else body
            if key:
                self._rendered[key] = body
        # the content type DRF's Response would write
        content_type = f"{media_type}; charset={renderer.charset}" if renderer.charset else media_type
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="{self._get_filename(request, None)}"'
        return response
