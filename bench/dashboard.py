"""Do the dashboards stay fast as the shop grows?

Generates a big shop directly in PostgreSQL (default: 5,000,000 feedback items, 2,000,000 survey
answers, 200,000 cases, 1,000,000 orders over two years), builds the rollups once with
`rebuild_rollups --all` (timed), then times what each dashboard reads — from the rollups, and
the naive aggregation over the raw tables that the rollups replace — in the same run, on the
same data. Each figure is the median of --repeats runs (the naive ones of fewer, they are slow).

Usage: .venv/bin/python bench/dashboard.py [--scale 1.0] [--keep] [--repeats 5] [--naive-repeats 2]
  --scale 0.05  a 20× smaller shop, for a quick look
  --keep        reuse the data a previous run generated at the same scale
Touches only database `voz_bench_dashboard`; stops by itself.
"""

import argparse
import os
import statistics
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.servers import ensure_database  # noqa: E402

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/voz_bench_dashboard")

DAYS = 730
GENERATED_TABLES = (
    "customers_product",
    "customers_customer",
    "customers_order",
    "customers_orderitem",
    "surveys_invitation",
    "surveys_response",
    "surveys_answer",
    "reviews_review",
    "feedback_feedbackitem",
    "sentiment_feedbacktopic",
    "support_case",
)


@contextmanager
def step(label: str):
    started = time.perf_counter()
    print(f"  {label} …", end="", flush=True)
    yield
    print(f" {time.perf_counter() - started:.1f} s", flush=True)


