"""The staff Reviews page: the reviews waiting for a person, to publish, reject with a reason or
answer in public. Agents read it; who holds `reviews.moderate_review` (managers) acts on it."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_GET, require_POST

from core.exceptions import ApplicationError
from core.redirects import redirect_back
from reviews import services
from reviews.forms import MODERATE_ACTIONS, ModerateForm, ModerationFilterForm, ReplyForm
from reviews.models import Review
from reviews.selectors import public_author_name, review_status_counts, reviews_for_moderation

PER_PAGE = 25


def _list_page(request, params: QueryDict, *, status: int = 200, reply_errors: dict | None = None):
    form = ModerationFilterForm(params)
    if not form.is_valid():
        return render(request, "reviews/moderation.html", {"nav": "reviews", "form": form}, status=400)
    filters = form.filters()
    page = Paginator(reviews_for_moderation(filters), PER_PAGE).get_page(params.get("page"))
    # the tabs keep every other filter; each row's form comes back to this very address
    others = params.copy()
    for key in ("status", "page"):
        others.pop(key, None)
    counts = review_status_counts(filters)
    tabs = [
        (Review.Status.PENDING, _("To moderate")),
        (Review.Status.PUBLISHED, pgettext("reviews tab", "Published")),
        (Review.Status.REJECTED, pgettext("reviews tab", "Rejected")),
        ("all", pgettext("reviews tab", "All")),
    ]
    current = filters.status or "all"
    return render(
        request,
        "reviews/moderation.html",
        {
            "nav": "reviews",
            "form": form,
            "page": page,
            "rows": [{"review": r, "author": public_author_name(r.author_name)} for r in page.object_list],
            "tabs": [(key, label, counts[key], key == current) for key, label in tabs],
            "others": others.urlencode(),
            "current": current,
            "list_url": reverse("reviews:list"),
            "here": reverse("reviews:list") + ("?" + params.urlencode() if params else ""),
            "may_moderate": request.user.has_perm("reviews.moderate_review"),
            "reply_errors": reply_errors or {},
        },
        status=status,
    )


def _params_of(back: str) -> QueryDict:
    return QueryDict(urlsplit(back or "").query)


@require_GET
@login_required
@permission_required("reviews.view_review", raise_exception=True)
def review_list(request):
    return _list_page(request, request.GET)


@require_POST
@login_required
@permission_required("reviews.moderate_review", raise_exception=True)
def review_moderate(request):
    back = request.POST.get("next", "")
    form = ModerateForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return _list_page(request, _params_of(back), status=400)
    status = MODERATE_ACTIONS[form.cleaned_data["action"]]
    reason = form.cleaned_data["reason"] if status == Review.Status.REJECTED else ""
    done = 0
    for review in form.cleaned_data["reviews"]:
        try:
            services.review_moderate(review=review, status=status, reason=reason, user=request.user)
            done += 1
        except ApplicationError as error:
            messages.warning(request, f"#{review.pk}: {error.message}")
    if status == Review.Status.PUBLISHED:
        text = ngettext("%(count)d review published.", "%(count)d reviews published.", done)
    else:
        text = ngettext("%(count)d review rejected.", "%(count)d reviews rejected.", done)
    messages.success(request, text % {"count": done})
    return redirect_back(request, back, "reviews:list")


@require_POST
@login_required
@permission_required("reviews.moderate_review", raise_exception=True)
def review_reply(request, pk: int):
    review = get_object_or_404(Review.objects.filter(brand__isnull=True), pk=pk)
    back = request.POST.get("next", "")
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The reply was not saved."))
        return _list_page(request, _params_of(back), status=400, reply_errors={review.pk: form.errors["text"]})
    try:
        services.review_reply(review=review, text=form.cleaned_data["text"], author=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
        return _list_page(request, _params_of(back), status=400)
    messages.success(request, _("Your reply is public."))
    return redirect_back(request, back, "reviews:list")
