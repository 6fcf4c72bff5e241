"""A survey submission is one SQL statement on PostgreSQL and ORM writes elsewhere (the embedded
SQLite default); both must store exactly the same thing."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from core.models import ChangedDay
from feedback.models import FeedbackItem
from onsite.models import Intercept, Site
from surveys import services
from surveys.models import Invitation, Question, Response
from tests.factories import CustomerFactory, InvitationFactory, OrderFactory, default_survey

pytestmark = pytest.mark.django_db

PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148"


def answers_for(survey) -> dict[int, object]:
    """A detractor who answers everything, so every kind of question is stored."""
    answers: dict[int, object] = {}
    for question in services.survey_questions(survey):
        if question.scale is not None:
            answers[question.pk] = question.scale[0] + 1
        elif question.kind == Question.Kind.OPEN_TEXT:
            answers[question.pk] = f"  Llegó tarde ({question.code}) y la caja venía rota.  "
        elif question.kind == Question.Kind.MULTIPLE_CHOICE:
            answers[question.pk] = [choice.value for choice in question.choices.all()[:2]]
        elif question.has_choices:
            answers[question.pk] = question.choices.first().value
    return answers


def stored(response: Response) -> dict:
    skip_item = {"id", "survey_answer", "order", "created_at"}
    return {
        "response": {
            k: v for k, v in model_to_dict(response).items() if k not in {"id", "invitation", "order", "submitted_at"}
        },
        "answers": sorted((a.question_id, a.number, a.text, a.choices) for a in response.answers.all()),
        "items": sorted(
            (
                {k: v for k, v in model_to_dict(item).items() if k not in skip_item}
                for item in FeedbackItem.objects.filter(survey_answer__response=response)
            ),
            key=lambda item: item["text"],
        ),
        "invitation": Invitation.objects.filter(pk=response.invitation_id).values("status", "answered_at").get(),
    }


def submit_both_ways(make_invitation, user_agent: str) -> tuple[dict, dict]:
    now = timezone.now()
    one_statement, portable = make_invitation(), make_invitation()
    answers = answers_for(one_statement.survey)
    marks_before = ChangedDay.objects.filter(source="answers").count()
    fast = services.response_submit(
        invitation=services.invitation_for_token(one_statement.token),
        answers=answers,
        language="es",
        user_agent=user_agent,
        now=now,
    )
    assert ChangedDay.objects.filter(source="answers").count() == marks_before + 1
    questions = services.survey_questions(portable.survey)
    kept, errors = services.answers_check(questions=questions, answers=answers)
    assert not errors
    with transaction.atomic():
        slow = services._response_store_portable(
            services.invitation_for_token(portable.token), kept, questions, "es", user_agent, now
        )
    # what the caller gets back is the stored response
    assert Response.objects.get(pk=fast.pk).invitation_id == one_statement.pk
    assert (fast.customer_id, fast.survey_id, fast.submitted_at) == (slow.customer_id, slow.survey_id, now)
    return stored(Response.objects.get(pk=fast.pk)), stored(Response.objects.get(pk=slow.pk))


def test_an_emailed_survey_answer_is_stored_the_same_both_ways():
    customer = CustomerFactory()

    def emailed():
        return InvitationFactory(order=OrderFactory(customer=customer, shipping_country="MX"))

    fast, portable = submit_both_ways(emailed, PHONE)

    assert fast == portable
    assert len(fast["items"]) >= 1 and len(fast["answers"]) >= 4
    item = fast["items"][0]
    assert (item["channel"], item["source"], item["device"], item["country"]) == ("survey", "email", "mobile", "MX")
    assert item["analysis_status"] == "pending" and item["text"].startswith("Llegó tarde")  # stripped
    assert fast["invitation"]["status"] == "answered"


def test_a_website_visitors_answer_is_stored_the_same_both_ways():
    site = Site.objects.create(name="Tienda", domains="tienda.example")
    intercept = Intercept.objects.create(site=site, survey=default_survey(), name="Checkout", cooldown_days=30)
    now = timezone.now()

    def intercepted():
        return Invitation.objects.create(
            survey=intercept.survey,
            intercept=intercept,
            visitor_id="v-1",
            page_url="https://tienda.example/checkout/ok?utm_source=newsletter",
            referrer="",
            country="AR",
            language="es",
            status=Invitation.Status.OPENED,
            expires_at=now + timedelta(hours=24),
        )

    fast, portable = submit_both_ways(intercepted, "")

    assert fast == portable
    item = fast["items"][0]
    assert (item["channel"], item["source"], item["country"], item["customer"]) == ("web", "newsletter", "AR", None)
    assert item["page_url"].startswith("https://tienda.example/checkout/ok")


def test_a_used_or_expired_link_is_refused_by_the_one_statement_and_changes_nothing():
    answered = InvitationFactory()
    answers = answers_for(answered.survey)
    services.response_submit(invitation=answered, answers=answers, language="es")
    expired = InvitationFactory(expires_at=timezone.now() - timedelta(minutes=1))

    with pytest.raises(services.InvitationAlreadyAnswered):  # e.g. a second tab, loaded before the first submit
        services.response_submit(invitation=Invitation.objects.get(pk=answered.pk), answers=answers, language="es")
    with pytest.raises(services.InvitationExpired):
        services.response_submit(invitation=expired, answers=answers, language="es")

    assert Response.objects.count() == 1
    assert FeedbackItem.objects.count() == len([v for v in answers.values() if isinstance(v, str) and "Llegó" in v])


def prepared_statements() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_the_survey_lookup_and_submission_are_prepared_once_per_connection():
    from django.db import connection

    connection.close()  # a new connection has nothing prepared
    invitation = InvitationFactory()

    services.response_submit(
        invitation=services.invitation_for_token(invitation.token),
        answers=answers_for(invitation.survey),
        language="es",
    )

    statements = prepared_statements()
    assert any("WITH claimed AS" in statement for statement in statements)
    assert any("invitation.public_id = $1::uuid" in statement for statement in statements), statements


@pytest.mark.django_db(transaction=True)
def test_without_prepared_statements_a_submission_is_stored_all_the_same(settings):
    from django.db import connection

    # behind PgBouncer in transaction mode (before 1.21) a prepared statement may not exist on the next server
    settings.DATABASE_PREPARED_STATEMENTS = False
    connection.close()
    invitation = InvitationFactory()

    services.response_submit(
        invitation=services.invitation_for_token(invitation.token),
        answers=answers_for(invitation.survey),
        language="es",
    )

    assert Response.objects.filter(invitation=invitation).exists()
    assert FeedbackItem.objects.filter(survey_answer__response__invitation=invitation).exists()
    assert not [statement for statement in prepared_statements() if "WITH claimed AS" in statement]
