"""How Voz holds up under load: survey submissions and reads, next to two references.

Starts gunicorn on 127.0.0.1 with the production settings (DEBUG off, PostgreSQL database
`voz_bench_load`, Redis database 12 as the broker, so analysis is queued, not run in the request),
and beside it, on the same gunicorn settings, the references: a durable write behind Voz's own
middleware stack (bench/reference_app.py: the submission's request, one INSERT of a response-like
row, committed), against which a submission is judged, and a bare Django view (bench/bare_app.py:
one view returning "ok", no middleware, no database), the least a request costs.

1. Throughput (closed loop, wrk, 16 connections, 15 s each): the bare view, the one-INSERT
   reference, the survey page, a survey submission (each with its own single-use invitation), the
   feedback feed API.
2. Latency at a fixed rate (open loop): survey submissions at 200 per second for 30 s, each timed
   from the moment it was due to be sent, so a server falling behind shows in the percentiles.

The survey rate limit is raised for the run (every virtual customer comes from 127.0.0.1).
Usage: .venv/bin/python bench/load.py [--rate 200] [--seconds 30] [--workers 3]  (recreates its database)
Needs `wrk` (apt-get install wrk) for part 1; stops by itself.
"""

import argparse
import http.client
import os
import queue
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.servers import ensure_database, start_gunicorn  # noqa: E402

DATABASE = "voz_bench_load"
ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "false",
    "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{DATABASE}",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/12",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "RATE_SURVEY_SUBMIT_PER_MINUTE": "1000000",
}
os.environ.update(ENV)
CSRF = "B" * 32  # a CSRF secret of our own: sent as the cookie and as the form field


# ---------------------------------------------------------------------------------------
# The shop: many invitations, since each can be answered once
# ---------------------------------------------------------------------------------------
def invitations(count: int) -> list[str]:
    from datetime import timedelta

    from django.utils import timezone

    from customers.models import Customer, Order
    from surveys.models import Invitation, Survey

    survey = Survey.objects.get(slug="post-purchase")
    stamp = int(time.time())
    now = timezone.now()
    customers = Customer.objects.bulk_create(
        [Customer(external_id=f"L{stamp}-{n}", email=f"load{n}@example.com") for n in range(count)], batch_size=2000
    )
    orders = Order.objects.bulk_create(
        [
            Order(external_id=f"L{stamp}-{n}", customer=c, placed_at=now - timedelta(days=5), total=30)
            for n, c in enumerate(customers)
        ],
        batch_size=2000,
    )
    made = Invitation.objects.bulk_create(
        [
            Invitation(
                survey=survey,
                customer=c,
                order=o,
                language="es",
                status=Invitation.Status.SENT,
                sent_at=now,
                expires_at=now + timedelta(days=30),
            )
            for c, o in zip(customers, orders, strict=True)
        ],
        batch_size=2000,
    )
    return [invitation.token for invitation in made]


def survey_form() -> str:
    """An answer a satisfied customer gives (no follow-up question is triggered)."""
    from surveys.models import Question

    fields = {"csrfmiddlewaretoken": CSRF, "website": ""}
    for question in Question.objects.filter(survey__slug="post-purchase", show_if_question__isnull=True):
        name = f"q_{question.code}"
        if question.scale is not None:
            fields[name] = question.scale[1] - (1 if question.kind == Question.Kind.NPS else 0)
        elif question.kind == Question.Kind.OPEN_TEXT:
            fields[name] = "Llegó a tiempo y bien embalado, aunque la talla es algo pequeña."
        elif question.is_required and question.has_choices:
            fields[name] = question.choices.first().value
    return urlencode(fields)


# ---------------------------------------------------------------------------------------
# Load generators
# ---------------------------------------------------------------------------------------
WRK_SUBMIT = """
local tokens = {}
for line in io.lines("%(tokens)s") do tokens[#tokens + 1] = line end
local counter = 0
local threads = %(threads)d
setup = function(thread) thread:set("id", counter); counter = counter + 1 end
init = function(args) n = id end
request = function()
  n = n + threads
  local token = tokens[(n %% #tokens) + 1]
  return wrk.format("POST", "/s/" .. token .. "/", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=%(csrf)s",
  }, "%(body)s")
end
"""


def wrk(port: int, path: str, seconds: int, script: str | None = None, headers: dict | None = None) -> dict:
    command = ["wrk", "-t2", "-c16", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    if script:
        command += ["-s", script]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))

    def percentile(label: str) -> float:
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", output).groups()
        return float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return {
        "rate": rate,
        "p50": percentile("50"),
        "p99": percentile("99"),
        "bad": int(non_2xx.group(1)) if non_2xx else 0,
    }


