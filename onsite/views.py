import hashlib
import json
from functools import cache
from pathlib import Path

from django import forms
from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from onsite import services
from onsite.models import Site

WIDGET_SOURCE = Path(settings.BASE_DIR) / "static" / "voz" / "widget.js"
MAX_BODY_BYTES = 8 * 1024


class WebFeedbackForm(forms.Form):
    rating = forms.IntegerField(min_value=1, max_value=5, required=False)
    comment = forms.CharField(max_length=2000, required=False, strip=True)
    email = forms.EmailField(required=False)
    page_url = forms.CharField(max_length=500, required=False)
    referrer = forms.CharField(max_length=500, required=False)
    browser_language = forms.CharField(max_length=35, required=False)
    language = forms.ChoiceField(choices=settings.LANGUAGES, required=False)
    website = forms.CharField(required=False)  # the honeypot: people never see it

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("rating") is None and not cleaned.get("comment"):
            raise forms.ValidationError("Send a rating or a comment.")
        return cleaned


def _error(status: int, kind: str, detail: str, errors: dict | None = None, origin: str = "") -> JsonResponse:
    response = JsonResponse({"type": kind, "detail": detail, "errors": errors or {}}, status=status)
    return _cors(response, origin)


def _cors(response, origin: str):
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
    return response


@csrf_exempt  # a cross-site POST by design; the site's key and the Origin check stand in for the token
@require_http_methods(["POST", "OPTIONS"])
def feedback_submit(request, public_key: str):
    site = Site.objects.filter(public_key=public_key, is_active=True).first()
    origin = request.headers.get("Origin", "")
    if site is None:
        return _error(404, "not_found", "Unknown website key.")
    if not site.allows_origin(origin):
        # no CORS headers: the browser keeps the answer from a page on another domain
        return _error(403, "origin_not_allowed", "This page's domain is not registered for this website.")
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Methods"] = "POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "86400"
        return _cors(response, origin)
    if len(request.body) > MAX_BODY_BYTES:
        return _error(413, "payload_too_large", f"The limit is {MAX_BODY_BYTES} bytes.", origin=origin)
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        return _error(400, "parse_error", "The body must be JSON.", origin=origin)
    if not isinstance(payload, dict):
        return _error(400, "parse_error", "The body must be a JSON object.", origin=origin)
    form = WebFeedbackForm({key: value for key, value in payload.items() if isinstance(value, str | int)})
    if not form.is_valid():
        errors = {field: [e["message"] for e in errs] for field, errs in form.errors.get_json_data().items()}
        return _error(400, "validation_error", "Invalid input.", errors, origin=origin)
    data = form.cleaned_data
    if data["website"]:
        return _cors(JsonResponse({"ok": True}, status=201), origin)  # a bot: thank it, keep nothing
    services.web_feedback_submit(
        site=site,
        data=services.WebFeedbackData(
            rating=data["rating"],
            comment=data["comment"],
            email=data["email"],
            page_url=data["page_url"],
            referrer=data["referrer"],
            browser_language=data["browser_language"],
            language=data["language"] or site.language,
        ),
        user_agent=request.headers.get("User-Agent", ""),
    )
    return _cors(JsonResponse({"ok": True}, status=201), origin)


@cache
def _widget() -> tuple[bytes, str]:
    body = WIDGET_SOURCE.read_bytes()
    return body, '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


@require_GET
def widget_script(request):
    """The one URL shops embed. It never changes, so it is cached briefly and revalidated by ETag:
    a new version of the widget reaches every page within minutes."""
    body, etag = _widget() if not settings.DEBUG else (WIDGET_SOURCE.read_bytes(), '"dev"')
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = etag
    response["Cache-Control"] = "public, max-age=300"
    response["Access-Control-Allow-Origin"] = "*"  # a public script, loaded by any shop page
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_GET
def demo_shop_page(request):
    """A sample shop page with the widget installed, as a shop would do it."""
    site = Site.objects.filter(is_active=True).order_by("pk").first()
    return render(request, "onsite/demo_shop.html", {"site": site})
