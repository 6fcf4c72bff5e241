"""Every chart on every dashboard is drawn the same way (templates/analytics/_chart.html): an
accessible name, axis titles with units, a table view and a CSV button; and with no data it says
what it is waiting for instead of drawing an empty frame."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.analytics.test_analytics import answered, mention_topic
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

DASHBOARDS = {
    "/dashboards/satisfaction/": ["chart-nps", "chart-shares", "chart-csat", "chart-ces", "chart-sentiment"],
    "/dashboards/topics/": ["chart-topic-ranking"],
    "/dashboards/sources/": ["chart-context-sentiment", "chart-context-volume"],
    "/dashboards/service/": ["chart-sla", "chart-cases"],
    "/dashboards/retention/": ["chart-retention", "chart-groups", "chart-defection"],
    "/dashboards/competitors/": ["chart-voice", "chart-brand-sentiment", "chart-brand-topics", "chart-brand-negative"],
}
CANVAS = re.compile(r"<canvas ([^>]*)>")


def figure(page: str, chart: str) -> str:
    start = page.index(f'<figure class="chart-card" id="{chart}-figure"')
    return page[start : page.index("</figure>", start)]


@pytest.mark.parametrize("path", DASHBOARDS)
def test_with_no_data_every_chart_says_what_it_is_waiting_for(client, manager, path):
    page = client.get(path, headers={"accept-language": "en"}).content.decode()

    for chart in DASHBOARDS[path]:
        box = figure(page, chart)
        assert "<canvas" not in box, chart
        waiting = re.search(r'<p class="chart-empty"[^>]*>([^<]+)</p>', box)
        assert waiting and len(waiting.group(1).split()) >= 6, chart  # a sentence, not "No data"


def test_the_satisfaction_dashboard_says_nps_waits_for_survey_answers_in_spanish(client, manager):
    page = client.get("/dashboards/satisfaction/", headers={"accept-language": "es"}).content.decode()

    assert "Aún no hay respuestas en este periodo: el NPS aparecerá cuando los clientes respondan" in page
    assert "No se enviaron invitaciones en este periodo" in page  # the response funnel


@pytest.fixture
def shop_with_data(manager):
    now = timezone.now()
    for weeks, (nps, csat) in enumerate([(10, 5), (9, 4), (3, 2), (8, 4)]):
        answered(nps, csat, now - timedelta(days=3 + 7 * weeks))
        mention_topic("delivery", ("negative", "positive")[weeks % 2], now - timedelta(days=3 + 7 * weeks))
    for months in range(4):
        OrderFactory(placed_at=now - timedelta(days=30 * months + 2))


@pytest.mark.parametrize(
    "path, chart, name, axis",
    [
        ("/dashboards/satisfaction/", "chart-nps", "NPS over time", 'data-y-title="NPS (−100 to 100)"'),
        (
            "/dashboards/satisfaction/",
            "chart-csat",
            "CSAT and rating over time",
            'data-y1-title="Review rating (1–5 stars)"',
        ),
        (
            "/dashboards/topics/",
            "chart-topic-ranking",
            "Topics ranked by number of mentions",
            'data-x-title="Mentions (count)"',
        ),
        (
            "/dashboards/sources/",
            "chart-context-volume",
            "Feedback per period",
            'data-y-title="Feedback items (count)"',
        ),
    ],
)
def test_a_drawn_chart_has_its_name_axis_titles_with_units_a_table_view_and_a_csv_button(
    client, shop_with_data, path, chart, name, axis
):
    page = client.get(path, headers={"accept-language": "en"}).content.decode()

    box = figure(page, chart)
    (canvas,) = CANVAS.findall(box)
    assert f'id="{chart}"' in canvas and 'role="img"' in canvas and f'aria-label="{name}' in canvas
    assert axis in canvas and 'data-x-title="' in canvas
    assert f'aria-labelledby="{chart}-title"' in box and f'id="{chart}-title"' in box
    assert "<summary>Show as a table</summary>" in box and f'data-chart-table="{chart}"' in box
    assert f'data-chart-csv="{chart}-table"' in box and "Download CSV" in box


def test_every_chart_script_goes_through_the_shared_module(client, shop_with_data):
    from pathlib import Path

    from django.conf import settings

    script = (Path(settings.BASE_DIR) / "static" / "voz" / "dashboards.js").read_text()

    for path in DASHBOARDS:
        page = client.get(path).content.decode()
        assert page.index("voz/charts.js") < page.index("voz/dashboards.js"), path
    assert "new Chart(" not in script  # each chart is drawn by VozCharts.draw: titles, table and CSV included
    assert script.count("VozCharts.draw(") >= sum(len(charts) for charts in DASHBOARDS.values())


@pytest.mark.parametrize("language", ["es", "en"])
@pytest.mark.parametrize("path", DASHBOARDS)
def test_chart_titles_and_axes_show_a_single_percent_sign(client, manager, path, language):
    # Django doubles % in translatable template literals ("95 %% interval"); only {% translate %}
    # undoes it, so chart titles and axis titles passed as _("…") arguments must be undone too
    page = client.get(path, headers={"accept-language": language}).content.decode()

    assert "%%" not in page
