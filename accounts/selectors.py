from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import StaffInvitation, TeamMfaRequirement
from core.models import AuditEvent

SIGN_IN_ACTIONS = ("auth.sign_in", "auth.sign_in_failed", "auth.sign_in_locked")


def invitations_pending(*, now=None) -> QuerySet[StaffInvitation]:
    now = now or timezone.now()
    return StaffInvitation.objects.filter(accepted_at=None, revoked_at=None, expires_at__gt=now).select_related(
        "team", "invited_by"
    )


def staff_accounts() -> QuerySet:
    return (
        get_user_model()
        .objects.filter(Q(is_staff=True) | Q(is_superuser=True))
        .prefetch_related("groups", "support_teams")
        .order_by("username")
    )


def sign_ins_of(user, *, limit: int = 50) -> list[AuditEvent]:
    """The account's recent sign-ins, successful or not, newest first."""
    return list(
        AuditEvent.objects.filter(action__in=SIGN_IN_ACTIONS, target_type="auth.user", target_id=str(user.pk))[:limit]
    )


def mfa_required_for(user) -> bool:
    """Whether the account may only work with a second factor: admins (when the setting says so)
    and members of a team whose manager asked for it."""
    if user.is_superuser and settings.VOZ_MFA_REQUIRED_FOR_ADMINS:
        return True
    return TeamMfaRequirement.objects.filter(team__members=user).exists()


def has_mfa(user) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()


def invitations_open() -> QuerySet[StaffInvitation]:
    """Invitations not accepted nor revoked: pending ones, and expired ones that can be sent again."""
    return StaffInvitation.objects.filter(accepted_at=None, revoked_at=None).select_related("team", "invited_by")


def users_with_mfa() -> set[int]:
    from allauth.mfa.models import Authenticator

    return set(
        Authenticator.objects.filter(type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]).values_list(
            "user_id", flat=True
        )
    )
