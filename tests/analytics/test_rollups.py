"""The dashboard rollups always give the numbers the naive aggregation over the raw tables gives."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from analytics import rollups, selectors
from analytics.models import FeedbackDaily
from bench import naive as oracle
from core.models import ChangedDay
from customers.models import Order
from demo.seed import seed_demo
from feedback.models import FeedbackItem
from reviews.models import Review
from support.models import Case

TODAY = date(2025, 3, 14)


def _rounded(value):
    if isinstance(value, float):
        return round(value, 6)
    if isinstance(value, dict):
        return {key: _rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_rounded(item) for item in value]
    return value


def assert_same_numbers(filters: selectors.Filters, now: datetime) -> None:
    fast, naive = (
        _rounded(selectors.satisfaction_series(filters)),
        _rounded(oracle.satisfaction_series_naive(filters)),
    )
    assert [row["period"] for row in fast] == [row["period"] for row in naive]
    for fast_row, naive_row in zip(fast, naive, strict=True):
        differing = {key for key in fast_row.keys() | naive_row.keys() if fast_row.get(key) != naive_row.get(key)}
        assert not differing, (filters, fast_row["period"], {k: (fast_row.get(k), naive_row.get(k)) for k in differing})
    assert _rounded(selectors.nps_for(filters)) == _rounded(oracle.nps_for_naive(filters))
    assert selectors.csat_counts(filters) == oracle.csat_counts_naive(filters)
    assert selectors.topic_series(filters) == oracle.topic_series_naive(filters)
    assert _rounded(selectors.topic_shifts(filters)) == _rounded(oracle.topic_shifts_naive(filters))
    assert _rounded(selectors.topic_ranking(filters)) == _rounded(oracle.topic_ranking_naive(filters))
    if filters.product or filters.category or filters.language:
        return
    fast, naive = selectors.service_levels(filters, now=now), oracle.service_levels_naive(filters, now=now)
    assert _rounded(fast["by"]) == _rounded(naive["by"])
    for target in ("first_response_hours", "resolution_hours"):
        for statistic in ("median", "p90"):
            # durations are read from 2 %-wide buckets
            expected = naive[target][statistic]
            assert fast[target][statistic] == (None if expected is None else pytest.approx(expected, rel=0.021))


def filter_sets(product: str, category: str, segment: str = "at_risk") -> list[selectors.Filters]:
    start, end = TODAY - timedelta(days=200), TODAY
    return [
        selectors.Filters(start=start, end=end, period="week", segment=segment),
        selectors.Filters(start=start, end=end, period="month", segment=segment, channel="review", language="es"),
        selectors.Filters(start=start, end=end, period="week"),
        selectors.Filters(start=start, end=end, period="month", language="es"),
        selectors.Filters(start=start, end=end, period="day", channel="review"),
        selectors.Filters(start=start, end=end, period="week", channel="social", language="en"),
        selectors.Filters(start=start, end=end, period="month", product=product),
        selectors.Filters(start=start, end=end, period="week", category=category),
        selectors.Filters(start=TODAY - timedelta(days=40), end=TODAY - timedelta(days=10), period="day"),
        selectors.Filters(start=start, end=end, period="week", topic="delivery", channel="survey"),
    ]


@pytest.fixture
def demo_shop(db):
    seed_demo(customers=40, orders=150, today=TODAY)
    return timezone.make_aware(datetime.combine(TODAY, time.min))


def busiest_product() -> tuple[str, str]:
    from django.db.models import Count

    from customers.models import Product

    product = Product.objects.annotate(n=Count("order_items")).order_by("-n", "sku").first()
    return product.sku, product.category


@pytest.mark.django_db(transaction=True)
def test_rollups_equal_the_naive_numbers_after_inserts_updates_and_reanalysis(demo_shop):
    from customers.services import CustomerData, OrderData, OrderItemData, order_upsert
    from reviews.services import ReviewData, review_moderate, reviews_upsert
    from sentiment.services import feedback_sentiment_correct
    from support import services as support
    from surveys.services import response_submit
    from tests.factories import InvitationFactory

    now = demo_shop
    sku, category = busiest_product()
    for filters in filter_sets(sku, category):
        assert_same_numbers(filters, now)

    # given: a month of ordinary life after the dashboards were last read
    when = now - timedelta(days=3, hours=5)
    invitation = InvitationFactory(language="en")
    order_upsert(
        data=OrderData(
            external_id=invitation.order.external_id,
            customer=CustomerData(external_id=invitation.customer.external_id, email=invitation.customer.email),
            placed_at=invitation.order.placed_at,
            total=Decimal("20"),
            items=[OrderItemData(sku=sku, name="x", category=category)],
        )
    )
    questions = {q.code: q.pk for q in invitation.survey.questions.all()}
    response_submit(
        invitation=invitation,
        answers={questions["nps"]: 2, questions["delivery_csat"]: 1, questions["comment"]: "Never arrived, awful."},
        language="en",
        now=when,
    )
    reviews_upsert(
        items=[
            ReviewData(
                source="own_site",
                external_id="rollup-new",
                rating=1,
                body="The package arrived broken and late.",
                author_email="new-reviewer@example.com",
                product_sku=sku,
                language="en",
                created_at=when,
            )
        ],
        now=when,
    )
    published = Review.objects.filter(status="published", product__isnull=False).order_by("pk")
    review_moderate(review=published.first(), status="rejected", reason="spam")
    reworded = published.last()
    reviews_upsert(
        items=[
            ReviewData(
                source=reworded.source,
                external_id=reworded.external_id,
                rating=reworded.rating,
                body="Ahora estoy muy enfadado: la devolución nunca llegó.",
                author_email=reworded.author_email,
                product_sku=reworded.product.sku,
                language="es",
                created_at=reworded.created_at,
            )
        ],
        now=when,
    )
    corrected = FeedbackItem.objects.filter(analysis_status="done", sentiment="negative").order_by("pk").first()
    feedback_sentiment_correct(item=corrected, label="positive", user=None)
    open_case = Case.objects.filter(status__in=Case.OPEN_STATUSES).order_by("pk").first()
    support.case_reply(case=open_case, text="We are on it.", author=None, now=now - timedelta(hours=2))
    support.case_set_status(case=open_case, status="resolved", now=now - timedelta(hours=1))
    relabelled_order = Order.objects.filter(feedback_items__isnull=False).order_by("pk").first()
    order_upsert(
        data=OrderData(
            external_id=relabelled_order.external_id,
            customer=CustomerData(
                external_id=relabelled_order.customer.external_id, email=relabelled_order.customer.email
            ),
            placed_at=relabelled_order.placed_at,
            total=relabelled_order.total,
            items=[OrderItemData(sku=sku, name="x", category=category)],
        )
    )
    assert ChangedDay.objects.exists()

    # then: every dashboard number, under every filter, is still what the raw tables say
    for filters in filter_sets(sku, category):
        assert_same_numbers(filters, now)
    assert not ChangedDay.objects.filter(source__in=["feedback", "answers", "reviews", "cases"]).exists()


@pytest.mark.django_db
def test_a_day_marked_again_during_a_refresh_stays_dirty():
    day = date(2026, 3, 3)
    rollups.mark_dirty(rollups.Source.FEEDBACK, [day])
    seen = ChangedDay.objects.get()

    def remark(source, first, last):  # a write lands while the refresh is recomputing that day
        rollups.mark_dirty(rollups.Source.FEEDBACK, [day])

    rollups.refresh(progress=remark)

    still = ChangedDay.objects.get()
    assert still.day == day and still.pk != seen.pk


@pytest.mark.django_db
def test_a_refresh_keeps_the_ranges_it_finished_when_a_later_one_fails(monkeypatch):
    rollups.mark_dirty(rollups.Source.FEEDBACK, [date(2026, 1, 5)])
    rollups.mark_dirty(rollups.Source.CASES, [date(2026, 1, 5)])

    def broken(first, last, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(rollups, "_rebuild_cases", broken)
    with pytest.raises(RuntimeError):
        rollups.refresh()

    assert list(ChangedDay.objects.values_list("source", flat=True)) == ["cases"]


@pytest.mark.django_db
def test_rebuild_command_recomputes_every_day_with_progress(capsys):
    from django.core.management import call_command

    from tests.factories import FeedbackItemFactory

    for days_ago in (0, 40, 80):
        FeedbackItemFactory(
            channel="social",
            language="es",
            sentiment="negative",
            analysis_status="done",
            received_at=timezone.now() - timedelta(days=days_ago),
        )
    FeedbackDaily.objects.all().delete()

    call_command("rebuild_rollups", "--all")

    assert sum(FeedbackDaily.objects.filter(scope="all").values_list("items", flat=True)) == 3
    out, err = capsys.readouterr()
    assert "Rollups refreshed (feedback: 3 days" in out
    # the progress bar, on stderr: days done of the days to do, as each range is recomputed
    assert "\n" not in err.rstrip("\n")  # redrawn in place, not a line per step
    frames = [frame.strip() for frame in err.split("\r") if frame.strip()]
    assert frames[0].startswith("0%") and "0/3" in frames[0]
    assert any("1/3" in frame for frame in frames) and any("2/3" in frame for frame in frames)
    assert frames[-1].startswith("100%") and "3/3" in frames[-1] and "day" in frames[-1]


@pytest.mark.django_db
def test_with_a_broker_reads_leave_refreshing_to_beat_unless_it_fell_behind(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    rollups.mark_dirty(rollups.Source.FEEDBACK, [date(2026, 3, 3)])

    rollups.ensure_fresh()
    assert ChangedDay.objects.count() == 1  # a read does not pay for a fresh change

    ChangedDay.objects.update(marked_at=timezone.now() - settings.ROLLUP_STALE_AFTER - timedelta(seconds=1))
    rollups.ensure_fresh()
    assert not ChangedDay.objects.exists()  # beat is not running: the read catches up


@pytest.mark.django_db
def test_a_dashboard_read_with_nothing_pending_asks_once_whether_anything_changed(django_assert_num_queries):
    from customers.segments import segments_refresh

    segments_refresh()
    rollups.refresh()  # takes the segment run's moves

    # the last segment run's time, then one question for the change log and the segment moves
    with django_assert_num_queries(2):
        rollups.ensure_fresh()


@pytest.mark.django_db
def test_a_dashboard_read_checks_for_changes_once_however_many_rollups_it_reads():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from core.changes import Source

    def change_checks(read) -> int:
        with CaptureQueriesContext(connection) as queries:
            read()
        return sum("core_changedday" in query["sql"] for query in queries.captured_queries)

    filters = selectors.Filters(start=TODAY - timedelta(days=60), end=TODAY, period="week")
    # the summary reads NPS and CSAT, this period and the one before: four rollup queries, one check
    assert change_checks(lambda: selectors.satisfaction_summary(filters)) == 1
    assert change_checks(lambda: selectors.satisfaction_series(filters)) == 1
    # a write between two reads is still seen by the second, which takes the change log
    rollups.mark_dirty(Source.FEEDBACK, [TODAY])
    selectors.satisfaction_series(filters)
    assert not ChangedDay.objects.exists()


def _segment_with_most_feedback() -> tuple[str, list[int]]:
    from django.db.models import Count

    from customers.models import CustomerRfm

    rows = (
        CustomerRfm.objects.filter(customer__feedback_items__analysis_status="done")
        .values("segment")
        .annotate(n=Count("customer__feedback_items"))
        .order_by("-n")
    )
    segment = rows[0]["segment"]
    return segment, list(CustomerRfm.objects.filter(segment=segment).values_list("customer_id", flat=True))


@pytest.mark.django_db(transaction=True)
def test_a_customer_who_moves_segment_counts_in_the_new_one_from_then_on_and_the_past_stays(demo_shop):
    from customers.models import CustomerRfm, SegmentChange, SegmentMembership
    from customers.segments import segments_refresh
    from customers.services import CustomerData, OrderData, OrderItemData, order_upsert

    now = demo_shop
    sku, category = busiest_product()
    segments_refresh()
    for segment in CustomerRfm.Segment.values:
        assert_same_numbers(selectors.Filters(start=TODAY - timedelta(days=200), end=TODAY, segment=segment), now)

    # given: a customer of the segment with most feedback becomes the shop's best customer
    segment, members = _segment_with_most_feedback()
    mover = (
        FeedbackItem.objects.filter(customer_id__in=members, analysis_status="done")
        .values_list("customer", flat=True)
        .first()
    )
    window = selectors.Filters(start=TODAY - timedelta(days=400), end=TODAY, segment=segment)
    said_before = selectors.satisfaction_summary(window)["feedback"]
    customer = CustomerRfm.objects.get(pk=mover).customer
    for n in range(12):
        order_upsert(
            data=OrderData(
                external_id=f"spree-{n}",
                customer=CustomerData(external_id=customer.external_id, email=customer.email),
                placed_at=now - timedelta(days=n),
                total=Decimal("900"),
                items=[OrderItemData(sku=sku, name="x", category=category)],
            )
        )
    run = segments_refresh()

    # then: the nightly run moved them from its own time on; no day of their past is recomputed
    assert CustomerRfm.objects.get(pk=mover).segment != segment
    assert SegmentChange.objects.filter(run=run, customer_id=mover).exists()
    spans = list(SegmentMembership.objects.filter(customer_id=mover).order_by("since").values("segment", "until"))
    assert [span["segment"] for span in spans] == [segment, CustomerRfm.objects.get(pk=mover).segment]
    assert spans[0]["until"] == run.computed_at and spans[1]["until"] is None
    assert rollups.segment_changes_take() == 0
    assert not SegmentChange.objects.exists()
    # what they said while in the old segment still counts there
    assert selectors.satisfaction_summary(window)["feedback"] == said_before
    for name in CustomerRfm.Segment.values:
        for filters in filter_sets(sku, category, segment=name)[:2]:
            assert_same_numbers(filters, now)


def _rows_written() -> int:
    """Rows inserted, updated or deleted so far in this transaction, in every table."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables")
        return cursor.fetchone()[0]


