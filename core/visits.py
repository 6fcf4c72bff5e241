"""Where a website visit came from and where the visitor is, from what the browser and the proxy say."""

import re
from urllib.parse import parse_qs, urlsplit

from django.conf import settings

COUNTRY_CODE = re.compile(r"^[A-Z]{2}$")


def traffic_source(page_url: str, referrer: str) -> str:
    """utm_source of the page's address, else the referring site's domain ("" when typed in or
    when the referrer is the shop itself)."""
    query = parse_qs(urlsplit(page_url).query)
    if query.get("utm_source"):
        return query["utm_source"][0].strip().lower()[:120]
    referring = (urlsplit(referrer).hostname or "").lower().removeprefix("www.")
    own = (urlsplit(page_url).hostname or "").lower().removeprefix("www.")
    return "" if referring == own else referring[:120]


def visitor_country(request) -> str:
    """The visitor's country as the shop's CDN or proxy states it (Cloudflare's CF-IPCountry,
    CloudFront-Viewer-Country…). Only a header the operator named is read — a client could send
    any header itself — and Voz keeps no IP-to-country database of its own."""
    header = settings.VOZ_COUNTRY_HEADER
    if not header:
        return ""
    value = request.headers.get(header, "").strip().upper()
    # "XX" and "T1" are the CDNs' "unknown" and "Tor"
    return value if COUNTRY_CODE.match(value) and value not in ("XX", "T1") else ""
