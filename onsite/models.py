import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_public_key() -> str:
    return "site_" + secrets.token_urlsafe(12)


class Site(models.Model):
    """A shop website where the feedback widget is installed; its key is public (it is in the page),
    so what protects the endpoint is the list of domains the browser's Origin must match."""

    name = models.CharField(_("name"), max_length=120)
    public_key = models.CharField(_("public key"), max_length=40, unique=True, default=new_public_key, editable=False)
    domains = models.TextField(
        _("domains"),
        help_text=_("One per line, with the port if any: tienda.example.com, www.tienda.example.com, *.example.com"),
    )
    language = models.CharField(
        _("default language"),
        max_length=8,
        choices=settings.LANGUAGES,
        default="es",
        help_text=_("Used when the page does not say its language."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("website")
        verbose_name_plural = _("websites")

    def __str__(self) -> str:
        return self.name

    def domain_list(self) -> list[str]:
        return [line.strip().lower() for line in self.domains.splitlines() if line.strip()]

    def allows_origin(self, origin: str) -> bool:
        """Whether a browser Origin ("https://tienda.example.com") belongs to this site."""
        parts = urlsplit(origin or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return False
        host = parts.hostname + (f":{parts.port}" if parts.port else "")
        for domain in self.domain_list():
            if domain.startswith("*.") and (host.endswith(domain[1:]) and host != domain[2:]):
                return True
            if host == domain:
                return True
        return False


class WebFeedback(models.Model):
    """What a visitor sent through the widget, with where and how they were browsing."""

    class Device(models.TextChoices):
        DESKTOP = "desktop", _("Desktop")
        TABLET = "tablet", _("Tablet")
        MOBILE = "mobile", _("Phone")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="feedback", verbose_name=_("website"))
    rating = models.PositiveSmallIntegerField(
        _("page rating"), null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    comment = models.TextField(_("comment"), blank=True)
    email = models.EmailField(_("email"), blank=True)
    page_url = models.CharField(_("page"), max_length=500, blank=True)
    referrer = models.CharField(_("referrer"), max_length=500, blank=True)
    device = models.CharField(_("device"), max_length=10, choices=Device.choices, blank=True)
    browser_language = models.CharField(_("browser language"), max_length=35, blank=True)
    created_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("website feedback")
        verbose_name_plural = _("website feedback")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__isnull=True) | models.Q(rating__gte=1, rating__lte=5),
                name="web_feedback_rating_1_to_5",
            )
        ]

    def __str__(self) -> str:
        return f"{self.site} · {self.rating or '–'}★ · {self.comment[:40]}"
