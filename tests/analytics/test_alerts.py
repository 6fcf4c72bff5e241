"""Alert rules fire once per episode, by email and by a signed webhook."""

import json
import threading
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from analytics import alerts
from analytics.models import AlertEpisode, AlertRule
from feedback.models import FeedbackItem

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2026, 3, 20, 12, 0, tzinfo=MADRID)


def negative_items(count: int, when: datetime, channel: str = "social") -> None:
    FeedbackItem.objects.bulk_create(
        FeedbackItem(channel=channel, text="fatal", sentiment="negative", analysis_status="done", received_at=when)
        for _ in range(count)
    )


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.1 that records what it gets."""
    received = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook", received
    server.shutdown()


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


def test_a_threshold_rule_on_weekly_nps():
    from tests.analytics.test_analytics import answered

    for score in (2, 3, 10):
        answered(score, 3, NOW - timedelta(days=1))
    AlertRule.objects.create(name="NPS semanal bajo", kind="nps_below", threshold=20, emails="jefa@shop.example")

    assert alerts.alerts_check(now=NOW) == 1
    assert "NPS semanal bajo" in mail.outbox[0].subject and "-33.3" in mail.outbox[0].subject


def test_a_failed_delivery_is_retried_on_the_next_run():
    negative_items(5, NOW - timedelta(hours=1))
    rule = AlertRule.objects.create(
        name="x", kind="negative_spike", sigma=1, webhook_url="http://127.0.0.1:9/nowhere", webhook_secret="k"
    )

    assert alerts.alerts_check(now=NOW) == 0
    episode = AlertEpisode.objects.get(rule=rule)
    assert episode.notified_at is None and episode.ended_at is None
