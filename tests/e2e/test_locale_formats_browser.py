"""Dashboard charts write their periods as the page writes dates: day first in Spanish and in a
non-US shop's English, month first for a US shop (the rows and the CSV keep ISO dates); their tick
numbers in the page's language whatever the browser's own ("4,5" in Spanish, "4.5" in English)."""

from datetime import date, timedelta

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.utils import timezone

from core.models import ShopSettings
from core.roles import MANAGERS
from core.shop import shop_settings_save
from tests.analytics.test_analytics import answered
from tests.e2e.test_browser import phone  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHART_LABELS = """() => {
  const canvas = document.getElementById("chart-nps") || document.querySelector("canvas");
  return Chart.getChart(canvas).data.labels;
}"""


def chart_dates(page, base_url: str, language: str) -> tuple[list[str], list[str]]:
    page.context.set_extra_http_headers({"Accept-Language": language})
    page.goto(f"{base_url}/dashboards/satisfaction/")
    page.wait_for_function("() => [...document.querySelectorAll('canvas')].some(c => c.width > 0)")
    periods = page.evaluate("() => JSON.parse(document.getElementById('chart-rows').textContent).map(r => r.period)")
    return periods, page.evaluate(CHART_LABELS)


def written(iso: str, pattern: str) -> str:
    day = date.fromisoformat(iso)
    return day.strftime(pattern)


def sign_in_to_the_dashboard(page, base_url: str, django_user_model) -> None:
    """A manager of a shop with three weeks of answers, signed in on the satisfaction dashboard."""
    if not django_user_model.objects.filter(username="gerente").exists():
        manager = django_user_model.objects.create_user(username="gerente", password="clave-segura-1", is_staff=True)
        manager.groups.add(Group.objects.get(name=MANAGERS))
        for weeks in range(3):
            answered(9, 5, timezone.now() - timedelta(days=3 + 7 * weeks))
    page.goto(f"{base_url}/accounts/login/?next=/dashboards/satisfaction/")
    page.fill("#id_login", "gerente")
    page.fill("#id_password", "clave-segura-1")
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url("**/dashboards/satisfaction/")


def test_chart_periods_follow_the_language_and_the_shops_region(live_server, phone, django_user_model):  # noqa: F811
    page = phone
    sign_in_to_the_dashboard(page, live_server.url, django_user_model)

    periods, spanish = chart_dates(page, live_server.url, "es")
    _, english = chart_dates(page, live_server.url, "en")
    shop_settings_save(ShopSettings(region="US"))
    _, american = chart_dates(page, live_server.url, "en")

    assert periods and all(len(p) == 10 for p in periods)  # ISO in the rows
    assert spanish == [written(p, "%d/%m/%Y") for p in periods]
    assert english == [written(p, "%d/%m/%Y") for p in periods]
    assert american == [written(p, "%m/%d/%Y") for p in periods]


# The rating axis (1 to 5 stars) of the CSAT chart: its half-star ticks are decimals.
RATING_TICKS = """() => Chart.getChart(document.getElementById("chart-csat")).scales.y1.ticks
  .filter(tick => !Number.isInteger(tick.value)).map(tick => tick.label)"""


@pytest.mark.parametrize(
    ("language", "browser_locale", "four_and_a_half"), [("es", "en-US", "4,5"), ("en", "es-ES", "4.5")]
)
def test_chart_ticks_follow_the_pages_language_not_the_browsers(
    live_server,
    chromium,
    django_user_model,
    language,
    browser_locale,
    four_and_a_half,
):
    context = chromium.new_context(locale=browser_locale)  # which also sets the Accept-Language header
    # the page's language as the language switcher chooses it
    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url}])
    page = context.new_page()
    try:
        sign_in_to_the_dashboard(page, live_server.url, django_user_model)
        page.wait_for_function("() => Chart.getChart(document.getElementById('chart-csat'))")

        assert page.evaluate("navigator.language") == browser_locale
        assert page.evaluate("document.documentElement.lang") == language
        decimals = page.evaluate(RATING_TICKS)
    finally:
        context.close()

    assert four_and_a_half in decimals, decimals
