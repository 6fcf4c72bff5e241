"""The loop closes by itself: every case that leaves work asks the customer once whether it was
solved, an unhappy answer sends the problem back to work, and its owner hears of it."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from support import services
from support.models import Case, Team
from support.notifications import case_followup_send, followup_token, followups_dispatch_unsent
from tests.factories import CustomerFactory, FeedbackItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(django_user_model):
    return django_user_model.objects.create_user(username="ana", email="ana@shop.example", password="x", is_staff=True)


def open_case(*, assignee=None, language="es") -> Case:
    customer = CustomerFactory(preferred_language=language, email="lucia@example.com", name="Lucía")
    item = FeedbackItemFactory(
        customer=customer, sentiment="negative", sentiment_score=-0.9, sentiment_confidence=0.95, analysis_status="done"
    )
    (case,) = services.cases_open_for_feedback(ids=[item.pk])
    if assignee is not None:
        case = services.case_assign(case=case, assignee=assignee)
    return case


def followups_to(address: str) -> list:
    return [m for m in mail.outbox if m.to == [address] and "¿Resolvimos tu problema?" in m.subject]


def test_closing_an_open_case_directly_asks_the_follow_up(django_capture_on_commit_callbacks):
    case = open_case()

    with django_capture_on_commit_callbacks(execute=True):
        services.case_set_status(case=case, status="closed")

    assert len(followups_to("lucia@example.com")) == 1
    case.refresh_from_db()
    assert case.followup_requested_at is not None and case.followup_sent_at is not None


def test_resolve_close_reopen_and_resolve_again_asks_only_once(django_capture_on_commit_callbacks):
    case = open_case()

    for status in ("resolved", "closed", "open", "resolved", "closed"):
        with django_capture_on_commit_callbacks(execute=True):
            services.case_set_status(case=case, status=status)

    assert len(followups_to("lucia@example.com")) == 1


def test_a_follow_up_lost_with_the_broker_is_sent_by_the_sweep_once(django_capture_on_commit_callbacks):
    case = open_case()
    with mock.patch("support.services._enqueue"):  # the broker is down: the hand-over goes nowhere
        services.case_set_status(case=case, status="resolved", now=timezone.now() - timedelta(minutes=30))
    assert mail.outbox == []

    # the sweep runs twice (beat and a manual run overlap): the customer is still asked once
    assert followups_dispatch_unsent() == [case.pk]
    assert followups_dispatch_unsent() == []

    assert len(followups_to("lucia@example.com")) == 1
    assert case_followup_send(case_id=case.pk) is False


def test_the_sweep_leaves_recent_answered_reopened_and_unreachable_cases_alone():
    now = timezone.now()
    with mock.patch("support.services._enqueue"):
        recent = open_case()
        services.case_set_status(case=recent, status="resolved", now=now - timedelta(minutes=1))
        reopened = open_case()
        services.case_set_status(case=reopened, status="resolved", now=now - timedelta(hours=1))
        services.case_set_status(case=reopened, status="open", now=now - timedelta(minutes=50))
        expired = open_case()
        services.case_set_status(case=expired, status="closed", now=now - timedelta(days=31))
    mail.outbox.clear()

    assert followups_dispatch_unsent(now=now) == []
    assert mail.outbox == []


def answer(case: Case, score: int):
    client = Client()
    return client.post(f"/f/{followup_token(case)}/", {"score": str(score)})


def test_an_unhappy_answer_reopens_a_resolved_case_and_tells_its_assignee(agent, django_capture_on_commit_callbacks):
    case = open_case(assignee=agent)
    with django_capture_on_commit_callbacks(execute=True):
        services.case_set_status(case=case, status="resolved")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        response = answer(case, 2)

    assert response.status_code == 200
    case.refresh_from_db()
    assert case.status == Case.Status.OPEN and case.resolved_at is None and case.followup_score == 2
    assert case.events.filter(kind="reopened", data__reason="followup").count() == 1
    (email,) = mail.outbox
    assert email.to == ["ana@shop.example"]
    assert f"Caso #{case.pk} reabierto" in email.subject
    assert f"https://voz.example/support/cases/{case.pk}/" in email.body and "2 de 5" in email.body


def test_an_unhappy_answer_on_a_recently_closed_case_reopens_it(agent, django_capture_on_commit_callbacks):
    case = open_case(assignee=agent)
    services.case_set_status(case=case, status="closed", now=timezone.now() - timedelta(days=3))

    with django_capture_on_commit_callbacks(execute=True):
        services.case_followup_answer(case=case, score=1)

    case.refresh_from_db()
    assert case.status == Case.Status.OPEN and case.closed_at is None
    assert Case.objects.count() == 1
    assert [m.to for m in mail.outbox if "reabierto" in m.subject] == [["ana@shop.example"]]


def test_an_unhappy_answer_on_a_long_closed_case_opens_a_linked_case_for_the_same_owner(
    agent, settings, django_capture_on_commit_callbacks
):
    settings.SUPPORT_FOLLOWUP_REOPEN_DAYS = 14
    case = open_case(assignee=agent)
    services.case_set_status(case=case, status="closed", now=timezone.now() - timedelta(days=20))

    with django_capture_on_commit_callbacks(execute=True):
        follow_on = services.case_followup_answer(case=case, score=2)

    case.refresh_from_db()
    assert case.status == Case.Status.CLOSED  # the old thread stays closed
    assert follow_on.pk != case.pk and follow_on.linked_from == case
    assert follow_on.status == Case.Status.NEW and follow_on.assignee == agent and follow_on.customer == case.customer
    assert follow_on.sla_due_at is not None  # its own clock runs from now
    (email,) = [m for m in mail.outbox if m.to == ["ana@shop.example"]]
    assert f"Nuevo caso #{follow_on.pk}" in email.subject and f"caso #{case.pk}" in email.subject


def test_a_satisfied_answer_leaves_the_case_closed_and_tells_nobody(agent, django_capture_on_commit_callbacks):
    case = open_case(assignee=agent)
    services.case_set_status(case=case, status="resolved")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.case_followup_answer(case=case, score=3)

    case.refresh_from_db()
    assert case.status == Case.Status.RESOLVED and mail.outbox == []


def test_an_unassigned_case_tells_its_team_address(django_capture_on_commit_callbacks):
    case = open_case()
    Team.objects.filter(pk=case.team_id).update(email="equipo@shop.example")
    services.case_set_status(case=case, status="resolved")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.case_followup_answer(case=case, score=1)

    assert [m.to for m in mail.outbox] == [["equipo@shop.example"]]


def test_the_owner_is_told_even_when_the_broker_is_down(agent, django_capture_on_commit_callbacks):
    case = open_case(assignee=agent)
    services.case_set_status(case=case, status="resolved")
    mail.outbox.clear()

    with (
        mock.patch("support.notifications.enqueue", return_value=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.case_followup_answer(case=case, score=1)

    assert [m.to for m in mail.outbox] == [["ana@shop.example"]]


def test_a_second_answer_changes_nothing_and_tells_nobody_again(agent, django_capture_on_commit_callbacks):
    case = open_case(assignee=agent)
    services.case_set_status(case=case, status="resolved")
    with django_capture_on_commit_callbacks(execute=True):
        answer(case, 1)
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        again = answer(case, 5)

    assert again.status_code == 410
    case.refresh_from_db()
    assert case.followup_score == 1 and mail.outbox == []


def test_the_new_case_and_the_old_one_link_to_each_other_on_their_pages(agent, admin_client, settings):
    settings.LANGUAGE_CODE = "en"
    case = open_case(assignee=agent)
    services.case_set_status(case=case, status="closed", now=timezone.now() - timedelta(days=30))
    follow_on = services.case_followup_answer(case=case, score=1)

    new_page = admin_client.get(f"/support/cases/{follow_on.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    old_page = admin_client.get(f"/support/cases/{case.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert f'href="/support/cases/{case.pk}/"' in new_page and "follows up on" in new_page
    assert f'href="/support/cases/{follow_on.pk}/"' in old_page and "A new case follows this one up" in old_page
    assert "The customer answered the follow-up: 1 of 5" in old_page
