import hashlib
import json
from functools import cache
from pathlib import Path

from django import forms
from django.conf import settings
from django.http import HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from core.api import invalid_input
from core.visits import visitor_country
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
            raise forms.ValidationError(gettext("Send a rating or a comment."))
        return cleaned


def _error(status: int, kind: str, detail: str, errors: dict | None = None, origin: str = "") -> JsonResponse:
    response = JsonResponse({"type": kind, "detail": detail, "errors": errors or {}}, status=status)
    return _cors(response, origin)


def _cors(response, origin: str):
    if origin:
        response["Access-Control-Allow-Origin"] = origin
        response["Vary"] = "Origin"
    return response


def _site_and_origin(request, public_key: str, *, origin_optional: bool = False):
    """The website and the page's Origin, or the error response that ends the request.

    Browsers send no Origin with a same-origin GET, so a read that reveals nothing private may
    go without one (`origin_optional`); a foreign Origin is refused all the same."""
    site = Site.objects.filter(public_key=public_key, is_active=True).first()
    origin = request.headers.get("Origin", "")
    if site is None:
        return None, origin, _error(404, "not_found", "Unknown website key.")
    if not (origin_optional and not origin) and not site.allows_origin(origin):
        # no CORS headers: the browser keeps the answer from a page on another domain
        return site, origin, _error(403, "origin_not_allowed", "This page's domain is not registered for this website.")
    if request.method == "OPTIONS":
        response = HttpResponse(status=204)
        response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        response["Access-Control-Allow-Headers"] = "Content-Type"
        response["Access-Control-Max-Age"] = "86400"
        return site, origin, _cors(response, origin)
    return site, origin, None


def _json_payload(request, origin: str):
    if len(request.body) > MAX_BODY_BYTES:
        return None, _error(413, "payload_too_large", f"The limit is {MAX_BODY_BYTES} bytes.", origin=origin)
    try:
        payload = json.loads(request.body or b"{}")
    except ValueError:
        return None, _error(400, "parse_error", "The body must be JSON.", origin=origin)
    if not isinstance(payload, dict):
        return None, _error(400, "parse_error", "The body must be a JSON object.", origin=origin)
    return {key: value for key, value in payload.items() if isinstance(value, str | int)}, None


def _form_errors(form) -> dict:
    return {field: [e["message"] for e in errs] for field, errs in form.errors.get_json_data().items()}


@csrf_exempt  # a cross-site POST by design; the site's key and the Origin check stand in for the token
@require_http_methods(["POST", "OPTIONS"])
def feedback_submit(request, public_key: str):
    site, origin, refusal = _site_and_origin(request, public_key)
    if refusal is not None:
        return refusal
    payload, refusal = _json_payload(request, origin)
    if refusal is not None:
        return refusal
    form = WebFeedbackForm(payload)
    if not form.is_valid():
        return _error(400, "validation_error", invalid_input(), _form_errors(form), origin=origin)
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
            country=visitor_country(request),
        ),
        user_agent=request.headers.get("User-Agent", ""),
    )
    return _cors(JsonResponse({"ok": True}, status=201), origin)


@require_http_methods(["GET", "OPTIONS"])
def intercept_rules(request, public_key: str):
    """What the widget needs to decide, in the browser, when to offer a survey: pages, time on page,
    scroll depth. Sampling and cooldown are decided by the server when the widget asks to offer."""
    site, origin, refusal = _site_and_origin(request, public_key, origin_optional=True)
    if refusal is not None:
        return refusal
    if origin:
        # the widget's first request from the shop's pages: the onboarding's proof it is installed
        services.site_seen(site=site, origin=origin)
    rules = [
        {
            "id": intercept.pk,
            "pages": intercept.pattern_list(),
            "seconds": intercept.seconds_on_page,
            "scroll": intercept.scroll_percent,
            "cooldown_days": intercept.cooldown_days,
        }
        for intercept in services.intercepts_for_site(site)
    ]
    response = _cors(JsonResponse({"intercepts": rules}), origin)
    response["Cache-Control"] = "public, max-age=60"
    return response


class InterceptOfferForm(forms.Form):
    visitor_id = forms.RegexField(regex=r"^[A-Za-z0-9_-]{16,64}$")
    page_url = forms.CharField(max_length=500)
    referrer = forms.CharField(max_length=500, required=False)
    language = forms.ChoiceField(choices=settings.LANGUAGES, required=False)
    customer = forms.CharField(max_length=100, required=False)
    customer_signature = forms.CharField(max_length=128, required=False)


@csrf_exempt  # cross-site by design, as feedback_submit
@require_http_methods(["POST", "OPTIONS"])
def intercept_offer(request, public_key: str, intercept_id: int):
    site, origin, refusal = _site_and_origin(request, public_key)
    if refusal is not None:
        return refusal
    intercept = next((i for i in services.intercepts_for_site(site) if i.pk == intercept_id), None)
    if intercept is None:
        return _error(404, "not_found", "No such survey on this website.", origin=origin)
    payload, refusal = _json_payload(request, origin)
    if refusal is not None:
        return refusal
    form = InterceptOfferForm(payload)
    if not form.is_valid():
        return _error(400, "validation_error", invalid_input(), _form_errors(form), origin=origin)
    data = form.cleaned_data
    language = data["language"] or site.language
    try:
        offer = services.intercept_offer(
            intercept=intercept,
            visit=services.InterceptVisit(
                visitor_id=data["visitor_id"],
                page_url=data["page_url"],
                referrer=data["referrer"],
                language=language,
                country=visitor_country(request),
                customer_external_id=data["customer"],
                customer_signature=data["customer_signature"],
            ),
        )
    except services.CustomerSignatureInvalid as error:
        return _error(400, error.code, str(error), origin=origin)
    if offer.invitation is None:
        body = {"offer": None, "reason": offer.reason, "cooldown_days": intercept.cooldown_days}
    else:
        body = {
            "offer": {
                "url": offer.invitation.url,
                "prompt": intercept.prompt(language),
                "title": intercept.survey.title(language),
            }
        }
    return _cors(JsonResponse(body), origin)


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
    """A sample shop page with the widgets installed, as a shop would do it: the feedback tab and,
    for a product (?sku=, else the one with most published reviews), its reviews."""
    from django.db.models import Count, Q

    from customers.models import Product

    site = Site.objects.filter(is_active=True).order_by("pk").first()
    language = "en" if request.GET.get("lang") == "en" else "es"
    product = Product.objects.filter(sku=request.GET.get("sku", "")).first() or (
        Product.objects.annotate(shown=Count("reviews", filter=Q(reviews__status="published", reviews__brand=None)))
        .filter(shown__gt=0)
        .order_by("-shown", "pk")
        .first()
    )
    return render(request, "onsite/demo_shop.html", {"site": site, "product": product, "language": language})
