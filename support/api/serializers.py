from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from customers.models import Customer
from feedback.models import FeedbackItem
from support.models import Case, CaseMessage, Priority, Team


class CaseMessageSerializer(serializers.ModelSerializer):
    author = serializers.CharField(source="author.username", default=None, allow_null=True, read_only=True)

    class Meta:
        model = CaseMessage
        fields = ["id", "kind", "author", "text", "created_at", "emailed_at", "needs_manual_post", "posted_at"]
        read_only_fields = fields


class SLATargetSerializer(serializers.Serializer):
    name = serializers.CharField()
    status = serializers.CharField()
    due_at = serializers.DateTimeField(allow_null=True)
    remaining_seconds = serializers.SerializerMethodField()
    is_warning = serializers.BooleanField()

    def get_remaining_seconds(self, state) -> int:
        return int(state.remaining.total_seconds())


class CaseOutputSerializer(serializers.ModelSerializer):
    customer = serializers.CharField(source="customer.external_id", default=None, allow_null=True, read_only=True)
    team = serializers.CharField(source="team.slug", default=None, allow_null=True, read_only=True)
    assignee = serializers.CharField(source="assignee.username", default=None, allow_null=True, read_only=True)
    policy = serializers.CharField(source="policy.name", default=None, allow_null=True, read_only=True)
    feedback_ids = serializers.SerializerMethodField()
    topics = serializers.SerializerMethodField()
    priority_reason = serializers.SerializerMethodField(
        help_text=_("Why this priority, one line per factor, in the request's language (Accept-Language).")
    )

    class Meta:
        model = Case
        fields = [
            "id",
            "subject",
            "customer",
            "social_author",
            "channels",
            "priority",
            "priority_reason",
            "priority_factors",
            "is_priority_overridden",
            "status",
            "team",
            "assignee",
            "policy",
            "opened_at",
            "first_response_at",
            "resolved_at",
            "closed_at",
            "sla_due_at",
            "followup_score",
            "feedback_ids",
            "topics",
        ]
        read_only_fields = fields

    def get_priority_reason(self, case) -> str:
        return "\n".join(case.priority_explanation)

    def get_feedback_ids(self, case) -> list[int]:
        return [item.pk for item in case.feedback_items.all()]

    def get_topics(self, case) -> list[str]:
        return sorted({m.topic.slug for item in case.feedback_items.all() for m in item.topic_mentions.all()})


class CaseDetailSerializer(CaseOutputSerializer):
    messages = CaseMessageSerializer(many=True, read_only=True)
    sla = serializers.SerializerMethodField()

    class Meta(CaseOutputSerializer.Meta):
        fields = [*CaseOutputSerializer.Meta.fields, "messages", "sla"]
        read_only_fields = fields

    def get_sla(self, case) -> list[dict]:
        from support.services import case_sla_states

        return SLATargetSerializer(case_sla_states(case), many=True).data


class CaseCreateSerializer(serializers.Serializer):
    subject = serializers.CharField(max_length=200)
    customer = serializers.SlugRelatedField(
        slug_field="external_id", queryset=Customer.objects.all(), required=False, allow_null=True, default=None
    )
    channel = serializers.ChoiceField(
        choices=FeedbackItem.Channel.choices, required=False, allow_blank=True, default=""
    )
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    text = serializers.CharField(max_length=10_000, required=False, allow_blank=True, default="")
    team = serializers.SlugRelatedField(
        slug_field="slug", queryset=Team.objects.all(), required=False, allow_null=True, default=None
    )


class CaseUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Case.Status.choices, required=False)
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    team = serializers.SlugRelatedField(slug_field="slug", queryset=Team.objects.all(), required=False, allow_null=True)
    assignee = serializers.SlugRelatedField(
        slug_field="username", queryset=get_user_model().objects.filter(is_active=True), required=False, allow_null=True
    )


class MessageInputSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=10_000)
