"""The managers' survey editor: the surveys with their response rates, each survey's questions, and
a preview of the customer's page at phone width."""

from datetime import timedelta

from csp.decorators import csp_replace
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.shop import regional_override
from surveys import editing, selectors
from surveys.editor_forms import QuestionForm, SurveySettingsForm
from surveys.forms import SurveyAnswerForm
from surveys.models import Question, Survey
from surveys.views import _fields, _page_context

EDITOR_PERMISSION = "surveys.change_survey"


def _editor(view):
    return login_required(permission_required(EDITOR_PERMISSION, raise_exception=True)(view))


def _period_days(request) -> int | None:
    value = request.GET.get("days", "90")
    return int(value) if value in {"7", "30", "90", "365"} else None


@require_GET
@_editor
def survey_list(request):
    days = _period_days(request)
    channel = request.GET.get("channel", "")
    channel = channel if channel in selectors.FUNNEL_CHANNELS else ""
    since = timezone.now() - timedelta(days=days) if days else None
    funnels = selectors.survey_funnels(since=since, channel=channel)
    surveys = Survey.objects.annotate(
        question_count=Count("questions", filter=Q(questions__retired_at__isnull=True))
    ).order_by("slug")
    rows = [(survey, funnels.get(survey.pk, selectors.Funnel(0, 0, 0))) for survey in surveys]
    return render(
        request,
        "surveys/editor/list.html",
        {
            "nav": "surveys",
            "rows": rows,
            "days": days,
            "channel": channel,
            "periods": [(7, _("7 days")), (30, _("30 days")), (90, _("90 days")), (365, _("a year"))],
            "channels": [("", _("All channels")), ("email", _("Email")), ("web", _("Website"))],
        },
    )


@require_http_methods(["GET", "POST"])
@_editor
def survey_create(request):
    form = SurveySettingsForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        survey = editing.survey_save(survey=form.save(commit=False))
        messages.success(request, _("Survey created. Add its questions."))
        return redirect("survey-editor:edit", pk=survey.pk)
    return render(
        request, "surveys/editor/settings.html", {"nav": "surveys", "form": form}, status=400 if form.errors else 200
    )


def _edit_context(survey: Survey, **extra) -> dict:
    questions = editing.survey_questions_current(survey)
    return {
        "nav": "surveys",
        "survey": survey,
        "questions": questions,
        "add_form": extra.pop("add_form", None) or QuestionForm(sources=questions, auto_id="add_%s"),
        "settings_form": extra.pop("settings_form", None) or SurveySettingsForm(instance=survey),
        "answered_count": survey.responses.count(),
        "languages": settings.LANGUAGES,
        **extra,
    }


@require_http_methods(["GET", "POST"])
@_editor
def survey_edit(request, pk: int):
    survey = get_object_or_404(Survey, pk=pk)
    settings_form = SurveySettingsForm(request.POST if request.method == "POST" else None, instance=survey)
    if request.method == "POST":
        if settings_form.is_valid():
            editing.survey_save(survey=settings_form.save(commit=False))
            messages.success(request, _("Survey saved."))
            return redirect("survey-editor:edit", pk=survey.pk)
        return render(
            request, "surveys/editor/edit.html", _edit_context(survey, settings_form=settings_form), status=400
        )
    return render(request, "surveys/editor/edit.html", _edit_context(survey))


@require_POST
@_editor
def question_add(request, pk: int):
    survey = get_object_or_404(Survey, pk=pk)
    form = QuestionForm(request.POST, sources=editing.survey_questions_current(survey), auto_id="add_%s")
    if form.is_valid():
        try:
            editing.question_add(survey=survey, kind=form.cleaned_data["kind"], data=form.question_data())
        except editing.SurveyEditInvalid as invalid:
            _errors_onto(form, invalid)
        else:
            messages.success(request, _("Question added."))
            return redirect(f"{survey_edit_url(survey)}#questions")
    return render(request, "surveys/editor/edit.html", _edit_context(survey, add_form=form), status=400)


def survey_edit_url(survey: Survey) -> str:
    return reverse("survey-editor:edit", kwargs={"pk": survey.pk})


def _errors_onto(form, invalid: editing.SurveyEditInvalid) -> None:
    for name, problems in invalid.errors.items():
        for problem in problems:
            form.add_error(name if name in form.fields else None, problem)


def _current_question(survey_pk: int, question_pk: int) -> Question:
    return get_object_or_404(
        Question.objects.select_related("survey"), pk=question_pk, survey_id=survey_pk, retired_at__isnull=True
    )


