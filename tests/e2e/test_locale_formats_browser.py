"""Dashboard charts write their periods as the page writes dates: day first in Spanish and in a
non-US shop's English, month first for a US shop (the rows and the CSV keep ISO dates)."""

from datetime import date, timedelta

import pytest
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


def test_chart_periods_follow_the_language_and_the_shops_region(live_server, phone, django_user_model):  # noqa: F811
    manager = django_user_model.objects.create_user(username="gerente", password="clave-segura-1", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    for weeks in range(3):
        answered(9, 5, timezone.now() - timedelta(days=3 + 7 * weeks))
    page = phone
    page.goto(f"{live_server.url}/accounts/login/?next=/dashboards/satisfaction/")
    page.fill("#id_login", "gerente")
    page.fill("#id_password", "clave-segura-1")
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url("**/dashboards/satisfaction/")

    periods, spanish = chart_dates(page, live_server.url, "es")
    _, english = chart_dates(page, live_server.url, "en")
    shop_settings_save(ShopSettings(region="US"))
    _, american = chart_dates(page, live_server.url, "en")

    assert periods and all(len(p) == 10 for p in periods)  # ISO in the rows
    assert spanish == [written(p, "%d/%m/%Y") for p in periods]
    assert english == [written(p, "%d/%m/%Y") for p in periods]
    assert american == [written(p, "%m/%d/%Y") for p in periods]
