"""Satisfaction metrics and the satisfaction dashboard (first part of the dashboards work)."""

import json
import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission

from analytics import metrics, rollups, selectors
from customers import segments
from surveys.models import Response
from tests.factories import InvitationFactory

MADRID = ZoneInfo("Europe/Madrid")


def test_wilson_interval_by_hand():
    low, high = metrics.wilson_interval(8, 10)
    assert math.isclose(low, 49.02, abs_tol=0.05) and math.isclose(high, 94.33, abs_tol=0.05)
    assert metrics.wilson_interval(0, 0) is None


def answered(nps: int, csat: int, when: datetime) -> None:
    from surveys.services import response_submit

    invitation = InvitationFactory(language="es")
    questions = {q.code: q.pk for q in invitation.survey.questions.all()}
    response_submit(
        invitation=invitation,
        answers={questions["nps"]: nps, questions["delivery_csat"]: csat},
        language="es",
        now=when,
    )


@pytest.mark.django_db
def test_weeks_are_cut_at_midnight_in_the_shops_time_zone():
    # Sunday 23:30 in Madrid is Sunday 22:30 UTC: it belongs to the week that started on Monday the 2nd.
    answered(10, 5, datetime(2026, 3, 8, 23, 30, tzinfo=MADRID))
    answered(2, 1, datetime(2026, 3, 9, 0, 30, tzinfo=MADRID))  # Monday: the next week
    filters = selectors.Filters(start=date(2026, 3, 1), end=date(2026, 3, 15), period="week")

    series = selectors.satisfaction_series(filters)

    assert [row["period"].astimezone(MADRID).date() for row in series] == [date(2026, 3, 2), date(2026, 3, 9)]
    assert [row["nps"] for row in series] == [100, -100]
    assert [row["csat"] for row in series] == [100, 0]
    assert Response.objects.count() == 2


@pytest.mark.django_db
def test_the_dashboard_is_for_managers_only(client, django_user_model):
    answered(9, 4, datetime(2026, 3, 3, 12, 0, tzinfo=MADRID))
    agent = django_user_model.objects.create_user(username="agent", password="x", is_staff=True)
    manager = django_user_model.objects.create_user(username="boss", password="x", is_staff=True)
    manager.user_permissions.add(Permission.objects.get(codename="view_dashboards"))

    client.force_login(agent)
    assert client.get("/dashboards/satisfaction/").status_code == 403
    client.force_login(manager)
    page = client.get("/dashboards/satisfaction/", {"start": "2026-03-01", "end": "2026-03-31", "period": "month"})

    assert page.status_code == 200
    rows = json.loads(page.content.decode().split('id="chart-rows" type="application/json">')[1].split("</script>")[0])
    assert rows[0]["nps"] == 100 and rows[0]["nps_respondents"] == 1
    assert "vendor/chart.umd.min.js" in page.content.decode()
    assert client.get("/dashboards/satisfaction/", {"start": "2026-04-01", "end": "2026-03-01"}).status_code == 400


def mention_topic(
    slug: str, sentiment: str, when: datetime, text: str = "La entrega tardó muchísimo", matches=("entrega",)
):
    from feedback.models import FeedbackItem
    from sentiment.models import FeedbackTopic, Topic

    item = FeedbackItem.objects.create(
        channel="survey", text=text, language="es", received_at=when, analysis_status="done", sentiment=sentiment
    )
    FeedbackTopic.objects.create(
        feedback=item, topic=Topic.objects.get(slug=slug), sentiment=sentiment, score=-0.8, matches=list(matches)
    )
    # Stands in for the analysis service's write, which marks the day for the rollups.
    rollups.mark_dirty(rollups.Source.FEEDBACK, [when])


