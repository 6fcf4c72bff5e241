from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.shop import shop_settings


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class Brand(models.Model):
    """The shop's own brand or a competitor. Mentions and reviews of a competitor are stored and
    analysed like the shop's own, but count only on the comparison page: a feedback item whose
    brand is empty, or the shop's own brand, is the shop's."""

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), max_length=60, unique=True, help_text=_("What the API's brand field takes."))
    is_own = models.BooleanField(
        _("our own brand"), default=False, help_text=_("The shop itself; at most one brand is.")
    )
    handles = models.TextField(
        _("social handles"), blank=True, help_text=_("One per line, without @: @rivalhogar → rivalhogar")
    )
    keywords_es = models.TextField(_("keywords (Spanish)"), blank=True, help_text=_("One per line."))
    keywords_en = models.TextField(_("keywords (English)"), blank=True, help_text=_("One per line."))
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("brand")
        verbose_name_plural = _("brands")
        ordering = ["-is_own", "name"]
        constraints = [
            models.UniqueConstraint(fields=["is_own"], condition=models.Q(is_own=True), name="one_own_brand"),
        ]

    def __str__(self) -> str:
        return self.name

    def handle_list(self) -> list[str]:
        return [handle.lstrip("@").lower() for handle in _lines(self.handles)]

    def keyword_list(self, language: str = "") -> list[str]:
        fields = [self.keywords_es, self.keywords_en]
        if language == "es":
            fields = [self.keywords_es]
        elif language == "en":
            fields = [self.keywords_en]
        return [word.lower() for text in fields for word in _lines(text)] + [self.name.lower()]


def own_brand_name() -> str:
    own = Brand.objects.filter(is_own=True).values_list("name", flat=True).first()
    return own or shop_settings().name
