from django.conf import settings
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from core.fields import EventDateTimeField
from core.strict import StrictSerializer
from customers.models import Customer, Order, OrderItem
from customers.services import CustomerData, OrderData, OrderItemData

PERSONAL_DATA_NOTE = _("Only with the personal_data:read scope (staff: the personal data permission); null otherwise.")


ATTRIBUTES_HELP = _(
    "Profile attributes, merged into the stored ones: age_band, gender, city, region, loyalty_tier or any "
    'key of your own (letters, digits, _; at most 30 per customer). A value of null or "" removes the key.'
)


class AttributesField(serializers.DictField):
    child = serializers.CharField(max_length=200, allow_null=True, allow_blank=True)

    def to_internal_value(self, data):
        from customers.services import CustomerAttributesInvalid, attributes_normalise

        value = super().to_internal_value(data)
        if len(value) > 30:
            raise serializers.ValidationError("At most 30 attributes.")
        try:
            return attributes_normalise(value)
        except CustomerAttributesInvalid as exc:
            raise serializers.ValidationError(exc.extra or exc.message) from exc


class CustomerInputSerializer(StrictSerializer):
    external_id = serializers.CharField(max_length=100)
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    preferred_language = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES], required=False, allow_blank=True, default=""
    )
    attributes = AttributesField(required=False, default=dict, help_text=ATTRIBUTES_HELP)
    accepts_marketing = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "Whether the customer agreed, in the shop, to marketing email (win-backs need it). true grants, "
            "false withdraws consent the shop gave before; an unsubscribe through Voz's link is never undone by "
            "it. Omitted or null: unchanged."
        ),
    )


class CustomerAttributesSerializer(serializers.Serializer):
    attributes = AttributesField(help_text=ATTRIBUTES_HELP)


class OrderItemInputSerializer(StrictSerializer):
    sku = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    category = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    quantity = serializers.IntegerField(min_value=1, max_value=100_000, default=1)
    unit_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )


@extend_schema_serializer(
    description=_(
        "An order as the shop's system knows it. Unknown or misspelled fields are refused with a 400\n"
        "that names them, so a typo never passes silently."
    )
)
class OrderUpsertSerializer(StrictSerializer):
    external_id = serializers.CharField(max_length=100)
    customer = CustomerInputSerializer()
    placed_at = EventDateTimeField()
    delivered_at = EventDateTimeField(required=False, allow_null=True, default=None)
    total = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", default="EUR")
    shipping_country = serializers.RegexField(
        r"^[A-Za-z]{2}$", required=False, allow_blank=True, default="", help_text=_("ISO 3166 code, e.g. ES")
    )
    cancelled_at = EventDateTimeField(
        required=False,
        allow_null=True,
        default=None,
        help_text=_(
            "When the order was cancelled or refunded in full; no survey is sent about it, and one "
            "still waiting to be sent is withdrawn. null: not cancelled."
        ),
    )
    items = OrderItemInputSerializer(many=True, allow_empty=False, max_length=500)

    def validate(self, attrs):
        if attrs.get("delivered_at") and attrs["delivered_at"] < attrs["placed_at"]:
            raise serializers.ValidationError({"delivered_at": ["Must not be earlier than placed_at."]})
        return attrs

    def to_order_data(self) -> OrderData:
        data = self.validated_data
        return OrderData(
            external_id=data["external_id"],
            customer=CustomerData(**data["customer"]),
            placed_at=data["placed_at"],
            delivered_at=data["delivered_at"],
            total=data["total"],
            currency=data["currency"],
            shipping_country=data["shipping_country"],
            cancelled_at=data["cancelled_at"],
            items=[OrderItemData(**item) for item in data["items"]],
        )


class CustomerOutputSerializer(serializers.ModelSerializer):
    email = serializers.SerializerMethodField()
    name = serializers.SerializerMethodField()
    attributes = serializers.SerializerMethodField()
    staff_url = serializers.SerializerMethodField(
        help_text=_("The customer's page for the shop's staff: every channel's feedback, cases and orders.")
    )

    class Meta:
        model = Customer
        fields = [
            "external_id",
            "email",
            "name",
            "preferred_language",
            "attributes",
            "created_at",
            "erased_at",
            "staff_url",
        ]
        read_only_fields = fields

    def _personal(self, value: str) -> str | None:
        return value if self.context.get("personal_data") else None

    @extend_schema_field({"type": "string", "format": "email", "nullable": True, "description": PERSONAL_DATA_NOTE})
    def get_email(self, customer: Customer) -> str | None:
        return self._personal(customer.email)

    @extend_schema_field({"type": "string", "nullable": True, "description": PERSONAL_DATA_NOTE})
    def get_name(self, customer: Customer) -> str | None:
        return self._personal(customer.name)

    @extend_schema_field(
        {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "nullable": True,
            "description": format_lazy("{} {}", _("Age band, gender, city… are personal data."), PERSONAL_DATA_NOTE),
        }
    )
    def get_attributes(self, customer: Customer) -> dict | None:
        return customer.attributes if self.context.get("personal_data") else None

    def get_staff_url(self, customer: Customer) -> str:
        path = reverse("customers:detail", kwargs={"pk": customer.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else settings.VOZ_PUBLIC_BASE_URL + path


class OrderItemOutputSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku", read_only=True)
    name = serializers.CharField(source="product.name", read_only=True)
    category = serializers.CharField(source="product.category", read_only=True)

    class Meta:
        model = OrderItem
        fields = ["sku", "name", "category", "quantity", "unit_price"]
        read_only_fields = fields


class OrderOutputSerializer(serializers.ModelSerializer):
    customer = CustomerOutputSerializer(read_only=True)
    items = OrderItemOutputSerializer(many=True, read_only=True)

    class Meta:
        model = Order
        fields = [
            "external_id",
            "customer",
            "placed_at",
            "delivered_at",
            "total",
            "currency",
            "shipping_country",
            "cancelled_at",
            "items",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


class CustomerEraseSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class ErasureReportSerializer(serializers.Serializer):
    customer = serializers.CharField(help_text=_("The customer's external id after erasure (erased-<id>)."))
    orders_kept = serializers.IntegerField()
    answers_erased = serializers.IntegerField()
    feedback_erased = serializers.IntegerField()
    reviews_erased = serializers.IntegerField()
    review_photos_erased = serializers.IntegerField()
    messages_erased = serializers.IntegerField()
    cases_erased = serializers.IntegerField()
    invitations_revoked = serializers.IntegerField()
    web_feedback_erased = serializers.IntegerField()
    mentions_erased = serializers.IntegerField()
    emails_erased = serializers.IntegerField()
    traces_erased = serializers.IntegerField(
        help_text=_(
            "Rows written by others that named the customer (audit log, notes, notifications, webhooks), "
            "with the names and numbers replaced."
        )
    )
