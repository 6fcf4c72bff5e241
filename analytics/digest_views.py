"""The digest's pages: the managers' preview (with their choice of digests and language) and the
one-click unsubscribe link every digest carries."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from analytics import digests
from analytics.models import DigestFrequency
from core.shop import regional_override


class PreviewForm(forms.Form):
    frequency = forms.ChoiceField(label=_("Digest"), choices=DigestFrequency.choices, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, required=False)


class PreferencesForm(forms.Form):
    daily = forms.BooleanField(label=_("Send me the daily digest"), required=False)
    weekly = forms.BooleanField(label=_("Send me the weekly digest"), required=False)
    language = forms.ChoiceField(label=_("In"), choices=settings.LANGUAGES)


@login_required
@permission_required("analytics.view_dashboards", raise_exception=True)
@require_http_methods(["GET", "POST"])
def digest_preview(request):
    """What the manager's digest holds for the last closed period, in either language."""
    preferences = digests.digest_preferences(request.user)
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            digests.digest_preferences_set(
                user=request.user,
                subscribed={f: form.cleaned_data[f] for f in DigestFrequency.values},
                language=form.cleaned_data["language"],
            )
            messages.success(request, gettext("Your digest choices are saved."))
            return redirect("analytics:digest")
        status = 400
        preview_form = PreviewForm()
    else:
        form = PreferencesForm(
            initial={
                **{f: s.is_subscribed for f, s in preferences.items()},
                "language": preferences[DigestFrequency.WEEKLY].language,
            }
        )
        preview_form = PreviewForm(request.GET)
        status = 200 if preview_form.is_valid() else 400
    chosen = preview_form.cleaned_data if preview_form.is_valid() else {}
    frequency = chosen.get("frequency") or DigestFrequency.WEEKLY
    language = chosen.get("language") or (translation.get_language() or settings.LANGUAGE_CODE)[:2]
    preview = digests.digest_preview(frequency=frequency, language=language)
    return render(
        request,
        "analytics/digest.html",
        {
            "nav": "dashboards",
            "preview": preview,
            "frequency": frequency,
            "preview_language": language,
            "frequencies": DigestFrequency.choices,
            "languages": settings.LANGUAGES,
            "form": form,
            "preview_form": preview_form,
            "recipients": len(digests.digest_recipients(frequency)),
        },
        status=status,
    )


@csrf_exempt  # mail programs POST here without a form (RFC 8058); the signed link is the authority
@require_http_methods(["GET", "POST"])
def digest_unsubscribe(request, token: str):
    """GET asks, so that a link scanner opening the mail unsubscribes nobody; POST (the button, or a
    mail program's one-click) unsubscribes."""
    target = digests.unsubscribe_target(token)
    if target is None:
        return render(request, "analytics/digest_unsubscribe.html", {"state": "invalid"}, status=404)
    user, frequency = target
    language = digests.digest_preferences(user)[frequency].language
    with regional_override(language):
        if request.method == "POST":
            digests.digest_unsubscribe(user=user, frequency=frequency)
            return render(request, "analytics/digest_unsubscribe.html", {"state": "done", "frequency": frequency})
        return render(request, "analytics/digest_unsubscribe.html", {"state": "ask", "frequency": frequency})