def generate(scale: float) -> dict[str, int]:
    """The shop, written with INSERT … SELECT over generate_series. Each table's rows go in in time
    order, as a shop writes them: a day's rows share a few pages. Written in random order, each of a
    day's 6,850 feedback items sat on a page of its own, and refreshing one day read them one page
    at a time (2.8 s from a cold cache at 5 M items, 1.0 s warm)."""
    from django.db import connection

    sizes = {
        "customers": int(300_000 * scale),
        "orders": int(1_000_000 * scale),
        "responses": int(700_000 * scale),
        "reviews": int(500_000 * scale),
        "feedback": int(5_000_000 * scale),
        "cases": int(200_000 * scale),
    }
    with connection.cursor() as cur:
        cur.execute(
            "SELECT q.code, q.id FROM surveys_question q JOIN surveys_survey s ON s.id = q.survey_id "
            "WHERE s.slug = 'post-purchase'"
        )
        questions = dict(cur.fetchall())
        cur.execute("SELECT id FROM surveys_survey WHERE slug = 'post-purchase'")
        survey_id = cur.fetchone()[0]
        cur.execute("SELECT id FROM sentiment_topic ORDER BY id")
        topics = [row[0] for row in cur.fetchall()]
        cur.execute("SELECT count(*) FROM support_slapolicy")
        policies = cur.fetchone()[0]
        cur.execute("SELECT id FROM support_team ORDER BY id LIMIT 1")
        team = cur.fetchone()[0]
        cur.execute("SELECT setseed(0.42)")
        days = f"{DAYS}"
        statements = [
            (
                "products",
                """
                INSERT INTO customers_product (sku, name, category)
                SELECT 'P-' || lpad(g::text, 4, '0'), 'Product ' || g, 'Category ' || (g % 20)
                FROM generate_series(1, 400) g""",
            ),
            (
                "customers",
                f"""
                INSERT INTO customers_customer (external_id, email, name, preferred_language, created_at)
                SELECT 'C-' || g, 'c' || g || '@example.com', 'Customer ' || g,
                       CASE WHEN g % 3 = 0 THEN 'en' ELSE 'es' END, now() - interval '{days} days'
                FROM generate_series(1, {sizes["customers"]}) g""",
            ),
            (
                "orders",
                f"""
                INSERT INTO customers_order (external_id, customer_id, placed_at, delivered_at, total, currency,
                                             created_at, updated_at)
                SELECT 'O-' || g, (SELECT min(id) FROM customers_customer) + (hashint4(g) & 2147483647)
                                    % {sizes["customers"]},
                       t, t + interval '3 days', 10 + g % 190, 'EUR', t, t
                FROM (SELECT g, now() - random() * interval '{days} days' - interval '4 days' AS t
                      FROM generate_series(1, {sizes["orders"]}) g) s
                ORDER BY t""",
            ),
            (
                "order items",
                """
                INSERT INTO customers_orderitem (order_id, product_id, quantity, unit_price)
                SELECT o.id, p.first + (o.id * 7) % 400, 1, 20 FROM customers_order o,
                       (SELECT min(id) AS first FROM customers_product) p
                UNION ALL
                SELECT o.id, p.first + (o.id * 13 + 5) % 400, 1, 15 FROM customers_order o,
                       (SELECT min(id) AS first FROM customers_product) p
                WHERE o.id % 2 = 0 AND (o.id * 13 + 5) % 400 <> (o.id * 7) % 400""",
            ),
            (
                "invitations",
                f"""
                INSERT INTO surveys_invitation (public_id, language, status, created_at, expires_at, sent_at,
                    answered_at, send_attempts, last_error, customer_id, order_id, survey_id)
                SELECT gen_random_uuid(), CASE WHEN o.id % 3 = 0 THEN 'en' ELSE 'es' END, 'answered',
                       o.delivered_at, o.delivered_at + interval '30 days', o.delivered_at,
                       o.delivered_at + interval '1 day', 1, '', o.customer_id, o.id, {survey_id}
                FROM (SELECT * FROM customers_order ORDER BY hashint8(id) LIMIT {sizes["responses"]}) o
                ORDER BY o.delivered_at""",
            ),
            (
                "responses",
                """
                INSERT INTO surveys_response (submitted_at, language, user_agent, customer_id, invitation_id,
                                              order_id, survey_id)
                SELECT i.answered_at, i.language, '', i.customer_id, i.id, i.order_id, i.survey_id
                FROM surveys_invitation i ORDER BY i.answered_at""",
            ),
            (
                "answers",
                f"""
                INSERT INTO surveys_answer (number, text, choices, question_id, response_id)
                SELECT * FROM (
                SELECT LEAST(10, GREATEST(0, round(8 + 2.5 * (random() + random() - 1) * 2)))::int, '', '[]'::jsonb,
                       {questions["nps"]}, r.id FROM surveys_response r
                UNION ALL
                SELECT 1 + floor(random() * 5)::int, '', '[]'::jsonb, {questions["delivery_csat"]}, r.id
                FROM surveys_response r
                UNION ALL
                SELECT NULL, 'Comentario de prueba', '[]'::jsonb, {questions["comment"]}, r.id
                FROM surveys_response r WHERE r.id % 7 <> 0) a ORDER BY 5  -- the response""",
            ),
            (
                "reviews",
                f"""
                INSERT INTO reviews_review (source, external_id, rating, title, body, author_name, author_email,
                    language, is_verified_buyer, status, moderation_reason, author_key, text_fingerprint,
                    created_at, received_at, updated_at, product_id, customer_id, helpful_count)
                SELECT 'bench', 'R-' || g, 1 + (hashint4(g) & 2147483647) % 5, '', 'Una reseña', '', '',
                       CASE WHEN g % 3 = 0 THEN 'en' ELSE 'es' END, false,
                       CASE WHEN g % 20 = 0 THEN 'pending' ELSE 'published' END, '', '', '', t, t, t,
                       p.first + g % 400,
                       CASE WHEN g % 2 = 0 THEN (SELECT min(id) FROM customers_customer)
                                                + (hashint4(g + 7) & 2147483647) % {sizes["customers"]} END, 0
                FROM (SELECT g, now() - random() * interval '{days} days' AS t
                      FROM generate_series(1, {sizes["reviews"]}) g) s,
                     (SELECT min(id) AS first FROM customers_product) p
                ORDER BY t""",
            ),
            (
                "feedback: survey comments",
                """
                INSERT INTO feedback_feedbackitem (channel, text, language, received_at, analysis_status, created_at,
                    customer_id, order_id, survey_answer_id, model_version, sentiment, sentiment_gold,
                    taxonomy_version, analysed_at)
                SELECT 'survey', a.text, r.language, r.submitted_at, 'done', r.submitted_at, r.customer_id,
                       r.order_id, a.id, 'bench', (ARRAY['negative','neutral','positive'])[1 + a.id % 3], '',
                       'bench', r.submitted_at
                FROM surveys_answer a JOIN surveys_response r ON r.id = a.response_id WHERE a.text <> ''
                ORDER BY r.submitted_at""",
            ),
            (
                "feedback: reviews",
                """
                INSERT INTO feedback_feedbackitem (channel, text, language, received_at, analysis_status, created_at,
                    review_id, customer_id, model_version, sentiment, sentiment_gold, taxonomy_version, analysed_at)
                SELECT 'review', v.body, v.language, v.created_at, 'done', v.created_at, v.id, v.customer_id, 'bench',
                       CASE WHEN v.rating <= 2 THEN 'negative' WHEN v.rating = 3 THEN 'neutral' ELSE 'positive' END,
                       '', 'bench', v.created_at
                FROM reviews_review v ORDER BY v.created_at""",
            ),
            (
                "feedback: social mentions",
                f"""
                INSERT INTO feedback_feedbackitem (channel, text, language, received_at, analysis_status, created_at,
                    model_version, sentiment, sentiment_gold, taxonomy_version, analysed_at)
                SELECT 'social', 'Una mención', CASE WHEN g % 3 = 0 THEN 'en' ELSE 'es' END, t, 'done', t, 'bench',
                       (ARRAY['negative','neutral','positive','positive'])[1 + g % 4], '', 'bench', t
                FROM (SELECT g, now() - random() * interval '{days} days' AS t
                      FROM generate_series(1, GREATEST(0, {sizes["feedback"]}
                           - (SELECT count(*) FROM feedback_feedbackitem))) g) s
                ORDER BY t""",
            ),
            (
                "topic mentions",
                f"""
                INSERT INTO sentiment_feedbacktopic (feedback_id, topic_id, sentiment, score, matches)
                SELECT f.id, (ARRAY{topics})[1 + f.id % {len(topics)}], f.sentiment, 0, '[]'::jsonb
                FROM feedback_feedbackitem f WHERE f.id % 10 < 6
                UNION ALL
                SELECT f.id, (ARRAY{topics})[1 + (f.id + 3) % {len(topics)}],
                       (ARRAY['negative','neutral','positive'])[1 + f.id % 3], 0, '[]'::jsonb
                FROM feedback_feedbackitem f WHERE f.id % 10 < 2""",
            ),
            (
                "cases",
                f"""
                INSERT INTO support_case (subject, social_author, channels, priority, priority_factors,
                    is_priority_overridden, status, opened_at, first_response_at, last_response_at, resolved_at,
                    closed_at, followup_score, policy_id, team_id, customer_id)
                SELECT 'Case ' || g, '', (ARRAY['["survey"]','["review"]','["social"]','["review", "survey"]'])
                           [1 + g % 4]::jsonb,
                       p.priority, '[]'::jsonb, false,
                       CASE WHEN g % 10 = 0 THEN 'open' ELSE 'resolved' END, t,
                       CASE WHEN g % 20 = 0 THEN NULL ELSE t + random() * interval '30 hours' END,
                       CASE WHEN g % 20 = 0 THEN NULL ELSE t + random() * interval '30 hours' END,
                       CASE WHEN g % 10 = 0 THEN NULL ELSE t + interval '30 hours' + random() * interval '5 days' END,
                       NULL, CASE WHEN g % 4 = 0 THEN 1 + g % 5 END, p.id,
                       CASE WHEN g % 2 = 0 THEN {team} END,
                       CASE WHEN g % 3 <> 0 THEN (SELECT min(id) FROM customers_customer)
                                                 + (hashint4(g + 11) & 2147483647) % {sizes["customers"]} END
                FROM (SELECT g, now() - random() * interval '{days} days' AS t
                      FROM generate_series(1, {sizes["cases"]}) g) s
                JOIN (SELECT row_number() OVER (ORDER BY id) - 1 AS n, id,
                             COALESCE(priorities->>0, 'low') AS priority FROM support_slapolicy) p
                  ON p.n = g % {policies}
                ORDER BY t""",
            ),
        ]
        for label, sql in statements:
            with step(label):
                cur.execute(sql)
        with step("VACUUM ANALYZE"):
            # the tables written, by name: a database-wide VACUUM also takes the server's shared
            # catalogs, and waits for any other database's open ANALYZE on the same server
            cur.execute(f"VACUUM ANALYZE {', '.join(GENERATED_TABLES)}")
        cur.execute("SELECT count(*) FROM feedback_feedbackitem")
        sizes["feedback"] = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM surveys_answer")
        sizes["answers"] = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM sentiment_feedbacktopic")
        sizes["topic mentions"] = cur.fetchone()[0]
    return sizes


