"""The shapes of the metrics responses, for the schema: each figure says how it is computed, so an
integration reads the same definitions as the dashboards and the "How Voz computes its numbers" page."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from rest_framework import serializers

from analytics.metrics import INTERVAL_REASONS, MIN_ANSWERS

REASON_HELP = format_lazy(
    _(
        "Why the interval is null: `too_few_answers` (fewer than {min_answers}), `all_answers_equal` (a mean "
        "whose answers are all the same, so there is no spread to estimate from); null when there is an interval."
    ),
    min_answers=MIN_ANSWERS,
)


def _interval(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.FloatField(), min_length=2, max_length=2, allow_null=True, help_text=help_text
    )


def _reason() -> serializers.ChoiceField:
    return serializers.ChoiceField(choices=INTERVAL_REASONS, allow_null=True, help_text=REASON_HELP)


NPS_HELP = _("Net Promoter Score, −100 to 100: % of answers 9–10 (promoters) minus % of answers 0–6 (detractors).")
NPS_INTERVAL_HELP = format_lazy(
    _("95 % interval [low, high], adjusted Wald (Rocks 2016); null below {min_answers} answers."),
    min_answers=MIN_ANSWERS,
)
CSAT_HELP = _("CSAT, top-2-box: % of the 1–5 satisfaction answers that are 4 or 5.")
CSAT_INTERVAL_HELP = format_lazy(
    _("95 % interval [low, high] in %, Wilson score; null below {min_answers} answers."), min_answers=MIN_ANSWERS
)
CES_HELP = _(
    "Customer Effort Score: mean of the 1–7 answers, where 1 is 'very difficult' and 7 'very easy': higher is easier."
)
MEAN_INTERVAL_HELP = format_lazy(
    _("95 % interval [low, high], Student t; null below {min_answers} answers or when every answer is the same."),
    min_answers=MIN_ANSWERS,
)
RATING_HELP = _("Mean star rating (1–5) of the shop's published reviews.")
SENTIMENT_HELP = _("Sentiment index, −100 to 100: % of analysed feedback items positive minus % negative.")
SENTIMENT_INTERVAL_HELP = format_lazy(
    _("95 % interval [low, high], adjusted Wald (Rocks 2016); null below {min_answers} items."),
    min_answers=MIN_ANSWERS,
)


class ChangeSerializer(serializers.Serializer):
    difference = serializers.FloatField(help_text=_("This window minus the previous one of the same length (points)."))
    z = serializers.FloatField(allow_null=True, help_text=_("z statistic where the test has one, else null."))
    is_significant = serializers.BooleanField(help_text=_("p < 0.05; always false when there is no verdict."))
    p_value = serializers.FloatField(allow_null=True, help_text=_("Two-sided p value; null when there is no verdict."))
    test = serializers.ChoiceField(
        choices=["exact_permutation", "fisher_exact", "z"],
        allow_null=True,
        help_text=_(
            "NPS: exact permutation test of the difference while the smaller window has at most 200 answers, "
            "z test above. CSAT: Fisher's exact test up to 2000 answers in all, z test above."
        ),
    )
    reason = serializers.ChoiceField(
        choices=["too_few_answers"],
        allow_null=True,
        help_text=format_lazy(
            _("Why there is no verdict: fewer than {min_answers} answers in either window."), min_answers=MIN_ANSWERS
        ),
    )


class SatisfactionFiguresSerializer(serializers.Serializer):
    nps = serializers.FloatField(allow_null=True, help_text=NPS_HELP)
    nps_interval = _interval(NPS_INTERVAL_HELP)
    nps_interval_reason = _reason()
    nps_respondents = serializers.IntegerField(
        allow_null=True, help_text=_("NPS answers (null in a period without any).")
    )
    csat = serializers.FloatField(allow_null=True, help_text=CSAT_HELP)
    csat_interval = _interval(CSAT_INTERVAL_HELP)
    csat_interval_reason = _reason()
    csat_answers = serializers.IntegerField(
        allow_null=True, help_text=_("CSAT answers (null in a period without any).")
    )
    ces = serializers.FloatField(allow_null=True, help_text=CES_HELP)
    ces_interval = _interval(MEAN_INTERVAL_HELP)
    ces_interval_reason = _reason()
    ces_answers = serializers.IntegerField(allow_null=True, help_text=_("CES answers (null in a period without any)."))
    rating = serializers.FloatField(allow_null=True, help_text=RATING_HELP)
    rating_interval = _interval(MEAN_INTERVAL_HELP)
    rating_interval_reason = _reason()
    reviews = serializers.IntegerField(
        allow_null=True, help_text=_("Published reviews (null in a period without any).")
    )
    sentiment_index = serializers.FloatField(allow_null=True, help_text=SENTIMENT_HELP)
    sentiment_interval = _interval(SENTIMENT_INTERVAL_HELP)
    sentiment_interval_reason = _reason()
    feedback = serializers.IntegerField(
        allow_null=True, help_text=_("Analysed feedback items (null in a period without any).")
    )


class SatisfactionPeriodSerializer(SatisfactionFiguresSerializer):
    period = serializers.DateField(help_text=_("First day of the period (shop's time zone)."))
    promoters_share = serializers.FloatField(allow_null=True, help_text=_("% of NPS answers 9–10."))
    passives_share = serializers.FloatField(allow_null=True, help_text=_("% of NPS answers 7–8."))
    detractors_share = serializers.FloatField(allow_null=True, help_text=_("% of NPS answers 0–6."))


class SatisfactionSummarySerializer(SatisfactionFiguresSerializer):
    nps_change = ChangeSerializer(allow_null=True)
    csat_change = ChangeSerializer(allow_null=True)


class SatisfactionResponseSerializer(serializers.Serializer):
    start = serializers.DateField()
    end = serializers.DateField()
    period = serializers.ChoiceField(choices=["day", "week", "month"])
    series = SatisfactionPeriodSerializer(many=True, help_text=_("One row per period with answers, reviews or items."))
    summary = SatisfactionSummarySerializer(help_text=_("The whole window."))


# Spanish names both periods with a masculine noun (mes, trimestre), so one sentence serves for either.
RATE_HELP = _(
    "Customers who bought in the previous {period} and bought again in this one, as a % of the customers "
    "who bought in the previous {period}; null when nobody bought in the previous {period}."
)


class MonthRateSerializer(serializers.Serializer):
    month = serializers.DateField(help_text=_("First day of the month (shop's time zone)."))
    base = serializers.IntegerField(help_text=_("Customers who bought in the previous month."))
    returning = serializers.IntegerField(help_text=_("Of those, customers who bought again in this month."))
    rate = serializers.FloatField(
        allow_null=True, help_text=format_lazy(RATE_HELP, period=pgettext_lazy("rate period", "month"))
    )
    is_partial = serializers.BooleanField(help_text=_("The month is not over yet (the current month)."))


class QuarterRateSerializer(serializers.Serializer):
    quarter = serializers.DateField(help_text=_("First day of the calendar quarter (shop's time zone)."))
    base = serializers.IntegerField(help_text=_("Customers who bought in the previous quarter."))
    returning = serializers.IntegerField(help_text=_("Of those, customers who bought again in this quarter."))
    rate = serializers.FloatField(
        allow_null=True, help_text=format_lazy(RATE_HELP, period=pgettext_lazy("rate period", "quarter"))
    )
    is_partial = serializers.BooleanField(help_text=_("The quarter is not over yet (the current quarter)."))


class CohortSerializer(serializers.Serializer):
    cohort = serializers.DateField(help_text=_("Month of the customers' first purchase."))
    customers = serializers.IntegerField()
    cells = serializers.ListField(
        child=serializers.FloatField(),
        help_text=_(
            "Cell k − 1: % of the cohort who bought in month cohort + k (k = 1, 2, …, up to the current month)."
        ),
    )
    last_cell_is_partial = serializers.BooleanField(help_text=_("The last cell is the current month, not over yet."))


class StillBuyingSerializer(serializers.Serializer):
    years = serializers.IntegerField()
    customers = serializers.IntegerField(
        help_text=_(
            "Customers whose first purchase is long enough ago for the year after their N-th anniversary to be over."
        )
    )
    still_buying = serializers.IntegerField(help_text=_("Of those, customers who bought at least once in that year."))
    of_10 = serializers.FloatField(allow_null=True, help_text=_("still_buying out of every 10 customers."))
    first_purchase_before = serializers.DateField(help_text=_("Only first purchases before this month count."))


class RepurchaseSerializer(serializers.Serializer):
    customers = serializers.IntegerField(help_text=_("Customers in the group, each counted once."))
    returned = serializers.IntegerField(help_text=_("Of those, customers who bought in the repurchase window."))
    rate = serializers.FloatField(allow_null=True)


class RetentionResponseSerializer(serializers.Serializer):
    rates = MonthRateSerializer(many=True)
    quarters = QuarterRateSerializer(many=True)
    cohorts = CohortSerializer(many=True)
    still_buying = StillBuyingSerializer(many=True)
    repurchase_window_start = serializers.DateField(
        help_text=_("The repurchase window runs from this month (6 months, the current one included).")
    )
    repurchase_by_nps = serializers.DictField(
        child=RepurchaseSerializer(),
        help_text=_(
            "promoters, passives, detractors: each customer once, by their latest NPS answer before the window."
        ),
    )
    repurchase_by_resolution = serializers.DictField(
        child=RepurchaseSerializer(),
        help_text=_("within_sla, late: each customer once, by their latest resolved case before the window."),
    )
    defection = serializers.DictField(help_text=_("Why lapsed customers said they left."))
