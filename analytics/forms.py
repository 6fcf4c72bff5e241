"""The dashboards' filter forms: what a manager may narrow the numbers by, with the defaults in force."""

from dataclasses import replace
from datetime import date, timedelta

from django import forms
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from analytics import selectors
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
