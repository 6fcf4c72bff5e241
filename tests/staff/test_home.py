"""The home page by role: an agent's cases by SLA urgency; a manager's week."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from analytics.models import AlertEpisode, AlertRule
from support.models import Case
from support.services import case_assign, case_open_manual
from surveys.services import response_submit
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def _case(subject: str, assignee, *, due_in: timedelta | None, warn_in: timedelta | None = None) -> Case:
    case = case_assign(case=case_open_manual(subject=subject, text=subject), assignee=assignee)
    now = timezone.now()
    Case.objects.filter(pk=case.pk).update(
        sla_due_at=now + due_in if due_in is not None else None,
        sla_warning_at=now + warn_in if warn_in is not None else None,
    )
    return case


def test_an_agent_sees_their_open_cases_the_most_urgent_first(as_agent, agent, manager):
    _case("Vence mañana", agent, due_in=timedelta(days=1), warn_in=timedelta(hours=20))
    _case("Ya vencido", agent, due_in=timedelta(hours=-2))
    _case("En riesgo", agent, due_in=timedelta(hours=1), warn_in=timedelta(hours=-1))
    _case("De otra persona", manager, due_in=timedelta(hours=-5))

    response = as_agent.get(reverse("staff:home"), HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.status_code == 200
    mine = html[html.index('id="home-my-cases"') : html.index('id="home-unassigned"')]
    assert mine.index("Ya vencido") < mine.index("En riesgo") < mine.index("Vence mañana")
    assert "urgency-breached" in mine and "urgency-at_risk" in mine and "urgency-on_time" in mine
    assert "De otra persona" not in mine
    # an agent's home has no scores: they are the managers'
    assert 'id="kpi-nps"' not in html and 'id="onboarding-teaser"' not in html


def test_a_resolved_case_leaves_the_agents_home(as_agent, agent):
    case = _case("Resuelto", agent, due_in=timedelta(hours=3))
    Case.objects.filter(pk=case.pk).update(status=Case.Status.RESOLVED)
    html = as_agent.get(reverse("staff:home")).content.decode()
    assert "Resuelto" not in html


def test_a_manager_sees_the_weeks_scores_with_intervals_sla_topics_and_alerts(as_manager):
    for score in (10, 9, 9, 3, 10, 8, 2, 9, 10, 10, 9, 7):
        invitation = InvitationFactory()
        questions = {q.code: q.pk for q in invitation.survey.questions.all()}
        response_submit(
            invitation=invitation, answers={questions["nps"]: score, questions["delivery_csat"]: 4}, language="es"
        )
    rule = AlertRule.objects.create(name="NPS semanal bajo", kind="nps_below", threshold=20)
    AlertEpisode.objects.create(rule=rule, started_at=timezone.now() - timedelta(hours=3), value=12)

    response = as_manager.get(reverse("staff:home"), HTTP_ACCEPT_LANGUAGE="en")

    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="kpi-nps"' in html and 'id="kpi-csat"' in html and 'id="kpi-ces"' in html
    assert 'id="kpi-sla"' in html
    nps = html[html.index('id="kpi-nps"') : html.index('id="kpi-csat"')]
    assert '<p class="big">50</p>' in nps  # 8 promoters, 2 passives, 2 detractors: (8 - 2) / 12
    assert "95 %" in nps  # the interval is shown, not just the point
    assert "NPS semanal bajo" in html[html.index('id="home-alerts"') :]
    assert 'id="home-topics"' in html
    assert 'id="onboarding-teaser"' in html


def test_the_first_steps_teaser_leaves_the_home_once_every_step_is_done(as_manager, monkeypatch):
    from staff import selectors

    monkeypatch.setattr(
        selectors,
        "onboarding_steps",
        lambda: [selectors.Step("x", "X", "", "/", True)],
    )
    html = as_manager.get(reverse("staff:home")).content.decode()
    assert 'id="onboarding-teaser"' not in html
