import re

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

from core.models import ShopSettings
from core.shop import MIN_CONTRAST, contrast_ratio
from core.time_zones import TimeZoneSelect, time_zone_names

HEX_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
LOGO_MAX_BYTES = 1024 * 1024
# Raster formats only: an SVG can carry script, and the logo is shown on public pages and in emails.
LOGO_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}


class ShopSettingsForm(forms.ModelForm):
    """The managers' Settings page. Empty text fields keep the environment's values (shown as
    placeholders); the brand colours must stay readable on each other (WCAG AA, 4.5:1)."""

    class Meta:
        model = ShopSettings
        fields = [
            "shop_name",
            "logo",
            "sender_name",
            "sender_email",
            "reply_to_email",
            "default_language",
            "region",
            "survey_delay_days",
            "survey_reminder_days",
            "survey_cooldown_days",
            "brand_colour",
            "brand_text_colour",
            "retention_months",
            "time_zone",
        ]
        widgets = {
            "brand_colour": forms.TextInput(attrs={"type": "color"}),
            "brand_text_colour": forms.TextInput(attrs={"type": "color"}),
            "logo": forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
        }

    LIMITS = {
        "survey_delay_days": (0, 60),
        "survey_reminder_days": (0, 30),
        "survey_cooldown_days": (0, 365),
        "retention_months": (1, 240),
    }

    def __init__(self, *args, shop=None, **kwargs):
        super().__init__(*args, **kwargs)
        placeholders = {
            "shop_name": settings.VOZ_SHOP_NAME,
            "sender_email": shop.sender_email if shop else "",
        }
        for name, text in placeholders.items():
            self.fields[name].widget.attrs["placeholder"] = text
        self.fields["default_language"].choices = [("", _("As the environment says"))] + list(settings.LANGUAGES)
        # no region: English dates day first, as anywhere but the United States (core.shop)
        regions = [(code, name) for code, name in self.fields["region"].choices if code]
        self.fields["region"].choices = [("", _("Not set"))] + regions
        self.fields["time_zone"].widget = TimeZoneSelect(
            choices=[("", _("As the environment says (%(zone)s)") % {"zone": settings.TIME_ZONE})]
            + [(name, name.replace("_", " ")) for name in time_zone_names()]
        )
        for name, (low, high) in self.LIMITS.items():
            field = self.fields[name]
            field.validators += [MinValueValidator(low), MaxValueValidator(high)]
            field.widget.attrs.update({"min": low, "max": high, "inputmode": "numeric"})
        if shop is not None and not self.is_bound:
            for name, value in (
                ("survey_delay_days", shop.survey_delay_days),
                ("survey_reminder_days", shop.survey_reminder_days),
                ("survey_cooldown_days", shop.survey_cooldown_days),
            ):
                if getattr(self.instance, name) is None:
                    self.initial[name] = value

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if not logo or logo is False or not hasattr(logo, "image"):
            return logo
        if logo.size > LOGO_MAX_BYTES:
            raise ValidationError(_("The logo may be at most 1 MB."), code="too_large")
        if (logo.image.format or "").upper() not in LOGO_FORMATS:
            raise ValidationError(_("Upload a PNG, JPEG, GIF or WebP image."), code="format")
        return logo

    def clean(self):
        cleaned = super().clean()
        background, text = cleaned.get("brand_colour", ""), cleaned.get("brand_text_colour", "")
        if HEX_COLOUR.fullmatch(background) and HEX_COLOUR.fullmatch(text):
            ratio = contrast_ratio(background, text)
            if ratio < MIN_CONTRAST:
                self.add_error(
                    "brand_text_colour",
                    ValidationError(
                        _(
                            "Text in this colour on the brand colour has a contrast of %(ratio)s:1; "
                            "at least 4.5:1 is needed to be readable (WCAG AA)."
                        ),
                        params={"ratio": number_format(ratio, 1)},
                        code="contrast",
                    ),
                )
        return cleaned
