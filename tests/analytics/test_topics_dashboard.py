"""The Topics dashboard: topics ranked by volume with net sentiment and the change since the previous
period, a topic × week heat map of the negative share, and small topics greyed out with the reason."""

import csv
import io
import json
from datetime import date, datetime

import pytest
from django.utils import translation

from analytics import selectors
from tests.analytics.test_analytics import MADRID, mention_topic

pytestmark = pytest.mark.django_db

# four whole weeks, Monday 2 March to Sunday 29 March 2026; the previous window is the 28 days before
WINDOW = {"start": "2026-03-02", "end": "2026-03-29"}


def at(day: int, month: int = 3) -> datetime:
    return datetime(2026, month, day, 12, tzinfo=MADRID)


@pytest.fixture
def topics_talked_about():
    # delivery: 12 mentions now (week 1: 4 negative of 4; week 3: 2 negative of 8), 6 before
    for day in (2, 3, 4, 5):
        mention_topic("delivery", "negative", at(day))
    for n, day in enumerate((16, 17, 18, 19, 20, 21, 16, 17)):
        mention_topic("delivery", "negative" if n < 2 else "positive", at(day))
    for day in range(2, 8):
        mention_topic("delivery", "positive", at(day, month=2))
    # price: 4 mentions, all negative: under the minimum volume
    for day in (9, 10, 11, 12):
        mention_topic("price", "negative", at(day), text="Carísimo", matches=("Carísimo",))


def page_of(client, language: str = "es", **params) -> str:
    response = client.get("/dashboards/topics/", {**WINDOW, **params}, headers={"accept-language": language})
    assert response.status_code == 200
    return response.content.decode()


def test_topics_are_ranked_by_volume_with_net_sentiment_and_the_change_since_the_previous_period(
    topics_talked_about,
):
    filters = selectors.Filters(start=date(2026, 3, 2), end=date(2026, 3, 29))

    delivery, price = selectors.topic_ranking(filters)

    assert (delivery["slug"], delivery["mentions"], delivery["previous_mentions"]) == ("delivery", 12, 6)
    assert delivery["mentions_change"] == 6
    assert delivery["net_sentiment"] == pytest.approx(100 * (6 - 6) / 12)
    assert delivery["previous_net_sentiment"] == 100 and delivery["net_change"] == -100
    assert not delivery["is_below_minimum"]
    assert (price["slug"], price["mentions"], price["net_sentiment"], price["is_below_minimum"]) == (
        "price",
        4,
        -100,
        True,
    )
    assert selectors.TOPIC_MIN_MENTIONS == 10


def test_the_ranking_chart_names_each_topic_with_its_net_sentiment_and_change(client, manager, topics_talked_about):
    page = page_of(client, "en")

    chart = json.loads(page.split('id="topic-chart" type="application/json">')[1].split("</script>")[0])
    assert [(t["name"], t["mentions"], t["is_below_minimum"]) for t in chart["topics"]] == [
        ("Delivery", 12, False),
        ("Price", 4, True),
    ]
    assert chart["topics"][0]["detail"] == "net 0 · +6 mentions"
    assert chart["topics"][1]["detail"] == "net \u2212100 · +4 mentions"
    assert 'aria-label="Topics ranked by number of mentions' in page
    assert 'data-x-title="Mentions (count)"' in page


def test_a_topic_under_the_minimum_volume_is_greyed_out_and_says_why(client, manager, topics_talked_about):
    page = page_of(client, "es")

    assert page.count('<tr class="below-minimum">') == 2  # in the heat map and in the table of changes
    assert "muy pocas menciones (n = 4)" in page
    assert "muy pocas menciones (n = 12)" not in page
    with translation.override("en"):
        assert "too few mentions (n = 4)" in page_of(client, "en")


def test_the_heat_map_shows_each_weeks_negative_share_per_topic(client, manager, topics_talked_about):
    page = page_of(client, "en")
    heatmap = page.split('<table class="heatmap" id="topic-heatmap">')[1].split("</table>")[0]

    assert heatmap.count("Week of") == 4
    delivery = heatmap.split('data-csv="delivery"')[1].split("</tr>")[0]
    # week 1: 4 of 4 negative (the darkest shade); week 2: none; week 3: 2 of 8; week 4: none
    assert [cell.split('"')[0] for cell in delivery.split('<td data-csv="')[1:]] == ["100.0", "", "25.0", ""]
    assert "rgba(179, 38, 30, 0.60)" in delivery and "rgba(179, 38, 30, 0.15)" in delivery
    assert "n = 8" in delivery
    price = heatmap.split('data-csv="price"')[1].split("</tr>")[0]
    assert "rgba" not in price  # greyed: too few mentions to shade


def test_a_week_with_one_or_two_mentions_is_not_shaded_however_negative(client, manager):
    for day in range(2, 8):  # week 1: 10 mentions, 5 negative
        mention_topic("delivery", "negative", at(day))
    for day in range(2, 6):
        mention_topic("delivery", "positive", at(day))
    mention_topic("delivery", "negative", at(10))  # week 2: the one mention, negative

    page = page_of(client, "en")

    delivery = page.split('data-csv="delivery"')[1].split("</tr>")[0]
    week_1, week_2 = delivery.split('<td data-csv="')[1:3]
    assert week_1.startswith('60.0"') and "rgba(179, 38, 30, 0.36)" in week_1
    assert week_2.startswith('100.0"') and "rgba" not in week_2 and "n = 1" in week_2
    assert "A cell with fewer than 3 mentions is not shaded." in page


def test_a_window_cut_mid_week_marks_its_first_and_last_weeks_partial(client, manager, topics_talked_about):
    page = page_of(client, "en", start="2026-03-04", end="2026-03-25")

    heatmap = page.split('<table class="heatmap" id="topic-heatmap">')[1].split("</thead>")[0]
    assert heatmap.count("Week of") == 4 and heatmap.count("(partial)") == 2


def test_the_topics_csv_has_volume_net_sentiment_and_the_minimum_flag(client, manager, topics_talked_about):
    response = client.get("/dashboards/topics/", {**WINDOW, "export": "csv"})

    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [(r["topic"], r["mentions"], r["previous_mentions"], r["net_sentiment"]) for r in rows] == [
        ("delivery", "12", "6", "0.0"),
        ("price", "4", "0", "-100.0"),
    ]
    assert [r["below_minimum_volume"] for r in rows] == ["no", "yes"]


def test_with_no_mentions_the_topics_dashboard_says_what_it_is_waiting_for(client, manager):
    page = page_of(client, "es")

    assert '<canvas id="chart-topic-ranking"' not in page and 'id="topic-heatmap"' not in page
    assert "Aún no hay temas en este periodo" in page
