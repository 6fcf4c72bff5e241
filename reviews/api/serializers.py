from django.conf import settings
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from brands.api.fields import BrandSlugField
from core.fields import EventDateTimeField
from core.languages import CONTENT_LANGUAGE_CHOICES
from core.shop import shop_settings
from reviews.models import Review
from reviews.services import ReviewData


class ReviewInputSerializer(serializers.Serializer):
    source = serializers.RegexField(r"^[a-z0-9_.-]+$", max_length=60, default="own_site")
    external_id = serializers.CharField(max_length=120)
    rating = serializers.IntegerField(min_value=1, max_value=5)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    body = serializers.CharField(
        max_length=settings.API_MAX_TEXT_LENGTH, required=False, allow_blank=True, default="", trim_whitespace=True
    )
    author_name = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")
    author_email = serializers.EmailField(required=False, allow_blank=True, default="")
    order_external_id = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    product_sku = serializers.CharField(
        max_length=100, required=False, allow_blank=True, default="", help_text=_("Empty for a review of the store.")
    )
    language = serializers.ChoiceField(choices=CONTENT_LANGUAGE_CHOICES, required=False, allow_blank=True, default="")
    created_at = EventDateTimeField(required=False, allow_null=True, default=None)
    brand = BrandSlugField(
        help_text=_("A competitor's slug for a review of a rival shop; empty: a review of this shop."),
    )

    def validate(self, attrs):
        if not (attrs["title"].strip() or attrs["body"].strip()):
            raise serializers.ValidationError({"body": [_("A review needs a title or a text.")]})
        return attrs

    def to_data(self, validated: dict | None = None) -> ReviewData:
        return ReviewData(**(self.validated_data if validated is None else validated))


class ReplySerializer(serializers.Serializer):
    text = serializers.CharField()
    author = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_author(self, reply) -> str:
        return shop_settings().name


class ReplyInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=settings.API_MAX_TEXT_LENGTH)


class ReviewOutputSerializer(serializers.ModelSerializer):
    product_sku = serializers.CharField(source="product.sku", default=None, allow_null=True, read_only=True)
    order_external_id = serializers.CharField(source="order.external_id", default=None, allow_null=True, read_only=True)
    customer = serializers.CharField(source="customer.external_id", default=None, allow_null=True, read_only=True)
    brand = serializers.SlugRelatedField(
        slug_field="slug", read_only=True, allow_null=True, help_text=_("A competitor's slug; null: the shop's own.")
    )
    reply = serializers.SerializerMethodField()

    class Meta:
        model = Review
        fields = [
            "id",
            "source",
            "external_id",
            "product_sku",
            "rating",
            "title",
            "body",
            "author_name",
            "customer",
            "order_external_id",
            "language",
            "is_verified_buyer",
            "status",
            "moderation_reason",
            "brand",
            "created_at",
            "updated_at",
            "reply",
        ]
        read_only_fields = fields

    @extend_schema_field(ReplySerializer(allow_null=True))
    def get_reply(self, review) -> dict | None:
        reply = getattr(review, "reply", None)
        return ReplySerializer(reply).data if reply else None


class RatingSerializer(serializers.Serializer):
    sku = serializers.CharField(required=False)
    name = serializers.CharField(required=False)
    count = serializers.IntegerField()
    mean = serializers.FloatField(allow_null=True)
    bayesian_mean = serializers.FloatField(
        help_text=_("Mean pulled towards the shop's mean when there are few reviews.")
    )
    distribution = serializers.DictField(child=serializers.IntegerField())
