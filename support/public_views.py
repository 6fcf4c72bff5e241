from django.conf import settings
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.http import require_http_methods

from core.shop import regional_override, shop_settings
from support import services
from support.notifications import _customer_language, case_for_followup_token


@require_http_methods(["GET", "POST"])
def followup(request, token: str):
    """The customer answers "did we solve your problem?" (1–5) from the link in the email."""
    case = case_for_followup_token(token)
    language = _customer_language(case) if case else settings.LANGUAGE_CODE
    context = {"shop_name": shop_settings().name, "language": language}
    with regional_override(language):
        if case is None:
            return render(request, "support/followup.html", {**context, "state": "invalid"}, status=404)
        if case.followup_score is not None:
            return render(request, "support/followup.html", {**context, "state": "answered"}, status=410)
        error = ""
        if request.method == "POST":
            try:
                services.case_followup_answer(case=case, score=int(request.POST.get("score", "0")))
            except ValueError:
                error = translation.gettext("Choose a number from 1 to 5.")
            except services.FollowupAlreadyAnswered:
                return render(request, "support/followup.html", {**context, "state": "answered"}, status=410)
            except services.CaseActionRefused:
                error = translation.gettext("Choose a number from 1 to 5.")
            else:
                return render(request, "support/followup.html", {**context, "state": "thanks"})
        preselected = request.GET.get("score", "")
        return render(
            request,
            "support/followup.html",
            {**context, "state": "ask", "error": error, "preselected": preselected, "scores": range(1, 6)},
            status=400 if error else 200,
        )