@pytest.mark.django_db
def test_topics_rank_the_rise_in_negative_share_and_show_examples_with_the_matched_words(client, manager):
    for day in range(1, 11):  # previous 30 days: 1 in 10 delivery mentions negative
        mention_topic("delivery", "negative" if day == 1 else "positive", datetime(2026, 2, day, 12, tzinfo=MADRID))
    for day in range(1, 11):  # this window: 8 in 10
        mention_topic("delivery", "negative" if day <= 8 else "positive", datetime(2026, 3, day, 12, tzinfo=MADRID))
    mention_topic("price", "negative", datetime(2026, 3, 5, 12, tzinfo=MADRID), text="Carísimo", matches=("Carísimo",))

    shifts = selectors.topic_shifts(selectors.Filters(start=date(2026, 3, 1), end=date(2026, 3, 30), period="week"))
    page = client.get("/dashboards/topics/", {"start": "2026-03-01", "end": "2026-03-30"}).content.decode()

    assert shifts[0]["slug"] == "delivery" and shifts[0]["rise"] == 70 and shifts[0]["is_significant"]
    assert "<mark>entrega</mark>" in page and "topic-chart" in page
    assert '"name": "Entrega"' in page  # chart legends name topics in the staff's language


@pytest.mark.django_db
def test_service_levels_count_targets_met_and_the_times(client, manager):
    from support import services
    from tests.factories import FeedbackItemFactory

    opened = datetime(2026, 3, 2, 9, 0, tzinfo=MADRID)  # Monday 09:00
    for minutes in (30, 600):  # one answered within the hour, one the next day
        item = FeedbackItemFactory(
            sentiment="negative", sentiment_score=-0.95, sentiment_confidence=0.95, analysis_status="done"
        )
        (case,) = services.cases_open_for_feedback(ids=[item.pk], now=opened)
        services.case_reply(case=case, text="Hola", author=None, now=opened + timedelta(minutes=minutes))

    levels = selectors.service_levels(
        selectors.Filters(start=date(2026, 3, 1), end=date(2026, 3, 31), period="month"),
        now=datetime(2026, 3, 20, tzinfo=MADRID),
    )
    page = client.get("/dashboards/service/", {"start": "2026-03-01", "end": "2026-03-31", "period": "month"})

    march = levels["by"]["period"][date(2026, 3, 1)]
    assert march["cases"] == 2 and march["first_response_decided"] == 2
    # in business hours, the unit of the targets: the reply at 19:00 came after 8 working hours
    # (09–14 and 15–18), not 10; (0.5 h + 8 h) / 2, read from 2 %-wide duration buckets
    assert levels["first_response_hours"]["median"] == pytest.approx(4.25, rel=0.02)
    assert levels["backlog"] == 2
    assert list(levels["by"]["channel"]) == ["Encuesta"]  # channels by name, in the staff's language
    assert page.status_code == 200 and "service-chart" in page.content.decode()
    assert 'h</p><p class="muted">horario laboral · mediana · p90' in page.content.decode()


@pytest.mark.django_db
def test_an_upgrade_recomputes_the_service_rollups_in_business_hours():
    import importlib

    from django.apps import apps

    from core.models import ChangedDay
    from support import services
    from tests.factories import FeedbackItemFactory

    item = FeedbackItemFactory(sentiment="negative", sentiment_score=-0.95, sentiment_confidence=0.95)
    services.cases_open_for_feedback(ids=[item.pk], now=datetime(2026, 3, 2, 23, 30, tzinfo=MADRID))
    ChangedDay.objects.all().delete()  # as if the rollups were up to date, in wall-clock hours
    upgrade = importlib.import_module("analytics.migrations.0010_case_rollups_in_business_hours")

    upgrade.mark_case_days(apps, None)

    assert list(ChangedDay.objects.values_list("source", "day")) == [("cases", date(2026, 3, 2))]


