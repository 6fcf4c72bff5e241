"""The staff header's template tags; the sections themselves are in core.nav."""

from django import template
from django.urls import reverse

from core.nav import nav_for, role_label, url_for

register = template.Library()


@register.inclusion_tag("staff/_nav.html", takes_context=True)
def staff_nav(context) -> dict:
    request = context["request"]
    user = request.user
    current = context.get("nav", "")
    return {
        "items": nav_for(user, current, request.path) if user.is_authenticated else [],
        "user": user,
        "role": role_label(user) if user.is_authenticated else "",
        "request": request,
        "logout_url": url_for(("account_logout", "admin:logout")),
        "csrf_token": context.get("csrf_token"),
        "shop_name": context.get("shop_name", ""),
        "admin_url": reverse("admin:index") if user.is_authenticated and user.is_staff else "",
        # two-factor, passkeys, sessions: the person's own account pages (accounts, allauth)
        "account_url": url_for(("mfa_index",)) if user.is_authenticated else "",
    }


@register.simple_tag
def url_if_exists(*names: str) -> str:
    """`{% url_if_exists "surveys:list" as url %}{% if url %}…`: a link only to a page that exists."""
    return url_for(names)
