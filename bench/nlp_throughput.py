"""How fast does Voz understand feedback, end to end, on one core?

Builds >= 20,000 realistic Spanish and English comments (the demo shop's hand-written
sentences, combined 1-3 at a time with mixed opinions), stores them as pending feedback in
a PostgreSQL database of its own, then starts a real Celery worker (one process, solo pool,
queue `nlp`) on Redis and hands it the batches exactly as the web side does. Reported:

- items/s of that Celery batch path, including the PostgreSQL writes;
- items/s of the bare spaCy tokenizer (`spacy.blank`) on the same texts, in the same run —
  the reference the ratio is measured against;
- the worker's peak RSS (VmHWM) with both language pipelines loaded.

Usage: .venv/bin/python bench/nlp_throughput.py [--items 20000] [--batch-size 200]
Needs PostgreSQL and Redis on 127.0.0.1 (as in the tests); touches only database `voz_bench`
and Redis database 13. Stops by itself.
"""

import argparse
import os
import random
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.servers import ensure_database  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/voz_bench")
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/13")
# This bench measures the fast tier (the accurate one has bench/nlp_accurate.py).
os.environ.setdefault("VOZ_NLP_TIER", "fast")


def realistic_texts(count: int, seed: int = 7) -> list[tuple[str, str]]:
    from sentiment.ml.shop_comments import COMMENTS, MIXED

    rng = random.Random(seed)
    keys = sorted(COMMENTS)
    mixed = list(MIXED)
    texts = []
    for _ in range(count):
        language = rng.choice(("es", "es", "en"))  # Spanish-speaking shops first
        if rng.random() < 0.15:
            pool = [m.text for m in mixed if m.language == language]
            texts.append((language, rng.choice(pool)))
            continue
        parts = []
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            key = rng.choice([k for k in keys if k[0] == language])
            parts.append(rng.choice(COMMENTS[key]))
        texts.append((language, " ".join(parts)))
    return texts


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=200)
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"].rsplit("/", 1)[1])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    import spacy

    from feedback.models import FeedbackItem
    from sentiment.services import chunked
    from sentiment.tasks import analyse_feedback

    texts = realistic_texts(args.items)
    print(f"{len(texts)} texts, {sum(len(t) for _, t in texts) / len(texts):.0f} characters on average")

    # Reference: the bare tokenizer of a blank spaCy pipeline on the same texts.
    tokenizers = {lang: spacy.blank(lang).tokenizer for lang in ("es", "en")}
    started = time.perf_counter()
    for language, text in texts:
        tokenizers[language](text)
    tokenizer_rate = len(texts) / (time.perf_counter() - started)

    ids = items_store(texts)
    worker = nlp_worker_start()
    try:
        rest = nlp_worker_warm(ids, args.batch_size)
        started = time.perf_counter()
        for batch in chunked(rest, args.batch_size):
            analyse_feedback.delay(batch)
        last = rest[-1]
        wait_until(lambda: FeedbackItem.objects.filter(pk=last, analysis_status="done").exists(), timeout=900)
        wait_until(lambda: not FeedbackItem.objects.filter(analysis_status="pending").exists(), timeout=60)
        elapsed = time.perf_counter() - started
        rss = peak_rss_mb(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    done = FeedbackItem.objects.filter(analysis_status="done").count()
    celery_rate = len(rest) / elapsed
    print(
        f"analysed: {done}/{len(ids)} items (failed: {FeedbackItem.objects.filter(analysis_status='failed').count()})"
    )
    print(f"bare spaCy tokenizer        {tokenizer_rate:10,.0f} texts/s   (reference, 1.00)")
    print(f"Celery batch path + writes  {celery_rate:10,.0f} items/s   ratio {celery_rate / tokenizer_rate:.3f}")
    print(f"worker peak RSS             {rss:10,.0f} MB")
    print(
        f"goal: >= 1,000 items/s per core end to end -> {'met' if celery_rate >= 1000 else 'NOT met'}; "
        f"<= 600 MB RSS -> {'met' if rss <= 600 else 'NOT met'}"
    )
    return 0


def items_store(texts: list[tuple[str, str]]) -> list[int]:
    """Pending feedback items for `texts` (the only ones in the database), with an empty queue."""
    from config.celery import app
    from feedback.models import FeedbackItem

    FeedbackItem.objects.all().delete()
    ids = [
        item.pk
        for item in FeedbackItem.objects.bulk_create(
            [FeedbackItem(channel="survey", text=text, language=language) for language, text in texts],
            batch_size=2000,
        )
    ]
    with app.connection_for_write() as connection:
        connection.default_channel.client.flushdb()
    return ids


def nlp_worker_start() -> subprocess.Popen:
    """One Celery worker process on the nlp queue, one task at a time, as a deployment runs it."""
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", "nlp", "--pool", "solo"]
        + ["--loglevel", "WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"],
        cwd=ROOT,
        env={**os.environ, "CELERY_WORKER_CONCURRENCY": "1"},
    )


def nlp_worker_warm(ids: list[int], batch_size: int) -> list[int]:
    """Analyse the first batch (the worker loads its model and pipelines then); the ids left to time."""
    from feedback.models import FeedbackItem
    from sentiment.tasks import analyse_feedback

    warm = ids[:batch_size]
    analyse_feedback.delay(warm)
    wait_until(lambda: FeedbackItem.objects.filter(pk__in=warm, analysis_status="done").count() == len(warm))
    return ids[batch_size:]


def wait_until(condition, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out waiting for the worker")
        time.sleep(0.2)


if __name__ == "__main__":
    raise SystemExit(main())
