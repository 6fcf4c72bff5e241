from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from feedback.models import FeedbackItem, Sentiment


class FeedbackTopicSerializer(serializers.Serializer):
    slug = serializers.CharField(source="topic.slug")
    sentiment = serializers.CharField()
    score = serializers.FloatField()
    matches = serializers.ListField(child=serializers.CharField())


class SentimentSerializer(serializers.Serializer):
    label = serializers.CharField(source="sentiment")
    score = serializers.FloatField(source="sentiment_score")
    confidence = serializers.FloatField(source="sentiment_confidence")


class FeedbackItemOutputSerializer(serializers.ModelSerializer):
    # feedback_for_api() annotates the references
    customer = serializers.CharField(source="customer_ref", allow_null=True, read_only=True)
    order = serializers.CharField(source="order_ref", allow_null=True, read_only=True)
    sentiment = serializers.SerializerMethodField()
    effective_sentiment = serializers.CharField(
        read_only=True, help_text=_("The staff correction when there is one, otherwise the model's label.")
    )
    topics = FeedbackTopicSerializer(source="topic_list", many=True, read_only=True)
    device = serializers.ChoiceField(
        choices=[("", _("unknown")), *FeedbackItem._meta.get_field("device").choices],
        read_only=True,
        help_text=_("desktop, tablet or mobile; empty when unknown"),
    )
    sentiment_gold = serializers.ChoiceField(
        choices=[("", _("no correction")), *Sentiment.choices],
        read_only=True,
        help_text=_("The staff correction; empty when there is none."),
    )

    class Meta:
        model = FeedbackItem
        fields = [
            "id",
            "channel",
            "text",
            "language",
            "language_confidence",
            "customer",
            "order",
            "received_at",
            "source",
            "page_url",
            "device",
            "country",
            "analysis_status",
            "sentiment",
            "sentiment_gold",
            "effective_sentiment",
            "topics",
            "model_version",
            "analysed_at",
        ]
        read_only_fields = fields

    @extend_schema_field(SentimentSerializer(allow_null=True))
    def get_sentiment(self, item: FeedbackItem) -> dict | None:
        # a plain dict: a SentimentSerializer per item rebuilt its fields 50 times a page, a
        # quarter of the feed's CPU
        if not item.sentiment:
            return None
        return {"label": item.sentiment, "score": item.sentiment_score, "confidence": item.sentiment_confidence}


class FeedbackCorrectionSerializer(serializers.Serializer):
    sentiment_gold = serializers.ChoiceField(
        choices=[("", _("(withdraw the correction)")), *Sentiment.choices],
        allow_blank=True,
        help_text=_("The right label for this item, as judged by staff; an empty string withdraws it."),
    )
