"""A real Celery worker consuming from Redis sends the invitation email."""

import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.core import mail

from config.celery import app
from surveys.models import Invitation
from surveys.tasks import invitation_send
from tests.factories import InvitationFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


@pytest.fixture
def broker(settings):
    """The project's Celery app pointed at the test Redis database, with eager mode off."""
    app.conf.task_always_eager = False
    app.conf.broker_url = settings.CELERY_BROKER_URL
    app.conf.broker_transport_options = {}
    with app.connection_for_write() as connection:
        redis = connection.default_channel.client
        redis.flushdb()
        yield redis
    app.conf.task_always_eager = True


def wait_for(condition, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def test_a_worker_sends_the_invitation_email_through_redis(broker):
    # given an invitation queued while no worker runs
    invitation = InvitationFactory(status=Invitation.Status.PENDING, sent_at=None)
    invitation_send.delay(invitation.pk)
    assert broker.llen("celery") == 1
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING

    # when a worker starts
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        sent = wait_for(lambda: Invitation.objects.get(pk=invitation.pk).status == Invitation.Status.SENT)

    # then it took the task from Redis and the customer got the email
    assert sent
    assert broker.llen("celery") == 0
    assert [message.to for message in mail.outbox] == [[invitation.customer.email]]


def test_a_worker_on_the_nlp_queue_analyses_a_new_survey_comment(broker):
    from feedback.models import FeedbackItem
    from surveys.services import response_submit

    # given a customer's comment stored while no worker runs
    invitation = InvitationFactory(language="es")
    questions = {q.code: q.pk for q in invitation.survey.questions.all()}
    response_submit(
        invitation=invitation,
        answers={
            questions["nps"]: 2,
            questions["delivery_csat"]: 3,
            questions["comment"]: "Me cobraron dos veces y nadie responde en el chat.",
        },
        language="es",
    )
    item = FeedbackItem.objects.get(survey_answer__response__invitation=invitation)
    assert item.analysis_status == FeedbackItem.AnalysisStatus.PENDING
    assert broker.llen("nlp") == 1, "NLP work goes to its own queue"

    # when a worker consuming both queues starts
    with start_worker(app, pool="solo", queues=["celery", "nlp"], perform_ping_check=False, shutdown_timeout=10):
        analysed = wait_for(
            lambda: FeedbackItem.objects.get(pk=item.pk).analysis_status == FeedbackItem.AnalysisStatus.DONE,
            timeout=60,
        )

    # then the comment carries its sentiment and topics
    assert analysed
    item.refresh_from_db()
    assert item.sentiment == "negative"
    assert {"payment", "customer_service"} <= set(item.topics.values_list("slug", flat=True))


def test_a_busy_process_hands_new_items_over_in_one_message(broker, settings):
    """Three submissions within the hand-over delay reach the NLP queue together, in batches."""
    import base64
    import json

    from core.queueing import BatchedHandOver
    from sentiment.tasks import analyse_feedback

    settings.CELERY_TASK_ALWAYS_EAGER = False
    hand_over = BatchedHandOver(analyse_feedback, delay=0.2, batch_size=2)
    for ids in ([1], [2], [3]):
        hand_over.add(ids)
    assert broker.llen("nlp") == 0  # still gathering

    assert wait_for(lambda: broker.llen("nlp") == 2, timeout=5)

    def task_args(message: bytes) -> list:
        envelope = json.loads(message)
        return json.loads(base64.b64decode(envelope["body"]))[0][0]

    batches = [task_args(message) for message in broker.lrange("nlp", 0, -1)]
    assert sorted(batches) == [[1, 2], [3]]  # batch_size respected, nothing lost or repeated
