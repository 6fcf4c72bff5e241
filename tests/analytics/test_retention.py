"""Retention as the seeds define it: of last period's buyers, who bought again; partial periods marked;
how many of 10 customers still buy after one and two years; repurchase counted once per customer."""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from analytics import selectors
from bench import naive as oracle
from tests.factories import CustomerFactory, InvitationFactory, OrderFactory

MADRID = ZoneInfo("Europe/Madrid")
NOW = datetime(2026, 5, 20, 12, tzinfo=MADRID)


def bought(customer, year: int, month: int):
    return OrderFactory(customer=customer, placed_at=datetime(year, month, 10, 12, tzinfo=MADRID))


def answered_nps(customer, score: int, year: int, month: int) -> None:
    from surveys.models import Answer, Response

    # an order of its own for each invitation, in the month of the first purchase: the months each
    # customer bought in, all that retention reads, stay the same
    first = customer.orders.order_by("placed_at").first()
    invitation = InvitationFactory(order=OrderFactory(customer=customer, placed_at=first.placed_at), customer=customer)
    response = Response.objects.create(
        invitation=invitation,
        survey=invitation.survey,
        customer=customer,
        order=invitation.order,
        submitted_at=datetime(year, month, 5, 12, tzinfo=MADRID),
        language="es",
    )
    Answer.objects.create(response=response, question=invitation.survey.questions.get(code="nps"), number=score)


@pytest.fixture
def shop(db):
    """Hand-made purchases (months in Madrid) around 20 May 2026:

    ana  Mar, Apr, May 2026            ben  Mar 2026            carl Dec 2025
    dora Apr, May 2026                 eva  May 2026 (new)
    frank Feb 2024 and Mar 2025        gina Apr 2024 and May 2024
    """
    people = {
        name: CustomerFactory(email=f"{name}@example.com")
        for name in ["ana", "ben", "carl", "dora", "eva", "frank", "gina"]
    }
    for name, months in {
        "ana": [(2026, 3), (2026, 4), (2026, 5)],
        "ben": [(2026, 3)],
        "carl": [(2025, 12)],
        "dora": [(2026, 4), (2026, 5)],
        "eva": [(2026, 5)],
        "frank": [(2024, 2), (2025, 3)],
        "gina": [(2024, 4), (2024, 5)],
    }.items():
        for year, month in months:
            bought(people[name], year, month)
    return people


def test_the_monthly_rate_is_last_months_buyers_who_bought_again(shop):
    data = selectors.retention(now=NOW)

    april, may = data["rates"][-2], data["rates"][-1]
    # April: of March's buyers (ana, ben), ana came back. The old measure divided by everyone who
    # had ever bought before April (carl, frank, gina too) and said 1 of 5.
    assert (april["month"], april["base"], april["returning"], april["rate"]) == (date(2026, 4, 1), 2, 1, 50.0)
    assert (may["base"], may["returning"], may["rate"]) == (2, 2, 100.0)  # ana and dora
    assert not april["is_partial"] and may["is_partial"]
    january = next(row for row in data["rates"] if row["month"] == date(2026, 1, 1))
    assert (january["base"], january["returning"], january["rate"]) == (1, 0, 0.0)  # carl did not come back
    assert next(row for row in data["rates"] if row["month"] == date(2025, 11, 1))["rate"] is None


def test_the_quarterly_rate_is_last_quarters_buyers_who_bought_again(shop):
    quarters = {row["quarter"]: row for row in selectors.retention(now=NOW)["quarters"]}

    q1, q2 = quarters[date(2026, 1, 1)], quarters[date(2026, 4, 1)]
    assert (q1["base"], q1["returning"], q1["rate"], q1["is_partial"]) == (1, 0, 0.0, False)  # carl
    assert (q2["base"], q2["returning"], q2["rate"], q2["is_partial"]) == (2, 1, 50.0, True)  # ana of ana, ben
    assert list(quarters)[0] == date(2025, 4, 1) and len(quarters) == 5


def test_each_cohorts_last_cell_is_marked_partial_only_when_it_is_the_current_month(shop):
    cohorts = {row["cohort"]: row for row in selectors.retention(now=NOW)["cohorts"]}

    assert cohorts[date(2026, 3, 1)]["cells"] == [50.0, 50.0] and cohorts[date(2026, 3, 1)]["last_cell_is_partial"]
    assert cohorts[date(2026, 4, 1)]["cells"] == [100.0] and cohorts[date(2026, 4, 1)]["last_cell_is_partial"]
    assert cohorts[date(2026, 5, 1)]["cells"] == [] and not cohorts[date(2026, 5, 1)]["last_cell_is_partial"]
    # frank's 24 months end in February 2026: complete
    assert len(cohorts[date(2024, 2, 1)]["cells"]) == 24 and not cohorts[date(2024, 2, 1)]["last_cell_is_partial"]


