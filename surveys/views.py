from functools import wraps

from django.conf import settings
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_http_methods

from core.shop import regional_override, shop_settings
from customers.emailing import consent_record
from customers.models import ConsentSource, Customer
from surveys import review_requests, services
from surveys.forms import ProductReviewsForm, SurveyAnswerForm
from surveys.models import Invitation

SUPPORTED_LANGUAGES = {code for code, _name in settings.LANGUAGES}


def _language_for(request, invitation: Invitation | None) -> str:
    """The language the customer picked on the page, else the one we know they prefer."""
    asked = (request.POST.get("lang") or request.GET.get("lang") or "").lower()
    if asked in SUPPORTED_LANGUAGES:
        return asked
    if invitation is not None:
        return invitation.language
    return translation.get_language_from_request(request) or settings.LANGUAGE_CODE


def _unavailable(request, *, reason: str, language: str, status: int):
    with regional_override(language):
        return render(
            request,
            "surveys/unavailable.html",
            {"reason": reason, "language": language, "shop_name": shop_settings().name},
            status=status,
        )


def _behind_the_link(view):
    """The page behind a survey link: its invitation, in the customer's language.

    A link that was altered or never existed gets the friendly 404 page instead.
    """

    @wraps(view)
    def page(request, token: str):
        invitation = services.invitation_for_token(token)
        language = _language_for(request, invitation)
        if invitation is None:
            return _unavailable(request, reason="invalid", language=language, status=404)
        with regional_override(language):
            return view(request, token, invitation, language)

    return page


def _page_context(language: str) -> dict:
    return {
        "language": language,
        "other_languages": [(code, name) for code, name in settings.LANGUAGES if code != language],
        "shop_name": shop_settings().name,
    }


@require_http_methods(["GET", "POST"])
@_behind_the_link
def survey_answer(request, token: str, invitation: Invitation, language: str):
    try:
        services.invitation_check_answerable(invitation=invitation)
    except services.InvitationAlreadyAnswered:
        if request.method == "POST":
            # A double click or a second tab: the answers are stored, so this sending gets
            # the thank-you page the first one got, not an error.
            return redirect(_thanks_url(token, language))
        return _unavailable(request, reason="answered", language=language, status=410)
    except services.InvitationExpired:
        return _unavailable(request, reason="expired", language=language, status=410)

    questions = services.survey_questions(invitation.survey)
    # bound on every POST, an empty one too (its token can come in a header): it is a sending
    # that answers nothing, refused with the missing answers named
    form = SurveyAnswerForm(_posted(request), questions=questions, language=language)
    status = 200
    if request.method == "POST":
        if form.is_valid() and form.is_probably_a_bot:
            return redirect(_thanks_url(token, language))
        if form.is_valid():
            try:
                services.response_submit(
                    invitation=invitation,
                    answers=form.answers_by_question_id(),
                    language=language,
                    user_agent=request.headers.get("User-Agent", ""),
                    questions=questions,
                )
            except services.SurveyAnswersInvalid as invalid:
                _add_errors(form, questions, invalid.errors)
            except services.InvitationAlreadyAnswered:
                return redirect(_thanks_url(token, language))
            except services.InvitationUnavailable:
                return _unavailable(request, reason="expired", language=language, status=410)
            else:
                if request.POST.get("marketing_consent") == "yes" and invitation.customer_id:
                    consent_record(
                        customer=Customer(pk=invitation.customer_id), granted=True, source=ConsentSource.SURVEY_PAGE
                    )
                return redirect(_thanks_url(token, language))
        else:
            # Tell the customer about every problem at once, not only the unparseable fields.
            _, errors = services.answers_check(
                questions=questions,
                answers=form.answers_by_question_id(),
                skip=frozenset(q.pk for q in questions if SurveyAnswerForm.field_name(q) in form.errors),
            )
            _add_errors(form, questions, errors)
        status = 400
    else:
        services.invitation_mark_opened(invitation=invitation)

    return render(
        request,
        "surveys/answer.html",
        {
            "invitation": invitation,
            "survey": invitation.survey,
            "title": invitation.survey.title(language),
            "intro": invitation.survey.intro(language),
            "form": form,
            "consent_checked": request.method == "POST" and request.POST.get("marketing_consent") == "yes",
            **(
                {"fields": _fields(form, questions)}
                if form.is_bound
                else {"blank_questions": _blank_questions_html(invitation.survey_id, questions, form, language)}
            ),
            **_page_context(language),
        },
        status=status,
    )


