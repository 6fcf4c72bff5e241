"""What a survey submission stores: the invitation answered, the response, its answers, a feedback
item per comment (with where it was said) and the change-log row. One path on every database:
these tests run it on PostgreSQL, and compare one submission with the same on SQLite, which
tests/config/test_embedded_default.py also runs through the demo."""

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
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


def submit(invitation: Invitation, user_agent: str) -> tuple[Response, dict]:
    now = timezone.now()
    answers = answers_for(invitation.survey)
    changes_before = ChangedDay.objects.filter(source="answers").count()

    response = services.response_submit(
        invitation=services.invitation_for_token(invitation.token),
        answers=answers,
        language="es",
        user_agent=user_agent,
        now=now,
    )

    assert ChangedDay.objects.filter(source="answers").count() == changes_before + 1
    # what the caller gets back is the stored response
    assert Response.objects.get(pk=response.pk).invitation_id == invitation.pk
    assert (response.customer_id, response.survey_id, response.submitted_at) == (
        invitation.customer_id,
        invitation.survey_id,
        now,
    )
    return response, stored(Response.objects.get(pk=response.pk))


def test_an_emailed_survey_answer_stores_the_response_its_answers_and_a_feedback_item_per_comment():
    invitation = InvitationFactory(order=OrderFactory(customer=CustomerFactory(), shipping_country="MX"))

    response, saved = submit(invitation, PHONE)

    assert saved["response"] == {
        "survey": invitation.survey_id,
        "customer": invitation.customer_id,
        "language": "es",
        "user_agent": PHONE,
        "survey_version": 1,
    }
    assert len(saved["answers"]) == len(answers_for(invitation.survey))
    comments = [text for _question, _number, text, _choices in saved["answers"] if text]
    assert [item["text"] for item in saved["items"]] == sorted(comments) and comments
    item = saved["items"][0]
    assert (item["channel"], item["source"], item["device"], item["country"]) == ("survey", "email", "mobile", "MX")
    assert (item["customer"], item["language"], item["received_at"]) == (
        invitation.customer_id,
        "es",
        response.submitted_at,
    )
    assert item["analysis_status"] == "pending" and item["text"].startswith("Llegó tarde")  # stripped
    assert (item["sentiment"], item["model_version"], item["erased_at"], item["case"]) == ("", "", None, None)
    assert FeedbackItem.objects.get(text=item["text"]).order_id == invitation.order_id
    assert saved["invitation"] == {"status": "answered", "answered_at": response.submitted_at}


def emailed_submission(now: datetime) -> dict:
    """A submission from the invitation email, stored at `now`: its rows named by what they are,
    without the ids a database hands out, in JSON."""
    invitation = InvitationFactory(order=OrderFactory(customer=CustomerFactory(), shipping_country="MX"))
    response = services.response_submit(
        invitation=services.invitation_for_token(invitation.token),
        answers=answers_for(invitation.survey),
        language="es",
        user_agent=PHONE,
        now=now,
    )
    saved = stored(Response.objects.get(pk=response.pk))
    codes = dict(Question.objects.values_list("pk", "code"))
    ours = {"customer": invitation.customer_id, "survey": invitation.survey_id, "order": invitation.order_id}
    rows = {
        "response": {name: ours[name] == value if name in ours else value for name, value in saved["response"].items()},
        "answers": [(codes[question_id], *rest) for question_id, *rest in saved["answers"]],
        "items": [{**item, "customer": item["customer"] == ours["customer"]} for item in saved["items"]],
        "items' orders and creation": [
            (item.order_id == ours["order"], item.created_at == now)
            for item in FeedbackItem.objects.filter(survey_answer__response=response)
        ],
        "invitation": saved["invitation"],
        "changes": list(ChangedDay.objects.filter(marked_at__gte=now).values_list("source", "day")),
    }
    return json.loads(json.dumps(rows, default=str))


