"""The single sign-on settings page's Test: can Voz read the provider's discovery document?"""

from dataclasses import dataclass, field

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

REQUIRED_KEYS = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")


@dataclass
class DiscoveryReport:
    ok: bool
    url: str
    message: str
    facts: dict = field(default_factory=dict)


def discovery_url(server_url: str) -> str:
    suffix = "/.well-known/openid-configuration"
    return server_url if server_url.endswith(suffix) else server_url.rstrip("/") + suffix


def discovery_check(server_url: str | None = None, *, timeout: float = 5.0) -> DiscoveryReport:
    server_url = server_url if server_url is not None else settings.OIDC_SERVER_URL
    if not server_url:
        return DiscoveryReport(False, "", _("Single sign-on is not configured: OIDC_SERVER_URL is empty."))
    url = discovery_url(server_url)
    try:
        response = httpx.get(url, timeout=timeout, follow_redirects=True)
        response.raise_for_status()
        document = response.json()
    except httpx.HTTPStatusError as error:
        return DiscoveryReport(
            False, url, _("The provider answered %(status)s.") % {"status": error.response.status_code}
        )
    except (httpx.HTTPError, ValueError) as error:
        return DiscoveryReport(
            False, url, _("The discovery document could not be read: %(error)s") % {"error": error.__class__.__name__}
        )
    if not isinstance(document, dict):
        return DiscoveryReport(False, url, _("The discovery document is not a JSON object."))
    missing = [key for key in REQUIRED_KEYS if not document.get(key)]
    if missing:
        return DiscoveryReport(False, url, _("The discovery document lacks: %(keys)s") % {"keys": ", ".join(missing)})
    facts = {key: document[key] for key in (*REQUIRED_KEYS, "userinfo_endpoint") if document.get(key)}
    claims = document.get("claims_supported") or []
    if claims and settings.OIDC_GROUPS_CLAIM not in claims:
        return DiscoveryReport(
            True,
            url,
            _("The provider answers, but does not list the claim %(claim)s: roles may not arrive.")
            % {"claim": settings.OIDC_GROUPS_CLAIM},
            facts,
        )
    return DiscoveryReport(True, url, _("The provider answers and its discovery document is complete."), facts)