@require_http_methods(["GET", "POST"])
@_editor
def question_edit(request, pk: int, question_pk: int):
    question = _current_question(pk, question_pk)
    sources = [q for q in editing.survey_questions_current(question.survey) if q.position < question.position]
    form = QuestionForm(request.POST if request.method == "POST" else None, sources=sources, question=question)
    if request.method == "POST" and form.is_valid():
        try:
            editing.question_update(question=question, data=form.question_data())
        except editing.SurveyEditInvalid as invalid:
            _errors_onto(form, invalid)
        else:
            messages.success(request, _("Question saved."))
            return redirect(f"{survey_edit_url(question.survey)}#questions")
    return render(
        request,
        "surveys/editor/question.html",
        {"nav": "surveys", "survey": question.survey, "question": question, "form": form},
        status=400 if form.errors else 200,
    )


def _questions_answer(request, survey: Survey, *, status_message: str = "", error: str = "", status: int = 200):
    """The reordered list for htmx (the preview reloads itself on the event), else back to the page."""
    if request.headers.get("HX-Request"):
        response = render(
            request,
            "surveys/editor/_questions.html",
            {
                "survey": survey,
                "questions": editing.survey_questions_current(survey),
                "status_message": status_message,
                "error": error,
            },
            status=status,
        )
        response["HX-Trigger"] = "voz-survey-changed"
        return response
    if error:
        return render(request, "surveys/editor/edit.html", _edit_context(survey, error=error), status=400)
    if status_message:
        messages.success(request, status_message)
    return redirect(f"{survey_edit_url(survey)}#questions")


@require_POST
@_editor
def questions_order(request, pk: int):
    survey = get_object_or_404(Survey, pk=pk)
    move = request.POST.get("move", "")
    try:
        if move:
            direction, _colon, question_pk = move.partition(":")
            if direction not in ("up", "down") or not question_pk.isdigit():
                return _questions_answer(request, survey, error=_("Unknown move."), status=400)
            question = _current_question(pk, int(question_pk))
            ordered = editing.question_move(question=question, offset=-1 if direction == "up" else 1)
            place = next(index for index, q in enumerate(ordered, start=1) if q.pk == question.pk)
            message = _("“%(question)s” is now question %(place)s of %(count)s.") % {
                "question": question.prompt(),
                "place": place,
                "count": len(ordered),
            }
        else:
            ids = request.POST.getlist("order")
            if not ids or not all(value.isdigit() for value in ids):
                return _questions_answer(request, survey, error=_("Send the questions' order."), status=400)
            editing.questions_reorder(survey=survey, question_ids=[int(value) for value in ids])
            message = _("Order saved.")
    except editing.SurveyEditInvalid as invalid:
        return _questions_answer(request, survey, error=" ".join(sum(invalid.errors.values(), [])), status=400)
    return _questions_answer(request, survey, status_message=message)


@require_POST
@_editor
def question_remove(request, pk: int, question_pk: int):
    question = _current_question(pk, question_pk)
    try:
        deleted = editing.question_remove(question=question)
    except editing.SurveyEditInvalid as invalid:
        return _questions_answer(request, question.survey, error=" ".join(sum(invalid.errors.values(), [])), status=400)
    message = _("Question removed.") if deleted else _("Question removed from the survey; its earlier answers keep it.")
    return _questions_answer(request, question.survey, status_message=message)


@require_GET
@_editor
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": ["'self'"]})
# the editor loads it anew after each change: a copy from the browser's cache would show the old survey
@never_cache
def survey_preview(request, pk: int):
    """The customer's page itself, with the survey's present questions, answering nothing."""
    survey = get_object_or_404(Survey, pk=pk)
    # the language tab chosen in the editor; opened bare, the reader's own
    language = request.GET.get("lang", "")
    languages = {code for code, _name in settings.LANGUAGES}
    language = language if language in languages else request.LANGUAGE_CODE[:2]
    language = language if language in languages else settings.LANGUAGE_CODE
    questions = editing.survey_questions_current(survey)
    with regional_override(language):
        form = SurveyAnswerForm(None, questions=questions, language=language)
        return render(
            request,
            "surveys/answer.html",
            {
                "survey": survey,
                "title": survey.title(language),
                "intro": survey.intro(language),
                "form": form,
                "fields": _fields(form, questions),
                "is_preview": True,
                **_page_context(language),
            },
        )