@pytest.mark.django_db
def test_metrics_api_serves_the_same_numbers_with_scoped_tokens(api_token_for):
    from rest_framework.test import APIClient

    answered(10, 5, datetime(2026, 3, 3, 12, 0, tzinfo=MADRID))
    answered(3, 2, datetime(2026, 3, 4, 12, 0, tzinfo=MADRID))
    reader, other = APIClient(), APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('metrics:read')}")
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('feedback:read')}")
    params = {"start": "2026-03-01", "end": "2026-03-31", "period": "month"}

    body = reader.get("/api/v1/metrics/satisfaction/", params).json()

    assert body["summary"]["nps"] == 0 and body["summary"]["nps_respondents"] == 2
    assert body["series"][0]["csat"] == 50
    assert other.get("/api/v1/metrics/satisfaction/", params).status_code == 403
    assert reader.get("/api/v1/metrics/service/", params).status_code == 200
    assert reader.get("/api/v1/metrics/topics/", params).status_code == 200
    topics = reader.get("/api/v1/metrics/topics/", params).json()
    assert topics["series"]["periods"] == [] and topics["topics"] == []
    bad = reader.get("/api/v1/metrics/satisfaction/", {"start": "2026-04-01", "end": "2026-03-01"})
    assert bad.status_code == 400 and bad.json()["type"] == "validation_error"


@pytest.mark.django_db
def test_retention_rate_and_cohorts_by_hand(client, manager):
    from customers.models import Order
    from tests.factories import CustomerFactory, OrderFactory

    def bought(customer, year, month):
        OrderFactory(customer=customer, placed_at=datetime(year, month, 15, 12, tzinfo=MADRID))

    ana, ben, eva = CustomerFactory(), CustomerFactory(), CustomerFactory()
    bought(ana, 2026, 1)
    bought(ana, 2026, 2)  # Ana comes back in February
    bought(ben, 2026, 1)  # Ben never returns
    bought(eva, 2026, 2)  # Eva is new in February

    data = selectors.retention(months=2, now=datetime(2026, 2, 20, tzinfo=MADRID))

    february = data["rates"][-1]
    assert (february["base"], february["returning"], february["rate"]) == (2, 1, 50.0)
    january = next(row for row in data["cohorts"] if row["cohort"] == date(2026, 1, 1))
    assert january["customers"] == 2 and january["cells"] == [50.0]
    assert Order.objects.count() == 4
    assert client.get("/dashboards/retention/").status_code == 200


@pytest.mark.django_db
def test_rfm_scores_by_quintile_and_segments():
    from tests.factories import CustomerFactory, OrderFactory

    now = datetime(2026, 6, 1, tzinfo=MADRID)
    customers = [CustomerFactory() for _ in range(5)]
    # customer i last bought i*30 days ago, i+1 times, spending (i+1)*100 in total
    for index, customer in enumerate(customers):
        for n in range(index + 1):
            OrderFactory(customer=customer, placed_at=now - timedelta(days=index * 30 + n), total=100)

    scores = segments.rfm_scores(now=now)

    assert [scores[c.pk]["r"] for c in customers] == [5, 4, 3, 2, 1]
    assert [scores[c.pk]["f"] for c in customers] == [1, 2, 3, 4, 5]
    assert [scores[c.pk]["segment"] for c in customers] == ["new", "new", "loyal", "at_risk", "at_risk"]
    assert segments.rfm_segment(5, 5) == "champions" and segments.rfm_segment(1, 1) == "hibernating"


@pytest.mark.django_db
def test_dashboard_tables_export_as_csv(client, manager):
    answered(10, 5, datetime(2026, 3, 3, 12, 0, tzinfo=MADRID))

    response = client.get(
        "/dashboards/satisfaction/", {"start": "2026-03-01", "end": "2026-03-31", "period": "month", "export": "csv"}
    )
    topics = client.get("/dashboards/topics/", {"start": "2026-03-01", "end": "2026-03-31", "export": "csv"})

    lines = response.content.decode("utf-8-sig").splitlines()
    assert response["Content-Type"].startswith("text/csv")
    assert lines[0].startswith("period,nps,nps_low") and lines[1].startswith("2026-03-01,100.0")
    assert topics.content.decode("utf-8-sig").startswith("topic,mentions")
    service = client.get("/dashboards/service/", {"start": "2026-03-01", "end": "2026-03-31", "export": "csv"})
    cohorts = client.get("/dashboards/retention/", {"export": "csv"})
    assert service.content.decode("utf-8-sig").startswith("group,value,cases")
    assert cohorts.content.decode("utf-8-sig").startswith("first_purchase,customers")


