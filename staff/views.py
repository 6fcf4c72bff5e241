import mimetypes
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from analytics.views import summary_for_page
from core.shop import shop_settings, shop_settings_row
from staff import selectors, services
from staff.forms import ShopSettingsForm
from surveys.services import NoSurveyToTest, invitation_send_test


def root(request):
    """The address people type: staff to their home, everyone else to the login page."""
    if request.user.is_authenticated and request.user.is_staff:
        return redirect("staff:home")
    return redirect_to_login(reverse("staff:home"))


def _is_manager(user) -> bool:
    return user.has_perm("analytics.view_dashboards")


def _staff_required(view):
    """Staff only; anyone else (signed in or not) is sent to the login page, as on every staff page."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not (request.user.is_authenticated and request.user.is_staff):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


@require_GET
@_staff_required
def home(request):
    """Agents see their cases by SLA urgency; managers the week's scores, SLA, topics and alerts."""
    user = request.user
    context = {"nav": "home", "is_manager": _is_manager(user)}
    if context["is_manager"]:
        week = selectors.manager_home()
        context["week"] = {**week, "summary": summary_for_page(week["summary"])}
        if user.has_perm("core.change_shopsettings"):
            steps = selectors.onboarding_steps()
            context["steps_done"] = sum(step.is_done for step in steps)
            context["steps_total"] = len(steps)
    if user.has_perm("support.view_case"):
        context["cases"] = selectors.agent_home(user=user)
    return render(request, "staff/home.html", context)


@require_GET
@login_required
@permission_required("core.change_shopsettings", raise_exception=True)
def onboarding(request):
    steps = selectors.onboarding_steps()
    done = sum(step.is_done for step in steps)
    return render(
        request,
        "staff/onboarding.html",
        {
            "nav": "home",
            "steps": steps,
            "done": done,
            "total": len(steps),
            "percent": round(100 * done / len(steps)),
            "sites": selectors.widget_sites(),
            "widget_url": settings.VOZ_PUBLIC_BASE_URL + reverse("onsite:widget"),
        },
    )


@require_POST
@login_required
@permission_required("core.change_shopsettings", raise_exception=True)
def test_survey_send(request):
    language = translation.get_language() or settings.LANGUAGE_CODE
    try:
        invitation = invitation_send_test(user=request.user, language=language[:2])
    except NoSurveyToTest as refusal:
        messages.error(request, str(refusal))
    else:
        messages.success(
            request, gettext("The survey is on its way to %(email)s.") % {"email": invitation.customer.email}
        )
    return redirect(reverse("staff:onboarding") + "#test-survey")


@require_http_methods(["GET", "POST"])
@login_required
@permission_required("core.change_shopsettings", raise_exception=True)
def shop_settings_edit(request):
    """The shop's settings, for managers: no superuser or env file needed."""
    row = shop_settings_row()
    form = ShopSettingsForm(request.POST or None, request.FILES or None, instance=row, shop=shop_settings())
    status = 200
    if request.method == "POST":
        if form.is_valid():
            services.shop_settings_update(row=form.save(commit=False), changed=form.changed_data)
            messages.success(request, gettext("Settings saved."))
            if "time_zone" in form.changed_data:
                messages.info(
                    request,
                    gettext(
                        "The dashboards are being recounted in the time zone %(zone)s. Until that finishes, "
                        "in a few minutes, their figures may be incomplete."
                    )
                    % {"zone": form.instance.time_zone or settings.TIME_ZONE},
                )
            return redirect("staff:settings")
        status = 400
    return render(
        request,
        "staff/settings.html",
        {"nav": "settings", "form": form, "shop": shop_settings()},
        status=status,
    )


@require_GET
def shop_logo(request):
    """The shop's logo, public: survey pages and emails show it."""
    name = shop_settings().logo_path
    if not name or not default_storage.exists(name):
        raise Http404
    response = FileResponse(default_storage.open(name, "rb"), content_type=mimetypes.guess_type(name)[0])
    response["Cache-Control"] = "public, max-age=86400"
    return response
