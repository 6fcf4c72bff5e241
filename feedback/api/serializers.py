from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.fields import EventDateTimeField
from core.languages import CONTENT_LANGUAGE_CHOICES
from feedback.models import MESSAGE_CHANNEL_CHOICES, FeedbackItem, InboundMessage
from feedback.services import MessageData


class InboundMessageInputSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=MESSAGE_CHANNEL_CHOICES)
    external_id = serializers.CharField(
        max_length=255, help_text=_("Your tool's id for it (ticket, chat, call, store review); a resend updates it.")
    )
    text = serializers.CharField(max_length=settings.API_MAX_TEXT_LENGTH, help_text=_("What the customer said."))
    subject = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    source = serializers.RegexField(
        r"^[a-z0-9_.-]*$",
        max_length=60,
        required=False,
        default="",
        help_text=_("The tool or store, lower case: zendesk, intercom, aircall, app_store, google_play…"),
    )
    author_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    author_email = serializers.EmailField(required=False, allow_blank=True, default="")
    customer = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", help_text=_("A known customer's external id.")
    )
    order = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", help_text=_("A known order's external id.")
    )
    rating = serializers.IntegerField(
        min_value=1, max_value=5, required=False, allow_null=True, default=None, help_text=_("Stars, for app stores.")
    )
    language = serializers.ChoiceField(choices=CONTENT_LANGUAGE_CHOICES, required=False, allow_blank=True, default="")
    url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    sent_at = EventDateTimeField(required=False, allow_null=True, default=None)

    def validate(self, attrs):
        if attrs["rating"] is not None and attrs["channel"] != FeedbackItem.Channel.APP_STORE:
            raise serializers.ValidationError({"rating": ["Only app-store reviews have stars."]})
        if not attrs["text"].strip():
            raise serializers.ValidationError({"text": ["This field may not be blank."]})
        return attrs

    def to_data(self, validated: dict | None = None) -> MessageData:
        return MessageData(**(self.validated_data if validated is None else validated))


class InboundMessageOutputSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.external_id", default=None, allow_null=True, read_only=True)
    order = serializers.CharField(source="order.external_id", default=None, allow_null=True, read_only=True)
    feedback_id = serializers.IntegerField(source="feedback_item.pk", default=None, allow_null=True, read_only=True)
    # may be blank
    author_email = serializers.CharField(read_only=True)
    attachments = serializers.SerializerMethodField()

    class Meta:
        model = InboundMessage
        fields = [
            "id",
            "channel",
            "external_id",
            "source",
            "author_name",
            "author_email",
            "customer",
            "order",
            "subject",
            "text",
            "rating",
            "language",
            "url",
            "sent_at",
            "received_at",
            "updated_at",
            "feedback_id",
            "case",
            "attachments",
        ]
        read_only_fields = fields

    def get_attachments(self, message) -> list[dict]:
        return [
            {"filename": a.filename, "content_type": a.content_type, "size": a.size} for a in message.attachments.all()
        ]