@pytest.mark.django_db
def test_lapsed_customers_are_asked_once_and_their_reasons_are_grouped(client, manager):
    from surveys.models import Invitation, Survey
    from surveys.services import lapsed_customers_invite, response_submit
    from tests.factories import CustomerFactory, OrderFactory

    now = datetime(2026, 6, 1, 12, tzinfo=MADRID)
    gone = [CustomerFactory() for _ in range(3)]
    for customer in gone:
        OrderFactory(customer=customer, placed_at=now - timedelta(days=200))
    OrderFactory(customer=CustomerFactory(), placed_at=now - timedelta(days=20))  # still buying

    assert lapsed_customers_invite(now=now) == 3
    assert lapsed_customers_invite(now=now) == 0
    survey = Survey.objects.get(slug="lapsed-customers")
    question = survey.questions.get(code="defection_reason")
    for invitation, reason in zip(
        Invitation.objects.filter(survey=survey), ("price", "moved_away", "poor_service"), strict=True
    ):
        response_submit(invitation=invitation, answers={question.pk: reason}, language="es", now=now)

    reasons = selectors.defection_reasons()

    assert reasons["answers"] == 3 and reasons["totals"]["price"] == 1
    assert reasons["controllable_share"] == pytest.approx(66.67, abs=0.01)
    assert "chart-defection" in client.get("/dashboards/retention/").content.decode()


@pytest.mark.django_db
def test_satisfaction_can_be_narrowed_to_one_product():
    from tests.factories import OrderItemFactory, ProductFactory

    mug, plate = ProductFactory(sku="TAZA-01"), ProductFactory(sku="PLATO-01")
    for score, product in ((10, mug), (2, plate)):
        invitation = InvitationFactory(language="es")
        OrderItemFactory(order=invitation.order, product=product)
        questions = {q.code: q.pk for q in invitation.survey.questions.all()}
        from surveys.services import response_submit

        response_submit(
            invitation=invitation,
            answers={questions["nps"]: score, questions["delivery_csat"]: 3},
            language="es",
            now=datetime(2026, 3, 3, 12, tzinfo=MADRID),
        )
    base = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}

    assert selectors.nps_for(selectors.Filters(**base)).score == 0
    assert selectors.nps_for(selectors.Filters(**base, product="TAZA-01")).score == 100
    assert selectors.nps_for(selectors.Filters(**base, product="PLATO-01")).score == -100


@pytest.mark.django_db
def test_satisfaction_can_be_narrowed_to_what_comments_were_about(manager, client, django_capture_on_commit_callbacks):
    from surveys.services import response_submit

    when = datetime(2026, 3, 3, 12, tzinfo=MADRID)
    for score, comment in ((2, "La entrega llegó tarde y el paquete abierto."), (10, "El precio es muy bueno.")):
        invitation = InvitationFactory(language="es")
        questions = {q.code: q.pk for q in invitation.survey.questions.all()}
        with django_capture_on_commit_callbacks(execute=True):  # the comment is analysed on commit
            response_submit(
                invitation=invitation,
                answers={questions["nps"]: score, questions["delivery_csat"]: 3, questions["comment"]: comment},
                language="es",
                now=when,
            )
    base = {"start": date(2026, 3, 1), "end": date(2026, 3, 31)}

    assert selectors.nps_for(selectors.Filters(**base)).score == 0
    assert selectors.nps_for(selectors.Filters(**base, topic="delivery")).score == -100
    assert selectors.nps_for(selectors.Filters(**base, topic="price")).score == 100
    shifts = selectors.topic_shifts(selectors.Filters(**base, topic="price"))
    assert [row["slug"] for row in shifts] == ["price"]
    page = client.get("/dashboards/satisfaction/", {"start": "2026-03-01", "end": "2026-03-31", "topic": "delivery"})
    assert page.status_code == 200 and 'value="delivery" selected' in page.content.decode()


