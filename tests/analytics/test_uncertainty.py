"""Uncertainty that stays honest for small shops: intervals at the extremes and for few answers,
comparisons that claim no more than their test can carry — checked by hand and against scipy."""

import csv
import io
import math
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest
from scipy import stats

from analytics import metrics
from tests.factories import InvitationFactory

MADRID = ZoneInfo("Europe/Madrid")


def scores_of(nps: metrics.NPS) -> list[int]:
    return [1] * nps.promoters + [0] * nps.passives + [-1] * nps.detractors


# ---------------------------------------------------------------------------------------------
# NPS interval
# ---------------------------------------------------------------------------------------------
def test_ten_promoters_out_of_ten_still_leave_room_for_doubt():
    # adjusted Wald (Rocks 2016): n' = 13, p+ = 10.75/13, p− = 0.75/13
    p_plus, p_minus = 10.75 / 13, 0.75 / 13
    centre = p_plus - p_minus
    half = 1.959964 * math.sqrt((p_plus + p_minus - centre**2) / 13)

    low, high = metrics.nps_from_scores([10] * 10).interval

    assert low == pytest.approx(100 * (centre - half)) and low == pytest.approx(47.50, abs=0.01)
    assert high == 100  # clipped at the top of the scale
    all_detractors = metrics.nps_from_scores([0] * 10).interval
    assert all_detractors == (-100, pytest.approx(-47.50, abs=0.01))


def test_adjusted_wald_interval_by_hand_for_a_mixed_sample():
    # 5 promoters, 3 passives, 2 detractors: p+ = 5.75/13, p− = 2.75/13
    p_plus, p_minus = 5.75 / 13, 2.75 / 13
    centre = p_plus - p_minus
    half = 1.959964 * math.sqrt((p_plus + p_minus - centre**2) / 13)

    nps = metrics.nps_from_scores([10, 9, 9, 10, 9, 8, 7, 7, 3, 6])

    assert nps.score == 30
    assert nps.interval == (pytest.approx(100 * (centre - half)), pytest.approx(100 * (centre + half)))
    assert nps.interval_reason is None


@pytest.mark.parametrize("answers", [[10], [10, 10, 10], [9, 3, 7, 10, 10, 2, 8, 9, 10]])
def test_below_ten_answers_there_is_no_interval_and_the_reason_says_why(answers):
    nps = metrics.nps_from_scores(answers)

    assert nps.interval is None
    assert nps.interval_reason == "too_few_answers"
    assert metrics.nps_from_scores([]).interval_reason is None  # nothing to estimate, nothing to excuse


# ---------------------------------------------------------------------------------------------
# Comparing two periods
# ---------------------------------------------------------------------------------------------
def exact_permutation_p_with_scipy(current: metrics.NPS, previous: metrics.NPS) -> float:
    """scipy enumerates every split of the pooled answers; two-sided as P(|D| ≥ |d|)."""
    x, y = np.array(scores_of(current)), np.array(scores_of(previous))
    result = stats.permutation_test(
        (x, y), lambda a, b: np.mean(a) - np.mean(b), permutation_type="independent", n_resamples=np.inf
    )
    observed = abs(np.mean(x) - np.mean(y))
    return float(np.mean(np.abs(result.null_distribution) >= observed - 1e-12))


def test_two_promoters_against_two_detractors_and_a_promoter_is_not_a_real_change():
    now, before = metrics.NPS(2, 2, 0, 0), metrics.NPS(3, 1, 0, 2)

    change = metrics.compare_nps(now, before)

    assert change.difference == pytest.approx(133.33, abs=0.01)
    assert not change.is_significant
    assert change.reason == "too_few_answers" and change.p_value is None  # no verdict at all
    # the exact permutation test agrees with scipy and with Fisher's test on the promoter share
    assert metrics.nps_permutation_p_value(now, before) == pytest.approx(0.4)
    assert exact_permutation_p_with_scipy(now, before) == pytest.approx(0.4)
    assert stats.fisher_exact([[2, 0], [1, 2]]).pvalue == pytest.approx(0.4)


@pytest.mark.parametrize(
    ("now", "before"),
    [
        (metrics.NPS(6, 3, 2, 1), metrics.NPS(7, 1, 2, 4)),
        (metrics.NPS(7, 2, 3, 2), metrics.NPS(6, 4, 1, 1)),
        (metrics.NPS(5, 0, 5, 0), metrics.NPS(8, 3, 1, 4)),
    ],
)
def test_the_exact_permutation_test_equals_scipys_enumeration(now, before):
    assert metrics.nps_permutation_p_value(now, before) == pytest.approx(exact_permutation_p_with_scipy(now, before))


def test_a_small_sample_change_the_z_test_called_real_is_within_the_noise():
    # all 10 promoters now, 7 promoters and 3 detractors before: the old z test gave z = 2.07
    now, before = metrics.NPS(10, 10, 0, 0), metrics.NPS(10, 7, 0, 3)

    change = metrics.compare_nps(now, before)

    assert change.difference == 60
    assert change.test == "exact_permutation"
    # without passives the NPS moves with the promoter share alone: Fisher's test on it agrees
    assert change.p_value == pytest.approx(stats.fisher_exact([[10, 0], [7, 3]]).pvalue)
    assert change.p_value > 0.2 and not change.is_significant


