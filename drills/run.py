"""Fault drills: Voz under a Redis outage, a killed worker and a lost database connection.

Each drill runs the real thing on this machine — gunicorn with the production settings, a Celery
worker, a Redis server of its own (so stopping it touches nothing else) and PostgreSQL database
`voz_drills` — breaks one part on purpose and counts what happened to every submission:

1. redis:    Redis is stopped while 1,000 reviews are POSTed one by one to the API. Every request
             must succeed; once Redis is back, the sweep hands the items over and all get analysed.
2. worker:   the worker is SIGKILLed in the middle of the NLP batches of 2,000 reviews. After a
             restart every item is analysed exactly once, even when a batch is delivered twice.
3. database: every PostgreSQL connection of the app is terminated, again and again, while orders
             are POSTed. Requests caught by it get a 503 with a clear message (never a 500), no
             order is half-written, and the service recovers by itself.
4. followups: Redis is stopped while 200 cases are resolved or closed and 200 survey invitations
             come due. Once it is back, the sweeps hand them to a worker: 200 follow-up questions and
             200 invitations reach the mail server, none twice, even though the sweeps run twice and
             every follow-up message is delivered a second time.
5. webhooks: a shop's webhook receiver is down while 500 reviews are published through the API
             (for the first half Redis is down too). Once it is back, every review.published event
             reaches it, and none twice by webhook-id.

Usage: .venv/bin/python drills/run.py [--only redis,worker,database,followups,webhooks] [--json figures.json]
                                     [--scale 0.2]
Exits non-zero if a drill loses, duplicates or half-writes anything. Stops by itself. `--scale` sends
that fraction of the submissions above (and NLP batches that much smaller, so the worker is still
killed among as many batches): `make test` runs every drill at 0.2, `make drills` at full size.
"""

import argparse
import http.client
import http.server
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.servers import ensure_database, free_port, start_gunicorn  # noqa: E402

# another name keeps a drill run apart from someone else's on the same PostgreSQL
DATABASE = os.environ.get("DRILLS_DATABASE", "voz_drills")


REDIS_PORT = free_port()
# what the app and the worker log (every 503 is logged with its cause)
LOG = Path(os.environ.get("DRILLS_LOG", "/tmp/voz-drills.log"))
ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "drills-only-secret-key-not-for-production-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    "CELERY_BROKER_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    # the sweep takes every pending item at once, instead of those older than 3 minutes
    "SENTIMENT_PENDING_GRACE_MINUTES": "0",
    "SENTIMENT_BATCH_SIZE": "250",
    # the worker shares the machine with gunicorn and PostgreSQL (and, in `make test`, with the tests)
    "VOZ_NLP_THREADS": os.environ.get("VOZ_NLP_THREADS", "1"),
    # the follow-up and invitation sweeps take everything unsent at once, not what waited 5 minutes
    "SUPPORT_FOLLOWUP_SWEEP_MINUTES": "0",
    "SURVEY_UNSENT_SWEEP_MINUTES": "0",
    # a failed webhook is retried after 1 s, 4 s, 16 s… instead of 10 s, 40 s, 160 s…
    "WEBHOOKS_RETRY_FIRST_SECONDS": "1",
}
os.environ.update({key: ENV[key] for key in ENV if key not in ("PATH",)})


def step(message: str) -> None:
    print(f"  · {message}", flush=True)


def wait_until(condition, timeout: float, interval: float = 0.25) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


# ---------------------------------------------------------------------------------------
# The services, as processes this script owns
# ---------------------------------------------------------------------------------------
class Redis:
    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", REDIS_PORT), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        if not wait_until(self.ping, 15):
            raise SystemExit("redis-server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        wait_until(lambda: not self.ping(), 10)


class Web:
    """One gunicorn for the whole run, as in production, where the web server is not restarted
    between incidents: each drill meets it as the one before left it (through Redis outages and
    terminated database connections), so it also shows that the server recovered from those.
    Starting it once instead of per drill saves four starts of two workers: 90 s -> 67 s of CPU at
    the suite's size."""

    def __init__(self) -> None:
        self.port = 0
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        # the process owns the log file until it exits
        self.process, self.port = start_gunicorn(
            "config.wsgi:application",
            workers=2,
            env=ENV,
            stderr=open(LOG, "a"),  # noqa: SIM115
        )

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


class Worker:
    def __init__(self, queues: str = "celery,nlp", **env: str) -> None:
        self.queues = queues
        self.process: subprocess.Popen | None = None
        self.env = {**ENV, **env}

    def start(self) -> None:
        # its own session, so that a SIGKILL reaches the pool's child processes too
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "-Q",
                self.queues,
                "--concurrency",
                "1",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
                "--loglevel",
                "error",
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,  # the start-up banner
            stderr=open(LOG, "a"),  # noqa: SIM115
        )

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # a warm shutdown: the main process stops its pool
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


