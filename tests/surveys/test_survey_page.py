import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from feedback.models import FeedbackItem
from surveys.models import Answer, Invitation, Response
from tests.factories import CustomerFactory, InvitationFactory, OrderFactory

pytestmark = pytest.mark.django_db

VALID_ANSWERS = {
    "q_nps": "9",
    "q_reason": "Llegó antes de lo previsto y el producto es de muy buena calidad.",
    "q_delivery_csat": "5",
    "q_comment": "",
}


def survey_url(invitation, suffix: str = "") -> str:
    return f"/s/{invitation.token}/{suffix}"


@pytest.fixture
def invitation():
    return InvitationFactory()


@pytest.fixture
def client():
    # CSRF is enforced as in production so the form's token is really exercised.
    return Client(enforce_csrf_checks=True)


def post_answers(client, invitation, data, lang="es"):
    page = client.get(survey_url(invitation), {"lang": lang})
    token = page.context["csrf_token"]
    return client.post(survey_url(invitation), {**data, "lang": lang, "csrfmiddlewaretoken": str(token)})


def test_the_survey_page_shows_every_question_in_spanish_by_default(client, invitation):
    response = client.get(survey_url(invitation))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="es">' in html
    assert "¿Con qué probabilidad recomendarías nuestra tienda" in html
    assert "¿Qué podríamos mejorar?" in html  # present for visitors without JavaScript
    assert "Enviar mis respuestas" in html
    assert 'name="csrfmiddlewaretoken"' in html
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.OPENED
    assert invitation.opened_at is not None


def test_reloading_the_page_keeps_the_first_opening_and_writes_nothing(client, invitation):
    from django.test.utils import CaptureQueriesContext

    client.get(survey_url(invitation))
    invitation.refresh_from_db()
    first_opened = invitation.opened_at

    with CaptureQueriesContext(connection) as queries:
        assert client.get(survey_url(invitation)).status_code == 200

    invitation.refresh_from_db()
    assert invitation.opened_at == first_opened
    assert not [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]


def test_an_edited_question_and_choice_show_at_once_though_pages_keep_the_questions(client, invitation):
    from surveys.models import Choice, Question

    client.get(survey_url(invitation))  # this process now keeps the survey's questions and fields
    nps = Question.objects.get(survey=invitation.survey, code="nps")
    nps.prompt_es = "¿Nos recomendarías a tus amigos?"
    nps.save()
    choice = Choice.objects.filter(question__survey=invitation.survey).first()
    choice.label_es = "Opción renombrada"
    choice.save()

    html = client.get(survey_url(invitation)).content.decode()

    assert "¿Nos recomendarías a tus amigos?" in html and "Opción renombrada" in html


def test_blank_pages_served_from_the_kept_markup_carry_nothing_of_another_customer(client):
    first, second = InvitationFactory(), InvitationFactory()
    # The first customer makes mistakes: their page shows errors and what they typed.
    rejected = post_answers(client, first, {"q_nps": "", "q_reason": "Texto de la primera clienta"})
    assert rejected.status_code == 400

    pages = {lang: client.get(survey_url(second), {"lang": lang}).content.decode() for lang in ("es", "en", "es")}

    spanish, english = pages["es"], pages["en"]
    assert "¿Con qué probabilidad recomendarías nuestra tienda" in spanish
    assert "How likely are you to recommend our shop" in english and "recomendarías" not in english
    for html in (spanish, english):
        assert second.order.external_id in html
        assert first.order.external_id not in html and first.token not in html
        assert "Texto de la primera clienta" not in html
        assert "has-error" not in html and 'aria-invalid="true"' not in html
        assert html.count('<fieldset class="question') == second.survey.questions.count()
    # The second customer's own mistakes still come back with their page.
    again = post_answers(client, second, {"q_nps": "11"})
    assert "Elige un valor del 0 al 10." in again.content.decode()
    assert "has-error" in again.content.decode()


