import django_filters
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from core.models import ApiClient
from core.pagination import newest_first_cursor
from support import selectors, services
from support.api.serializers import (
    CaseCreateSerializer,
    CaseDetailSerializer,
    CaseMessageSerializer,
    CaseOutputSerializer,
    CaseUpdateSerializer,
    MessageInputSerializer,
)
from support.models import Case, Priority


class CaseFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Case.Status.choices)
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices)
    team = django_filters.CharFilter(field_name="team__slug")
    assignee = django_filters.CharFilter(field_name="assignee__username")
    customer = django_filters.CharFilter(field_name="customer__external_id")

    class Meta:
        model = Case
        fields: list[str] = []


class CaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    pagination_class = newest_first_cursor("opened_at")
    filter_backends = [DjangoFilterBackend]
    filterset_class = CaseFilter
    http_method_names = ["get", "post", "patch", "head", "options"]
    required_scopes = {"GET": "cases:read", "POST": "cases:write", "PATCH": "cases:write"}
    staff_permissions = {"GET": "support.view_case", "POST": "support.change_case", "PATCH": "support.change_case"}

    queryset = Case.objects.none()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Case.objects.none()
        cases = Case.objects.select_related("customer", "team", "assignee", "policy__calendar").prefetch_related(
            "feedback_items__topic_mentions__topic", "messages__author", "pauses"
        )
        if isinstance(self.request.auth, ApiClient):
            return cases
        return cases.filter(pk__in=selectors.cases_visible_to(self.request.user).values("pk"))

    def get_serializer_class(self):
        return CaseDetailSerializer if self.action == "retrieve" else CaseOutputSerializer

    def _actor(self):
        return None if isinstance(self.request.auth, ApiClient) else self.request.user

    @extend_schema(
        request=CaseCreateSerializer, responses={201: CaseDetailSerializer}, summary=_("Open a case by hand")
    )
    def create(self, request):
        serializer = CaseCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        case = services.case_open_manual(**serializer.validated_data, actor=self._actor())
        return Response(CaseDetailSerializer(self.get_queryset().get(pk=case.pk)).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=CaseUpdateSerializer, responses=CaseDetailSerializer, summary=_("Change status, priority or assignment")
    )
    def partial_update(self, request, pk=None):
        case = self.get_object()
        serializer = CaseUpdateSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data, actor = serializer.validated_data, self._actor()
        with transaction.atomic():
            if "status" in data:
                case = services.case_set_status(case=case, status=data["status"], actor=actor)
            if "priority" in data:
                case = services.case_set_priority(case=case, priority=data["priority"], actor=actor)
            if "assignee" in data or "team" in data:
                services.case_assign(
                    case=case, assignee=data.get("assignee", case.assignee), team=data.get("team"), actor=actor
                )
        return Response(CaseDetailSerializer(self.get_queryset().get(pk=case.pk)).data)

    @extend_schema(
        request=MessageInputSerializer,
        responses={201: CaseMessageSerializer},
        summary=_("Reply to the customer (emailed)"),
    )
    @action(detail=True, methods=["post"])
    def replies(self, request, pk=None):
        return self._message(services.case_reply)

    @extend_schema(
        request=MessageInputSerializer, responses={201: CaseMessageSerializer}, summary=_("Add an internal note")
    )
    @action(detail=True, methods=["post"])
    def notes(self, request, pk=None):
        return self._message(services.case_note)

    @extend_schema(
        request=MessageInputSerializer,
        responses={201: CaseMessageSerializer},
        summary=_("Record the customer's answer (reopens a resolved case, resumes a paused clock)"),
    )
    @action(detail=True, methods=["post"], url_path="customer-messages")
    def customer_messages(self, request, pk=None):
        return self._message(lambda case, text, author: services.case_customer_message(case=case, text=text))

    def _message(self, handler):
        case = self.get_object()
        serializer = MessageInputSerializer(data=self.request.data)
        serializer.is_valid(raise_exception=True)
        message = handler(case=case, text=serializer.validated_data["text"], author=self._actor())
        return Response(CaseMessageSerializer(message).data, status=status.HTTP_201_CREATED)
