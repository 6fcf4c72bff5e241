"""Customers hear from support in their language: public replies, and the one-question follow-up."""

import re

import pytest
from django.core import mail
from django.test import Client

from support import services
from support.models import Case
from support.notifications import case_for_followup_token, followup_token
from tests.factories import CustomerFactory, FeedbackItemFactory

pytestmark = pytest.mark.django_db


def open_case(language="es") -> Case:
    customer = CustomerFactory(preferred_language=language, email=f"cliente-{language}@example.com", name="Lucía")
    item = FeedbackItemFactory(
        customer=customer, sentiment="negative", sentiment_score=-0.9, sentiment_confidence=0.95, analysis_status="done"
    )
    (case,) = services.cases_open_for_feedback(ids=[item.pk])
    return case


@pytest.mark.parametrize(("language", "subject"), [("es", "te ha respondido"), ("en", "has answered you")])
def test_a_public_reply_is_emailed_once_in_the_customers_language(
    admin_user, language, subject, django_capture_on_commit_callbacks
):
    case = open_case(language)

    with django_capture_on_commit_callbacks(execute=True):
        services.case_note(case=case, text="Nota interna: no enviar", author=admin_user)
        services.case_reply(case=case, text="Te enviamos uno nuevo hoy.", author=admin_user)

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [f"cliente-{language}@example.com"] and subject in email.subject
    assert "Te enviamos uno nuevo hoy." in email.body and "Nota interna" not in email.body
    from support.notifications import case_reply_email_send

    assert case_reply_email_send(message_id=case.messages.get(kind="reply").pk) is False  # not twice


def test_resolving_sends_the_follow_up_once_and_the_answer_counts(admin_user, django_capture_on_commit_callbacks):
    case = open_case("es")
    with django_capture_on_commit_callbacks(execute=True):
        services.case_set_status(case=case, status="resolved", actor=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        services.case_set_status(case=case, status="closed", actor=admin_user)

    assert len(mail.outbox) == 1 and "¿Resolvimos tu problema?" in mail.outbox[0].subject
    # the token carries its signing time, so the link is read from the email rather than rebuilt
    (url,) = re.findall(r"https://voz\.example(/f/[^/\s]+/)", mail.outbox[0].body)
    assert case_for_followup_token(url.split("/")[2]) == case
    client = Client(enforce_csrf_checks=True)
    page = client.get(url, {"score": "4"})
    assert page.status_code == 200 and 'value="4" id="score-4" checked' in page.content.decode()

    answered = client.post(url, {"score": "4", "csrfmiddlewaretoken": str(page.context["csrf_token"])})

    assert answered.status_code == 200 and "¡Gracias!" in answered.content.decode()
    case.refresh_from_db()
    assert case.followup_score == 4
    assert client.get(url).status_code == 410


def test_a_tampered_follow_up_link_or_a_bad_score_changes_nothing():
    case = open_case("en")
    url = f"/f/{followup_token(case)}/"

    assert Client().get(url[:-3] + "xx/").status_code == 404
    assert Client().post(url, {"score": "9"}).status_code == 400
    case.refresh_from_db()
    assert case.followup_score is None


def test_follow_up_answers_make_the_service_csat(admin_user):
    from support.selectors import service_csat

    for score in (5, 4, 2):
        case = open_case("es")
        services.case_set_status(case=case, status="resolved", actor=admin_user)
        services.case_followup_answer(case=case, score=score)

    assert service_csat() == {"answers": 3, "satisfied": 2, "csat": 66.7, "mean": 3.67}
