"""How fast do reviews come in through the REST API?

Starts gunicorn on 127.0.0.1 (two workers, a PostgreSQL database of its own, Redis as the
broker so analysis is queued, not run in the request), then POSTs batches of 500 reviews to
/api/v1/reviews/bulk/ from two client threads — each batch half new reviews, half updates of
reviews sent before (new rating and wording) — and reports items/s. Beside it, in the same
run and database: a bare `Review.objects.bulk_create` of the same number of rows, the
reference the ratio is measured against.

Usage: .venv/bin/python bench/ingest.py [--batches 40] [--batch-size 500]
Touches only database `voz_bench_ingest` and Redis database 13; stops by itself.
"""

import argparse
import http.client
import json
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.servers import ensure_database, start_gunicorn  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/voz_bench_ingest")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")


def review(n: int, version: int) -> dict:
    lang = "es" if n % 3 else "en"
    body = {
        "es": [
            "Muy buena calidad, llegó en dos días.",
            "La talla es pequeña, tuve que devolverla.",
            "Precio justo y buen embalaje.",
        ],
        "en": ["Great quality, arrived in two days.", "Runs small, I had to return it.", "Fair price, well packed."],
    }[lang][(n + version) % 3]
    return {
        "source": "bench",
        "external_id": f"B-{n}",
        "rating": 1 + (n + version) % 5,
        "title": f"Review {n} v{version}",
        "body": body,
        "author_name": f"Customer {n % 997}",
        "author_email": f"customer{n % 997}@example.com",
        "language": lang,
    }


def post_batches(port: int, token: str, batches: list[list[dict]]) -> list[int]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    codes = []
    for items in batches:
        body = json.dumps({"items": items})
        connection.request(
            "POST",
            "/api/v1/reviews/bulk/",
            body=body,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        payload = json.loads(response.read())
        codes.append(response.status)
        if response.status != 200 or payload["errors"]:
            raise SystemExit(f"batch failed: {response.status} {str(payload)[:300]}")
    connection.close()
    return codes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"].rsplit("/", 1)[1])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from config.celery import app
    from core.api_clients import api_client_create
    from feedback.models import FeedbackItem
    from reviews.models import Review

    FeedbackItem.objects.all().delete()
    Review.objects.all().delete()
    _, token = api_client_create(name="bench", scopes=["feedback:write"])
    half = args.batch_size // 2
    total_new = args.batches * half

    # The batches: the i-th carries `half` new reviews and `half` updates of earlier ones.
    warm = [
        [review(n, 0) for n in range(start, start + args.batch_size)] for start in range(0, total_new, args.batch_size)
    ]
    timed = [
        [review(total_new + b * half + k, 0) for k in range(half)] + [review(b * half + k, 1) for k in range(half)]
        for b in range(args.batches)
    ]

    server, port = start_gunicorn(
        "config.wsgi:application",
        workers=2,
        env={**os.environ, "SECRET_KEY": "bench", "ALLOWED_HOSTS": "127.0.0.1"},
    )
    try:
        post_batches(port, token, warm)  # the reviews the timed batches update

        threads, started = [], time.perf_counter()
        for part in (timed[0::2], timed[1::2]):
            thread = threading.Thread(target=post_batches, args=(port, token, part))
            thread.start()
            threads.append(thread)
        for thread in threads:
            thread.join()
        api_seconds = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)

    sent = sum(len(batch) for batch in timed)
    stored = Review.objects.filter(source="bench").count()

    # Reference: the same number of rows written by a bare bulk_create in this database.
    rows = [
        Review(
            source="bench-ref",
            rating=item["rating"],
            title=item["title"],
            body=item["body"],
            external_id=item["external_id"],
            author_name=item["author_name"],
            language=item["language"],
        )
        for batch in timed
        for item in batch
    ]
    for k, row in enumerate(rows):
        row.external_id = f"ref-{k}"
    started = time.perf_counter()
    for start in range(0, len(rows), args.batch_size):
        Review.objects.bulk_create(rows[start : start + args.batch_size])
    bare_seconds = time.perf_counter() - started
    Review.objects.filter(source="bench-ref").delete()
    with app.connection_for_write() as connection:
        connection.default_channel.client.flushdb()  # the analysis tasks nobody consumed

    api_rate, bare_rate = sent / api_seconds, len(rows) / bare_seconds
    print(
        f"{sent} items in {args.batches} batches of {args.batch_size} (half new, half updates); "
        f"{stored} reviews stored, expected {total_new + args.batches * half}"
    )
    print(f"bare bulk_create            {bare_rate:10,.0f} rows/s   (reference, 1.00)")
    print(f"bulk review endpoint        {api_rate:10,.0f} items/s  ratio {api_rate / bare_rate:.3f}")
    print(f"goal: >= 5,000 items/s -> {'met' if api_rate >= 5000 else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
