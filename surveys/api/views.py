import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.filters import IsoDateTimeFilter
from core.pagination import newest_first_cursor
from surveys import selectors, services
from surveys.api.serializers import (
    InvitationInputSerializer,
    InvitationOutputSerializer,
    SurveyResponseSerializer,
    SurveySerializer,
)
from surveys.exports import FORMATS, answers_export_response, response_as_dict
from surveys.models import Response as SurveyResponse


class SurveyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    required_scopes = {"GET": "surveys:read"}
    staff_permissions = {"GET": "surveys.view_survey"}
    serializer_class = SurveySerializer
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"

    def get_queryset(self):
        return selectors.surveys_with_questions().order_by("slug")


class InvitationViewSet(viewsets.GenericViewSet):
    required_scopes = {"POST": "surveys:write"}
    staff_permissions = {"POST": "surveys.add_invitation"}
    serializer_class = InvitationOutputSerializer

    @extend_schema(
        request=InvitationInputSerializer,
        responses={
            201: InvitationOutputSerializer,
            409: OpenApiResponse(description=_("Already invited about this order, or invited within the cooldown")),
        },
        summary=_("Send a survey to an order's customer now (same cooldown and once per order as the scheduler)"),
    )
    def create(self, request):
        serializer = InvitationInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        invitation = services.invitation_request(
            survey=serializer.validated_data["survey"], order=serializer.validated_data["order"]
        )
        return Response(InvitationOutputSerializer(invitation).data, status=status.HTTP_201_CREATED)


class ScoreFilter(django_filters.NumberFilter):
    field_class = forms.IntegerField


class ResponseFilter(django_filters.FilterSet):
    # (labels in English: they are the schema's descriptions)
    survey = django_filters.CharFilter(field_name="survey__slug", label=_("The survey's slug"))
    customer = django_filters.CharFilter(field_name="customer__external_id", label=_("The customer's external id"))
    submitted_after = IsoDateTimeFilter(field_name="submitted_at", lookup_expr="gte", label=_("Submitted at or after"))
    submitted_before = IsoDateTimeFilter(field_name="submitted_at", lookup_expr="lt", label=_("Submitted before"))
    score = ScoreFilter(field_name="score", label=_("Score (the first scale answer) equal to"))
    score_min = ScoreFilter(field_name="score", lookup_expr="gte", label=_("Score at least"))
    score_max = ScoreFilter(field_name="score", lookup_expr="lte", label=_("Score at most"))

    class Meta:
        model = SurveyResponse
        fields: list[str] = []


class FileFormatSerializer(serializers.Serializer):
    file_format = serializers.ChoiceField(choices=list(FORMATS), default="csv")


class AnswerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    required_scopes = {"GET": "surveys:read"}
    staff_permissions = {"GET": "surveys.view_response"}
    serializer_class = SurveyResponseSerializer
    pagination_class = newest_first_cursor("submitted_at")
    filter_backends = [DjangoFilterBackend]
    filterset_class = ResponseFilter
    queryset = SurveyResponse.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return SurveyResponse.objects.none()
        return selectors.responses_with_answers()

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response([response_as_dict(response) for response in page])

    def retrieve(self, request, pk=None):
        return Response(response_as_dict(self.get_object()))

    @extend_schema(
        parameters=[
            OpenApiParameter("file_format", str, enum=sorted(FORMATS), description=_("csv (default) or ndjson"))
        ],
        responses={
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description=_("One row per submitted survey")),
            (200, "application/x-ndjson"): OpenApiResponse(
                OpenApiTypes.STR, description="One JSON object per line, as the list shows each"
            ),
        },
        summary=_("Export the filtered answers as CSV or NDJSON (streamed)"),
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request):
        choice = FileFormatSerializer(data=request.query_params)
        choice.is_valid(raise_exception=True)
        responses = self.filter_queryset(self.get_queryset()).order_by("-submitted_at", "-id")
        return answers_export_response(responses, file_format=choice.validated_data["file_format"], request=request)