def open_loop(port: int, rate: float, seconds: float, tokens: list[str], body: str) -> dict:
    """Requests sent on a fixed schedule; latency counts from when each was due."""
    total = int(rate * seconds)
    due = queue.Queue()
    for index in range(total):
        due.put(index)
    start = time.perf_counter() + 0.5
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def sender() -> None:
        while True:
            try:
                index = due.get_nowait()
            except queue.Empty:
                return
            scheduled = start + index / rate
            pause = scheduled - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            connection.request(
                "POST",
                f"/s/{tokens[index]}/",
                body=body,
                headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": f"csrftoken={CSRF}"},
            )
            status = connection.getresponse().status
            connection.close()
            done = time.perf_counter()
            with lock:
                latencies.append(done - scheduled)
                statuses.append(status)

    threads = [threading.Thread(target=sender) for _ in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    latencies.sort()
    return {
        "sent": total,
        "achieved_rate": total / elapsed,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[int(0.99 * (len(latencies) - 1))] * 1000,
        "max": latencies[-1] * 1000,
        "redirected_to_thanks": sum(1 for s in statuses if s == 302),
        "errors": sum(1 for s in statuses if s != 302),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers (3 beat 5 on 2 cores)")
    args = parser.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk is needed for the throughput part: apt-get install wrk")

    ensure_database(DATABASE, fresh=True)  # every run starts from the same empty shop
    import django

    django.setup()
    from django.core.management import call_command

    from core.api_clients import api_client_create
    from tests.factories import FeedbackItemFactory

    call_command("migrate", verbosity=0)
    from bench.reference_app import reference_table_create

    reference_table_create()
    call_command("collectstatic", "--noinput", verbosity=0)  # production settings serve the manifest
    if not FeedbackItemFactory._meta.model.objects.exists():
        FeedbackItemFactory.create_batch(500, analysis_status="done", sentiment="positive")
    _, token = api_client_create(name="load", scopes=["feedback:read"])
    needed = int(args.rate * args.seconds) + 12_000
    print(f"Creating {needed:,} invitations …", flush=True)
    tokens = invitations(needed)
    body = survey_form()

    bare, bare_port = start_gunicorn("bench.bare_app:application", workers=args.workers, env=ENV)
    reference_env = {**ENV, "DJANGO_SETTINGS_MODULE": "bench.reference_settings"}
    reference, reference_port = start_gunicorn(
        "bench.reference_app:application", workers=args.workers, env=reference_env
    )
    voz, port = start_gunicorn("config.wsgi:application", workers=args.workers, env=ENV)
    results: dict[str, dict] = {}
    try:
        results["bare Django view"] = wrk(bare_port, "/", 15)
        results["survey page (GET)"] = wrk(port, f"/s/{tokens[0]}/", 15)
        with tempfile.TemporaryDirectory() as tmp:
            token_file = Path(tmp) / "tokens.txt"
            closed_loop_tokens = tokens[: needed - int(args.rate * args.seconds)]
            token_file.write_text("\n".join(closed_loop_tokens))
            script = Path(tmp) / "submit.lua"
            script.write_text(WRK_SUBMIT % {"tokens": token_file, "threads": 2, "csrf": CSRF, "body": body})
            results["one INSERT behind Voz's stack"] = wrk(reference_port, "/", 15, script=str(script))
            results["survey submission (POST)"] = wrk(port, "/", 15, script=str(script))
        # The submissions just grew the feed from 500 items to thousands; a live database's
        # autovacuum would have re-analysed it, and without fresh statistics the planner sorts the
        # whole table instead of reading the newest rows by index.
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        results["feedback feed API (GET)"] = wrk(
            port, "/api/v1/feedback/?page_size=50", 15, headers={"Authorization": f"Bearer {token}"}
        )
        fixed = open_loop(port, args.rate, args.seconds, tokens[needed - int(args.rate * args.seconds) :], body)
    finally:
        for server in (voz, reference, bare):
            server.terminate()
        for server in (voz, reference, bare):
            server.wait(timeout=30)

    bare_rate = results["bare Django view"]["rate"]
    reference_rate = results["one INSERT behind Voz's stack"]["rate"]
    print(f"\nThroughput, 16 connections, {args.workers} gunicorn workers, production settings:")
    print(f"{'':32} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs INSERT':>10} {'vs bare':>8} {'non-2xx/3xx':>12}")
    for name, row in results.items():
        print(
            f"{name:32} {row['rate']:8.0f} {row['p50']:8.1f} {row['p99']:8.1f} "
            f"{row['rate'] / reference_rate:10.2f} {row['rate'] / bare_rate:8.2f} {row['bad']:12d}"
        )
    print(
        f"\nSurvey submissions at a fixed {args.rate:.0f}/s for {args.seconds:.0f} s: {fixed['sent']:,} sent, "
        f"{fixed['achieved_rate']:.0f}/s achieved, p50 {fixed['p50']:.1f} ms, p99 {fixed['p99']:.1f} ms, "
        f"max {fixed['max']:.1f} ms, {fixed['errors']} errors"
    )
    ratio = results["survey submission (POST)"]["rate"] / reference_rate
    goal = fixed["p99"] <= 100 and fixed["errors"] == 0 and ratio >= 0.5
    print(
        f"Goal: p99 ≤ 100 ms at {args.rate:.0f}/s and ≥ 0.5 of the one-INSERT reference's throughput "
        f"→ {'met' if goal else 'NOT met'} (ratio {ratio:.2f}; "
        f"{results['survey submission (POST)']['rate'] / bare_rate:.2f} of the bare view)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
