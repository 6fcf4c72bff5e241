from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers


@extend_schema_serializer(
    description=_(
        "The shape of a customer's data export (documentation only: the data is built by\n"
        "privacy.selectors.customer_data)."
    )
)
class CustomerExportSerializer(serializers.Serializer):
    format = serializers.IntegerField(help_text=_("Version of this layout."))
    customer = serializers.DictField(
        help_text=_("Every field of the customer record: external id, email, name, language, attributes, consent.")
    )
    orders = serializers.ListField(child=serializers.DictField(), help_text=_("Orders with their lines."))
    survey_answers = serializers.ListField(child=serializers.DictField(), help_text=_("Survey responses and answers."))
    reviews = serializers.ListField(child=serializers.DictField(), help_text=_("Reviews, with the shop's reply."))
    feedback = serializers.ListField(child=serializers.DictField(), help_text=_("Feedback from every channel."))
    social_mentions = serializers.ListField(child=serializers.DictField(), help_text=_("Posts matched to them."))
    website_feedback = serializers.ListField(child=serializers.DictField(), help_text=_("Website widget comments."))
    messages = serializers.ListField(child=serializers.DictField(), help_text=_("Emails, chats and calls received."))
    cases = serializers.ListField(
        child=serializers.DictField(), help_text=_("Support cases, with the replies and their messages (no notes).")
    )
    emails_sent = serializers.ListField(child=serializers.DictField(), help_text=_("Win-back emails and invitations."))
