from datetime import date, timedelta

from django import forms
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from analytics import selectors
from customers.models import Product
from feedback.models import FeedbackItem


class SatisfactionFilterForm(forms.Form):
    start = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        categories = Product.objects.order_by("category").values_list("category", flat=True).distinct()
        self.fields["category"].choices = [("", _("Any")), *[(c, c) for c in categories if c]]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("start") and cleaned.get("end") and cleaned["start"] > cleaned["end"]:
            raise forms.ValidationError(_("The start date must be before the end date."))
        return cleaned

    def to_filters(self) -> selectors.Filters:
        today = timezone.localdate()
        data = self.cleaned_data if self.is_valid() else {}
        end = data.get("end") or today
        start = data.get("start") or (end - timedelta(days=181))
        return selectors.Filters(
            start=start,
            end=end,
            period=data.get("period") or "week",
            language=data.get("language") or "",
            channel=data.get("channel") or "",
            category=data.get("category") or "",
        )


def _chart_rows(series: list[dict]) -> list[dict]:
    def iso(moment) -> str:
        return moment.date().isoformat() if hasattr(moment, "date") else date.isoformat(moment)

    keys = (
        "nps",
        "nps_interval",
        "promoters_share",
        "passives_share",
        "detractors_share",
        "csat",
        "ces",
        "rating",
        "sentiment_index",
        "nps_respondents",
        "feedback",
        "reviews",
    )
    return [{"period": iso(row["period"]), **{key: row.get(key) for key in keys}} for row in series]


@login_required
@permission_required("analytics.view_dashboards", raise_exception=True)
def satisfaction(request):
    form = SatisfactionFilterForm(request.GET or None)
    filters = form.to_filters()
    series = selectors.satisfaction_series(filters)
    return render(
        request,
        "analytics/satisfaction.html",
        {
            "nav": "dashboards",
            "form": form,
            "filters": filters,
            "summary": selectors.satisfaction_summary(filters),
            "chart_rows": _chart_rows(series),
            "rows": series,
        },
        status=400 if form.is_bound and not form.is_valid() else 200,
    )
