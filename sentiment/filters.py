import django_filters
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from core.filters import DateFilter
from feedback.models import FeedbackItem, Sentiment
from feedback.selectors import feedback_search
from reviews.models import Review
from sentiment.models import Topic


class TopicChoiceField(django_filters.fields.ModelMultipleChoiceField):
    def label_from_instance(self, topic: Topic) -> str:
        return topic.name(get_language() or "es")


@extend_schema_field(OpenApiTypes.STR)
class TopicFilter(django_filters.ModelMultipleChoiceFilter):
    """Topics by slug (`?topic=delivery&topic=price`)."""

    field_class = TopicChoiceField


# A list of people filters by who is in the segment now; the dashboards count each item in the
# segment its customer was in when it arrived (analytics), and say so on their pages.
SEGMENT_TODAY = _("Its members today, not when they wrote.")


def _segment_choices():
    from customers.segments import segment_choices

    return segment_choices()


def _brand_choices():
    from brands.models import Brand, own_brand_name

    rivals = [(brand.slug, brand.name) for brand in Brand.objects.filter(is_own=False)]
    return [("", own_brand_name()), *rivals, ("all", _("Every brand"))]


class FeedbackFilter(django_filters.FilterSet):
    """The filters of the feed, shared by the staff page, the API and the CSV export."""

    q = django_filters.CharFilter(method="filter_search", label=_("Search"))
    channel = django_filters.MultipleChoiceFilter(choices=FeedbackItem.Channel.choices, label=_("Channel"))
    sentiment = django_filters.MultipleChoiceFilter(
        choices=Sentiment.choices, method="filter_sentiment", label=_("Sentiment")
    )
    topic = TopicFilter(
        field_name="topics__slug",
        to_field_name="slug",
        queryset=Topic.objects.all(),
        label=_("Topic"),
        distinct=True,
    )
    language = django_filters.MultipleChoiceFilter(
        choices=[("es", _("Spanish")), ("en", _("English")), ("other", _("Other"))], label=_("Language")
    )
    received_after = DateFilter(field_name="received_at", lookup_expr="date__gte", label=_("From"))
    received_before = DateFilter(field_name="received_at", lookup_expr="date__lte", label=_("To"))
    analysis_status = django_filters.ChoiceFilter(choices=FeedbackItem.AnalysisStatus.choices, label=_("Analysis"))
    rating = django_filters.MultipleChoiceFilter(
        field_name="review__rating", choices=[(n, "★" * n) for n in range(1, 6)], label=_("Rating")
    )
    product = django_filters.CharFilter(field_name="review__product__sku", label=_("Product (SKU)"))
    verified_buyer = django_filters.BooleanFilter(field_name="review__is_verified_buyer", label=_("Verified buyer"))
    moderation_status = django_filters.MultipleChoiceFilter(
        field_name="review__status", choices=Review.Status.choices, label=_("Moderation")
    )
    source = django_filters.CharFilter(
        method="filter_source", label=_("Source"), help_text=_("utm_source or referring domain, review site, platform")
    )
    device = django_filters.MultipleChoiceFilter(
        choices=FeedbackItem._meta.get_field("device").choices, label=_("Device")
    )
    country = django_filters.CharFilter(method="filter_country", label=_("Country"), max_length=2)
    segment = django_filters.ChoiceFilter(
        choices=_segment_choices,
        method="filter_segment",
        empty_label=None,
        label=_("Customer segment"),
        help_text=SEGMENT_TODAY,
    )
    # the shop's own feedback unless a competitor (or every brand) is asked for
    brand = django_filters.ChoiceFilter(
        choices=_brand_choices, method="filter_brand", empty_label=None, label=_("Brand")
    )

    class Meta:
        model = FeedbackItem
        fields: list[str] = []

    def filter_source(self, queryset, name, value):
        return queryset.filter(source=value.strip().lower()) if value.strip() else queryset

    def filter_country(self, queryset, name, value):
        return queryset.filter(country=value.strip().upper()) if value.strip() else queryset

    def filter_segment(self, queryset, name, value: str):
        from customers.segments import customers_in_segment

        return queryset.filter(customer_id__in=customers_in_segment(value)) if value else queryset

    def filter_brand(self, queryset, name, value: str):
        if value == "all":
            return queryset
        return queryset.filter(brand__slug=value) if value else queryset.filter(brand__isnull=True)

    @property
    def qs(self):
        # unbound (no query string at all): the shop's own feedback, as when bound with no brand
        if not hasattr(self, "_brand_qs"):
            self._brand_qs = super().qs if self.is_bound else super().qs.filter(brand__isnull=True)
        return self._brand_qs

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # an empty choice never reaches filter_brand: the default is applied here
        return queryset if self.form.cleaned_data.get("brand") else queryset.filter(brand__isnull=True)

    def filter_search(self, queryset, name, value):
        return feedback_search(queryset, value)

    def filter_sentiment(self, queryset, name, values):
        # A staff correction outranks the model: filter on what the feed shows.
        if not values:
            return queryset
        return queryset.filter(Q(sentiment_gold__in=values) | Q(sentiment_gold="", sentiment__in=values))
