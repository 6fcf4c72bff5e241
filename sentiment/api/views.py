from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import filters, mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.models import ApiClient
from core.pagination import newest_first_cursor
from sentiment import selectors, services
from sentiment.api.serializers import FeedbackCorrectionSerializer, FeedbackItemOutputSerializer
from sentiment.exports import feedback_csv_response
from sentiment.filters import FeedbackFilter


class FeedbackItemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    required_scopes = {"GET": "feedback:read", "PATCH": "feedback:write"}
    staff_permissions = {"GET": "feedback.view_feedbackitem", "PATCH": "feedback.change_feedbackitem"}
    serializer_class = FeedbackItemOutputSerializer
    http_method_names = ["get", "patch", "head", "options"]
    pagination_class = newest_first_cursor("received_at")
    filter_backends = [DjangoFilterBackend, filters.OrderingFilter]
    filterset_class = FeedbackFilter
    ordering_fields = ["received_at", "sentiment_score"]

    def get_queryset(self):
        # the CSV export shows reviews and mentions; the JSON answers do not
        return selectors.feedback_feed() if self.action == "export" else selectors.feedback_for_api()

    @extend_schema(
        responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=_("The filtered feed as CSV"))},
        summary=_("Export the filtered feed as CSV (streamed)"),
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request):
        return feedback_csv_response(
            self.filter_queryset(self.get_queryset()).order_by("-received_at", "-id"), request._request
        )

    @extend_schema(
        request=FeedbackCorrectionSerializer,
        responses=FeedbackItemOutputSerializer,
        summary=_("Correct the sentiment label of a feedback item (stored as a gold label for training)"),
    )
    def partial_update(self, request, pk=None):
        item = self.get_object()
        serializer = FeedbackCorrectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.feedback_sentiment_correct(
            item=item,
            label=serializer.validated_data["sentiment_gold"],
            user=None if isinstance(request.auth, ApiClient) else request.user,
        )
        return Response(FeedbackItemOutputSerializer(self.get_queryset().get(pk=item.pk)).data)