def test_an_english_speaking_customer_gets_the_page_in_english(client):
    invitation = InvitationFactory(customer=CustomerFactory(preferred_language="en"), language="en")

    html = client.get(survey_url(invitation)).content.decode()

    assert '<html lang="en">' in html
    assert "How likely are you to recommend our shop" in html
    assert "Send my answers" in html
    assert 'href="?lang=es"' in html


def test_the_language_switcher_changes_the_page_language(client, invitation):
    html = client.get(survey_url(invitation), {"lang": "en"}).content.decode()

    assert "How likely are you to recommend our shop" in html
    assert 'href="?lang=es"' not in html and 'href="?lang=en"' not in html or 'href="?lang=es"' in html


def test_a_valid_submission_stores_one_response_with_its_answers_and_feedback(client, invitation):
    response = post_answers(client, invitation, VALID_ANSWERS)

    assert response.status_code == 302
    assert response["Location"].startswith(survey_url(invitation, "thanks/"))
    stored = Response.objects.get(invitation=invitation)
    answers = {answer.question.code: answer for answer in stored.answers.select_related("question")}
    assert set(answers) == {"nps", "reason", "delivery_csat"}
    assert answers["nps"].number == 9
    assert answers["delivery_csat"].number == 5
    assert stored.language == "es"
    item = FeedbackItem.objects.get()
    assert item.channel == FeedbackItem.Channel.SURVEY
    assert item.text == VALID_ANSWERS["q_reason"]
    assert item.customer == invitation.customer
    assert item.order == invitation.order
    assert item.analysis_status == FeedbackItem.AnalysisStatus.PENDING
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.ANSWERED

    thanks = client.get(response["Location"])
    assert "¡Gracias!" in thanks.content.decode()


def test_missing_required_answers_are_shown_next_to_the_question_and_nothing_is_stored(client, invitation):
    response = post_answers(client, invitation, {"q_nps": "", "q_delivery_csat": "", "q_reason": "Bien"})

    assert response.status_code == 400
    html = response.content.decode()
    assert html.count("Responde a esta pregunta, por favor.") >= 2
    assert 'id="id_q_nps-error"' in html
    assert "Revisa tus respuestas" in html
    assert "Bien" in html  # what the customer typed is kept
    assert Response.objects.count() == 0
    assert FeedbackItem.objects.count() == 0


def test_an_empty_sending_is_refused_with_the_missing_answers_named(client, invitation):
    page = client.get(survey_url(invitation))

    # no form fields at all; the CSRF token travels in its header, as a script would send it
    response = client.post(survey_url(invitation), {}, HTTP_X_CSRFTOKEN=str(page.context["csrf_token"]))

    assert response.status_code == 400
    assert response.content.decode().count("Responde a esta pregunta, por favor.") >= 2
    assert Response.objects.count() == 0


def test_validation_errors_come_in_english_for_english_customers(client):
    invitation = InvitationFactory(customer=CustomerFactory(preferred_language="en"), language="en")

    response = post_answers(client, invitation, {"q_nps": "11"}, lang="en")

    html = response.content.decode()
    assert response.status_code == 400
    assert "Choose a value from 0 to 10." in html
    assert "Please answer this question." in html
    assert Response.objects.count() == 0


def test_the_improvement_question_is_kept_only_for_detractors(client):
    detractor = InvitationFactory()
    promoter = InvitationFactory()
    improve = {"q_improve": ["delivery", "price"]}

    post_answers(client, detractor, {**VALID_ANSWERS, "q_nps": "4", **improve})
    post_answers(Client(enforce_csrf_checks=True), promoter, {**VALID_ANSWERS, "q_nps": "10", **improve})

    detractor_answer = Answer.objects.get(response__invitation=detractor, question__code="improve")
    assert detractor_answer.choices == ["delivery", "price"]
    assert not Answer.objects.filter(response__invitation=promoter, question__code="improve").exists()


def test_an_unknown_choice_is_refused(client, invitation):
    response = post_answers(client, invitation, {**VALID_ANSWERS, "q_nps": "3", "q_improve": ["teleportation"]})

    assert response.status_code == 400
    assert "Elige una de las opciones" in response.content.decode()
    assert Response.objects.count() == 0


