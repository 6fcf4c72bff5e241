import json

import django_filters
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.bulk import BulkInputSerializer, BulkResultSerializer, UpsertViewSet, bulk_upsert_response
from core.filters import IsoDateTimeFilter
from social import services
from social.api.serializers import MentionInputSerializer, MentionOutputSerializer
from social.models import Connector, Mention, Platform


class MentionFilter(django_filters.FilterSet):
    platform = django_filters.MultipleChoiceFilter(choices=Platform.choices)
    min_followers = django_filters.NumberFilter(field_name="author_followers", lookup_expr="gte")
    is_reply_to_shop = django_filters.BooleanFilter()
    posted_after = IsoDateTimeFilter(field_name="posted_at", lookup_expr="gte")

    class Meta:
        model = Mention
        fields: list[str] = []


class MentionViewSet(UpsertViewSet):
    model = Mention
    key = _("(platform, external id)")
    newest_first_by = "posted_at"
    serializer_class = MentionOutputSerializer
    input_serializer_class = MentionInputSerializer
    filterset_class = MentionFilter

    def upsert(self, items):
        return services.mentions_upsert(items=items)


def _unauthorised(detail: str) -> Response:
    return Response({"type": "invalid_signature", "detail": detail, "errors": {}}, status=status.HTTP_401_UNAUTHORIZED)


@extend_schema(
    description=_(
        "Mentions pushed by a connector, authenticated by an HMAC signature instead of a token.\n"
        "\n"
        "Headers: `X-Voz-Timestamp` (Unix seconds) and `X-Voz-Signature: sha256=<hex>`, the HMAC-SHA256\n"
        'of "<timestamp>." + the raw body with the connector\'s secret. The body is\n'
        '`{"items": [mention, …]}`. Requests older than five minutes or badly signed are refused\n'
        "with 401 and nothing is stored."
    )
)
class MentionWebhookView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        request=BulkInputSerializer,
        responses={200: BulkResultSerializer, 401: OpenApiResponse(description=_("Bad, stale or missing signature"))},
        parameters=[
            OpenApiParameter("X-Voz-Timestamp", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-Voz-Signature", str, OpenApiParameter.HEADER, required=True),
        ],
        summary=_("Webhook for a social connector (HMAC-signed)"),
    )
    def post(self, request, connector_id):
        connector = get_object_or_404(Connector, public_id=connector_id, is_active=True)
        body = request.body  # the exact bytes that were signed, before any parsing
        if not services.webhook_is_authentic(
            connector=connector,
            timestamp=request.headers.get("X-Voz-Timestamp", ""),
            signature=request.headers.get("X-Voz-Signature", ""),
            body=body,
        ):
            return _unauthorised("Missing, invalid or expired signature.")
        try:
            json.loads(body or b"null")
        except ValueError:
            return Response(
                {"type": "parse_error", "detail": "The body is not valid JSON.", "errors": {}},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return bulk_upsert_response(
            request,
            item_serializer=MentionInputSerializer,
            upsert=lambda items: services.mentions_upsert(items=items, connector=connector),
        )
