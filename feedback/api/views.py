import django_filters
from django.utils.translation import gettext_lazy as _

from core.bulk import UpsertViewSet
from core.filters import IsoDateTimeFilter
from feedback.api.serializers import InboundMessageInputSerializer, InboundMessageOutputSerializer
from feedback.models import MESSAGE_CHANNEL_CHOICES, InboundMessage
from feedback.services import messages_upsert


class MessageFilter(django_filters.FilterSet):
    channel = django_filters.MultipleChoiceFilter(choices=MESSAGE_CHANNEL_CHOICES)
    source = django_filters.CharFilter()
    customer = django_filters.CharFilter(field_name="customer__external_id")
    sent_after = IsoDateTimeFilter(field_name="sent_at", lookup_expr="gte")

    class Meta:
        model = InboundMessage
        fields: list[str] = []


class MessageViewSet(UpsertViewSet):
    model = InboundMessage
    key = _("(channel, external id)")
    newest_first_by = "sent_at"
    serializer_class = InboundMessageOutputSerializer
    input_serializer_class = InboundMessageInputSerializer
    filterset_class = MessageFilter

    def get_queryset(self):
        return InboundMessage.objects.select_related("customer", "order", "feedback_item").prefetch_related(
            "attachments"
        )

    def upsert(self, items):
        return messages_upsert(items=items)
