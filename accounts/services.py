"""Writes of the staff accounts: invitations, two-factor requirements and recovery, sessions.

Every action is recorded in the audit log (core.audit) by the service that does it.
"""

from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import StaffInvitation, TeamMfaRequirement, invitation_key_new
from accounts.roles import role_assign
from core.audit import audit
from core.exceptions import ApplicationError

_INVITATION_SALT = "accounts.invitation"


class InvitationRefused(ApplicationError):
    code = "invitation_refused"


class InvitationUnusable(ApplicationError):
    """The link is forged, expired, revoked, replaced by a newer one or already used."""

    status_code = 404
    code = "invitation_unusable"


def invitation_token(invitation: StaffInvitation) -> str:
    return signing.dumps({"i": invitation.pk, "k": invitation.key}, salt=_INVITATION_SALT, compress=True)


def invitation_from_token(token: str, *, now=None) -> StaffInvitation:
    """The invitation a link stands for, if it can still be accepted."""
    max_age = timedelta(hours=settings.VOZ_INVITATION_MAX_AGE_HOURS)
    try:
        data = signing.loads(token, salt=_INVITATION_SALT, max_age=max_age)
    except signing.BadSignature as error:  # SignatureExpired is one
        raise InvitationUnusable(str(_("This invitation link is not valid any more."))) from error
    invitation = StaffInvitation.objects.filter(pk=data.get("i"), key=data.get("k")).select_related("team").first()
    if invitation is None or invitation.status_at(now) != StaffInvitation.Status.PENDING:
        raise InvitationUnusable(str(_("This invitation link is not valid any more.")))
    return invitation


def _email_taken(email: str) -> bool:
    from allauth.account.models import EmailAddress

    return (
        get_user_model().objects.filter(email__iexact=email).exists()
        or EmailAddress.objects.filter(email__iexact=email).exists()
    )


def _schedule_email(invitation: StaffInvitation) -> None:
    from accounts.tasks import invitation_email_send

    transaction.on_commit(lambda: invitation_email_send.delay(invitation.pk))


@transaction.atomic
def invitation_create(*, email: str, role: str, team, language: str, invited_by, now=None) -> StaffInvitation:
    now = now or timezone.now()
    email = email.strip()
    if _email_taken(email):
        raise InvitationRefused(str(_("Someone already has an account with this email address.")))
    if invitations_pending_for(email, now=now):
        raise InvitationRefused(str(_("This address already has a pending invitation: resend it instead.")))
    invitation = StaffInvitation.objects.create(
        email=email,
        role=role,
        team=team,
        language=language,
        invited_by=invited_by,
        created_at=now,
        expires_at=now + timedelta(hours=settings.VOZ_INVITATION_MAX_AGE_HOURS),
    )
    audit(
        "staff.invitation_create",
        invitation,
        summary=email,
        actor=invited_by,
        details={"role": role, "team": team.slug if team else ""},
    )
    _schedule_email(invitation)
    return invitation


def invitations_pending_for(email: str, *, now) -> bool:
    return StaffInvitation.objects.filter(
        email__iexact=email, accepted_at=None, revoked_at=None, expires_at__gt=now
    ).exists()


@transaction.atomic
def invitation_resend(*, invitation: StaffInvitation, actor, now=None) -> StaffInvitation:
    """Send a fresh link, valid for the full period again; the previous link stops working."""
    now = now or timezone.now()
    invitation = StaffInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at or invitation.revoked_at:
        raise InvitationRefused(str(_("Only a pending or expired invitation can be sent again.")))
    invitation.key = invitation_key_new()
    invitation.expires_at = now + timedelta(hours=settings.VOZ_INVITATION_MAX_AGE_HOURS)
    invitation.save(update_fields=["key", "expires_at"])
    audit("staff.invitation_resend", invitation, summary=invitation.email, actor=actor)
    _schedule_email(invitation)
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: StaffInvitation, actor, now=None) -> StaffInvitation:
    invitation = StaffInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at:
        raise InvitationRefused(str(_("This invitation has already been accepted.")))
    if invitation.revoked_at is None:
        invitation.revoked_at = now or timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit("staff.invitation_revoke", invitation, summary=invitation.email, actor=actor)
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: StaffInvitation, password: str, first_name: str = "", last_name: str = ""):
    """Create the colleague's account with the invited role and team and their own password."""
    from allauth.account.adapter import get_adapter
    from allauth.account.models import EmailAddress

    from support.models import StaffProfile

    invitation = StaffInvitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.status != StaffInvitation.Status.PENDING:
        raise InvitationUnusable(str(_("This invitation link is not valid any more.")))
    if _email_taken(invitation.email):
        raise InvitationRefused(str(_("Someone already has an account with this email address.")))
    User = get_user_model()
    user = User(
        username=get_adapter().generate_unique_username([invitation.email.split("@")[0], first_name, "staff"]),
        email=invitation.email,
        first_name=first_name,
        last_name=last_name,
    )
    user.set_password(password)
    user.save()
    EmailAddress.objects.create(user=user, email=invitation.email, verified=True, primary=True)
    role_assign(user, invitation.role)
    if invitation.team_id:
        invitation.team.members.add(user)
    StaffProfile.objects.update_or_create(user=user, defaults={"language": invitation.language})
    invitation.accepted_at = timezone.now()
    invitation.accepted_user = user
    invitation.save(update_fields=["accepted_at", "accepted_user"])
    audit("staff.invitation_accept", invitation, summary=invitation.email, actor=user, details={"user": user.pk})
    return user


@transaction.atomic
def team_mfa_require(*, team, required: bool, actor) -> None:
    if required:
        _, created = TeamMfaRequirement.objects.get_or_create(team=team, defaults={"required_by": actor})
    else:
        created = bool(TeamMfaRequirement.objects.filter(team=team).delete()[0])
    if created:
        audit("staff.team_mfa_require" if required else "staff.team_mfa_relax", team, summary=team.name, actor=actor)


@transaction.atomic
def account_mfa_reset(*, user, actor) -> int:
    """An admin's recovery for someone who lost their second factor: every authenticator (and the
    recovery codes) is removed and their sessions end; they set two-factor up again at sign-in."""
    from allauth.mfa.models import Authenticator

    removed, _details = Authenticator.objects.filter(user=user).delete()
    audit("account.mfa_reset", user, summary=user.get_username(), actor=actor, details={"removed": removed})
    account_sessions_end(user=user, actor=actor, record=False)
    return removed


def account_sessions_end(*, user, actor, record: bool = True) -> int:
    """Sign the account out everywhere: every session of it in the session store ends.

    Sessions made by allauth's sign-in are tracked (allauth.usersessions); sessions made another way
    (before this feature, or by a test's force_login) are found by reading the database session
    store, which the db and cached_db backends keep.
    """
    from allauth.usersessions.models import UserSession

    ended = set()
    for tracked in UserSession.objects.filter(user=user):
        ended.add(tracked.session_key)
        tracked.end()
    if settings.SESSION_ENGINE in ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"):
        from django.contrib.sessions.models import Session

        store = import_module(settings.SESSION_ENGINE).SessionStore
        for session in Session.objects.filter(expire_date__gt=timezone.now()).iterator():
            if session.get_decoded().get("_auth_user_id") == str(user.pk):
                ended.add(session.session_key)
                store().delete(session.session_key)
    if record:
        audit("account.sessions_end", user, summary=user.get_username(), actor=actor, details={"sessions": len(ended)})
    return len(ended)