def _nightly_rows_for_a_mover_with(days_of_history: int) -> int:
    """Rows the nightly segment step (the run, then the refresh it causes) writes when one customer
    with a purchase and a comment on each of `days_of_history` days moves to another segment."""
    from customers.models import CustomerRfm
    from customers.segments import segments_refresh
    from tests.factories import CustomerFactory, FeedbackItemFactory

    # at noon, local time: a moment near midnight a day apart in UTC can fall on one local day (a
    # clock change between them), and the test would count a day short
    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)
    customer = CustomerFactory()
    for n in range(days_of_history):
        when = noon - timedelta(days=n + 1)
        Order.objects.create(
            external_id=f"{customer.external_id}-{n}", customer=customer, placed_at=when, total=Decimal("30")
        )
        FeedbackItemFactory(customer=customer, received_at=when, analysis_status="done", sentiment="negative")
    segments_refresh()
    rollups.mark_all_dirty()
    rollups.refresh()
    assert FeedbackDaily.objects.filter(scope="segment").count() >= days_of_history
    # the stored segment is not what the scores say: the next run moves the customer
    scored = CustomerRfm.objects.get(customer=customer)
    CustomerRfm.objects.filter(pk=scored.pk).update(
        segment=next(s for s in CustomerRfm.Segment.values if s != scored.segment)
    )

    before = _rows_written()
    run = segments_refresh()
    rollups.refresh()
    assert run.changed == 1
    return _rows_written() - before