def test_a_large_change_on_large_samples_is_still_a_real_change():
    small_a, small_b = metrics.nps_from_scores([10] * 6 + [3] * 4), metrics.nps_from_scores([10] * 5 + [3] * 5)
    big_a, big_b = metrics.nps_from_scores([10] * 600 + [3] * 400), metrics.nps_from_scores([10] * 500 + [3] * 500)

    assert not metrics.compare_nps(small_a, small_b).is_significant
    big = metrics.compare_nps(big_a, big_b)
    assert big.is_significant and big.test == "z" and big.p_value < 0.001


@pytest.mark.parametrize(
    "table", [(3, 3, 0, 3), (10, 10, 7, 10), (8, 12, 2, 11), (45, 50, 30, 50), (0, 12, 0, 14), (700, 1000, 650, 900)]
)
def test_fisher_exact_test_equals_scipy(table):
    success_a, total_a, success_b, total_b = table
    expected = stats.fisher_exact([[success_a, total_a - success_a], [success_b, total_b - success_b]]).pvalue

    assert metrics.fisher_exact_p_value(*table) == pytest.approx(expected, rel=1e-9)


def test_three_satisfied_against_three_unsatisfied_is_no_verdict_on_csat():
    # the pooled z test said z = 2.45, "a real change"; Fisher says p = 0.1, and 3 answers are too few
    assert metrics.compare_proportions(3, 3, 0, 3).is_significant is False
    assert metrics.compare_proportions(3, 3, 0, 3).p_value == pytest.approx(0.1)
    assert metrics.compare_proportions(3, 3, 0, 3, minimum=10).reason == "too_few_answers"
    assert metrics.compare_proportions(80, 100, 70, 100).is_significant is False
    assert metrics.compare_proportions(800, 1000, 700, 1000).is_significant is True


# ---------------------------------------------------------------------------------------------
# Means
# ---------------------------------------------------------------------------------------------
def test_a_mean_gets_the_student_t_interval_of_scipy():
    counts = {1: 2, 2: 3, 4: 4, 6: 2, 7: 1}
    values = np.repeat(list(counts), list(counts.values()))
    expected = stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=stats.sem(values))

    mean = metrics.mean_from_counts(counts, low=1, high=7)

    assert mean.answers == 12 and mean.mean == pytest.approx(values.mean())
    assert mean.interval == (pytest.approx(expected[0]), pytest.approx(expected[1]))
    # by hand for ten answers 1, 1, 1, 2, 2, 2, 2, 3, 3, 3: mean 2, s² = 6/9, t(9) = 2.262157
    by_hand = metrics.mean_from_counts({1: 3, 2: 4, 3: 3})
    half = 2.262157 * math.sqrt((6 / 9) / 10)
    assert by_hand.interval == (pytest.approx(2 - half, abs=1e-6), pytest.approx(2 + half, abs=1e-6))


def test_a_mean_says_why_it_has_no_interval():
    assert metrics.mean_from_counts({5: 4}).interval_reason == "too_few_answers"
    every_answer_five = metrics.mean_from_counts({5: 25})
    assert every_answer_five.mean == 5 and every_answer_five.interval is None
    assert every_answer_five.interval_reason == "all_answers_equal"
    assert metrics.mean_from_counts({}).mean is None


def test_the_sentiment_index_interval_stays_open_when_every_item_is_positive():
    low, high = metrics.net_score_interval(20, 0, 0)

    assert high == 100 and low == pytest.approx(
        100 * (20.75 / 23 - 0.75 / 23 - 1.959964 * math.sqrt((21.5 / 23 - (20 / 23) ** 2) / 23))
    )
    assert low < 80


# ---------------------------------------------------------------------------------------------
# On the page, in the API and in the CSV
# ---------------------------------------------------------------------------------------------
def answered(nps: int, csat: int, when: datetime, effort: int | None = None) -> None:
    from surveys.models import Question
    from surveys.services import response_submit

    invitation = InvitationFactory(language="es")
    questions = {q.code: q.pk for q in invitation.survey.questions.all()}
    answers = {questions["nps"]: nps, questions["delivery_csat"]: csat}
    if effort is not None:
        question, _ = Question.objects.get_or_create(
            survey=invitation.survey,
            code="effort",
            defaults={"kind": "ces", "position": 99, "prompt_es": "¿Fue fácil?", "prompt_en": "Was it easy?"},
        )
        answers[question.pk] = effort
    response_submit(invitation=invitation, answers=answers, language="es", now=when)


MARCH = {"start": "2026-03-01", "end": "2026-03-31", "period": "month"}


