from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts.models import StaffInvitation
from core.shop import regional_override


def invitation_email_send(*, invitation_id: int) -> None:
    """Email the invitation's current link, in the language the manager chose for the colleague.
    Quiet when the invitation is gone or no longer pending (a retry after it was revoked)."""
    from accounts.services import invitation_token

    invitation = StaffInvitation.objects.filter(pk=invitation_id).select_related("team", "invited_by").first()
    if invitation is None or invitation.status != StaffInvitation.Status.PENDING:
        return
    url = settings.VOZ_PUBLIC_BASE_URL + reverse("accounts:invitation-accept", args=[invitation_token(invitation)])
    with regional_override(invitation.language):
        context = {
            "invitation": invitation,
            "url": url,
            "shop_name": settings.VOZ_SHOP_NAME,
            "hours": settings.VOZ_INVITATION_MAX_AGE_HOURS,
            "inviter": (invitation.invited_by.get_full_name() or invitation.invited_by.get_username())
            if invitation.invited_by
            else settings.VOZ_SHOP_NAME,
        }
        subject = " ".join(render_to_string("accounts/email/invitation_subject.txt", context).split())
        body = render_to_string("accounts/email/invitation.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.email])
    StaffInvitation.objects.filter(pk=invitation.pk).update(sent_at=timezone.now())
