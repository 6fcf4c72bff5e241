"""Input serializers that refuse fields they do not know, instead of silently dropping them.

A shop that misspells `delivered_at` as `delivered_on` would otherwise get a 201 and an order that
is never surveyed. The 400 names every unknown key (with its path for nested objects), and the
OpenAPI schema marks the request bodies `additionalProperties: false`, so clients generated from
it know the list is closed.
"""

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework import serializers

UNKNOWN_FIELD = "Unknown field: this endpoint does not accept it (check the spelling against the schema)."


class StrictSerializer(serializers.Serializer):
    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if unknown and isinstance(error.detail, dict):
                error.detail.update({key: [UNKNOWN_FIELD] for key in unknown})
            raise
        if unknown:
            raise serializers.ValidationError({key: [UNKNOWN_FIELD] for key in unknown})
        return value


class StrictSerializerExtension(OpenApiSerializerExtension):
    target_class = StrictSerializer
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["additionalProperties"] = False
        return schema