def _posted(request):
    return request.POST if request.method == "POST" else None


def _fields(form: SurveyAnswerForm, questions) -> list:
    return [(question, form[SurveyAnswerForm.field_name(question)], form.options(question)) for question in questions]


# A blank survey is the same markup for every customer who opens it in a language, and rendering
# its questions was two thirds of the page's CPU (bench/load.py). Each process renders them once
# for as long as it keeps the survey's questions: surveys.services.survey_questions hands out a
# new list when they change (at once on an edit here, within its TTL elsewhere), and a new list
# renders anew.
_blank_questions: dict[tuple[int, str], tuple[list, str]] = {}


def _blank_questions_html(survey_id: int, questions: list, form: SurveyAnswerForm, language: str) -> str:
    key = (survey_id, language)
    cached = _blank_questions.get(key)
    if cached is not None and cached[0] is questions:
        return cached[1]
    # No request: nothing of one customer's (their token, their CSRF cookie) may end up in markup
    # that other customers are served.
    html = render_to_string("surveys/_questions.html", {"fields": _fields(form, questions)})
    _blank_questions[key] = (questions, html)
    return html


def _add_errors(form: SurveyAnswerForm, questions, errors: dict[str, list[str]]) -> None:
    by_code = {question.code: question for question in questions}
    for code, messages in errors.items():
        for message in messages:
            form.add_error(SurveyAnswerForm.field_name(by_code[code]), message)


def _thanks_url(token: str, language: str, *, page: str = "surveys:thanks") -> str:
    return f"{reverse(page, kwargs={'token': token})}?lang={language}"


def _reviews_url_if_offered(invitation: Invitation, token: str, language: str) -> str:
    try:
        review_requests.invitation_check_reviewable(invitation=invitation)
    except services.InvitationUnavailable:
        return ""
    if not review_requests.invitation_has_reviewable_products(invitation):
        return ""
    return f"{reverse('surveys:reviews', kwargs={'token': token})}?lang={language}"


@require_http_methods(["GET"])
@_behind_the_link
def survey_thanks(request, token: str, invitation: Invitation, language: str):
    return render(
        request,
        "surveys/thanks.html",
        {
            "thanks": invitation.survey.thanks(language),
            "is_answered": invitation.status == Invitation.Status.ANSWERED,
            "reviews_url": _reviews_url_if_offered(invitation, token, language),
            "language": language,
            "shop_name": shop_settings().name,
        },
    )


@require_http_methods(["GET", "POST"])
@_behind_the_link
def product_reviews(request, token: str, invitation: Invitation, language: str):
    """The customer reviews each product of the order, behind the survey's signed link."""
    try:
        review_requests.invitation_check_reviewable(invitation=invitation)
    except review_requests.ReviewsAlreadySubmitted:
        return _unavailable(request, reason="reviewed", language=language, status=410)
    except review_requests.ReviewsNotOffered:
        return _unavailable(request, reason="invalid", language=language, status=404)
    except services.InvitationExpired:
        return _unavailable(request, reason="expired", language=language, status=410)
    products = review_requests.invitation_reviewable_products(invitation)
    form = ProductReviewsForm(_posted(request), request.FILES if request.method == "POST" else None, products=products)
    status = 200
    if request.method == "POST":
        if form.is_valid() and form.cleaned_data.get("website"):
            return redirect(_thanks_url(token, language, page="surveys:reviews-thanks"))
        if form.is_valid():
            try:
                review_requests.invitation_reviews_submit(
                    invitation=invitation, reviews=form.product_reviews(), language=language
                )
            except review_requests.ReviewsAlreadySubmitted:
                return _unavailable(request, reason="reviewed", language=language, status=410)
            except services.InvitationUnavailable:
                return _unavailable(request, reason="expired", language=language, status=410)
            return redirect(_thanks_url(token, language, page="surveys:reviews-thanks"))
        status = 400
    return render(
        request,
        "surveys/reviews.html",
        {
            "form": form,
            **_page_context(language),
            "order": invitation.order,
            "photo_limit": settings.REVIEW_PHOTOS_PER_REVIEW,
            "photo_max_mb": settings.REVIEW_PHOTO_MAX_BYTES // (1024 * 1024),
        },
        status=status,
    )


@require_http_methods(["GET"])
@_behind_the_link
def product_reviews_thanks(request, token: str, invitation: Invitation, language: str):
    return render(request, "surveys/reviews_thanks.html", {"language": language, "shop_name": shop_settings().name})
