from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Model
from django.utils.formats import number_format
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api import invalid_input
from core.pagination import newest_first_cursor


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


# Things a client pushes under its own key (a review site's, a platform's): list and read them,
# create or update one (201 or 200), or up to API_MAX_BATCH_ITEMS at once with an answer per item.
# A subclass names its model, the key clients send (for the schema), the field the list is ordered
# by, its serializers and its service (`upsert`); the scopes, the staff permissions (the model's
# view/add/change), the pagination and the schema of the writes follow from those.
# (No docstring: the schema would show it on every endpoint.)
class UpsertViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    model: type[Model]
    key: str
    newest_first_by: str
    input_serializer_class: type[serializers.Serializer]
    filter_backends = [DjangoFilterBackend]
    required_scopes = {"GET": "feedback:read", "POST": "feedback:write"}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        meta = cls.model._meta
        cls.staff_permissions = {
            "GET": f"{meta.app_label}.view_{meta.model_name}",
            "POST": [f"{meta.app_label}.add_{meta.model_name}", f"{meta.app_label}.change_{meta.model_name}"],
        }
        cls.pagination_class = newest_first_cursor(cls.newest_first_by)
        extend_schema_view(
            create=extend_schema(
                request=cls.input_serializer_class,
                responses={201: cls.serializer_class, 200: cls.serializer_class},
                summary=format_lazy(_("Create or update one {item} by {key}"), item=meta.verbose_name, key=cls.key),
            ),
            bulk=extend_schema(
                request=BulkInputSerializer,
                responses=BulkResultSerializer,
                summary=format_lazy(
                    _("Create or update up to {count} {items}; answers per item"),
                    count=lazy(number_format, str)(settings.API_MAX_BATCH_ITEMS, force_grouping=True),
                    items=meta.verbose_name_plural,
                ),
            ),
        )(cls)

    def get_queryset(self):
        return self.model.objects.all()

    def upsert(self, items: Sequence) -> list[UpsertResult]:
        raise NotImplementedError

    def create(self, request):
        serializer = self.input_serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        (result,) = self.upsert([serializer.to_data()])
        if result.status == "error":
            return Response(
                {"type": "validation_error", "detail": invalid_input(), "errors": result.errors},
                status=status.HTTP_400_BAD_REQUEST,
            )
        stored = self.get_queryset().get(pk=result.obj.pk)
        code = status.HTTP_201_CREATED if result.status == "created" else status.HTTP_200_OK
        return Response(self.serializer_class(stored).data, status=code)

    @action(detail=False, methods=["post"])
    def bulk(self, request):
        return bulk_upsert_response(request, item_serializer=self.input_serializer_class, upsert=self.upsert)