@pytest.mark.django_db
def test_the_nightly_segment_step_writes_as_many_rows_for_three_days_of_history_as_for_three_hundred():
    from customers.models import Customer, SegmentRun

    short = _nightly_rows_for_a_mover_with(3)
    for model in (FeedbackItem, Order, Customer, SegmentRun, FeedbackDaily):
        model.objects.all().delete()
    long = _nightly_rows_for_a_mover_with(300)
    assert long == short
    # the customer's row, the spans closed and opened, the run and its change, taken and deleted
    assert short <= 10


def assert_same_context_numbers(filters: selectors.Filters) -> None:
    for dimension in selectors.CONTEXT_DIMENSIONS:
        fast = selectors.feedback_by_context(filters, dimension)
        naive = oracle.feedback_by_context_naive(filters, dimension)
        assert _rounded(fast) == _rounded(naive), (filters, dimension)
    assert selectors.topic_series(filters) == oracle.topic_series_naive(filters)
    assert _rounded(selectors.topic_shifts(filters)) == _rounded(oracle.topic_shifts_naive(filters))


@pytest.mark.django_db(transaction=True)
def test_feedback_by_source_country_and_device_equals_the_raw_rows(demo_shop):
    from onsite.models import Site
    from onsite.services import WebFeedbackData, web_feedback_submit

    start, end = TODAY - timedelta(days=200), TODAY
    countries = set(FeedbackItem.objects.exclude(country="").values_list("country", flat=True))
    sources = set(FeedbackItem.objects.exclude(source="").values_list("source", flat=True))
    assert len(countries) >= 2 and "email" in sources and len(sources) >= 3
    filter_sets = [
        selectors.Filters(start=start, end=end, period="week"),
        selectors.Filters(start=start, end=end, period="month", country=sorted(countries)[0], language="es"),
        selectors.Filters(start=start, end=end, period="week", source="email", channel="survey"),
        selectors.Filters(start=start, end=end, period="day", device="mobile"),
    ]
    for filters in filter_sets:
        assert_same_context_numbers(filters)
    report = selectors.feedback_by_context(filter_sets[0], "country")
    assert (
        sum(row["items"] for row in report["values"])
        == FeedbackItem.objects.filter(
            analysis_status="done",
            received_at__gte=filter_sets[0].bounds[0],
            received_at__lt=filter_sets[0].bounds[1],
            brand__isnull=True,  # the demo's rivals count only on the comparison page
        ).count()
    )

    # a visitor's comment from a Mexican phone, arriving from a newsletter, moves the rollups
    site = Site.objects.create(name="Tienda", domains="tienda.example.com")
    web_feedback_submit(
        site=site,
        data=WebFeedbackData(
            rating=1,
            comment="La web no me deja pagar con tarjeta, es horrible.",
            email="",
            page_url="https://tienda.example.com/checkout?utm_source=newsletter",
            referrer="",
            browser_language="es-MX",
            language="es",
            country="MX",
        ),
        user_agent="Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148",
    )
    FeedbackItem.objects.filter(channel="web").update(received_at=timezone.make_aware(datetime.combine(TODAY, time(9))))
    rollups.mark_dirty(rollups.Source.FEEDBACK, [TODAY])
    newsletter = selectors.Filters(start=start, end=end, period="week", source="newsletter")
    mexico = selectors.Filters(start=start, end=end, period="week", country="MX")
    for filters in (*filter_sets, newsletter, mexico):
        assert_same_context_numbers(filters)
    by_source = {row["value"]: row for row in selectors.feedback_by_context(filter_sets[0], "source")["values"]}
    assert by_source["newsletter"]["items"] == 1 and by_source["newsletter"]["negative"] == 1
    assert selectors.topic_series(mexico)["topics"]  # what the Mexican visitor complained about, by topic


