"""The dashboards' filter forms: what a manager may narrow the numbers by, with the defaults in force."""

from dataclasses import replace
from datetime import date, timedelta

from django import forms
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from analytics import selectors
from analytics.models import AlertRule
from customers.models import Product
from customers.segments import segment_choices
from feedback.models import FeedbackItem
from sentiment.models import Topic

EARLIEST_DAY = date(2000, 1, 1)
MAX_WINDOW_DAYS = 3660


def default_window(end: date | None = None) -> tuple[date, date]:
    """The last 26 weeks up to today (or up to `end`)."""
    end = end or timezone.localdate()
    return end - timedelta(days=181), end


class SatisfactionFilterForm(forms.Form):
    # <input type="date"> only understands ISO dates, whatever the page's language.
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput({"type": "date"}, "%Y-%m-%d"))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput({"type": "date"}, "%Y-%m-%d"))
    period = forms.ChoiceField(
        label=_("Group by"), choices=[("day", _("Day")), ("week", _("Week")), ("month", _("Month"))], required=False
    )
    channel = forms.ChoiceField(
        label=_("Channel"), choices=[("", _("Any")), *FeedbackItem.Channel.choices], required=False
    )
    language = forms.ChoiceField(
        label=_("Language"), choices=[("", _("Any")), ("es", _("Spanish")), ("en", _("English"))], required=False
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    product = forms.CharField(label=_("Product (SKU)"), required=False, max_length=100)
    topic = forms.ChoiceField(label=_("Topic"), required=False)
    segment = forms.ChoiceField(label=_("Customer segment"), required=False)

    def __init__(self, data=None, *args, **kwargs):
        if data is not None:
            # What was left empty shows the default in force, so the form always tells the truth.
            data = data.copy()
            try:
                end = date.fromisoformat(data.get("end") or "")
            except ValueError:
                end = None
            if end is not None and end < EARLIEST_DAY:
                end = None  # refused by clean(); no default start is computed from it
            defaults = {"period": "week", "end": default_window()[1], "start": default_window(end)[0]}
            for key, value in defaults.items():
                if not data.get(key):
                    data[key] = str(value)
        super().__init__(data, *args, **kwargs)
        categories = Product.objects.order_by("category").values_list("category", flat=True).distinct()
        self.fields["category"].choices = [("", _("Any")), *[(c, c) for c in categories if c]]
        language = (translation.get_language() or "es")[:2]
        topics = Topic.objects.filter(is_active=True)
        self.fields["topic"].choices = [("", _("Any")), *[(t.slug, t.name(language)) for t in topics]]
        self.fields["segment"].choices = segment_choices()
        # The form shows the window the numbers are for, also before anything is chosen.
        start, end = default_window()
        self.fields["start"].initial, self.fields["end"].initial = start, end
        self.fields["period"].initial = "week"

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        for field in ("start", "end"):
            # the comparison with the previous period reaches back one window more
            if cleaned.get(field) and not (
                EARLIEST_DAY <= cleaned[field] <= timezone.localdate() + timedelta(days=366)
            ):
                self.add_error(field, _("Choose a date between 2000 and next year."))
        if start and end and start > end:
            raise forms.ValidationError(_("The start date must be before the end date."))
        if start and end and (end - start).days > MAX_WINDOW_DAYS:
            raise forms.ValidationError(_("Choose a window of at most ten years."))
        return cleaned

    def to_filters(self) -> selectors.Filters:
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or default_window()[1]
        start = data.get("start") or default_window(end)[0]
        return selectors.Filters(
            start=start,
            end=end,
            period=data.get("period") or "week",
            language=data.get("language") or "",
            channel=data.get("channel") or "",
            category=data.get("category") or "",
            segment=data.get("segment") or "",
            product=(data.get("product") or "").strip(),
            topic=data.get("topic") or "",
        )


class ContextFilterForm(SatisfactionFilterForm):
    """Feedback and topics can also be narrowed by where the feedback came from."""

    source = forms.CharField(
        label=_("Source"), required=False, max_length=120, help_text=_("e.g. google.com, newsletter")
    )
    country = forms.RegexField(
        label=_("Country"),
        required=False,
        regex=r"^[A-Za-z]{2}$",
        error_messages={"invalid": _("Two letters (ISO 3166), e.g. ES.")},
        widget=forms.TextInput({"size": 3, "autocomplete": "off"}),
    )
    device = forms.ChoiceField(
        label=_("Device"), required=False, choices=[("", _("Any")), *FeedbackItem._meta.get_field("device").choices]
    )

    def clean(self):
        cleaned = super().clean()
        scoped = [f for f in ("product", "category", "segment", *selectors.CONTEXT_DIMENSIONS) if cleaned.get(f)]
        if len(scoped) > 1:
            # honest but slow on a large shop (raw tables); say so rather than time out
            self.add_error(None, _("Choose one of product, category, segment, source, country or device at a time."))
        return cleaned

    def to_filters(self) -> selectors.Filters:
        data = self.cleaned_data if self.is_valid() else {}
        return replace(
            super().to_filters(),
            source=(data.get("source") or "").strip().lower(),
            country=(data.get("country") or "").upper(),
            device=data.get("device") or "",
        )


class RetentionFilterForm(forms.Form):
    """Retention is a whole-history figure: the only filter is whose history."""

    segment = forms.ChoiceField(label=_("Customer segment"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = segment_choices()


CONTEXT_DIMENSION_LABELS = {"source": _("Source"), "country": _("Country"), "device": _("Device")}


class ContextDimensionForm(forms.Form):
    dimension = forms.ChoiceField(
        label=_("Break down by"), choices=list(CONTEXT_DIMENSION_LABELS.items()), required=False
    )


class ComparisonFilterForm(SatisfactionFilterForm):
    """Dates, grouping, language and channel: the rest of the dashboards' filters are about the
    shop's own customers and products, which rivals do not have."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("category", "product", "topic", "segment"):
            del self.fields[name]


class WinBackRequestForm(forms.Form):
    customer = forms.IntegerField(min_value=1, max_value=2**63 - 1)
    topic = forms.SlugField(max_length=60, required=False)
    next = forms.CharField(max_length=2000, required=False)


# the fields that mean something for one signal only (the scopes are in AlertRule.SCOPES)
ALERT_SIGNAL_FIELDS = {
    "threshold": (
        AlertRule.Kind.NPS_BELOW,
        AlertRule.Kind.CSAT_BELOW,
        AlertRule.Kind.SLA_BREACH_RATE,
    ),
    "sigma": (AlertRule.Kind.NEGATIVE_SPIKE,),
    "min_baseline_days": (AlertRule.Kind.NEGATIVE_SPIKE,),
    "each_topic": (AlertRule.Kind.NEGATIVE_SPIKE,),
}
ALERT_SCOPE_FIELDS = ("topic", "channel", "product", "segment", "brand")
# the threshold each signal starts with, when a manager picks it for a new rule
ALERT_DEFAULT_THRESHOLD = {
    AlertRule.Kind.NPS_BELOW: 0,
    AlertRule.Kind.CSAT_BELOW: 70,
    AlertRule.Kind.SLA_BREACH_RATE: 10,
}
ALERT_THRESHOLD_RANGE = {
    AlertRule.Kind.NPS_BELOW: (-100, 100),
    AlertRule.Kind.CSAT_BELOW: (0, 100),
    AlertRule.Kind.SLA_BREACH_RATE: (0, 100),
}


class AlertRuleForm(forms.ModelForm):
    """A manager's alert rule: the signal, its line, its minimums, its scope and who hears it.
    Fields that do not suit the chosen signal are not shown, and refused if sent anyway."""

    channel = forms.ChoiceField(
        label=_("Channel"),
        required=False,
        choices=[("", _("Any")), *FeedbackItem.Channel.choices],
        help_text=_("Only feedback or cases from this channel."),
    )
    segment = forms.ChoiceField(
        label=_("Customer segment"),
        required=False,
        help_text=_("Only customers of this RFM segment or saved segment."),
    )

    class Meta:
        model = AlertRule
        fields = [
            "name",
            "kind",
            "threshold",
            "sigma",
            "min_volume",
            "min_baseline_days",
            "cooldown_hours",
            "topic",
            "each_topic",
            "channel",
            "product",
            "segment",
            "brand",
            "emails",
            "webhook_url",
            "webhook_secret",
            "is_active",
        ]
        widgets = {
            "emails": forms.Textarea({"rows": 3, "placeholder": "jefa@tienda.example"}),
            "webhook_secret": forms.PasswordInput(render_value=True),
            "webhook_url": forms.URLInput({"placeholder": "https://"}),
        }
        labels = {"kind": _("Signal"), "topic": _("Topic"), "brand": _("Brand"), "product": _("Product (SKU)")}
        help_texts = {
            "kind": _("What the rule watches. Each signal is explained below the list."),
            "name": _("How the alert is titled in notifications, emails and chat."),
            "emails": _("One address per line, besides the managers (who always hear of alerts); optional."),
            "webhook_url": _("Optional: Voz posts the alert here as JSON, signed with the secret."),
            "webhook_secret": _("The receiver checks the X-Voz-Signature header with it."),
            "is_active": _("Inactive rules are kept but never checked."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from brands.models import Brand

        language = (translation.get_language() or "es")[:2]
        self.fields["topic"].queryset = Topic.objects.filter(is_active=True)
        self.fields["topic"].label_from_instance = lambda topic: topic.name(language)
        self.fields["topic"].empty_label = _("Any")
        self.fields["segment"].choices = segment_choices()
        self.fields["brand"].queryset = Brand.objects.filter(is_own=False, is_active=True)
        self.fields["brand"].empty_label = _("Our shop")
        self.fields["webhook_url"].assume_scheme = "https"
        self.fields["product"].widget.attrs["autocomplete"] = "off"
        if self.instance.default_name:  # shown, and kept unless changed, in the reader's language
            self.initial["name"] = self.instance.display_name
        # a field the signal does not use is not shown, so it is not sent: it keeps its value
        for name in set(ALERT_SIGNAL_FIELDS) - self.fields_for(self.kind):
            self.fields[name].required = False

    @property
    def kind(self) -> str:
        """The signal chosen (sent, or the rule's, or the initial one)."""
        if self.is_bound:
            kind = self.data.get(self.add_prefix("kind"), "")
        else:
            kind = self.initial.get("kind") or self.instance.kind
        return kind if kind in AlertRule.Kind.values else ""

    def fields_for(self, kind: str) -> set[str]:
        """The names of the fields that mean something for a signal ("" : all of them)."""
        if not kind:
            return set(self.fields)
        unsuited = {name for name, kinds in ALERT_SIGNAL_FIELDS.items() if kind not in kinds}
        unsuited |= set(ALERT_SCOPE_FIELDS) - set(AlertRule.SCOPES[kind])
        return set(self.fields) - unsuited

    def shown_fields(self) -> list:
        shown = self.fields_for(self.kind)
        return [field for field in self if field.name in shown]

    def clean_product(self) -> str:
        from customers.models import Product

        sku = self.cleaned_data["product"].strip()
        if sku and not Product.objects.filter(sku=sku).exists():
            raise forms.ValidationError(_("No product has this SKU."))
        return sku

    def clean_emails(self) -> str:
        from django.core.validators import validate_email

        addresses = [line.strip() for line in self.cleaned_data["emails"].splitlines() if line.strip()]
        for address in addresses:
            try:
                validate_email(address)
            except forms.ValidationError as exc:
                raise forms.ValidationError(_("“%(address)s” is not an email address.") % {"address": address}) from exc
        return "\n".join(addresses)

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if not kind:
            return cleaned
        suited = self.fields_for(kind)
        for name in set(ALERT_SIGNAL_FIELDS) - suited:
            if cleaned.get(name) is None:
                cleaned[name] = getattr(self.instance, name)
        if cleaned.get("topic"):
            cleaned["each_topic"] = False
        for name in ALERT_SCOPE_FIELDS:
            if name not in suited and cleaned.get(name):
                # a form error: the field is not shown for this signal
                self.add_error(
                    None,
                    _("This signal cannot be narrowed by %(field)s.") % {"field": self.fields[name].label.lower()},
                )
        low, high = ALERT_THRESHOLD_RANGE.get(kind, (None, None))
        threshold = cleaned.get("threshold")
        if low is not None and threshold is not None and not low <= threshold <= high:
            self.add_error("threshold", _("Between %(low)s and %(high)s for this signal.") % {"low": low, "high": high})
        if cleaned.get("webhook_url") and not cleaned.get("webhook_secret"):
            self.add_error("webhook_secret", _("A webhook needs a secret, so the receiver can tell it is Voz."))
        return cleaned
