from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from brands.api.fields import BrandSlugField
from core.fields import EventDateTimeField
from core.languages import CONTENT_LANGUAGE_CHOICES
from social.models import Mention, Platform
from social.services import MentionData


class MentionInputSerializer(serializers.Serializer):
    platform = serializers.ChoiceField(choices=Platform.choices)
    external_id = serializers.CharField(max_length=120)
    url = serializers.URLField(max_length=500, required=False, allow_blank=True, default="")
    author_handle = serializers.CharField(max_length=120)
    author_followers = serializers.IntegerField(min_value=0, max_value=2_000_000_000, required=False, default=0)
    text = serializers.CharField(max_length=settings.API_MAX_TEXT_LENGTH)
    language = serializers.ChoiceField(choices=CONTENT_LANGUAGE_CHOICES, required=False, allow_blank=True, default="")
    posted_at = EventDateTimeField(required=False, allow_null=True, default=None)
    is_reply_to_shop = serializers.BooleanField(required=False, default=False)
    brand = BrandSlugField(
        help_text=_(
            "A competitor's slug (see the brands list) when the mention is about a rival; empty: the shop's "
            "own, unless the text names exactly one competitor and not the shop."
        ),
    )

    def to_data(self, validated: dict | None = None) -> MentionData:
        return MentionData(**(self.validated_data if validated is None else validated))


class MentionOutputSerializer(serializers.ModelSerializer):
    # may be empty: not every platform gives a link
    url = serializers.CharField(read_only=True, help_text=_("Link to the post; empty when the platform gave none."))
    brand = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text=_("A competitor's slug; null: the shop's own.")
    )

    class Meta:
        model = Mention
        fields = [
            "id",
            "platform",
            "external_id",
            "url",
            "author_handle",
            "author_followers",
            "text",
            "language",
            "posted_at",
            "is_reply_to_shop",
            "brand",
            "received_at",
            "updated_at",
        ]
        read_only_fields = fields
