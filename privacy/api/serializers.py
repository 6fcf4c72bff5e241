from rest_framework import serializers


class CustomerExportSerializer(serializers.Serializer):
    """The shape of a customer's data export (documentation only: the data is built by
    privacy.selectors.customer_data)."""

    format = serializers.IntegerField(help_text="Version of this layout.")
    customer = serializers.DictField(
        help_text="Every field of the customer record: external id, email, name, language, attributes, consent."
    )
    orders = serializers.ListField(child=serializers.DictField(), help_text="Orders with their lines.")
    survey_answers = serializers.ListField(child=serializers.DictField(), help_text="Survey responses and answers.")
    reviews = serializers.ListField(child=serializers.DictField(), help_text="Reviews, with the shop's reply.")
    feedback = serializers.ListField(child=serializers.DictField(), help_text="Feedback from every channel.")
    social_mentions = serializers.ListField(child=serializers.DictField(), help_text="Posts matched to them.")
    website_feedback = serializers.ListField(child=serializers.DictField(), help_text="Website widget comments.")
    messages = serializers.ListField(child=serializers.DictField(), help_text="Emails, chats and calls received.")
    cases = serializers.ListField(
        child=serializers.DictField(), help_text="Support cases, with the replies and their messages (no notes)."
    )
    emails_sent = serializers.ListField(child=serializers.DictField(), help_text="Win-back emails and invitations.")
