"""The fault drills (drills/run.py) run as part of the suite: real gunicorn, worker, Redis, PostgreSQL."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def figures(tmp_path_factory):
    out = tmp_path_factory.mktemp("drills") / "figures.json"
    run = subprocess.run(
        [sys.executable, "drills/run.py", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    print(run.stdout)
    assert out.exists(), run.stdout[-3000:] + run.stderr[-3000:]
    return json.loads(out.read_text()), run.returncode


def test_redis_down_every_submission_succeeds_and_is_analysed_once_it_is_back(figures):
    redis = figures[0]["redis"]
    assert redis["accepted"] == redis["submitted"] == 1000
    assert redis["pending_while_redis_down"] == 1000  # it really was down: nothing got queued
    assert (redis["analysed"], redis["lost"], redis["duplicates"]) == (1000, 0, 0)


def test_a_killed_worker_leaves_every_item_analysed_exactly_once(figures):
    worker = figures[0]["worker"]
    assert worker["batches_in_flight_at_kill"] >= 1  # it died inside a batch
    assert 0 < worker["analysed_before_kill"] < worker["submitted"]
    assert (worker["analysed"], worker["lost"], worker["duplicates"]) == (2000, 0, 0)


def test_follow_ups_and_invitations_held_up_by_a_redis_outage_all_go_out_once_it_is_back(figures):
    followups = figures[0]["followups"]
    # it really was down: every follow-up was owed and none had gone out
    assert followups["followups_owed_while_redis_down"] == 200 and followups["followups_sent_while_redis_down"] == 0
    assert followups["invitations_pending_while_redis_down"] == 200
    assert (followups["followup_emails"], followups["followup_recipients"]) == (200, 200)
    assert (followups["invitation_emails"], followups["invitation_recipients"]) == (200, 200)
    assert (followups["lost"], followups["duplicates"]) == (0, 0)


def test_a_lost_database_connection_is_a_503_never_half_written_and_recovers(figures):
    database = figures[0]["database"]
    assert database["service_unavailable_503"] > 0 and database["clear_503_message"]
    assert database["rolled_back_503"] > 0  # some connections died inside a write
    assert database["server_errors_5xx_other"] == 0 and database["connection_failures"] == 0
    assert database["half_written_before_retries"] == 0 and database["half_written_orders"] == 0
    assert database["lost_after_success"] == 0
    assert database["retried_503_succeeded"] == database["service_unavailable_503"]
    assert database["recovered"] == database["recovery_requests"]


def test_a_webhook_receiver_down_for_500_events_gets_each_once_when_it_is_back(figures):
    webhooks = figures[0]["webhooks"]
    assert webhooks["reviews_published"] == webhooks["events"] == 500
    assert webhooks["events_while_redis_down"] == 250 and webhooks["deliveries_while_redis_down"] == 0
    assert webhooks["failed_attempts_while_receiver_down"] > 0  # it really was down, and was tried
    assert webhooks["received"] == webhooks["distinct_webhook_ids"] == webhooks["delivered"] == 500
    assert (webhooks["lost"], webhooks["duplicates"]) == (0, 0)


def test_every_drill_passes(figures):
    assert figures[1] == 0
