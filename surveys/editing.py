"""Managers edit surveys from the staff pages: questions of every kind, their order, both languages,
and follow-ups shown only on some answers.

A survey already answered in its present form gets a new version at its first edit, and answers
keep the words of the question they answered (Answer.prompt_es/en), so no edit rewrites what a
customer said yes or no to. A question removed after being answered is retired, not deleted: its
answers still point at it.

Every edit goes into the audit trail with the person who made it; the first-steps checklist reads
there that the shop made the survey its own.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core.audit import audit
from core.exceptions import ApplicationError
from surveys.models import Choice, Question, Response, Survey
from surveys.services import survey_questions_forget


class SurveyEditInvalid(ApplicationError):
    code = "survey_edit_invalid"

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(_("The survey could not be changed."), extra=errors)
        self.errors = errors


@dataclass
class ChoiceData:
    label_es: str
    label_en: str


@dataclass
class QuestionData:
    prompt_es: str
    prompt_en: str
    help_es: str = ""
    help_en: str = ""
    is_required: bool = True
    choices: list[ChoiceData] = field(default_factory=list)
    show_if_question_id: int | None = None
    show_if_operator: str = ""
    show_if_value: str = ""


SCALE_OPERATORS = {Question.Operator.LTE, Question.Operator.GTE, Question.Operator.EQ, Question.Operator.NE}
CHOICE_OPERATORS = {
    Question.Kind.SINGLE_CHOICE: {Question.Operator.EQ, Question.Operator.NE},
    Question.Kind.MULTIPLE_CHOICE: {Question.Operator.INCLUDES},
}


def survey_questions_current(survey: Survey) -> list[Question]:
    """The questions customers are asked now, in order (retired ones left out), fresh from the database."""
    return list(
        survey.questions.filter(retired_at__isnull=True)
        .select_related("show_if_question")
        .prefetch_related("choices")
        .order_by("position", "pk")
    )


def _survey_lock_for_edit(survey: Survey) -> Survey:
    """Lock the survey for an edit; if customers answered its present version, start the next one."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if Response.objects.filter(survey=survey, survey_version=survey.version).exists():
        survey.version += 1
        survey.save(update_fields=["version"])
    transaction.on_commit(survey_questions_forget)
    return survey


def _check_condition(
    *, survey: Survey, data: QuestionData, position: int, question: Question | None
) -> dict[str, list[str]]:
    if data.show_if_question_id is None:
        return {}
    source = Question.objects.filter(pk=data.show_if_question_id, survey=survey, retired_at__isnull=True).first()
    if source is None or (question is not None and source.pk == question.pk):
        return {"show_if_question": [_("Choose a question of this survey.")]}
    if source.position >= position:
        return {"show_if_question": [_("A follow-up must come after the question it depends on.")]}
    if source.scale is not None:
        if data.show_if_operator not in SCALE_OPERATORS:
            return {"show_if_operator": [_("Choose how to compare the score.")]}
        low, high = source.scale
        try:
            value = int(data.show_if_value)
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            return {"show_if_value": [_("Give a number from %(low)s to %(high)s.") % {"low": low, "high": high}]}
        return {}
    if source.has_choices:
        if data.show_if_operator not in CHOICE_OPERATORS[source.kind]:
            return {"show_if_operator": [_("This comparison does not apply to the chosen question.")]}
        # a manager may name the choice by its label in either language, as they read it
        values: dict[str, str] = {}
        for value, label_es, label_en in source.choices.values_list("value", "label_es", "label_en"):
            values.update({value.lower(): value, label_es.lower(): value, label_en.lower(): value})
        given = data.show_if_value.strip().lower()
        if given not in values:
            labels = ", ".join(source.choices.values_list("label_es", flat=True))
            return {"show_if_value": [_("Give one of the question's choices: %(labels)s.") % {"labels": labels}]}
        data.show_if_value = values[given]
        return {}
    return {"show_if_question": [_("Follow-ups can depend on a score or a choice, not on open text.")]}


def _check_question(*, kind: str, data: QuestionData) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not data.prompt_es.strip():
        errors["prompt_es"] = [_("Write the question in Spanish.")]
    if not data.prompt_en.strip():
        errors["prompt_en"] = [_("Write the question in English.")]
    if kind in Question.CHOICE_KINDS:
        if len(data.choices) < 2:
            errors["choices"] = [_("A choice question needs at least two choices.")]
        elif any(not (c.label_es.strip() and c.label_en.strip()) for c in data.choices):
            errors["choices"] = [_("Give every choice a Spanish and an English label.")]
    elif data.choices:
        errors["choices"] = [_("Only choice questions have choices.")]
    return errors


def _unique_code(survey: Survey, base: str, *, exclude: int | None = None) -> str:
    taken = set(survey.questions.exclude(pk=exclude).values_list("code", flat=True))
    base = slugify(base)[:50] or "question"
    code, number = base, 2
    while code in taken:
        code, number = f"{base}_{number}", number + 1
    return code


