from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from analytics.models import AlertEpisode, AlertRule, DigestDelivery
from customers.models import CustomerRfm, SavedSegment


@admin.register(AlertRule)
class AlertRuleAdmin(admin.ModelAdmin):
    # a link typed without a scheme is https (Django 6 will assume so; 5.2 still warns about http)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = [
        "name",
        "kind",
        "threshold",
        "sigma",
        "min_volume",
        "min_baseline_days",
        "cooldown_hours",
        "topic",
        "channel",
        "product",
        "segment",
        "brand",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]


@admin.register(AlertEpisode)
class AlertEpisodeAdmin(admin.ModelAdmin):
    list_display = ["rule", "started_at", "ended_at", "value", "notified_at"]
    list_filter = ["rule"]

    def has_add_permission(self, request) -> bool:
        return False


class SavedSegmentForm(forms.ModelForm):
    """RFM segments as checkboxes and attributes as "key = value" lines, not raw JSON."""

    rfm_segments = forms.MultipleChoiceField(
        label=_("RFM segments"),
        choices=CustomerRfm.Segment.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Any of these; none: any segment."),
    )
    attributes = forms.CharField(
        label=_("attributes"),
        required=False,
        widget=forms.Textarea({"rows": 4, "placeholder": "city = Madrid\nloyalty_tier = vip"}),
        help_text=_("One per line, key = value; all must match (case does not matter)."),
    )

    class Meta:
        model = SavedSegment
        fields = [
            "name",
            "slug",
            "description",
            "attributes",
            "rfm_segments",
            "recency_min_days",
            "recency_max_days",
            "frequency_min",
            "frequency_max",
            "monetary_min",
            "monetary_max",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["attributes"] = "\n".join(f"{k} = {v}" for k, v in self.instance.attributes.items())

    def clean_attributes(self):
        from customers.services import CustomerAttributesInvalid, attributes_normalise

        pairs = {}
        for number, line in enumerate(self.cleaned_data["attributes"].splitlines(), start=1):
            if not line.strip():
                continue
            key, separator, value = line.partition("=")
            if not separator or not key.strip() or not value.strip():
                raise forms.ValidationError(_("Line %(n)s is not key = value.") % {"n": number})
            pairs[key.strip()] = value.strip()
        try:
            return attributes_normalise(pairs)
        except CustomerAttributesInvalid as exc:
            raise forms.ValidationError(", ".join(exc.extra) or exc.message) from exc


@admin.register(SavedSegment)
class SavedSegmentAdmin(admin.ModelAdmin):
    form = SavedSegmentForm
    list_display = ["name", "slug", "customer_count"]
    prepopulated_fields = {"slug": ["name"]}
    fieldsets = [
        (None, {"fields": ["name", "slug", "description"]}),
        (_("Who"), {"fields": ["attributes", "rfm_segments"]}),
        (
            _("Orders"),
            {
                "fields": [
                    ("recency_min_days", "recency_max_days"),
                    ("frequency_min", "frequency_max"),
                    ("monetary_min", "monetary_max"),
                ]
            },
        ),
    ]

    @admin.display(description=_("customers now"))
    def customer_count(self, segment: SavedSegment) -> int:
        return segment.customers().count()


@admin.register(DigestDelivery)
class DigestDeliveryAdmin(admin.ModelAdmin):
    """What each manager was sent; written by the digest tasks only."""

    list_display = ["period_start", "frequency", "user", "emailed_at"]
    list_filter = ["frequency"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
