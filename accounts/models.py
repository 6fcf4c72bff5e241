import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def invitation_key_new() -> str:
    return secrets.token_urlsafe(24)


class StaffInvitation(models.Model):
    """A manager's invitation to a colleague: an email address, a role and a team.

    The link carries the invitation's id and `key`, signed (accounts.invitations); it works once
    (accepted_at), until expires_at, and not after revoked_at. Resending draws a new key, so an
    older link stops working.
    """

    class Role(models.TextChoices):
        AGENT = "agent", _("Support agent")
        MANAGER = "manager", _("Manager")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        ACCEPTED = "accepted", _("Accepted")
        REVOKED = "revoked", _("Revoked")
        EXPIRED = "expired", _("Expired")

    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    team = models.ForeignKey(
        "support.Team", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("team")
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    key = models.CharField(max_length=64, default=invitation_key_new, editable=False, verbose_name=_("key"))
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("invited by")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("staff invitation")
        verbose_name_plural = _("staff invitations")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.email} ({self.role})"

    def status_at(self, now=None) -> str:
        now = now or timezone.now()
        if self.accepted_at:
            return self.Status.ACCEPTED
        if self.revoked_at:
            return self.Status.REVOKED
        if self.expires_at <= now:
            return self.Status.EXPIRED
        return self.Status.PENDING

    @property
    def status(self) -> str:
        return self.status_at()


class TeamMfaRequirement(models.Model):
    """A team whose members must use two-factor authentication, set by a manager."""

    team = models.OneToOneField(
        "support.Team", on_delete=models.CASCADE, related_name="mfa_requirement", verbose_name=_("team")
    )
    required_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+", verbose_name=_("required by")
    )
    required_at = models.DateTimeField(default=timezone.now, verbose_name=_("required at"))

    class Meta:
        verbose_name = _("two-factor requirement")
        verbose_name_plural = _("two-factor requirements")
        default_permissions = ()

    def __str__(self) -> str:
        return str(self.team)