# Tables straight from the models, without running the migrations, in an in-memory database; the
# submission is rolled back so that its analysis, queued for after the commit, never runs.
_SQLITE_SUBMISSION = """
import json, sys
import django
from django.conf import settings
from django.db import transaction


class NoMigrations:
    def __contains__(self, app_label):
        return True

    def __getitem__(self, app_label):
        return None


settings.MIGRATION_MODULES = NoMigrations()
django.setup()
from datetime import datetime
from django.core.management import call_command
from tests.surveys.test_submission_paths import emailed_submission

call_command("migrate", run_syncdb=True, verbosity=0)
with transaction.atomic():
    print(json.dumps(emailed_submission(datetime.fromisoformat(sys.argv[1]))))
    transaction.set_rollback(True)
"""


def test_a_submission_stores_the_same_rows_on_sqlite_as_on_postgresql():
    now = timezone.now()
    on_postgresql = emailed_submission(now)
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test", "TEST_DATABASE_URL": "sqlite:///:memory:"}

    done = subprocess.run(
        [sys.executable, "-c", _SQLITE_SUBMISSION, now.isoformat()],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    on_sqlite = json.loads(done.stdout)
    assert on_sqlite == on_postgresql
    assert on_postgresql["items"] and on_postgresql["changes"] == [["answers", str(timezone.localdate(now))]]


def test_a_website_visitors_answer_is_a_web_item_with_the_page_and_traffic_source():
    site = Site.objects.create(name="Tienda", domains="tienda.example")
    intercept = Intercept.objects.create(site=site, survey=default_survey(), name="Checkout", cooldown_days=30)
    invitation = Invitation.objects.create(
        survey=intercept.survey,
        intercept=intercept,
        visitor_id="v-1",
        page_url="https://tienda.example/checkout/ok?utm_source=newsletter",
        referrer="",
        country="AR",
        language="es",
        status=Invitation.Status.OPENED,
        expires_at=timezone.now() + timedelta(hours=24),
    )

    _response, saved = submit(invitation, "")

    item = saved["items"][0]
    assert (item["channel"], item["source"], item["country"], item["customer"]) == ("web", "newsletter", "AR", None)
    assert item["page_url"].startswith("https://tienda.example/checkout/ok") and item["device"] == ""


def test_a_used_or_expired_link_is_refused_and_changes_nothing():
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


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_refused_submission_stores_nothing_and_the_next_one_is_stored():
    # as in a request: no transaction around the service
    answered = InvitationFactory()
    answers = answers_for(answered.survey)
    services.response_submit(invitation=answered, answers=answers, language="es")
    expired = InvitationFactory(expires_at=timezone.now() - timedelta(minutes=1))
    changes = ChangedDay.objects.filter(source="answers").count()

    with pytest.raises(services.InvitationAlreadyAnswered):
        services.response_submit(invitation=Invitation.objects.get(pk=answered.pk), answers=answers, language="es")
    with pytest.raises(services.InvitationExpired):
        services.response_submit(invitation=expired, answers=answers, language="es")
    another = InvitationFactory()
    response = services.response_submit(invitation=another, answers=answers, language="es")

    assert list(Response.objects.values_list("invitation", flat=True).order_by("pk")) == [answered.pk, another.pk]
    assert Invitation.objects.get(pk=expired.pk).status == Invitation.Status.SENT
    assert ChangedDay.objects.filter(source="answers").count() == changes + 1
    assert response.answers.count() == len(answers)
    assert FeedbackItem.objects.filter(survey_answer__response=response).exists()


def prepared_statements() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.django_db(transaction=True)
def test_the_survey_link_lookup_is_prepared_once_per_connection():
    from django.db import connection

    connection.close()  # a new connection has nothing prepared
    invitation = InvitationFactory()

    services.invitation_for_token(invitation.token)

    assert any("invitation.public_id = $1::uuid" in statement for statement in prepared_statements())


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
    assert not prepared_statements()
