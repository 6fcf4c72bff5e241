import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Platform(models.TextChoices):
    X = "x", "X"
    INSTAGRAM = "instagram", "Instagram"
    FACEBOOK = "facebook", "Facebook"
    TIKTOK = "tiktok", "TikTok"
    YOUTUBE = "youtube", "YouTube"
    REDDIT = "reddit", "Reddit"
    OTHER = "other", _("Other")


class Connector(models.Model):
    """A program that pushes mentions from a platform to our webhook, signing each request.

    Two secrets may be valid at once: after a rotation the previous one keeps working until
    `previous_secret_expires_at`, so the connector can switch without losing a request.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False, verbose_name=_("public ID"))
    name = models.CharField(_("name"), max_length=120)
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    secret = models.CharField(_("secret"), max_length=128, editable=False)
    previous_secret = models.CharField(max_length=128, blank=True, editable=False, verbose_name=_("previous secret"))
    previous_secret_expires_at = models.DateTimeField(_("previous secret valid until"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("connector")
        verbose_name_plural = _("connectors")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"

    def valid_secrets(self, now=None) -> list[str]:
        now = now or timezone.now()
        secrets = [self.secret]
        if self.previous_secret and self.previous_secret_expires_at and self.previous_secret_expires_at > now:
            secrets.append(self.previous_secret)
        return secrets


class Mention(models.Model):
    """A public post about the shop on a social platform."""

    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    external_id = models.CharField(_("external id"), max_length=120)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    author_handle = models.CharField(_("author"), max_length=120)
    author_followers = models.PositiveIntegerField(_("author's followers"), default=0, db_index=True)
    text = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=8, blank=True)
    posted_at = models.DateTimeField(_("posted at"), default=timezone.now, db_index=True)
    is_reply_to_shop = models.BooleanField(_("reply to the shop"), default=False)
    connector = models.ForeignKey(
        Connector,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="mentions",
        verbose_name=_("connector"),
    )
    # a competitor's (None: the shop's own); counted only on the comparison page
    brand = models.ForeignKey(
        "brands.Brand",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="mentions",
        verbose_name=_("brand"),
    )
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("social mention")
        verbose_name_plural = _("social mentions")
        ordering = ["-posted_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["platform", "external_id"], name="mention_once_per_platform")]

    def __str__(self) -> str:
        return f"@{self.author_handle} on {self.get_platform_display()}: {self.text[:50]}"
