"""The shop's time zone is set on the Settings page, and the dashboards' days follow it: changing it
recounts the rollups in the background and tells the manager so."""

import json
from datetime import UTC, date, datetime

import pytest
from django.urls import reverse

from analytics.models import FeedbackDaily
from core.shop import shop_settings
from tests.analytics.test_analytics import mention_topic
from tests.staff.test_settings import VALID

pytestmark = pytest.mark.django_db

# Sunday 1 March 2026, 23:30 UTC: already Monday 2 March (00:30) in Madrid, still Sunday 1 March
# (17:30) in Mexico City.
MOMENT = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)


def days_with_feedback(client) -> dict[str, int]:
    """The satisfaction dashboard's daily rows, as its chart draws them: day → feedback items."""
    page = client.get(
        "/dashboards/satisfaction/", {"start": "2026-02-28", "end": "2026-03-03", "period": "day"}
    ).content.decode()
    rows = json.loads(page.split('id="chart-rows" type="application/json">')[1].split("</script>")[0])
    return {row["period"]: row["feedback"] for row in rows if row["feedback"]}


def heatmap_weeks_with_mentions(client) -> list[str]:
    page = client.get("/dashboards/topics/", {"start": "2026-02-23", "end": "2026-03-08"}).content.decode()
    header, body = page.split('<table class="heatmap" id="topic-heatmap">')[1].split("</table>")[0].split("</thead>")
    weeks = [cell.split('"')[0] for cell in header.split('<th scope="col" data-csv="')[2:]]
    cells = [cell.split('"')[0] for cell in body.split('<td data-csv="')[1:]]
    return [week for week, share in zip(weeks, cells, strict=True) if share]


def test_changing_the_time_zone_recounts_the_dashboards_days_in_the_new_zone(
    as_manager, django_capture_on_commit_callbacks
):
    mention_topic("delivery", "negative", MOMENT)
    assert days_with_feedback(as_manager) == {"2026-03-02": 1}
    assert heatmap_weeks_with_mentions(as_manager) == ["2026-03-02"]

    with django_capture_on_commit_callbacks(execute=True):
        response = as_manager.post(
            reverse("staff:settings"),
            {**VALID, "default_language": "", "time_zone": "America/Mexico_City"},
            headers={"accept-language": "en"},
            follow=True,
        )

    assert shop_settings().time_zone == "America/Mexico_City"
    assert "The dashboards are being recounted in the time zone America/Mexico_City" in response.content.decode()
    # the page shows the zone now in force as the chosen one, and only that one
    page = as_manager.get(reverse("staff:settings")).content.decode()
    assert '<option value="America/Mexico_City" translate="no" selected>America/Mexico City</option>' in page
    zones = page.split('<select name="time_zone"')[1].split("</select>")[0]
    assert zones.count(" selected>") == 1
    # the task ran (eagerly here) and left no day counted the old way
    assert list(FeedbackDaily.objects.filter(scope="all").values_list("day", flat=True).distinct()) == [
        date(2026, 3, 1)
    ]
    assert days_with_feedback(as_manager) == {"2026-03-01": 1}
    assert heatmap_weeks_with_mentions(as_manager) == ["2026-02-23"]


def test_saving_the_settings_without_changing_the_zone_recounts_nothing(
    as_manager, django_capture_on_commit_callbacks, monkeypatch
):
    from analytics import rollups

    rebuilt = []
    monkeypatch.setattr(rollups, "rebuild_in_current_zone", lambda **kwargs: rebuilt.append(1))
    with django_capture_on_commit_callbacks(execute=True):
        response = as_manager.post(reverse("staff:settings"), VALID, headers={"accept-language": "en"}, follow=True)

    assert response.status_code == 200
    assert rebuilt == [] and "being recounted" not in response.content.decode()


def test_the_settings_page_offers_the_time_zones_and_shows_the_one_in_force(as_manager):
    page = as_manager.get(reverse("staff:settings"), headers={"accept-language": "es"}).content.decode()

    assert '<option value="America/Mexico_City" translate="no">America/Mexico City</option>' in page
    assert "Según el entorno (Europe/Madrid)" in page