# ---------------------------------------------------------------------------------------
# Talking to the app
# ---------------------------------------------------------------------------------------
def request(port: int, method: str, path: str, token: str, body=None) -> tuple[int, dict, float]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    started = time.perf_counter()
    connection.request(
        method,
        path,
        body=json.dumps(body) if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    response = connection.getresponse()
    raw = response.read()
    elapsed = time.perf_counter() - started
    connection.close()
    try:
        payload = json.loads(raw) if raw else {}
    except ValueError:
        payload = {"raw": raw[:200].decode(errors="replace")}
    return response.status, payload, elapsed


def review(source: str, n: int) -> dict:
    texts = [
        "El pedido llegó tarde y la caja venía rota.",
        "Muy buena calidad, repetiré.",
        "The size runs small and the return took weeks.",
        "Atención al cliente excelente, me resolvieron todo.",
    ]
    return {
        "source": source,
        "external_id": f"{source}-{n}",
        "rating": 1 + n % 5,
        "body": texts[n % len(texts)],
        "language": "en" if n % 4 == 2 else "es",
    }


def in_threads(work: list, function, threads: int) -> list:
    results: list = [None] * len(work)

    def run(offset: int) -> None:
        for index in range(offset, len(work), threads):
            results[index] = function(work[index])

    pool = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return results


def analysis_counts(source: str) -> dict[str, int]:
    from django.db import connection
    from django.db.models import Count

    from feedback.models import FeedbackItem
    from sentiment.models import FeedbackAnalysis

    connection.close_if_unusable_or_obsolete()
    items = FeedbackItem.objects.filter(review__source=source)
    per_item = (
        FeedbackAnalysis.objects.filter(feedback__review__source=source)
        .values("feedback_id", "model_version", "taxonomy_version")
        .annotate(n=Count("pk"))
    )
    return {
        "stored": items.count(),
        "analysed": items.filter(analysis_status="done").count(),
        "pending": items.filter(analysis_status="pending").count(),
        "duplicates": sum(row["n"] - 1 for row in per_item if row["n"] > 1),
        "current_twice": FeedbackAnalysis.objects.filter(feedback__review__source=source, is_current=True)
        .values("feedback_id")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .count(),
    }


def send_sweep() -> None:
    """What beat does every few minutes: hand every still-pending item to the queue again."""
    from config.celery import app

    app.send_task("sentiment.tasks.analyse_pending_feedback")


def token(*scopes: str) -> str:
    from core.api_clients import api_client_create

    return api_client_create(name="drills", scopes=list(scopes))[1]


# ---------------------------------------------------------------------------------------
# The drills
# ---------------------------------------------------------------------------------------
def drill_redis_down(redis: Redis, web: Web, submissions: int = 1000) -> dict:
    print("Drill 1 — Redis stopped while reviews are submitted through the API", flush=True)
    source = "drill-redis"
    secret = token("feedback:write")
    redis.start()
    worker = Worker()
    try:
        redis.stop()
        step(f"Redis stopped; POSTing {submissions} reviews one by one (4 clients)")
        results = in_threads(
            list(range(submissions)),
            lambda n: request(web.port, "POST", "/api/v1/reviews/", secret, review(source, n)),
            threads=4,
        )
        accepted = sum(1 for status, _body, _t in results if status in (200, 201))
        latencies = sorted(t for _s, _b, t in results)
        during = analysis_counts(source)
        step(f"{accepted} accepted, {during['stored']} stored, {during['pending']} waiting for analysis")
        redis.start()
        worker.start()
        step("Redis back, worker started; the sweep hands the waiting items over")
        send_sweep()
        wait_until(lambda: analysis_counts(source)["analysed"] >= submissions, 240, interval=1)
        after = analysis_counts(source)
    finally:
        worker.stop()
        redis.stop()
    return {
        "submitted": submissions,
        "accepted": accepted,
        "errors": submissions - accepted,
        "stored": after["stored"],
        "pending_while_redis_down": during["pending"],
        "analysed": after["analysed"],
        "duplicates": after["duplicates"] + after["current_twice"],
        "lost": submissions - after["analysed"],
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))] * 1000, 1),
    }


