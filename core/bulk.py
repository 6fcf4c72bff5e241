from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from rest_framework import serializers, status
from rest_framework.response import Response


@dataclass
class UpsertResult:
    """What happened to one item of a batch, in the order the items were sent."""

    status: str  # "created", "updated" or "error"
    obj: object | None = None
    errors: dict = field(default_factory=dict)


class BulkInputSerializer(serializers.Serializer):
    items = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=settings.API_MAX_BATCH_ITEMS)


class BulkItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "updated", "error"])
    id = serializers.IntegerField(allow_null=True)
    errors = serializers.DictField()


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    errors = serializers.IntegerField()
    results = BulkItemResultSerializer(many=True)


def bulk_upsert_response(
    request, *, item_serializer: type[serializers.Serializer], upsert: Callable[[Sequence], list]
) -> Response:
    """Validate each item on its own, upsert the valid ones in one go, answer per item.

    One bad item never rejects the others; an envelope that is not a list of 1–N objects is a 400.
    """
    envelope = BulkInputSerializer(data=request.data)
    envelope.is_valid(raise_exception=True)
    items = envelope.validated_data["items"]
    answers: list[dict] = [{}] * len(items)
    valid_indexes, valid_data = [], []
    # One serializer instance for the whole batch: DRF builds a serializer's fields per instance,
    # which for 1,000 items costs more than storing them.
    validator = item_serializer()
    for index, raw in enumerate(items):
        try:
            validated = validator.run_validation(raw)
        except serializers.ValidationError as exc:
            answers[index] = {"index": index, "status": "error", "id": None, "errors": exc.detail}
            continue
        valid_indexes.append(index)
        valid_data.append(validator.to_data(validated))
    for index, result in zip(valid_indexes, upsert(valid_data) if valid_data else [], strict=True):
        answers[index] = {
            "index": index,
            "status": result.status,
            "id": result.obj.pk if result.obj is not None else None,
            "errors": result.errors,
        }
    counts = {key: sum(1 for a in answers if a["status"] == key) for key in ("created", "updated", "error")}
    body = {"created": counts["created"], "updated": counts["updated"], "errors": counts["error"], "results": answers}
    return Response(body, status=status.HTTP_200_OK)
