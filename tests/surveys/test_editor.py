"""The managers' survey editor: questions of every kind added, reordered and removed, follow-ups,
versions, the preview, and the response-rate funnel."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.contrib.staticfiles import finders
from django.utils import timezone

from core.roles import AGENTS, MANAGERS
from surveys.models import Answer, Invitation, Question, Survey
from surveys.selectors import funnel_total, survey_funnels
from surveys.services import response_submit
from tests.factories import InvitationFactory

pytestmark = pytest.mark.django_db

QUESTIONS = {
    "nps": {"prompt_es": "¿Nos recomendarías?", "prompt_en": "Would you recommend us?"},
    "csat": {"prompt_es": "¿Satisfecho con la entrega?", "prompt_en": "Happy with the delivery?"},
    "ces": {"prompt_es": "¿Fue fácil comprar?", "prompt_en": "Was buying easy?"},
    "rating": {"prompt_es": "Puntúa el producto", "prompt_en": "Rate the product"},
    "single_choice": {
        "prompt_es": "¿Cómo nos conociste?",
        "prompt_en": "How did you find us?",
        "choices": "Amigos | Friends\nAnuncio | An ad",
    },
    "multiple_choice": {
        "prompt_es": "¿Qué mejorarías?",
        "prompt_en": "What would you improve?",
        "choices": "Precio | Price\nEnvío | Shipping\nWeb | Website",
    },
    "open_text": {"prompt_es": "¿Algo más?", "prompt_en": "Anything else?"},
}


@pytest.fixture
def manager(client, django_user_model):
    user = django_user_model.objects.create_user("manager", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=MANAGERS))
    client.force_login(user)
    return client


@pytest.fixture
def survey():
    return Survey.objects.create(slug="editor-test", title_es="Encuesta de prueba", title_en="Test survey")


def add(client, survey, kind, **overrides):
    data = {"kind": kind, "is_required": "on", **QUESTIONS[kind], **overrides}
    return client.post(f"/surveys/{survey.pk}/questions/", data)


def current(survey) -> list[Question]:
    return list(survey.questions.filter(retired_at__isnull=True).order_by("position"))


def test_a_manager_adds_a_question_of_every_kind_with_both_languages(manager, survey):
    for kind in QUESTIONS:
        response = add(manager, survey, kind)
        assert response.status_code == 302, response.content.decode()[:2000]

    questions = current(survey)
    assert [q.kind for q in questions] == list(QUESTIONS)
    assert [(q.prompt_es, q.prompt_en) for q in questions] == [
        (spec["prompt_es"], spec["prompt_en"]) for spec in QUESTIONS.values()
    ]
    improve = questions[5]
    assert [(c.label_es, c.label_en) for c in improve.choices.all()] == [
        ("Precio", "Price"),
        ("Envío", "Shipping"),
        ("Web", "Website"),
    ]
    page = manager.get(f"/surveys/{survey.pk}/")
    assert page.status_code == 200
    assert "What would you improve?" in page.content.decode() and "¿Qué mejorarías?" in page.content.decode()


def test_a_choice_question_without_choices_is_refused_and_nothing_is_added(manager, survey):
    response = add(manager, survey, "single_choice", choices="Solo una | Only one")

    assert response.status_code == 400
    assert "al menos dos opciones" in response.content.decode()
    assert not survey.questions.exists()


def test_a_follow_up_shown_if_nps_is_at_most_six(manager, survey):
    add(manager, survey, "nps")
    nps = current(survey)[0]

    response = add(manager, survey, "open_text", show_if_question=nps.pk, show_if_operator="lte", show_if_value="6")

    assert response.status_code == 302
    follow_up = current(survey)[1]
    assert (follow_up.show_if_question_id, follow_up.show_if_operator, follow_up.show_if_value) == (nps.pk, "lte", "6")
    preview = manager.get(f"/surveys/{survey.pk}/preview/?lang=en").content.decode()
    assert 'data-show-if-field="q_nps"' in preview and 'data-show-if-value="6"' in preview


def test_a_follow_up_on_a_score_outside_the_scale_is_refused(manager, survey):
    add(manager, survey, "nps")
    nps = current(survey)[0]

    response = add(manager, survey, "open_text", show_if_question=nps.pk, show_if_operator="lte", show_if_value="11")

    assert response.status_code == 400
    assert "del 0 al 10" in response.content.decode()
    assert len(current(survey)) == 1


def test_a_follow_up_on_a_choice_can_name_it_by_its_label(manager, survey):
    add(manager, survey, "multiple_choice")
    source = current(survey)[0]

    add(manager, survey, "open_text", show_if_question=source.pk, show_if_operator="includes", show_if_value="Shipping")

    assert current(survey)[1].show_if_value == source.choices.get(label_en="Shipping").value


def test_reordering_by_drag_and_by_the_move_buttons(manager, survey):
    for kind in ("nps", "csat", "ces"):
        add(manager, survey, kind)
    nps, csat, ces = current(survey)

    dragged = manager.post(
        f"/surveys/{survey.pk}/questions/order/", {"order": [ces.pk, nps.pk, csat.pk]}, HTTP_HX_REQUEST="true"
    )
    assert dragged.status_code == 200
    assert dragged["HX-Trigger"] == "voz-survey-changed"
    assert [q.kind for q in current(survey)] == ["ces", "nps", "csat"]

    moved = manager.post(f"/surveys/{survey.pk}/questions/order/", {"move": f"down:{ces.pk}"}, HTTP_HX_REQUEST="true")
    assert "es ahora la pregunta 2 de 3" in moved.content.decode()
    assert [q.kind for q in current(survey)] == ["nps", "ces", "csat"]

    manager.post(f"/surveys/{survey.pk}/questions/order/", {"move": f"up:{nps.pk}"})  # already first
    assert [q.kind for q in current(survey)] == ["nps", "ces", "csat"]


def test_the_preview_read_while_a_reorder_commits_is_not_kept_for_the_next_reader(manager, survey):
    """The editor's preview reloads after each reorder. One reload, still reading, while the next
    reorder commits (another thread of the same server), used to keep the old order in this
    process for ten seconds, and the preview showed the questions as they were before the second move."""
    from django.db import connection

    from surveys import services

    for kind in ("nps", "csat"):
        add(manager, survey, kind)
    nps, csat = current(survey)
    services.survey_questions_forget()

    def reorder_commits_meanwhile(execute, sql, params, many, context):
        result = execute(sql, params, many, context)  # the preview's read of the questions
        if not getattr(reorder_commits_meanwhile, "done", False):
            reorder_commits_meanwhile.done = True
            Question.objects.filter(pk=nps.pk).update(position=9)
            services.survey_questions_forget()  # what the reorder's commit does
        return result

    with connection.execute_wrapper(reorder_commits_meanwhile):
        read_before_the_commit = services.survey_questions(survey)

    assert [q.kind for q in read_before_the_commit] == ["nps", "csat"]
    assert [q.kind for q in services.survey_questions(survey)] == ["csat", "nps"]


def test_an_order_that_puts_a_follow_up_before_its_question_is_refused(manager, survey):
    add(manager, survey, "nps")
    nps = current(survey)[0]
    add(manager, survey, "open_text", show_if_question=nps.pk, show_if_operator="lte", show_if_value="6")
    follow_up = current(survey)[1]

    response = manager.post(f"/surveys/{survey.pk}/questions/order/", {"order": [follow_up.pk, nps.pk]})

    assert response.status_code == 400
    assert "debe quedar después de la pregunta de la que depende" in response.content.decode()
    assert [q.pk for q in current(survey)] == [nps.pk, follow_up.pk]


@pytest.mark.parametrize("bad", [{"order": ["x"]}, {"order": ["1", "2"]}, {"move": "sideways:1"}, {}])
def test_a_malformed_order_is_a_400_and_changes_nothing(manager, survey, bad):
    add(manager, survey, "nps")
    add(manager, survey, "csat")
    before = [q.pk for q in current(survey)]

    response = manager.post(f"/surveys/{survey.pk}/questions/order/", bad, HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    assert [q.pk for q in current(survey)] == before


@pytest.mark.parametrize("kind", list(QUESTIONS))
def test_removing_an_unanswered_question_of_each_kind_deletes_it(manager, survey, kind):
    add(manager, survey, kind)
    question = current(survey)[0]

    response = manager.post(f"/surveys/{survey.pk}/questions/{question.pk}/remove/")

    assert response.status_code == 302
    assert not Question.objects.filter(pk=question.pk).exists()


def test_a_question_a_follow_up_depends_on_cannot_be_removed(manager, survey):
    add(manager, survey, "nps")
    nps = current(survey)[0]
    add(manager, survey, "open_text", show_if_question=nps.pk, show_if_operator="lte", show_if_value="6")

    response = manager.post(f"/surveys/{survey.pk}/questions/{nps.pk}/remove/", HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    assert "cámbiala o quítala antes" in response.content.decode()
    assert len(current(survey)) == 2


def _answer(survey, values: dict[str, int | str]) -> Invitation:
    invitation = InvitationFactory(survey=survey)
    questions = {q.kind: q.pk for q in current(survey)}
    response_submit(invitation=invitation, answers={questions[k]: v for k, v in values.items()}, language="es")
    return invitation


def test_editing_an_answered_survey_makes_a_new_version_and_old_answers_keep_their_text(manager, survey):
    add(manager, survey, "nps")
    add(manager, survey, "open_text", is_required="")
    nps, comment = current(survey)
    first = _answer(survey, {"nps": 9, "open_text": "Todo bien"})

    # when: the manager rewords the NPS question, and removes the answered comment question
    reworded = {**QUESTIONS["nps"], "kind": "nps", "prompt_es": "¿Recomendarías la tienda?", "is_required": "on"}
    assert manager.post(f"/surveys/{survey.pk}/questions/{nps.pk}/", reworded).status_code == 302
    assert manager.post(f"/surveys/{survey.pk}/questions/{comment.pk}/remove/").status_code == 302

    # then: a new version; the old answers read as their customer read the questions
    survey.refresh_from_db()
    assert survey.version == 2
    assert first.response.survey_version == 1
    old = {a.question_id: a for a in Answer.objects.filter(response__invitation=first)}
    assert old[nps.pk].prompt("es") == "¿Nos recomendarías?"
    assert old[comment.pk].prompt("en") == "Anything else?" and old[comment.pk].text == "Todo bien"
    comment.refresh_from_db()
    assert comment.retired_at is not None  # out of the survey, kept for its answer
    assert [q.pk for q in current(survey)] == [nps.pk]

    # a new answer names the new version and the new wording
    second = _answer(survey, {"nps": 3})
    assert second.response.survey_version == 2
    assert second.response.answers.get().prompt("es") == "¿Recomendarías la tienda?"

    # version 2 was answered too: the next edit starts version 3
    add(manager, survey, "csat")
    survey.refresh_from_db()
    assert survey.version == 3


def test_edits_to_an_unanswered_survey_keep_its_version(manager, survey):
    add(manager, survey, "nps")
    add(manager, survey, "csat")

    survey.refresh_from_db()
    assert survey.version == 1


def test_the_kind_of_a_question_cannot_be_changed(manager, survey):
    add(manager, survey, "nps")
    nps = current(survey)[0]

    manager.post(f"/surveys/{survey.pk}/questions/{nps.pk}/", {**QUESTIONS["csat"], "kind": "csat"})

    nps.refresh_from_db()
    assert nps.kind == "nps"


def test_the_preview_renders_the_survey_page_in_each_language_and_may_be_framed(manager, survey):
    add(manager, survey, "nps")

    spanish = manager.get(f"/surveys/{survey.pk}/preview/?lang=es")
    english = manager.get(f"/surveys/{survey.pk}/preview/?lang=en")

    assert "¿Nos recomendarías?" in spanish.content.decode()
    assert "Would you recommend us?" in english.content.decode()
    assert "answers are not saved" in english.content.decode()
    assert english["X-Frame-Options"] == "SAMEORIGIN"
    assert "frame-ancestors 'self'" in english["Content-Security-Policy"]
    assert manager.post(f"/surveys/{survey.pk}/preview/").status_code == 405
    # opened without a language tab (a link copied from the editor's frame), it follows the reader
    bare = manager.get(f"/surveys/{survey.pk}/preview/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="en">' in bare and "Would you recommend us?" in bare


def test_the_sortablejs_asset_is_vendored_and_the_editor_loads_it(manager, survey):
    path = finders.find("vendor/Sortable.min.js")

    assert path is not None
    with open(path, encoding="utf-8") as asset:
        assert asset.read(40).startswith("/*! Sortable 1.15")
    assert "vendor/Sortable.min.js" in manager.get(f"/surveys/{survey.pk}/").content.decode()


def test_an_agent_cannot_edit_surveys(client, django_user_model, survey):
    agent = django_user_model.objects.create_user("agent", password="x", is_staff=True)
    agent.groups.add(Group.objects.get(name=AGENTS))
    client.force_login(agent)

    assert client.get("/surveys/").status_code == 403
    assert client.post(f"/surveys/{survey.pk}/questions/", {"kind": "nps", **QUESTIONS["nps"]}).status_code == 403
    assert not survey.questions.exists()


# ---------------------------------------------------------------------------------------------
# Response rate
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def funnel_data(survey):
    """Ten emailed invitations in the last week (six opened, three of them answered), two shown on
    the website (both opened, one answered), one pending and one from last year."""
    now = timezone.now()
    rows = []
    for index in range(10):
        opened = now - timedelta(days=2) if index < 6 else None
        answered = now - timedelta(days=1) if index < 3 else None
        rows.append(
            Invitation(
                survey=survey,
                status="answered" if answered else ("opened" if opened else "sent"),
                sent_at=now - timedelta(days=3),
                opened_at=opened,
                answered_at=answered,
                expires_at=now + timedelta(days=20),
            )
        )
    from onsite.models import Intercept, Site

    site = Site.objects.create(name="Tienda", domains="tienda.example")
    intercept = Intercept.objects.create(site=site, survey=survey, name="Salida")
    for index in range(2):
        rows.append(
            Invitation(
                survey=survey,
                intercept=intercept,
                status="answered" if index == 0 else "opened",
                sent_at=now - timedelta(days=1),
                opened_at=now - timedelta(days=1),
                answered_at=now if index == 0 else None,
                expires_at=now + timedelta(days=1),
            )
        )
    rows.append(Invitation(survey=survey, status="pending", expires_at=now + timedelta(days=20)))
    rows.append(
        Invitation(
            survey=survey,
            status="answered",
            sent_at=now - timedelta(days=400),
            answered_at=now - timedelta(days=399),
            expires_at=now - timedelta(days=370),
        )
    )
    Invitation.objects.bulk_create(rows)
    return survey


def test_the_response_funnel_by_channel_and_period(funnel_data):
    week = timezone.now() - timedelta(days=7)

    assert survey_funnels(since=week)[funnel_data.pk] == funnel_total(since=week)
    both = funnel_total(since=week)
    assert (both.invited, both.opened, both.answered) == (12, 8, 4)
    assert both.response_rate == 33.3
    email = funnel_total(since=week, channel="email")
    assert (email.invited, email.opened, email.answered, email.response_rate) == (10, 6, 3, 30.0)
    web = funnel_total(since=week, channel="web")
    assert (web.invited, web.opened, web.answered, web.response_rate) == (2, 2, 1, 50.0)
    ever = funnel_total(survey_id=funnel_data.pk)
    assert (ever.invited, ever.answered) == (13, 5)


def test_the_survey_list_shows_each_surveys_response_rate(manager, funnel_data):
    page = manager.get("/surveys/?days=30&channel=email").content.decode()

    assert "Encuesta de prueba" in page or "Test survey" in page
    assert re.search(r'data-funnel="invited"[^>]*>10</td>', page)
    assert "30.0 %" in page or "30,0 %" in page


def test_the_first_view_of_the_survey_page_records_the_opening(client):
    invitation = InvitationFactory()
    assert invitation.opened_at is None

    client.get(f"/s/{invitation.token}/")
    invitation.refresh_from_db()
    first = invitation.opened_at
    client.get(f"/s/{invitation.token}/")
    invitation.refresh_from_db()

    assert first is not None and invitation.opened_at == first
    assert funnel_total(survey_id=invitation.survey_id).opened == 1


def test_the_satisfaction_dashboard_shows_the_response_funnel(manager, funnel_data):
    page = manager.get("/dashboards/satisfaction/")
    emailed = manager.get("/dashboards/satisfaction/?channel=survey")
    reviews = manager.get("/dashboards/satisfaction/?channel=review")

    assert page.status_code == 200
    steps = [(key, count) for key, _label, count, _share in page.context["response_funnel"]["steps"]]
    assert steps == [("invited", 12), ("opened", 8), ("answered", 4)]
    assert 'id="response-funnel"' in page.content.decode()
    assert emailed.context["response_funnel"]["funnel"].answered == 3
    assert reviews.context["response_funnel"] is None  # nobody is invited to write a review here


def test_a_manager_creates_a_survey_and_reads_surveys_in_the_admin_without_changing_them(manager):
    response = manager.post(
        "/surveys/new/",
        {
            "slug": "despues-de-la-visita",
            "title_es": "Tras tu visita",
            "title_en": "After your visit",
            "trigger": "manual",
        },
    )

    survey = Survey.objects.get(slug="despues-de-la-visita")
    assert response.status_code == 302 and response["Location"] == f"/surveys/{survey.pk}/"
    assert manager.get(f"/admin/surveys/survey/{survey.pk}/change/").status_code == 200  # to read
    manager.post(f"/admin/surveys/survey/{survey.pk}/change/", {"slug": "x", "title_es": "x", "title_en": "x"})
    survey.refresh_from_db()
    assert survey.slug == "despues-de-la-visita"


def test_a_survey_without_titles_is_refused(manager):
    response = manager.post("/surveys/new/", {"slug": "sin-titulo", "trigger": "manual"})

    assert response.status_code == 400
    assert not Survey.objects.filter(slug="sin-titulo").exists()
