from django.conf import settings
from rest_framework import serializers

from customers.models import Customer, Order, OrderItem
from customers.services import CustomerData, OrderData, OrderItemData


class CustomerInputSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=100)
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    preferred_language = serializers.ChoiceField(
        choices=[code for code, _name in settings.LANGUAGES], required=False, allow_blank=True, default=""
    )


class OrderItemInputSerializer(serializers.Serializer):
    sku = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    category = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    quantity = serializers.IntegerField(min_value=1, max_value=100_000, default=1)
    unit_price = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, allow_null=True, default=None
    )


class OrderUpsertSerializer(serializers.Serializer):
    external_id = serializers.CharField(max_length=100)
    customer = CustomerInputSerializer()
    placed_at = serializers.DateTimeField()
    delivered_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    total = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    currency = serializers.RegexField(r"^[A-Za-z]{3}$", default="EUR")
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
            items=[OrderItemData(**item) for item in data["items"]],
        )


class CustomerOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = ["external_id", "email", "name", "preferred_language", "created_at"]
        read_only_fields = fields


class OrderItemOutputSerializer(serializers.ModelSerializer):
    sku = serializers.CharField(source="product.sku")
    name = serializers.CharField(source="product.name")
    category = serializers.CharField(source="product.category")

    class Meta:
        model = OrderItem
        fields = ["sku", "name", "category", "quantity", "unit_price"]
        read_only_fields = fields


class OrderOutputSerializer(serializers.ModelSerializer):
    customer = CustomerOutputSerializer()
    items = OrderItemOutputSerializer(many=True)

    class Meta:
        model = Order
        fields = [
            "external_id",
            "customer",
            "placed_at",
            "delivered_at",
            "total",
            "currency",
            "items",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