def test_an_overlong_comment_is_refused_with_a_clear_message(client, invitation):
    response = post_answers(client, invitation, {**VALID_ANSWERS, "q_comment": "a" * 2001})

    assert response.status_code == 400
    assert "como máximo 2000 caracteres" in response.content.decode()
    assert Response.objects.count() == 0


def test_a_used_link_shows_a_friendly_page_and_stores_nothing_more(client, invitation):
    post_answers(client, invitation, VALID_ANSWERS)

    again = client.get(survey_url(invitation))
    resubmit = client.post(survey_url(invitation), VALID_ANSWERS)

    assert again.status_code == 410
    assert "Ya has respondido a esta encuesta" in again.content.decode()
    assert resubmit.status_code in (403, 410)  # csrf-less repost is refused either way
    assert Response.objects.count() == 1
    assert FeedbackItem.objects.count() == 1


def test_sending_the_answers_twice_shows_the_thank_you_page_again_and_stores_them_once(client, invitation):
    page = client.get(survey_url(invitation))
    form = {**VALID_ANSWERS, "lang": "es", "csrfmiddlewaretoken": str(page.context["csrf_token"])}

    first = client.post(survey_url(invitation), form)
    second = client.post(survey_url(invitation), {**form, "q_nps": "2"})

    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"] == survey_url(invitation, "thanks/") + "?lang=es"
    assert "¡Gracias" in client.get(second["Location"]).content.decode()
    assert Response.objects.count() == 1
    assert Answer.objects.get(question__code="nps").number == 9


def test_an_expired_link_shows_a_friendly_page_and_stores_nothing(client):
    invitation = InvitationFactory(created_at=timezone.now() - timedelta(days=31))

    page = client.get(survey_url(invitation))
    post = Client().post(survey_url(invitation), VALID_ANSWERS)

    assert page.status_code == 410
    assert "Esta encuesta ya está cerrada" in page.content.decode()
    assert post.status_code == 410
    assert Response.objects.count() == 0


@pytest.mark.parametrize(
    "mangle",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # altered signature
        lambda token: "0" * 32 + token[32:],  # another invitation's id with this signature
        lambda token: token.split(":")[0],  # no signature at all
        lambda token: "not-a-token",
    ],
)
def test_a_tampered_link_shows_a_friendly_page_and_stores_nothing(client, invitation, mangle):
    url = f"/s/{mangle(invitation.token)}/"

    page = client.get(url)
    post = Client().post(url, VALID_ANSWERS)

    assert page.status_code == 404
    assert "No encontramos esta encuesta" in page.content.decode()
    assert post.status_code == 404
    assert Response.objects.count() == 0


def test_a_bot_filling_the_honeypot_is_thanked_but_nothing_is_stored(client, invitation):
    response = post_answers(client, invitation, {**VALID_ANSWERS, "website": "http://spam.example"})

    assert response.status_code == 302
    assert Response.objects.count() == 0
    invitation.refresh_from_db()
    assert invitation.status != Invitation.Status.ANSWERED


def test_the_page_refuses_a_post_without_csrf_token(invitation):
    response = Client(enforce_csrf_checks=True).post(survey_url(invitation), VALID_ANSWERS)

    assert response.status_code == 403
    assert Response.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_submissions_store_exactly_one_response():
    # given one invitation opened in two tabs
    order = OrderFactory()
    invitation = InvitationFactory(order=order)
    barrier = threading.Barrier(2)
    statuses = []

    def submit():
        try:
            client = Client()
            barrier.wait()
            statuses.append(client.post(survey_url(invitation), {**VALID_ANSWERS, "lang": "es"}).status_code)
        finally:
            connection.close()

    # when both tabs submit at the same moment
    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then both customers see the thank-you page and exactly one response is stored
    assert statuses == [302, 302]
    assert Response.objects.filter(invitation=invitation).count() == 1
    assert FeedbackItem.objects.count() == 1
