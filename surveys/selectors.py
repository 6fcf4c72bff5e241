from django.db.models import OuterRef, Prefetch, QuerySet, Subquery

from surveys.models import Answer, Question, Response, Survey

SCALE_KINDS = list(Question.SCALES)


def surveys_with_questions() -> QuerySet[Survey]:
    questions = Question.objects.select_related("show_if_question").prefetch_related("choices")
    return Survey.objects.prefetch_related(Prefetch("questions", queryset=questions.order_by("position", "pk")))


def _first_scale_answer() -> QuerySet[Answer]:
    return Answer.objects.filter(
        response=OuterRef("pk"), number__isnull=False, question__kind__in=SCALE_KINDS
    ).order_by("question__position", "question_id")


def responses_with_answers() -> QuerySet[Response]:
    """Submitted surveys with their answers and a `score`: the answer to the survey's first scale
    question (NPS, CSAT, CES or stars) that was answered, by which the API filters."""
    return (
        Response.objects.select_related("survey", "customer", "order")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=Answer.objects.select_related("question").order_by("question__position", "question_id"),
            )
        )
        .annotate(
            score=Subquery(_first_scale_answer().values("number")[:1]),
            score_question=Subquery(_first_scale_answer().values("question__code")[:1]),
        )
    )


def question_codes(responses: QuerySet[Response]) -> list[str]:
    """The question codes of the surveys these responses answer, in survey and question order,
    each once: the answer columns of an export."""
    survey_ids = responses.order_by().values("survey_id").distinct()
    codes: list[str] = []
    for code in (
        Question.objects.filter(survey_id__in=survey_ids)
        .order_by("survey__slug", "position", "pk")
        .values_list("code", flat=True)
    ):
        if code not in codes:
            codes.append(code)
    return codes
