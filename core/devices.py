"""The class of device a browser runs on, from its User-Agent (no third-party database needed)."""

import re

# Tablets first: an iPad or an Android tablet also says "Mobile" in some browsers.
TABLET = re.compile(r"iPad|Tablet|Nexus (7|9|10)|SM-T|Kindle|Silk", re.IGNORECASE)
MOBILE = re.compile(r"Mobi|iPhone|iPod|Android.+Mobile|Windows Phone", re.IGNORECASE)


def device_class(user_agent: str) -> str:
    if TABLET.search(user_agent or ""):
        return "tablet"
    if MOBILE.search(user_agent or ""):
        return "mobile"
    return "desktop"
