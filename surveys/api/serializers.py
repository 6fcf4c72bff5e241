from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from customers.models import Order
from surveys.models import Choice, Question, Survey


class ChoiceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Choice
        fields = ["value", "label_es", "label_en"]
        read_only_fields = fields


class QuestionSerializer(serializers.ModelSerializer):
    scale = serializers.SerializerMethodField(help_text=_("[lowest, highest] for scale questions; null otherwise."))
    show_if_question = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True, help_text=_("Shown only if this question's answer matches.")
    )
    # may be blank: only conditional questions have one
    show_if_operator = serializers.CharField(
        read_only=True, help_text=_("lte, gte, eq, ne or includes; empty: always.")
    )
    choices = ChoiceSerializer(many=True, read_only=True)

    class Meta:
        model = Question
        fields = [
            "code",
            "position",
            "kind",
            "prompt_es",
            "prompt_en",
            "help_es",
            "help_en",
            "is_required",
            "max_length",
            "scale",
            "show_if_question",
            "show_if_operator",
            "show_if_value",
            "choices",
        ]
        read_only_fields = fields

    def get_scale(self, question) -> list[int] | None:
        return list(question.scale) if question.scale else None


class SurveySerializer(serializers.ModelSerializer):
    invitation_delay_days = serializers.SerializerMethodField()
    questions = QuestionSerializer(many=True, read_only=True)

    class Meta:
        model = Survey
        fields = ["slug", "title_es", "title_en", "trigger", "is_active", "invitation_delay_days", "questions"]
        read_only_fields = fields

    def get_invitation_delay_days(self, survey) -> float:
        return survey.invitation_delay.total_seconds() / 86400


class InvitationInputSerializer(serializers.Serializer):
    survey = serializers.SlugRelatedField(
        slug_field="slug", queryset=Survey.objects.filter(is_active=True), help_text=_("An active survey's slug.")
    )
    order = serializers.SlugRelatedField(
        slug_field="external_id",
        queryset=Order.objects.select_related("customer"),
        help_text=_("The order the survey asks about; its customer is invited."),
    )
    customer = serializers.CharField(
        max_length=100,
        required=False,
        help_text=_("The customer's external id; optional, but when given it must be the order's customer."),
    )

    def validate(self, attrs):
        customer = attrs.get("customer")
        if customer is not None and customer != attrs["order"].customer.external_id:
            raise serializers.ValidationError({"customer": ["This is not the customer of that order."]})
        return attrs


class InvitationOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    survey = serializers.CharField(source="survey.slug")
    customer = serializers.CharField(source="customer.external_id")
    order = serializers.CharField(source="order.external_id")
    status = serializers.CharField()
    language = serializers.CharField()
    created_at = serializers.DateTimeField()
    expires_at = serializers.DateTimeField()
    url = serializers.CharField(help_text=_("The customer's personal survey link (also emailed to them)."))


class AnswerSerializer(serializers.Serializer):
    question = serializers.CharField(help_text=_("The question's code."))
    kind = serializers.ChoiceField(choices=Question.Kind.choices)
    number = serializers.IntegerField(allow_null=True)
    text = serializers.CharField(allow_blank=True)
    choices = serializers.ListField(child=serializers.CharField())


@extend_schema_serializer(description=_("A submitted survey and its answers (as the NDJSON export writes it)."))
class SurveyResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    survey = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    language = serializers.CharField()
    customer = serializers.CharField(
        allow_null=True, help_text=_("External id; null for an anonymous website visitor.")
    )
    order = serializers.CharField(allow_null=True)
    score = serializers.IntegerField(
        allow_null=True,
        help_text=_("The answer to the survey's first answered scale question (NPS, CSAT, CES, stars)."),
    )
    score_question = serializers.CharField(allow_null=True)
    answers = AnswerSerializer(many=True)