def drill_worker_killed(redis: Redis, web: Web, submissions: int = 2000) -> dict:
    print("Drill 2 — a Celery worker SIGKILLed in the middle of NLP batches", flush=True)
    source = "drill-worker"
    secret = token("feedback:write")
    redis.start()
    worker = Worker()
    try:
        step(f"{submissions} reviews sent in bulk while no worker runs: their batches wait in Redis")
        for start in range(0, submissions, 500):
            status, body, _t = request(
                web.port,
                "POST",
                "/api/v1/reviews/bulk/",
                secret,
                {"items": [review(source, n) for n in range(start, min(start + 500, submissions))]},
            )
            if status != 200:
                raise SystemExit(f"bulk submission failed: {status} {body}")
        worker.start()
        wait_until(lambda: analysis_counts(source)["analysed"] > 0, 120, interval=0.05)
        time.sleep(0.15)  # into the next batch
        worker.kill()
        # with acks_late a batch stays "unacked" in Redis from delivery until it is done: one there
        # means the worker died inside a batch
        in_flight = _unacked()
        at_kill = analysis_counts(source)
        step(f"worker SIGKILLed with {at_kill['analysed']} analysed and {at_kill['pending']} pending")
        worker.start()
        step("worker restarted; the sweep re-queues what the killed batch held")
        send_sweep()
        wait_until(lambda: analysis_counts(source)["analysed"] >= submissions, 240, interval=1)
        # the killed batch's message comes back once Redis's visibility timeout passes: deliver
        # it (and every other batch) a second time now and check that nothing changes
        from feedback.models import FeedbackItem
        from sentiment.tasks import analyse_feedback

        ids = list(FeedbackItem.objects.filter(review__source=source).order_by("pk").values_list("pk", flat=True))
        batch = int(ENV["SENTIMENT_BATCH_SIZE"])
        for start in range(0, len(ids), batch):
            analyse_feedback.apply_async(args=[ids[start : start + batch]])
        time.sleep(3)
        wait_until(lambda: _queue_length() == 0, 60, interval=0.5)
        time.sleep(1)
        after = analysis_counts(source)
    finally:
        worker.stop()
        redis.stop()
    return {
        "submitted": submissions,
        "analysed_before_kill": at_kill["analysed"],
        "batches_in_flight_at_kill": in_flight,
        "pending_at_kill": at_kill["pending"],
        "stored": after["stored"],
        "analysed": after["analysed"],
        "duplicates": after["duplicates"] + after["current_twice"],
        "lost": submissions - after["analysed"],
    }


def _unacked() -> int:
    from config.celery import app

    with app.connection_for_write() as connection:
        return connection.default_channel.client.hlen("unacked")


def _queue_length() -> int:
    from config.celery import app

    with app.connection_for_write() as connection:
        client = connection.default_channel.client
        return client.llen("nlp") + client.llen("celery")