@pytest.mark.django_db
def test_a_rebuild_renews_the_planners_statistics_of_the_rollups_and_a_minutes_refresh_does_not():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import FeedbackItemFactory

    def analyzed(work) -> list[str]:
        with CaptureQueriesContext(connection) as queries:
            work()
        return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("ANALYZE")]

    noon = timezone.localtime().replace(hour=12, minute=0, second=0, microsecond=0)  # one item a local day
    customer = FeedbackItemFactory(analysis_status="done", sentiment="negative", received_at=noon).customer
    for n in range(1, rollups.ANALYZE_AFTER_DAYS):
        FeedbackItemFactory(
            customer=customer,
            analysis_status="done",
            sentiment="negative",
            received_at=noon - timedelta(days=n),
        )
    rollups.mark_all_dirty()

    statements = analyzed(rollups.refresh)

    # the planner knows the rollups are no longer empty (it would pick nested loops over them otherwise)
    assert len(statements) == 1 and FeedbackDaily._meta.db_table in statements[0]
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [FeedbackDaily._meta.db_table])
        assert cursor.fetchone()[0] >= rollups.ANALYZE_AFTER_DAYS
    # one changed day, as beat refreshes each minute: no statistics to renew
    rollups.mark_dirty(rollups.Source.FEEDBACK, [timezone.localdate()])
    assert analyzed(rollups.refresh) == []


@pytest.mark.django_db
def test_a_comment_on_an_order_with_an_uncategorised_product_counts_in_the_other_products_category():
    from tests.factories import FeedbackItemFactory, OrderItemFactory, ProductFactory

    # given: a complaint about an order of a lamp (Hogar) and a gift card, which has no category
    lamp = OrderItemFactory(product=ProductFactory(category="Hogar"))
    OrderItemFactory(order=lamp.order, product=ProductFactory(category=""))
    received_at = timezone.now() - timedelta(days=2)
    FeedbackItemFactory(
        order=lamp.order,
        customer=lamp.order.customer,
        sentiment="negative",
        analysis_status="done",
        received_at=received_at,
    )
    rollups.mark_dirty(rollups.Source.FEEDBACK, [received_at])

    # when
    rollups.refresh()

    # then: the Hogar dashboard counts it, as the raw rows do
    today = timezone.localdate()
    hogar = selectors.Filters(start=today - timedelta(days=30), end=today, period="week", category="Hogar")
    assert selectors.satisfaction_series(hogar) == oracle.satisfaction_series_naive(hogar)
    assert sum(FeedbackDaily.objects.filter(scope="category", key="Hogar").values_list("items", flat=True)) == 1