@pytest.mark.django_db
def test_the_filter_form_shows_the_window_and_grouping_the_numbers_are_for(manager, client):
    page = client.get("/dashboards/satisfaction/").content.decode()

    assert f'value="{(date.today() - timedelta(days=181)).isoformat()}"' in page
    assert '<option value="week" selected>' in page


@pytest.mark.django_db
def test_a_filtered_form_still_shows_the_defaults_it_left_empty(manager, client):
    page = client.get("/dashboards/satisfaction/", {"topic": "delivery", "end": "2026-03-31"}).content.decode()

    assert 'value="2025-10-01"' in page and 'value="2026-03-31"' in page  # 26 weeks up to the chosen end
    assert '<option value="week" selected>' in page


@pytest.mark.django_db
def test_the_retention_numbers_are_served_over_the_api(api_token_for):
    from django.utils import timezone
    from rest_framework.test import APIClient

    from tests.factories import CustomerFactory, OrderFactory

    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    ana = CustomerFactory()
    for month in (last_month, this_month):
        OrderFactory(customer=ana, placed_at=datetime(month.year, month.month, 1, 12, tzinfo=MADRID))
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('metrics:read')}")

    body = reader.get("/api/v1/metrics/retention/").json()

    assert body["rates"][-1] == {
        "month": this_month.isoformat(),
        "base": 1,
        "returning": 1,
        "rate": 100.0,
        "is_partial": True,
    }
    assert body["cohorts"] == [
        {"cohort": last_month.isoformat(), "customers": 1, "cells": [100.0], "last_cell_is_partial": True}
    ]
    assert set(body) == {
        "rates",
        "quarters",
        "cohorts",
        "still_buying",
        "repurchase_window_start",
        "repurchase_by_nps",
        "repurchase_by_resolution",
        "defection",
    }


@pytest.mark.django_db
def test_retention_filtered_by_segment_on_the_page_and_the_api(client, manager, api_token_for):
    from django.utils import timezone
    from rest_framework.test import APIClient

    from customers.models import CustomerRfm
    from tests.factories import CustomerFactory, OrderFactory

    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    loyal, lapsed = CustomerFactory(), CustomerFactory()
    for month in (last_month, this_month):
        OrderFactory(customer=loyal, placed_at=datetime(month.year, month.month, 1, 12, tzinfo=MADRID))
    OrderFactory(customer=lapsed, placed_at=datetime(2024, 1, 10, 12, tzinfo=MADRID))
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('metrics:read')}")

    segment = CustomerRfm.objects.get(customer=loyal).segment if selectors.retention() else ""
    other = CustomerRfm.objects.get(customer=lapsed).segment
    assert segment != other
    mine = reader.get("/api/v1/metrics/retention/", {"segment": segment}).json()
    theirs = reader.get("/api/v1/metrics/retention/", {"segment": other}).json()

    assert mine["rates"][-1] == {
        "month": this_month.isoformat(),
        "base": 1,
        "returning": 1,
        "rate": 100.0,
        "is_partial": True,
    }
    # the lapsed customer bought in 2024: nobody of theirs bought last month, so there is no rate
    assert theirs["rates"][-1] == {
        "month": this_month.isoformat(),
        "base": 0,
        "returning": 0,
        "rate": None,
        "is_partial": True,
    }
    assert theirs["cohorts"][0]["customers"] == 1
    page = client.get("/dashboards/retention/", {"segment": other})
    assert page.status_code == 200 and f'<option value="{other}" selected>' in page.content.decode()
    bad_api = reader.get("/api/v1/metrics/retention/", {"segment": "whales"})
    assert bad_api.status_code == 400 and "segment" in bad_api.json()["errors"]
    assert client.get("/dashboards/retention/", {"segment": "whales"}).status_code == 400