def drill_database_lost(redis: Redis, web: Web, seconds: float = 8.0) -> dict:
    print("Drill 3 — PostgreSQL connections terminated while orders are submitted", flush=True)
    import psycopg

    secret = token("orders:write", "orders:read")
    redis.start()
    stop = threading.Event()
    terminated = 0

    def killer() -> None:
        nonlocal terminated
        with psycopg.connect("postgres://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            tick = 0
            while not stop.is_set():
                # mostly connections inside a transaction (a write half done), now and then all
                only_in_transaction = "AND xact_start IS NOT NULL" if tick % 4 else ""
                rows = conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    f"WHERE datname = %s AND pid <> pg_backend_pid() {only_in_transaction}",
                    [DATABASE],
                ).fetchall()
                terminated += len(rows)
                tick += 1
                time.sleep(0.02 if tick % 4 else 0.15)

    def order(n: int, phase: str) -> dict:
        return {
            "external_id": f"DRILL-{phase}-{n}",
            "customer": {"external_id": f"DRILL-C-{n % 50}", "email": f"drill{n % 50}@example.com"},
            "placed_at": "2026-11-20T10:00:00+01:00",
            "total": "60.00",
            "items": [{"sku": f"DRILL-SKU-{k}", "name": f"Artículo {k}", "quantity": 1} for k in range(3)],
        }

    from django.db import connection

    connection.close()  # the killer would take this one too
    try:
        step(f"terminating every connection to {DATABASE} again and again for {seconds:.0f} s under 4 clients")
        killer_thread = threading.Thread(target=killer)
        killer_thread.start()
        outcomes: list[tuple[str, int, dict]] = []
        lock = threading.Lock()
        deadline = time.monotonic() + seconds

        def client(k: int) -> None:
            n = 0
            while time.monotonic() < deadline:
                external_id = f"DRILL-storm-{k}-{n}"
                payload = order(0, "storm") | {"external_id": external_id}
                try:
                    status, body, _t = request(web.port, "POST", "/api/v1/orders/", secret, payload)
                except (OSError, http.client.HTTPException):
                    status, body = 0, {}
                with lock:
                    outcomes.append((external_id, status, body))
                n += 1

        clients = [threading.Thread(target=client, args=(k,)) for k in range(4)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        stop.set()
        killer_thread.join()
        connection.close()
        before_retries = _storm_orders()
        step("connections left alone again; does the service recover by itself?")
        recovery = [request(web.port, "POST", "/api/v1/orders/", secret, order(n, "after"))[0] for n in range(20)]
        # what a client does with a 503: send the same request again
        retried = [
            request(web.port, "POST", "/api/v1/orders/", secret, order(0, "storm") | {"external_id": i})[0]
            for i, status, _body in outcomes
            if status == 503
        ]
    finally:
        stop.set()
        redis.stop()

    connection.close()
    stored = _storm_orders()
    statuses = [status for _id, status, _body in outcomes]
    unavailable = [(i, body) for i, status, body in outcomes if status == 503]
    half_written = sum(1 for items in stored.values() if items != 3)
    missing_after_success = sum(1 for i, status, _b in outcomes if status in (200, 201) and stored.get(i) != 3)
    return {
        "requests": len(outcomes),
        "succeeded": sum(1 for s in statuses if s in (200, 201)),
        "service_unavailable_503": len(unavailable),
        "clear_503_message": all(body.get("type") == "service_unavailable" for _i, body in unavailable),
        "server_errors_5xx_other": sum(1 for s in statuses if s >= 500 and s != 503),
        "connection_failures": sum(1 for s in statuses if s == 0),
        "other_statuses": sorted({s for s in statuses if s not in (200, 201, 503)}),
        "connections_terminated": terminated,
        "half_written_orders": half_written,
        "lost_after_success": missing_after_success,
        # the connection died after the commit, while the response was built: complete, and a retry
        # finds it (upserts are idempotent)
        "half_written_before_retries": sum(1 for items in before_retries.values() if items != 3),
        "committed_before_503": sum(1 for i, _b in unavailable if i in before_retries),
        "rolled_back_503": sum(1 for i, _b in unavailable if i not in before_retries),
        "retried_503_succeeded": sum(1 for s in retried if s in (200, 201)),
        "stored_orders": len(stored),
        "distinct_orders_sent": len({i for i, _s, _b in outcomes}),
        "recovered": sum(1 for s in recovery if s in (200, 201)),
        "recovery_requests": len(recovery),
    }


class Receiver:
    """A shop's webhook receiver on 127.0.0.1: when down, nothing listens on its port (connections
    are refused); when up, it answers 204 and records every webhook-id it gets."""

    def __init__(self) -> None:
        self.port = free_port()
        self.ids: list[str] = []
        self.server: http.server.ThreadingHTTPServer | None = None

    def start(self) -> None:
        ids = self.ids

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                ids.append(self.headers["webhook-id"])
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def webhook_counts() -> dict[str, int]:
    from django.db import connection
    from django.db.models import Count

    from core.models import WebhookAttempt, WebhookDelivery, WebhookEvent

    connection.close_if_unusable_or_obsolete()
    return {
        "events": WebhookEvent.objects.filter(event_type="review.published").count(),
        **{status: n for status, n in WebhookDelivery.objects.values_list("status").annotate(n=Count("pk")).order_by()},
        "failed_attempts": WebhookAttempt.objects.exclude(status_code=204).count(),
    }


def drill_webhooks_receiver_down(redis: Redis, web: Web, events: int = 500, batch: int = 50) -> dict:
    print("Drill 5 — a webhook receiver down while reviews are published, then back", flush=True)
    from core.api_clients import api_client_create
    from core.models import Scope, WebhookEndpoint

    source = "drill-webhooks"
    receiver = Receiver()
    client, secret = api_client_create(name="drills", scopes=[Scope.FEEDBACK_READ, Scope.FEEDBACK_WRITE])
    url = f"http://127.0.0.1:{receiver.port}/voz"
    WebhookEndpoint.objects.create(client=client, url=url, events=["review.published"])
    # the reviews' analysis is another drill's business: their NLP batches wait in Redis
    worker = Worker(queues="celery")

    def publish(start: int) -> tuple[int, int]:
        items = [review(source, n) for n in range(start, start + batch)]
        status, body, _t = request(web.port, "POST", "/api/v1/reviews/bulk/", secret, {"items": items})
        return status, sum(1 for result in body.get("results", []) if result.get("status") == "created")

    try:
        step(f"receiver and Redis down; {events // 2} reviews sent in batches of {batch}")
        sending = time.monotonic()
        results = in_threads(list(range(0, events // 2, batch)), publish, threads=2)
        during_redis = webhook_counts()
        redis.start()
        worker.start()
        step(f"Redis and the worker back, receiver still down; {events - events // 2} more reviews")
        results += in_threads(list(range(events // 2, events, batch)), publish, threads=2)
        sending = time.monotonic() - sending
        send_webhooks_sweep()
        wait_until(lambda: webhook_counts()["failed_attempts"] > 0, 30)  # the worker found it down
        while_down = webhook_counts()
        receiver.start()
        step("receiver back; beat's run (sent by hand, as beat would every minute) sends what waited")
        started = time.monotonic()

        def all_delivered() -> bool:
            send_webhooks_sweep()
            return webhook_counts().get("delivered", 0) >= events

        wait_until(all_delivered, 120, interval=1)
        catch_up = time.monotonic() - started
        time.sleep(2)  # anything sent twice would arrive now
        after = webhook_counts()
    finally:
        receiver.stop()
        worker.stop()
        redis.stop()
    return {
        "reviews_published": sum(created for status, created in results if status == 200),
        "events": after["events"],
        "events_while_redis_down": during_redis["events"],
        "deliveries_while_redis_down": sum(during_redis.get(s, 0) for s in ("pending", "delivered", "failed")),
        "failed_attempts_while_receiver_down": while_down["failed_attempts"],
        "received": len(receiver.ids),
        "distinct_webhook_ids": len(set(receiver.ids)),
        "duplicates": len(receiver.ids) - len(set(receiver.ids)),
        "delivered": after.get("delivered", 0),
        "lost": events - len(set(receiver.ids)),
        "sending_seconds": round(sending, 1),
        "catch_up_seconds": round(catch_up, 1),
    }


def send_webhooks_sweep() -> None:
    from config.celery import app

    app.send_task("core.webhooks_deliver")


def _storm_orders() -> dict[str, int]:
    """The drill's orders with their number of lines (3 when complete)."""
    from django.db.models import Count

    from customers.models import Order

    return dict(
        Order.objects.filter(external_id__startswith="DRILL-storm-")
        .annotate(n_items=Count("items"))
        .values_list("external_id", "n_items")
    )


def drill_followups_after_outage(redis: Redis, web: Web, cases: int = 200, invitations: int = 200) -> dict:
    """Resolving cases and scheduling invitations go through the services, in this process, as the
    staff's bulk action and beat's scheduler do: the hand-over to the queue is what the outage breaks."""
    print("Drill 4 — Redis stopped while cases are resolved and invitations come due", flush=True)
    import logging
    import tempfile

    from django.utils import timezone

    from customers.models import Customer, Order
    from support import services
    from support.models import Case
    from surveys.models import Invitation
    from surveys.services import invitations_schedule_due

    # the hand-overs refused during the outage are expected: their warnings go to the log file
    queueing_log = logging.getLogger("core.queueing")
    queueing_log.propagate = False
    queueing_log.addHandler(logging.FileHandler(LOG))
    outbox = Path(tempfile.mkdtemp(prefix="voz-drill-mail-"))
    worker = Worker(EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend", EMAIL_FILE_PATH=str(outbox))
    now = timezone.now()
    customers = Customer.objects.bulk_create(
        Customer(external_id=f"DRILL-F-{n}", email=f"drill-f-{n}@example.com", name=f"Cliente {n}")
        for n in range(cases + invitations)
    )
    open_cases = Case.objects.bulk_create(
        Case(subject=f"Pedido {n} incompleto", customer=customers[n], channels=["email"], status="open")
        for n in range(cases)
    )
    Order.objects.bulk_create(
        Order(
            external_id=f"DRILL-F-{n}",
            customer=customers[cases + n],
            placed_at=now - timedelta(days=5),
            delivered_at=now - timedelta(days=3),
            total=40,
        )
        for n in range(invitations)
    )
    drill_invitations = Invitation.objects.filter(customer__external_id__startswith="DRILL-F-")
    drill_cases = Case.objects.filter(customer__external_id__startswith="DRILL-F-")
    try:
        step(f"Redis down; {cases} cases resolved or closed (half each way), {invitations} invitations scheduled")
        started = time.monotonic()
        for n, case in enumerate(open_cases):
            services.case_set_status(case=case, status="resolved" if n % 2 else "closed")
        scheduled = len(invitations_schedule_due())
        outage_seconds = time.monotonic() - started
        during = {
            "followups_owed": drill_cases.filter(followup_requested_at__isnull=False).count(),
            "followups_sent": drill_cases.filter(followup_sent_at__isnull=False).count(),
            "invitations_pending": drill_invitations.filter(status="pending").count(),
        }
        step(f"{during['followups_owed']} follow-ups owed and {during['invitations_pending']} invitations pending")
        redis.start()
        back_at = timezone.now()
        worker.start()
        step("Redis back, worker starting; the sweeps run twice and every follow-up is delivered twice")
        from config.celery import app
        from support.tasks import case_followup

        for _ in range(2):
            app.send_task("support.tasks.followups_unsent")
            app.send_task("surveys.tasks.invitations_dispatch_unsent")
        for case in open_cases:
            case_followup.apply_async(args=[case.pk])  # a redelivered message, as after a lost ack

        def all_sent() -> bool:
            return (
                drill_cases.filter(followup_sent_at__isnull=False).count() >= cases
                and drill_invitations.filter(status="sent").count() >= invitations
            )

        wait_until(all_sent, 120, interval=0.5)
        recovery_seconds = time.monotonic() - started - outage_seconds
        step(f"everything sent {recovery_seconds:.1f} s after Redis came back; waiting for the duplicates to drain")
        wait_until(lambda: _queue_length() == 0 and _unacked() == 0, 60, interval=0.5)
        from django.db.models import Max, Min

        first, last = (
            Invitation.objects.filter(pk__in=drill_invitations)
            .aggregate(first=Min("sent_at"), last=Max("sent_at"))
            .values()
        )
        followups_first, followups_last = drill_cases.aggregate(
            first=Min("followup_sent_at"), last=Max("followup_sent_at")
        ).values()
        first, last = min(first, followups_first), max(last, followups_last)
    finally:
        worker.stop()
        redis.stop()
    sent = _mailed(outbox)
    shutil.rmtree(outbox, ignore_errors=True)
    # the first `cases` customers own the cases, the others got the orders
    case_owners = {f"drill-f-{n}@example.com" for n in range(cases)}
    followups = [to for to, _subject in sent if to in case_owners]
    invited = [to for to, _subject in sent if to not in case_owners]
    return {
        "cases": cases,
        "invitations": invitations,
        "invitations_scheduled": scheduled,
        "followups_owed_while_redis_down": during["followups_owed"],
        "followups_sent_while_redis_down": during["followups_sent"],
        "invitations_pending_while_redis_down": during["invitations_pending"],
        "followup_emails": len(followups),
        "followup_recipients": len(set(followups)),
        "invitation_emails": len(invited),
        "invitation_recipients": len(set(invited)),
        "duplicates": (len(followups) - len(set(followups))) + (len(invited) - len(set(invited))),
        "lost": (cases - len(set(followups))) + (invitations - len(set(invited))),
        "outage_seconds": round(outage_seconds, 1),
        "recovery_seconds": round(recovery_seconds, 1),
        # of which: the worker starting, then sending
        "first_sent_after_seconds": round((first - back_at).total_seconds(), 1),
        "sending_seconds": round((last - first).total_seconds(), 1),
    }


def _mailed(outbox: Path) -> list[tuple[str, str]]:
    """(recipient, subject) of every message the worker's file backend wrote, one file per connection."""
    from email import message_from_string
    from email.header import decode_header, make_header

    sent = []
    for path in sorted(outbox.iterdir()):
        for raw in path.read_text().split("-" * 79 + "\n"):
            if raw.strip():
                message = message_from_string(raw)
                sent.append((message["To"], str(make_header(decode_header(message["Subject"])))))
    return sent


def reset() -> None:
    from django.core.management import call_command

    from core.models import ApiClient, WebhookEvent
    from customers.models import Customer, Order
    from feedback.models import FeedbackItem
    from reviews.models import Review
    from support.models import Case

    call_command("migrate", verbosity=0)
    Case.objects.all().delete()
    FeedbackItem.objects.all().delete()
    Review.objects.all().delete()
    Order.objects.filter(external_id__startswith="DRILL-").delete()
    Customer.objects.filter(external_id__startswith="DRILL-").delete()
    ApiClient.objects.filter(name="drills").delete()  # with its webhook endpoints and their deliveries
    WebhookEvent.objects.all().delete()


def verdict(name: str, figures: dict) -> bool:
    if name == "database":
        ok = (
            figures["server_errors_5xx_other"] == 0
            and figures["connection_failures"] == 0
            and figures["half_written_orders"] == 0
            and figures["half_written_before_retries"] == 0
            and figures["lost_after_success"] == 0
            and figures["retried_503_succeeded"] == figures["service_unavailable_503"]
            and figures["stored_orders"] == figures["distinct_orders_sent"]
            and figures["clear_503_message"]
            and figures["recovered"] == figures["recovery_requests"]
        )
    elif name == "followups":
        ok = (
            figures["lost"] == 0
            and figures["duplicates"] == 0
            # the outage was real: everything was owed and nothing had gone out
            and figures["followups_owed_while_redis_down"] == figures["cases"]
            and figures["followups_sent_while_redis_down"] == 0
            and figures["invitations_pending_while_redis_down"] == figures["invitations"]
        )
    elif name == "webhooks":
        ok = (
            figures["reviews_published"] == figures["events"] == figures["received"] == figures["delivered"]
            and figures["lost"] == 0
            and figures["duplicates"] == 0
        )
    else:
        ok = figures["lost"] == 0 and figures["duplicates"] == 0 and figures.get("errors", 0) == 0
    return ok


FULL_SIZE = {
    "redis": {"submissions": 1000},
    "worker": {"submissions": 2000},
    "database": {"seconds": 8.0},
    "followups": {"cases": 200, "invitations": 200},
    "webhooks": {"events": 500, "batch": 50},
}


def drill_sizes(scale: float) -> dict:
    """Every drill's size at `scale`; the webhook drill keeps two batches at least on either side of
    the Redis outage. The database drill lasts as long at any scale: it is time, not submissions,
    and at 4 s a loaded machine sent it only four orders."""
    sizes = {
        name: {key: max(1, round(value * scale)) if isinstance(value, int) else value for key, value in size.items()}
        for name, size in FULL_SIZE.items()
    }
    sizes["webhooks"]["batch"] = max(1, min(50, sizes["webhooks"]["events"] // 4))
    sizes["batch"] = max(10, round(250 * scale))
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="redis,worker,database,followups,webhooks")
    parser.add_argument("--json", help="Also write the figures to this file.")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="Fraction of the full size to send (0.2: a fifth; default 1)."
    )
    args = parser.parse_args()
    sizes = drill_sizes(args.scale)
    # NLP batches shrink with the submissions: the worker drill still kills the worker among 8 batches
    ENV["SENTIMENT_BATCH_SIZE"] = os.environ["SENTIMENT_BATCH_SIZE"] = str(sizes["batch"])

    ensure_database(DATABASE)
    LOG.write_text("")
    print(f"(the app's and worker's logs: {LOG})")
    import django

    django.setup()
    reset()
    drills = {
        "redis": drill_redis_down,
        "worker": drill_worker_killed,
        "database": drill_database_lost,
        "followups": drill_followups_after_outage,
        "webhooks": drill_webhooks_receiver_down,
    }
    figures, ok = {}, True
    web = Web()
    try:
        web.start()
        for name in args.only.split(","):
            redis = Redis()
            started = time.monotonic()
            try:
                figures[name] = drills[name](redis, web, **sizes[name])
            finally:
                redis.stop()
            figures[name]["seconds"] = round(time.monotonic() - started, 1)
            passed = verdict(name, figures[name])
            ok &= passed
            print(f"  = {'PASS' if passed else 'FAIL'}: " + ", ".join(f"{k} {v}" for k, v in figures[name].items()))
            reset()
    finally:
        web.stop()
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
