from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery

from surveys.models import Answer, Invitation, Question, Response, Survey

SCALE_KINDS = list(Question.SCALES)


def surveys_with_questions() -> QuerySet[Survey]:
    questions = (
        Question.objects.filter(retired_at__isnull=True).select_related("show_if_question").prefetch_related("choices")
    )
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


# The invitations' channels: a link emailed after an order, or a survey offered on the website.
FUNNEL_CHANNELS = ("email", "web")


@dataclass(frozen=True)
class Funnel:
    """Invited → opened → answered, for the invitations created in a period."""

    invited: int
    opened: int
    answered: int

    @property
    def opened_rate(self) -> float | None:
        return round(100 * self.opened / self.invited, 1) if self.invited else None

    @property
    def response_rate(self) -> float | None:
        return round(100 * self.answered / self.invited, 1) if self.invited else None


def _funnel_invitations(*, since: datetime | None, until: datetime | None, channel: str) -> QuerySet[Invitation]:
    # invited: the email went out, or the website showed the offer (intercepts are "sent" at once);
    # a pending or cancelled invitation has asked nobody yet
    invitations = Invitation.objects.filter(sent_at__isnull=False)
    if since is not None:
        invitations = invitations.filter(sent_at__gte=since)
    if until is not None:
        invitations = invitations.filter(sent_at__lt=until)
    if channel == "email":
        invitations = invitations.filter(intercept__isnull=True)
    elif channel == "web":
        invitations = invitations.filter(intercept__isnull=False)
    return invitations


_FUNNEL_COUNTS = {
    "invited": Count("pk"),
    # answering opens the page, even when its first view was not recorded (a form posted straight)
    "opened": Count("pk", filter=Q(opened_at__isnull=False) | Q(answered_at__isnull=False)),
    "answered": Count("pk", filter=Q(answered_at__isnull=False)),
}


def survey_funnels(
    *, since: datetime | None = None, until: datetime | None = None, channel: str = ""
) -> dict[int, Funnel]:
    """Each survey's funnel over the invitations sent in [since, until), on one channel or both."""
    rows = (
        _funnel_invitations(since=since, until=until, channel=channel)
        .order_by()
        .values("survey_id")
        .annotate(**_FUNNEL_COUNTS)
    )
    return {row.pop("survey_id"): Funnel(**row) for row in rows}


def funnel_total(
    *, since: datetime | None = None, until: datetime | None = None, channel: str = "", survey_id: int | None = None
) -> Funnel:
    """One funnel over all surveys (or one), the Satisfaction dashboard's figure."""
    invitations = _funnel_invitations(since=since, until=until, channel=channel)
    if survey_id is not None:
        invitations = invitations.filter(survey_id=survey_id)
    return Funnel(**invitations.aggregate(**_FUNNEL_COUNTS))