def _choices_save(question: Question, choices: list[ChoiceData]) -> None:
    """Keep the stored value of a choice at the same place, so answers given to it still match."""
    existing = list(question.choices.order_by("position", "pk"))
    kept_values: set[str] = set()
    for index, data in enumerate(choices):
        if index < len(existing):
            choice = existing[index]
            choice.label_es, choice.label_en, choice.position = data.label_es.strip(), data.label_en.strip(), index
            choice.save(update_fields=["label_es", "label_en", "position"])
        else:
            base = slugify(data.label_en or data.label_es)[:50] or "choice"
            value, number = base, 2
            while value in kept_values or question.choices.filter(value=value).exists():
                value, number = f"{base}_{number}", number + 1
            choice = Choice.objects.create(
                question=question,
                value=value,
                label_es=data.label_es.strip(),
                label_en=data.label_en.strip(),
                position=index,
            )
        kept_values.add(choice.value)
    for choice in existing[len(choices) :]:
        if Question.objects.filter(show_if_question=question, show_if_value=choice.value).exists():
            raise SurveyEditInvalid({"choices": [_("A follow-up depends on the choice “%s”.") % choice.label_es]})
        choice.delete()


def _apply(question: Question, data: QuestionData) -> None:
    question.prompt_es, question.prompt_en = data.prompt_es.strip(), data.prompt_en.strip()
    question.help_es, question.help_en = data.help_es.strip(), data.help_en.strip()
    question.is_required = data.is_required
    question.show_if_question_id = data.show_if_question_id
    question.show_if_operator = data.show_if_operator if data.show_if_question_id else ""
    question.show_if_value = data.show_if_value.strip() if data.show_if_question_id else ""


@transaction.atomic
def question_add(*, survey: Survey, kind: str, data: QuestionData) -> Question:
    """Add a question at the end of the survey."""
    if kind not in Question.Kind.values:
        raise SurveyEditInvalid({"kind": [_("Choose a kind of question.")]})
    survey = _survey_lock_for_edit(survey)
    position = (survey.questions.filter(retired_at__isnull=True).aggregate(last=Max("position"))["last"] or 0) + 1
    errors = _check_question(kind=kind, data=data) | _check_condition(
        survey=survey, data=data, position=position, question=None
    )
    if errors:
        raise SurveyEditInvalid(errors)
    question = Question(survey=survey, kind=kind, position=position, code=_unique_code(survey, kind))
    _apply(question, data)
    question.save()
    if kind in Question.CHOICE_KINDS:
        _choices_save(question, data.choices)
    audit("survey.question_add", question, summary=question.prompt_en)
    return question


@transaction.atomic
def question_update(*, question: Question, data: QuestionData) -> Question:
    """Reword or reconfigure a question; its kind stays (answers on one scale do not fit another)."""
    _survey_lock_for_edit(question.survey)
    question = Question.objects.select_for_update().get(pk=question.pk, retired_at__isnull=True)
    errors = _check_question(kind=question.kind, data=data) | _check_condition(
        survey=question.survey, data=data, position=question.position, question=question
    )
    if errors:
        raise SurveyEditInvalid(errors)
    _apply(question, data)
    question.save()
    if question.has_choices:
        _choices_save(question, data.choices)
    audit("survey.question_update", question, summary=question.prompt_en)
    return question


@transaction.atomic
def question_remove(*, question: Question) -> bool:
    """Take a question out of the survey. Returns True when it was deleted, False when retired
    (customers answered it: it stays for their answers)."""
    survey = _survey_lock_for_edit(question.survey)
    question = Question.objects.select_for_update().get(pk=question.pk, survey=survey, retired_at__isnull=True)
    dependents = list(question.dependent_questions.filter(retired_at__isnull=True))
    if dependents:
        raise SurveyEditInvalid(
            {
                "question": [
                    _("“%(follow_up)s” is shown depending on this question: change or remove it first.")
                    % {"follow_up": dependents[0].prompt()}
                ]
            }
        )
    audit("survey.question_remove", question, summary=question.prompt_en)
    if question.answers.exists() or question.dependent_questions.exists():
        question.retired_at = timezone.now()
        question.save(update_fields=["retired_at"])
        return False
    question.delete()
    return True


@transaction.atomic
def questions_reorder(*, survey: Survey, question_ids: list[int]) -> list[Question]:
    """Put the survey's questions in this order; every current question must be named once."""
    survey = _survey_lock_for_edit(survey)
    questions = {q.pk: q for q in survey.questions.filter(retired_at__isnull=True).select_for_update()}
    if sorted(question_ids) != sorted(questions):
        raise SurveyEditInvalid({"order": [_("The list of questions changed meanwhile: reload the page.")]})
    place = {pk: index + 1 for index, pk in enumerate(question_ids)}
    for question in questions.values():
        if question.show_if_question_id and place[question.show_if_question_id] >= place[question.pk]:
            raise SurveyEditInvalid(
                {
                    "order": [
                        _("“%(follow_up)s” must stay after the question it depends on.")
                        % {"follow_up": question.prompt()}
                    ]
                }
            )
    for pk, position in place.items():
        questions[pk].position = position
    Question.objects.bulk_update(questions.values(), ["position"])
    audit("survey.questions_reorder", survey, details={"order": question_ids})
    return sorted(questions.values(), key=lambda q: q.position)


def question_move(*, question: Question, offset: int) -> list[Question]:
    """Move a question one place up (-1) or down (+1): the keyboard's way to reorder."""
    ids = [q.pk for q in survey_questions_current(question.survey)]
    index = ids.index(question.pk)
    target = index + offset
    if not 0 <= target < len(ids):
        return survey_questions_current(question.survey)
    ids[index], ids[target] = ids[target], ids[index]
    return questions_reorder(survey=question.survey, question_ids=ids)


@transaction.atomic
def survey_save(*, survey: Survey) -> Survey:
    """Save a survey's title, texts and settings (a new or an edited one)."""
    if survey.pk is not None:
        locked = _survey_lock_for_edit(survey)
        survey.version = locked.version
    survey.save()
    audit("survey.save", survey, summary=survey.title_en)
    return survey
