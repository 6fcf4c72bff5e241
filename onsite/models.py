import hashlib
import hmac
import re
import secrets
from urllib.parse import urlsplit

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def new_public_key() -> str:
    return "site_" + secrets.token_urlsafe(12)


def new_identity_secret() -> str:
    return secrets.token_urlsafe(32)


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
    identity_secret = models.CharField(
        _("identity secret"),
        max_length=64,
        default=new_identity_secret,
        editable=False,
        help_text=_("Kept on the shop's server: it signs the customer id the page passes to the widget."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    # Proof the snippet is installed: the widget asked for its settings from a page of this domain.
    last_seen_at = models.DateTimeField(_("widget last seen"), null=True, blank=True, editable=False)
    last_seen_origin = models.CharField(_("widget last seen on"), max_length=200, blank=True, editable=False)

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

    def customer_signature(self, external_id: str) -> str:
        """What the shop's server puts beside the customer id in the page (as Intercom's user hash):
        without it anyone could answer, or silence surveys, in another customer's name."""
        return hmac.new(self.identity_secret.encode(), external_id.encode(), hashlib.sha256).hexdigest()

    def verifies_customer(self, external_id: str, signature: str) -> bool:
        return bool(external_id) and hmac.compare_digest(self.customer_signature(external_id), signature or "")


def page_pattern_matches(pattern: str, url: str) -> bool:
    """`*` stands for anything; a pattern without "?" is matched against the path alone, so
    "/gracias*" also matches "/gracias?pedido=12". The widget's JavaScript does the same."""
    pattern = pattern.strip()
    if not pattern:
        return False
    parts = urlsplit(url or "")
    target = parts.path or "/"
    if "?" in pattern:
        target += "?" + parts.query if parts.query else ""
    regex = "^" + ".*".join(re.escape(piece) for piece in pattern.split("*")) + "$"
    return re.match(regex, target) is not None


class Intercept(models.Model):
    """A survey offered on the site itself, to visitors of some pages, once they have stayed or
    scrolled long enough, to a sampled share of them, and never again within the cooldown."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="intercepts", verbose_name=_("website"))
    survey = models.ForeignKey(
        "surveys.Survey", on_delete=models.PROTECT, related_name="intercepts", verbose_name=_("survey")
    )
    name = models.CharField(_("name"), max_length=120)
    page_patterns = models.TextField(
        _("pages"),
        blank=True,
        help_text=_(
            "One per line; * matches anything: /checkout/confirmation*, /productos/*. "
            "Add ?… to match the query too. Empty: every page."
        ),
    )
    seconds_on_page = models.PositiveIntegerField(
        _("after seconds on the page"), default=0, validators=[MaxValueValidator(3600)]
    )
    scroll_percent = models.PositiveSmallIntegerField(
        _("after scrolling (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    sample_percent = models.PositiveSmallIntegerField(
        _("visitors asked (%)"),
        default=100,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("The same visitor is always in or out of the sample."),
    )
    cooldown_days = models.PositiveSmallIntegerField(
        _("cooldown (days)"),
        default=30,
        validators=[MaxValueValidator(365)],
        help_text=_(
            "Nobody is asked again by this website within these days; a known customer not within "
            "the email invitations' cooldown either."
        ),
    )
    prompt_es = models.CharField(_("invitation (Spanish)"), max_length=200, blank=True)
    prompt_en = models.CharField(_("invitation (English)"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("intercept survey")
        verbose_name_plural = _("intercept surveys")
        ordering = ["site", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(sample_percent__gte=1, sample_percent__lte=100), name="intercept_sample_1_to_100"
            ),
            models.CheckConstraint(condition=models.Q(scroll_percent__lte=100), name="intercept_scroll_at_most_100"),
        ]

    def __str__(self) -> str:
        return f"{self.site} · {self.name}"

    def pattern_list(self) -> list[str]:
        return [line.strip() for line in self.page_patterns.splitlines() if line.strip()]

    def matches_page(self, url: str) -> bool:
        patterns = self.pattern_list()
        return not patterns or any(page_pattern_matches(pattern, url) for pattern in patterns)

    def samples(self, visitor_id: str) -> bool:
        """A stable draw per visitor and intercept, so reloading the page does not re-roll the dice."""
        digest = hashlib.sha256(f"{self.pk}:{visitor_id}".encode()).digest()
        return int.from_bytes(digest[:4], "big") % 100 < self.sample_percent

    def prompt(self, language: str) -> str:
        from django.utils import translation
        from django.utils.translation import gettext

        text = self.prompt_en if language == "en" else self.prompt_es
        if text:
            return text
        with translation.override(language):
            return gettext("Would you answer a few quick questions? It takes a minute.")


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
    country = models.CharField(_("country"), max_length=2, blank=True, default="", db_default="")
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