@pytest.mark.django_db
def test_three_answers_say_too_few_instead_of_drawing_a_band(client, manager, api_token_for):
    from rest_framework.test import APIClient

    for score in (10, 9, 4):
        answered(score, 5, datetime(2026, 3, 3, 12, tzinfo=MADRID))
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('metrics:read')}")

    page = client.get("/dashboards/satisfaction/", MARCH).content.decode()
    english = client.get("/dashboards/satisfaction/", MARCH, HTTP_ACCEPT_LANGUAGE="en")
    body = reader.get("/api/v1/metrics/satisfaction/", MARCH).json()
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/dashboards/satisfaction/", {**MARCH, "export": "csv"}).content.decode("utf-8-sig"))
        )
    )

    assert "muy pocas respuestas (n = 3)" in page
    assert "intervalo del 95 %" not in page.split('id="kpi-nps"')[1].split("</section>")[0]
    assert body["summary"]["nps_interval"] is None and body["summary"]["nps_interval_reason"] == "too_few_answers"
    assert body["series"][0]["nps_interval"] is None and body["series"][0]["nps_interval_reason"] == "too_few_answers"
    assert rows[0]["nps_low"] == "" and rows[0]["nps_interval_note"] == "too_few_answers"
    assert rows[0]["respondents"] == "3"
    assert english.status_code == 200


@pytest.mark.django_db
def test_the_dashboard_api_and_csv_show_the_same_intervals_and_say_how_they_are_computed(
    client, manager, api_token_for
):
    from rest_framework.test import APIClient

    when = datetime(2026, 3, 10, 12, tzinfo=MADRID)
    for n in range(12):
        answered(10, 5 if n % 3 else 3, when, effort=[6, 7, 5][n % 3])
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('metrics:read')}")

    body = reader.get("/api/v1/metrics/satisfaction/", MARCH).json()
    page = client.get("/dashboards/satisfaction/", MARCH).content.decode()
    rows = list(
        csv.DictReader(
            io.StringIO(client.get("/dashboards/satisfaction/", {**MARCH, "export": "csv"}).content.decode("utf-8-sig"))
        )
    )

    summary, march = body["summary"], body["series"][0]
    expected_nps = metrics.net_score_interval(12, 0, 0)
    expected_ces = metrics.mean_from_counts({5: 4, 6: 4, 7: 4}, low=1, high=7).interval
    assert summary["nps_interval"] == pytest.approx(list(expected_nps)) == march["nps_interval"]
    assert summary["ces"] == 6 and summary["ces_interval"] == pytest.approx(list(expected_ces))
    assert summary["csat"] == pytest.approx(100 * 8 / 12) and summary["csat_answers"] == 12
    assert rows[0]["ces_low"] == f"{expected_ces[0]:.2f}" and rows[0]["nps_low"] == f"{expected_nps[0]:.1f}"
    # the page names the method and states what CSAT and CES mean
    assert f"intervalo del 95 % de {expected_nps[0]:.0f} a 100 (Wald ajustado)" in page
    assert "(t de Student)" in page and "más alto es más fácil" in page and "4 o 5 de 5" in page
    # the previous month had no answers: no comparison is drawn at all
    assert summary["nps_change"] is None


@pytest.mark.django_db
def test_a_change_on_few_answers_is_not_called_real_on_the_page(client, manager):
    for score in (10, 10):
        answered(score, 5, datetime(2026, 3, 10, 12, tzinfo=MADRID))
    for score in (2, 3, 10):
        answered(score, 1, datetime(2026, 2, 10, 12, tzinfo=MADRID))
    window = {"start": "2026-03-01", "end": "2026-03-28", "period": "month"}

    page = client.get("/dashboards/satisfaction/", window).content.decode()
    english = client.get("/dashboards/satisfaction/", window, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "un cambio real" not in page and "muy pocas respuestas para comparar (n = 2 y 3)" in page
    assert "too few answers to compare (n = 2 and 3)" in english


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "stated"),
    [
        ("en", ["top-2-box", "4 or 5", "higher is easier", "adjusted Wald (Rocks 2016)", "too_few_answers"]),
        ("es", ["top-2-box", "4 o 5", "más alto es más fácil", "Wald ajustado (Rocks 2016)", "too_few_answers"]),
    ],
)
def test_the_api_schema_states_what_csat_and_ces_measure(api_token_for, language, stated):
    from rest_framework.test import APIClient

    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for('metrics:read')}")

    schema = reader.get("/api/schema/", HTTP_ACCEPT="application/json", HTTP_ACCEPT_LANGUAGE=language)

    assert [text for text in stated if text not in schema.content.decode()] == []


def test_the_ces_direction_stated_on_the_dashboards_is_the_survey_scale_customers_answer():
    from django.utils import translation

    from surveys.forms import SCALE_LABELS
    from surveys.models import Question

    with translation.override("en"):
        low, high = (str(label) for label in SCALE_LABELS[Question.Kind.CES])

    # the dashboards say "higher is easier": the survey's 1 must be the difficult end
    assert (low, high) == ("Very difficult", "Very easy")
    assert Question.SCALES[Question.Kind.CES] == (1, 7)
