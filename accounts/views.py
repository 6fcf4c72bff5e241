"""Staff accounts pages: managers invite colleagues and look after their teams' accounts; admins
also recover a lost second factor, sign someone out everywhere and check single sign-on."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts import selectors, services, sso
from accounts.forms import InvitationAcceptForm, InvitationForm
from accounts.models import StaffInvitation
from accounts.roles import ROLE_LABELS, is_manager, role_of
from core.exceptions import ApplicationError


def _require_manager(request) -> None:
    if not is_manager(request.user):
        raise PermissionDenied


def _require_admin(request) -> None:
    if not (request.user.is_active and request.user.is_superuser):
        raise PermissionDenied


def _may_set_team_mfa(user, team) -> bool:
    return user.is_superuser or team.members.filter(pk=user.pk).exists()


@login_required
def staff(request):
    from support.models import Team

    _require_manager(request)
    form = InvitationForm(initial={"language": (translation.get_language() or settings.LANGUAGE_CODE)[:2]})
    if request.method == "POST":
        form = InvitationForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                invitation = services.invitation_create(
                    email=data["email"],
                    role=data["role"],
                    team=data["team"],
                    language=data["language"],
                    invited_by=request.user,
                )
            except ApplicationError as error:
                form.add_error("email", error.message)
            else:
                messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
                return redirect("accounts:staff")
    with_mfa = selectors.users_with_mfa()
    accounts = [
        {
            "user": user,
            "role_label": ROLE_LABELS.get(role_of(user), "—"),
            "teams": list(user.support_teams.all()),
            "has_mfa": user.pk in with_mfa,
        }
        for user in selectors.staff_accounts()
    ]
    own_teams = set(request.user.support_teams.values_list("pk", flat=True))
    teams = [
        {
            "team": team,
            "requires_mfa": hasattr(team, "mfa_requirement"),
            "can_change": request.user.is_superuser or team.pk in own_teams,
        }
        for team in Team.objects.select_related("mfa_requirement").order_by("name")
    ]
    return render(
        request,
        "accounts/staff.html",
        {
            "nav": "staff",
            "form": form,
            "accounts": accounts,
            "invitations": selectors.invitations_open(),
            "teams": teams,
            "invitation_hours": settings.VOZ_INVITATION_MAX_AGE_HOURS,
            "admins_need_mfa": settings.VOZ_MFA_REQUIRED_FOR_ADMINS,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def invitation_resend(request, pk: int):
    _require_manager(request)
    invitation = get_object_or_404(StaffInvitation, pk=pk)
    try:
        services.invitation_resend(invitation=invitation, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("A new link was sent to %(email)s.") % {"email": invitation.email})
    return redirect("accounts:staff")


@login_required
@require_POST
def invitation_revoke(request, pk: int):
    _require_manager(request)
    invitation = get_object_or_404(StaffInvitation, pk=pk)
    try:
        services.invitation_revoke(invitation=invitation, actor=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The invitation to %(email)s was revoked.") % {"email": invitation.email})
    return redirect("accounts:staff")


@login_required
@require_POST
def team_mfa(request, pk: int):
    from support.models import Team

    _require_manager(request)
    team = get_object_or_404(Team, pk=pk)
    if not _may_set_team_mfa(request.user, team):
        raise PermissionDenied
    required = request.POST.get("required") == "1"
    services.team_mfa_require(team=team, required=required, actor=request.user)
    if required:
        messages.success(request, _("Members of %(team)s now need two-factor authentication.") % {"team": team})
    else:
        messages.success(request, _("Two-factor authentication is optional again in %(team)s.") % {"team": team})
    return redirect("accounts:staff")


@login_required
def account(request, pk: int):
    _require_manager(request)
    user = get_object_or_404(selectors.staff_accounts(), pk=pk)
    return render(
        request,
        "accounts/account.html",
        {
            "nav": "staff",
            "account": user,
            "role_label": ROLE_LABELS.get(role_of(user), "—"),
            "has_mfa": selectors.has_mfa(user),
            "sign_ins": selectors.sign_ins_of(user),
        },
    )


@login_required
@require_POST
def account_mfa_reset(request, pk: int):
    _require_admin(request)
    user = get_object_or_404(get_user_model(), pk=pk)
    services.account_mfa_reset(user=user, actor=request.user)
    messages.success(
        request,
        _("Two-factor authentication of %(user)s was reset; they set it up again at their next sign-in.")
        % {"user": user.get_username()},
    )
    return redirect("accounts:account", pk=user.pk)


@login_required
@require_POST
def account_sign_out(request, pk: int):
    _require_admin(request)
    user = get_object_or_404(get_user_model(), pk=pk)
    ended = services.account_sessions_end(user=user, actor=request.user)
    if user == request.user:
        return redirect(settings.LOGIN_URL)
    messages.success(
        request, _("%(user)s was signed out everywhere (%(count)s sessions).") % {"user": user, "count": ended}
    )
    return redirect("accounts:account", pk=user.pk)


@login_required
@require_POST
def sign_out_everywhere(request):
    services.account_sessions_end(user=request.user, actor=request.user)
    logout(request)
    messages.success(request, _("You were signed out on every device."))
    return redirect(settings.LOGIN_URL)


def invitation_accept(request, token: str):
    """The colleague's side of an invitation: choose a password, then sign in."""
    try:
        invitation = services.invitation_from_token(token)
    except services.InvitationUnusable:
        return render(request, "accounts/invitation_unusable.html", status=404)
    if request.user.is_authenticated:
        logout(request)  # someone else's session on this browser must not carry over
    form = InvitationAcceptForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.invitation_accept(
                invitation=invitation,
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Your account is ready. Sign in with %(username)s or your email address.")
                % {"username": user.get_username()},
            )
            return redirect("account_login")
    return render(
        request,
        "accounts/invitation_accept.html",
        {"invitation": invitation, "form": form},
        status=400 if form.errors else 200,
    )


@login_required
def sso_settings(request):
    _require_admin(request)
    report = None
    if request.method == "POST":
        report = sso.discovery_check()
    return render(
        request,
        "accounts/sso.html",
        {
            "nav": "staff",
            "report": report,
            "configured": bool(settings.OIDC_SERVER_URL),
            "server_url": settings.OIDC_SERVER_URL,
            "client_id": settings.OIDC_CLIENT_ID,
            "groups_claim": settings.OIDC_GROUPS_CLAIM,
            "role_groups": sorted(settings.OIDC_ROLE_GROUPS.items()),
            "provider_name": settings.OIDC_PROVIDER_NAME,
        },
    )
