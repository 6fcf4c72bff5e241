"""The API's reference pages, Swagger UI and ReDoc, in the reader's language.

The schema is written in the language it is asked for (Accept-Language, or drf-spectacular's
?lang=), but a docs page fetches it later, with a script, and the page's own language is not
passed along: so each page names its language in the schema's address. ?lang= on a page draws the
page in that language too, so a link can show Spanish docs to an English browser. ReDoc's own
words ("Response samples", "Download"…) are translated through its `labels` option; Swagger UI has
no way to translate its buttons, which stay in English.
"""

import json

from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import pgettext_lazy
from drf_spectacular.plumbing import get_relative_url, set_query_parameters
from drf_spectacular.views import SpectacularRedocView, SpectacularSwaggerView
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


def docs_language(request: HttpRequest) -> str:
    """The language ?lang= asks for when Voz has it, otherwise the request's own (the session's,
    or Accept-Language's), as one of settings.LANGUAGES ("en" for a US shop's "en-us")."""
    try:
        return translation.get_supported_language_variant(request.GET.get("lang", ""))
    except LookupError:
        return translation.get_supported_language_variant(translation.get_language())


class _InTheReadersLanguage:
    def dispatch(self, request, *args, **kwargs):
        with translation.override(docs_language(request)):
            response = super().dispatch(request, *args, **kwargs)
            # drawn here, in that language, rather than after the middleware has restored the session's
            if hasattr(response, "render"):
                response.render()
            response.headers["Content-Language"] = translation.get_language()
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