def test_of_ten_customers_how_many_still_buy_after_one_and_two_years(shop):
    one_year, two_years = selectors.retention(now=NOW)["still_buying"]

    # only frank (Feb 2024) and gina (Apr 2024) have a whole second year behind them; frank bought in it
    assert (one_year["years"], one_year["customers"], one_year["still_buying"], one_year["of_10"]) == (1, 2, 1, 5.0)
    assert one_year["first_purchase_before"] == date(2024, 6, 1)
    assert (two_years["customers"], two_years["of_10"]) == (0, None)


def test_repurchase_by_nps_counts_each_customer_once_by_their_latest_answer_before_the_window(shop):
    answered_nps(shop["ana"], 3, 2025, 6)  # ana was a detractor, then a promoter: a promoter
    answered_nps(shop["ana"], 10, 2025, 10)
    answered_nps(shop["ben"], 10, 2025, 9)  # ben answered twice: counted once
    answered_nps(shop["ben"], 9, 2025, 11)
    answered_nps(shop["gina"], 2, 2024, 5)
    answered_nps(shop["carl"], 8, 2026, 1)  # inside the window: says nothing about it

    data = selectors.retention(now=NOW)

    assert data["repurchase_window_start"] == date(2025, 12, 1)
    assert data["by_nps"]["promoters"] == {"customers": 2, "returned": 2, "rate": 100.0}
    assert data["by_nps"]["passives"] == {"customers": 0, "returned": 0, "rate": None}
    assert data["by_nps"]["detractors"] == {"customers": 1, "returned": 0, "rate": 0.0}


def test_the_naive_oracle_agrees_on_the_hand_made_shop(shop):
    answered_nps(shop["ana"], 3, 2025, 6)
    answered_nps(shop["ben"], 9, 2025, 11)

    for window in ({}, {"months": 3, "cohort_months": 5}):
        assert selectors.retention(now=NOW, **window) == oracle.retention_naive(now=NOW, **window)


@pytest.mark.django_db
def test_the_page_api_and_csv_mark_the_current_month_as_partial(client, manager, api_token_for):
    from django.utils import timezone
    from rest_framework.test import APIClient

    from analytics.selectors.retention import add_months

    this_month = timezone.localdate().replace(day=1)
    last_month = add_months(this_month, -1)
    for customer in (CustomerFactory(), CustomerFactory()):
        for month in (last_month, this_month):
            OrderFactory(customer=customer, placed_at=datetime(month.year, month.month, 1, 12, tzinfo=MADRID))
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('metrics:read')}")

    body = reader.get("/api/v1/metrics/retention/").json()
    page = client.get("/dashboards/retention/").content.decode()
    cohorts = list(
        csv.DictReader(io.StringIO(client.get("/dashboards/retention/", {"export": "csv"}).content.decode("utf-8-sig")))
    )
    rates = list(
        csv.DictReader(
            io.StringIO(
                client.get("/dashboards/retention/", {"export": "csv", "table": "rates"}).content.decode("utf-8-sig")
            )
        )
    )

    assert body["rates"][-1] == {
        "month": this_month.isoformat(),
        "base": 2,
        "returning": 2,
        "rate": 100.0,
        "is_partial": True,
    }
    assert body["cohorts"] == [
        {"cohort": last_month.isoformat(), "customers": 2, "cells": [100.0], "last_cell_is_partial": True}
    ]
    assert cohorts == [
        {"first_purchase": last_month.isoformat(), "customers": "2", "month_1_%": "100.0", "last_cell_partial": "yes"}
    ]
    assert rates[-1]["period"] == body["quarters"][-1]["quarter"] and rates[-1]["partial"] == "yes"
    month_rows = [row for row in rates if row["period_kind"] == "month"]
    assert month_rows[-1] == {
        "period_kind": "month",
        "period": this_month.isoformat(),
        "bought_in_previous_period": "2",
        "bought_again": "2",
        "retention_%": "100.0",
        "partial": "yes",
    }
    assert 'class="partial"' in page and "(parcial)" in page
    assert "De cada 10 clientes" in page and "trimestre" in page
    assert '"partial": [false, false, false, false, false, false, false, false, false, false, false, true]' in page
    assert "cada cliente contado una vez" in page
