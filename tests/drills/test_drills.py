"""The fault drills (drills/run.py) run as part of the suite: real gunicorn, worker, Redis, PostgreSQL.

The suite runs them at a fifth of `make drills`' size (200 submissions instead of 1,000, 400 reviews
in batches of 50 instead of 2,000 in batches of 250, ...): every fault still happens, and the
figures are checked against the sizes sent, as at full size. They run in the background from the
start of the run (tests/drills/background.py); these tests read what they found."""

import pytest

from tests.drills import background

pytestmark = pytest.mark.slow

# what drills/run.py sends at background.SCALE (drill_sizes), written out so that a change of sizes is seen here
REDIS_SUBMISSIONS, WORKER_SUBMISSIONS, FOLLOWUPS, WEBHOOK_EVENTS = 200, 400, 40, 100


@pytest.fixture(scope="module")
def figures():
    found, exit_status, output = background.figures()
    print(output)
    assert found is not None, output[-6000:]
    return found, exit_status


def test_redis_down_every_submission_succeeds_and_is_analysed_once_it_is_back(figures):
    redis = figures[0]["redis"]
    assert redis["accepted"] == redis["submitted"] == REDIS_SUBMISSIONS
    assert redis["pending_while_redis_down"] == REDIS_SUBMISSIONS  # it really was down: nothing got queued
    assert (redis["analysed"], redis["lost"], redis["duplicates"]) == (REDIS_SUBMISSIONS, 0, 0)


def test_a_killed_worker_leaves_every_item_analysed_exactly_once(figures):
    worker = figures[0]["worker"]
    assert worker["batches_in_flight_at_kill"] >= 1  # it died inside a batch
    assert 0 < worker["analysed_before_kill"] < worker["submitted"]
    assert worker["submitted"] == WORKER_SUBMISSIONS
    assert (worker["analysed"], worker["lost"], worker["duplicates"]) == (WORKER_SUBMISSIONS, 0, 0)


def test_follow_ups_and_invitations_held_up_by_a_redis_outage_all_go_out_once_it_is_back(figures):
    followups = figures[0]["followups"]
    # it really was down: every follow-up was owed and none had gone out
    assert followups["followups_owed_while_redis_down"] == FOLLOWUPS
    assert followups["followups_sent_while_redis_down"] == 0
    assert followups["invitations_pending_while_redis_down"] == FOLLOWUPS
    assert (followups["followup_emails"], followups["followup_recipients"]) == (FOLLOWUPS, FOLLOWUPS)
    assert (followups["invitation_emails"], followups["invitation_recipients"]) == (FOLLOWUPS, FOLLOWUPS)
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


def test_a_webhook_receiver_down_while_reviews_are_published_gets_each_event_once_when_it_is_back(figures):
    webhooks = figures[0]["webhooks"]
    assert webhooks["reviews_published"] == webhooks["events"] == WEBHOOK_EVENTS
    assert webhooks["events_while_redis_down"] == WEBHOOK_EVENTS // 2
    assert webhooks["deliveries_while_redis_down"] == 0
    assert webhooks["failed_attempts_while_receiver_down"] > 0  # it really was down, and was tried
    assert webhooks["received"] == webhooks["distinct_webhook_ids"] == webhooks["delivered"] == WEBHOOK_EVENTS
    assert (webhooks["lost"], webhooks["duplicates"]) == (0, 0)


def test_every_drill_passes(figures):
    assert figures[1] == 0
