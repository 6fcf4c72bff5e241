"""Alert rules fire once per episode, by email and by a signed webhook, and only for a reason:
enough volume, enough history, the whole interval below the threshold, days of the shop's clock."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from analytics import alerts
from analytics.models import AlertEpisode, AlertRule
from feedback.models import FeedbackItem

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=MADRID)


@pytest.fixture(autouse=True)
def _only_the_tests_own_rules():
    """These tests look at one rule at a time; the rules a fresh install has are tested apart
    (tests/analytics/test_alert_rules.py)."""
    AlertRule.objects.all().delete()


def negative_items(count: int, when: datetime, channel: str = "social", sentiment: str = "negative") -> None:
    FeedbackItem.objects.bulk_create(
        FeedbackItem(channel=channel, text="fatal", sentiment=sentiment, analysis_status="done", received_at=when)
        for _ in range(count)
    )


def quiet_history(now: datetime, days: int = 40, channel: str = "social") -> None:
    """A shop that has been getting feedback, none of it negative, for `days` days."""
    for day in range(1, days + 1):
        negative_items(1, now - timedelta(days=day, hours=1), channel=channel, sentiment="positive")


def spike_rule(**fields) -> AlertRule:
    return AlertRule.objects.create(
        **{"name": "Pico negativo", "kind": "negative_spike", "sigma": 3, "emails": "jefa@shop.example", **fields}
    )


def test_a_spike_fires_once_per_episode_by_email_and_signed_webhook(receiver):
    url, received = receiver
    for day in range(2, 29):
        negative_items(1, NOW - timedelta(days=day))  # a quiet month: one complaint a day
    negative_items(9, NOW - timedelta(hours=2))  # today: nine
    rule = AlertRule.objects.create(
        name="Pico negativo en redes",
        kind="negative_spike",
        sigma=3,
        channel="social",
        emails="jefa@shop.example",
        webhook_url=url,
        webhook_secret="s3cret",
    )

    first = alerts.alerts_check(now=NOW)
    again = alerts.alerts_check(now=NOW + timedelta(minutes=15))

    assert (first, again) == (1, 0)
    assert [m.to for m in mail.outbox] == [["jefa@shop.example"]]
    headers, body = received[0]
    assert len(received) == 1
    assert headers["X-Voz-Signature"] == alerts.webhook_signature("s3cret", headers["X-Voz-Timestamp"], body)
    assert json.loads(body)["value"] == 9
    # the storm passes: the episode closes, and a new storm is a new episode
    assert alerts.alerts_check(now=NOW + timedelta(days=2)) == 0
    assert AlertEpisode.objects.get(rule=rule).ended_at is not None
    negative_items(12, NOW + timedelta(days=3) - timedelta(hours=1))
    assert alerts.alerts_check(now=NOW + timedelta(days=3)) == 1
    assert AlertEpisode.objects.filter(rule=rule).count() == 2


def test_a_single_complaint_on_a_quiet_month_is_not_a_spike():
    quiet_history(NOW)
    spike_rule()
    negative_items(1, NOW - timedelta(hours=1))

    assert alerts.alerts_check(now=NOW) == 0
    assert not AlertEpisode.objects.exists()
    # five complaints in a day that used to have none: now it is one
    negative_items(4, NOW - timedelta(minutes=30))
    assert alerts.alerts_check(now=NOW) == 1
    assert mail.outbox[0].subject == "[Voz] Pico negativo: 5,0"  # Spanish, the shop's language


def test_a_spike_waits_for_enough_history_to_compare_with():
    quiet_history(NOW, days=4)  # the shop connected its channels four days ago: three whole days to compare
    rule = spike_rule()
    negative_items(8, NOW - timedelta(hours=1))

    assert alerts.alerts_check(now=NOW) == 0
    rule.min_baseline_days = 3
    rule.save()
    assert alerts.alerts_check(now=NOW) == 1


def test_a_check_just_after_midnight_keeps_the_latest_day_in_the_baseline():
    # Tuesday 17 March 00:30 in Madrid, as the periodic task sees it: 23:30 UTC on Monday.
    now = datetime(2026, 3, 16, 23, 30, tzinfo=UTC)
    for day in range(16, 29):
        negative_items(1, datetime(2026, 2, day, 12, 0, tzinfo=MADRID))
    for day in range(1, 15):
        negative_items(1, datetime(2026, 3, day, 12, 0, tzinfo=MADRID))
    negative_items(30, datetime(2026, 3, 15, 12, 0, tzinfo=MADRID))  # a storm on Sunday
    negative_items(6, datetime(2026, 3, 16, 20, 0, tzinfo=MADRID))  # Monday evening
    spike_rule()

    # Monday's six are well within a month that had a storm of thirty the day before
    assert alerts.rule_value(AlertRule.objects.get(), now=now) == (6.0, False)
    assert alerts.alerts_check(now=now) == 0


def test_the_night_the_clocks_go_forward_the_last_day_is_the_shops_day():
    # Monday 30 March 00:30 in Madrid (summer time since Sunday 02:00) is 22:30 UTC on Sunday.
    now = datetime(2026, 3, 29, 22, 30, tzinfo=UTC)
    quiet_history(now)
    spike_rule()
    negative_items(5, datetime(2026, 3, 28, 23, 45, tzinfo=MADRID))  # Saturday night, winter time

    # since Sunday 00:30 (23 real hours), not since Saturday 23:30
    assert alerts.rule_value(AlertRule.objects.get(), now=now) == (0.0, False)
    negative_items(5, datetime(2026, 3, 29, 1, 0, tzinfo=MADRID))  # Sunday 01:00, before the change
    assert alerts.rule_value(AlertRule.objects.get(), now=now) == (5.0, True)


def test_an_nps_rule_needs_enough_answers():
    from tests.analytics.test_analytics import answered

    for score in (2, 3, 10):
        answered(score, 3, NOW - timedelta(days=1))
    AlertRule.objects.create(name="NPS semanal bajo", kind="nps_below", threshold=20, emails="jefa@shop.example")

    assert alerts.alerts_check(now=NOW) == 0  # three answers say little
    for _ in range(20):
        answered(1, 1, NOW - timedelta(days=2))
    assert alerts.alerts_check(now=NOW) == 1
    assert "NPS semanal bajo" in mail.outbox[0].subject and "-91,3" in mail.outbox[0].subject


def test_an_nps_rule_fires_only_when_the_whole_interval_is_below_the_threshold():
    from tests.analytics.test_analytics import answered

    # NPS 10 from ten answers (4 promoters, 3 passives, 3 detractors): its interval reaches well above 20
    for score in (10, 10, 9, 9, 8, 8, 7, 2, 3, 4):
        answered(score, 4, NOW - timedelta(days=1))
    AlertRule.objects.create(name="NPS", kind="nps_below", threshold=20, emails="jefa@shop.example")

    value, firing = alerts.rule_value(AlertRule.objects.get(), now=NOW)
    assert (value, firing) == (10.0, False)
    assert alerts.alerts_check(now=NOW) == 0


def test_a_csat_rule_fires_only_when_the_whole_interval_is_below_the_threshold():
    from tests.analytics.test_analytics import answered

    for csat in (5, 5, 5, 4, 4, 4, 4, 3, 2, 1):  # 70 % satisfied, 95 % interval about 40–89 %
        answered(9, csat, NOW - timedelta(days=1))
    AlertRule.objects.create(name="CSAT", kind="csat_below", threshold=80, emails="jefa@shop.example")

    assert alerts.alerts_check(now=NOW) == 0
    for _ in range(20):
        answered(9, 2, NOW - timedelta(days=3))  # 7 of 30 satisfied: about 12–41 %
    assert alerts.alerts_check(now=NOW) == 1
    assert mail.outbox[0].subject == "[Voz] CSAT: 23,3"


def test_the_rule_form_shows_the_minimums_in_spanish(admin_client):
    page = admin_client.get("/admin/analytics/alertrule/add/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "Volumen mínimo" in page and "Línea base mínima (días)" in page
    assert "todo su intervalo del 95 %" in page
    assert 'name="min_volume" value="5"' in page and 'name="min_baseline_days" value="14"' in page


def test_a_failed_delivery_is_retried_on_the_next_run():
    quiet_history(NOW)
    negative_items(5, NOW - timedelta(hours=1))
    rule = AlertRule.objects.create(
        name="x", kind="negative_spike", sigma=1, webhook_url="http://127.0.0.1:9/nowhere", webhook_secret="k"
    )

    assert alerts.alerts_check(now=NOW) == 0
    episode = AlertEpisode.objects.get(rule=rule)
    assert episode.notified_at is None and episode.ended_at is None