def timed(function, repeats: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        started = time.perf_counter()
        result = function()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def nightly_segments() -> None:
    """The nightly RFM run after a day of orders: who changed segment, and what the refresh that
    follows costs (movers count in their new segment from the run on: their past is not rewritten)."""
    from django.db import connection, transaction

    from analytics import rollups
    from core.models import ChangedDay
    from customers.segments import segments_refresh

    def rows_written() -> int:
        with connection.cursor() as cur:
            cur.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables")
            return cur.fetchone()[0]

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM customers_order")
        orders = cur.fetchone()[0]
        cur.execute(
            """INSERT INTO customers_order (external_id, customer_id, placed_at, delivered_at, total, currency,
                   created_at, updated_at)
               SELECT 'N-' || %s || '-' || g, (SELECT min(id) FROM customers_customer)
                          + (hashint4(g + %s) & 2147483647) %% (SELECT count(*) FROM customers_customer),
                      now() - random() * interval '1 day', NULL, 40, 'EUR', now(), now()
               FROM generate_series(1, %s) g""",
            [f"{time.time():.0f}", orders, max(1, orders // 730)],  # unique per run, also with --keep
        )
    started = time.perf_counter()
    run = segments_refresh()
    segments_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    with transaction.atomic():  # one transaction, to count the rows written in it
        written = rows_written()
        rollups.segment_changes_take()  # what the next refresh does first: find the movers' days
        days = ChangedDay.objects.filter(source="segments").values("day").distinct().count()
        rollups.refresh()
        written = rows_written() - written
    refresh_ms = (time.perf_counter() - started) * 1000
    print(
        f"Nightly RFM run after a day's {max(1, orders // 730):,} new orders: {run.changed:,} of {run.customers:,}"
        f" customers changed segment, {segments_ms:,.0f} ms; the refresh that follows ({days:,} days marked,"
        f" {written:,} rows written): {refresh_ms:,.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    # the naive queries take minutes each at 20 M items (--scale 4)
    parser.add_argument("--naive-repeats", type=int, default=2)
    args = parser.parse_args()

    ensure_database(os.environ["DATABASE_URL"].rsplit("/", 1)[1], fresh=not args.keep)
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from analytics import rollups, selectors
    from bench import naive
    from feedback.models import FeedbackItem

    call_command("migrate", verbosity=0)
    print(f"Shop at scale {args.scale}:")
    if not args.keep or not FeedbackItem.objects.exists():
        sizes = generate(args.scale)
        print("  " + ", ".join(f"{count:,} {name}" for name, count in sizes.items()))
        with step("rebuild_rollups --all"):
            call_command("rebuild_rollups", "--all", verbosity=0)
    else:
        print(f"  reusing {FeedbackItem.objects.count():,} feedback items")

    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT relname, n_live_tup FROM pg_stat_user_tables WHERE relname LIKE 'analytics_%%daily' ORDER BY 1"
        )
        print("  rollup rows: " + ", ".join(f"{name.removeprefix('analytics_')} {n:,}" for name, n in cur.fetchall()))

    today = timezone.localdate()
    window = selectors.Filters(start=today - timedelta(days=181), end=today, period="week")
    product = selectors.Filters(start=today - timedelta(days=181), end=today, period="week", product="P-0007")
    year = selectors.Filters(start=today - timedelta(days=364), end=today, period="month", language="es")
    segment = selectors.Filters(start=today - timedelta(days=181), end=today, period="week", segment="at_risk")

    def naive_summary(f):
        return (
            naive.nps_for_naive(f),
            naive.nps_for_naive(f.previous()),
            naive.csat_counts_naive(f),
            naive.csat_counts_naive(f.previous()),
        )

    def examples(f, shifts):
        return [selectors.topic_examples(f, row["slug"]) for row in shifts[:5]]

    views = [
        (
            "satisfaction (26 weeks)",
            lambda: (selectors.satisfaction_series(window), selectors.satisfaction_summary(window)),
            lambda: (naive.satisfaction_series_naive(window), naive_summary(window)),
        ),
        (
            "satisfaction, one product",
            lambda: (selectors.satisfaction_series(product), selectors.satisfaction_summary(product)),
            lambda: (naive.satisfaction_series_naive(product), naive_summary(product)),
        ),
        (
            "satisfaction, 12 months, es",
            lambda: (selectors.satisfaction_series(year), selectors.satisfaction_summary(year)),
            lambda: (naive.satisfaction_series_naive(year), naive_summary(year)),
        ),
        (
            "satisfaction, one RFM segment",
            lambda: (selectors.satisfaction_series(segment), selectors.satisfaction_summary(segment)),
            lambda: (naive.satisfaction_series_naive(segment), naive_summary(segment)),
        ),
        (
            "topics (26 weeks)",
            lambda: (
                selectors.topic_series(window),
                examples(window, selectors.topic_shifts(window)),
            ),
            lambda: (
                naive.topic_series_naive(window),
                examples(window, naive.topic_shifts_naive(window)),
            ),
        ),
        (
            "service levels (26 weeks)",
            lambda: selectors.service_levels(window),
            lambda: naive.service_levels_naive(window),
        ),
        (
            "service levels, one RFM segment",
            lambda: selectors.service_levels(segment),
            lambda: naive.service_levels_naive(segment),
        ),
        ("retention", lambda: selectors.retention(), lambda: naive.retention_naive()),
        (
            "retention, one RFM segment",
            lambda: selectors.retention(segment="at_risk"),
            lambda: naive.retention_naive(segment="at_risk"),
        ),
    ]
    # the snapshots are built by beat, not by the first reader
    rollups.retention_snapshot()
    rollups.retention_snapshot(segment="at_risk")
    print(f"\n{'view':32} {'rollups ms':>11} {'naive ms':>11} {'speed-up':>9}")
    for name, fast, slow in views:
        fast_ms, _ = timed(fast, args.repeats)
        naive_ms, _ = timed(slow, max(1, min(args.repeats, args.naive_repeats)))
        print(f"{name:32} {fast_ms:11.1f} {naive_ms:11.1f} {naive_ms / fast_ms:8.0f}×", flush=True)
    # What keeping the rollups current costs: one day's worth of every source recomputed, as the
    # beat task does each minute after the day's writes marked it.
    # First as the views above left the cache, then again, as beat finds a day whose rows were
    # just written.
    day = today - timedelta(days=1)
    refreshes = []
    for _ in range(2):
        for source in ("feedback", "answers", "reviews", "cases"):
            rollups.mark_dirty(source, [day])
        refreshes.append(timed(rollups.refresh, 1)[0])
    print(f"\nRefreshing one dirty day of every source: {refreshes[0]:.0f} ms, again {refreshes[1]:.0f} ms")
    nightly_segments()
    print("Goal: every view ≤ 300 ms from the rollups and ≥ 20× faster than the naive aggregation.")


if __name__ == "__main__":
    main()