@pytest.mark.django_db
def test_service_levels_follow_the_language_and_product_filters():
    from django.utils import timezone

    from support.services import cases_open_for_feedback
    from tests.factories import FeedbackItemFactory, OrderFactory, OrderItemFactory, ProductFactory

    order = OrderFactory()
    OrderItemFactory(order=order, product=ProductFactory(sku="TAZA-01"))
    complaint = {"sentiment": "negative", "sentiment_score": -0.9, "sentiment_confidence": 0.95}
    spanish = FeedbackItemFactory(
        text="La taza llegó rota",
        language="es",
        order=order,
        customer=order.customer,
        analysis_status="done",
        **complaint,
    )
    english = FeedbackItemFactory(text="Never arrived", language="en", analysis_status="done", **complaint)
    cases_open_for_feedback(ids=[spanish.pk, english.pk])
    today = timezone.localdate()

    def opened(**extra) -> int:
        filters = selectors.Filters(start=today - timedelta(days=7), end=today, **extra)
        return sum(row["cases"] for row in selectors.service_levels(filters)["by"]["period"].values())

    assert opened() == 2
    assert (opened(language="es"), opened(language="en")) == (1, 1)
    assert (opened(product="TAZA-01"), opened(product="PLATO-01")) == (1, 0)


@pytest.mark.django_db
def test_feedback_by_source_country_and_device_on_the_page_and_the_api(client, manager, api_token_for):
    from rest_framework.test import APIClient

    from tests.factories import FeedbackItemFactory

    march = datetime(2026, 3, 10, 12, tzinfo=MADRID)
    for source, country, device, sentiment in [
        ("google.com", "ES", "mobile", "negative"),
        ("google.com", "ES", "mobile", "negative"),
        ("google.com", "MX", "desktop", "positive"),
        ("newsletter", "ES", "desktop", "positive"),
        ("", "", "", "neutral"),
    ]:
        FeedbackItemFactory(
            source=source,
            country=country,
            device=device,
            sentiment=sentiment,
            analysis_status="done",
            received_at=march,
        )
        rollups.mark_dirty(rollups.Source.FEEDBACK, [march])
    window = {"start": "2026-03-01", "end": "2026-03-31", "period": "month"}

    page = client.get("/dashboards/sources/", {**window, "dimension": "country"})
    html = page.content.decode()
    csv = client.get("/dashboards/sources/", {**window, "dimension": "source", "export": "csv"}).content.decode()
    spanish_phones = client.get("/dashboards/topics/", {**window, "country": "es", "device": "mobile"})
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('metrics:read')}")
    api = reader.get("/api/v1/metrics/sources/", {**window, "dimension": "device"}).json()

    assert page.status_code == 200 and "context-chart" in html and "chart-context-sentiment" in html
    assert "Desconocido" in html and "MX" in html  # no country known: said so, not hidden
    assert "google.com,3,2,0,1,66.7," in csv and "newsletter,1,0,0,1,0.0," in csv
    assert spanish_phones.status_code == 400  # two context filters at once are refused, with a reason
    assert "de uno en uno" in spanish_phones.content.decode()
    by_device = {row["value"]: row for row in api["values"]}
    assert by_device["mobile"]["items"] == 2 and by_device["mobile"]["negative_share"] == 100
    assert by_device["desktop"]["items"] == 2 and by_device[""]["items"] == 1
    assert api["periods"] == ["2026-03-01"] and api["series"]["mobile"] == [2]
    assert reader.get("/api/v1/metrics/sources/", {"dimension": "planet"}).status_code == 400
    assert reader.get("/api/v1/metrics/topics/", {**window, "country": "ESP"}).status_code == 400
