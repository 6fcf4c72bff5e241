import string

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from support.models import CannedReply, Case, Priority, Team, WinBackTemplate


class MessageForm(forms.Form):
    text = forms.CharField(label=_("Text"), max_length=10_000, widget=forms.Textarea(attrs={"rows": 4}))


class CaseUpdateForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=Case.Status.choices)
    priority = forms.ChoiceField(label=_("Priority"), choices=Priority.choices)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.all(), required=False)
    assignee = forms.ModelChoiceField(
        label=_("Assignee"), queryset=get_user_model().objects.filter(is_active=True, is_staff=True), required=False
    )


class BulkForm(forms.Form):
    ACTIONS = [
        ("assign_me", _("Assign to me")),
        ("unassign", _("Unassign")),
        ("open", _("Mark open")),
        ("pending_customer", _("Waiting for the customer")),
        ("resolved", _("Resolve")),
        ("closed", _("Close")),
    ]
    cases = forms.ModelMultipleChoiceField(queryset=Case.objects.none())
    action = forms.ChoiceField(choices=ACTIONS)

    def __init__(self, *args, visible, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cases"].queryset = visible


class CannedReplyForm(forms.ModelForm):
    """A saved answer, as a manager writes it: only the placeholders Voz fills in are accepted."""

    class Meta:
        model = CannedReply
        fields = ["title", "language", "text", "is_active"]
        widgets = {"text": forms.Textarea({"rows": 6})}

    def clean_text(self) -> str:
        import string

        from support.canned import PLACEHOLDERS

        text = self.cleaned_data["text"]
        try:
            names = {name for _literal, name, _spec, _conversion in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            raise forms.ValidationError(
                _("A brace is not closed: write placeholders as {customer_name} or {order_number}.")
            ) from exc
        unknown = sorted(names - set(PLACEHOLDERS))
        if unknown:
            raise forms.ValidationError(
                _("Unknown placeholder: %(names)s. Use {customer_name} or {order_number}.")
                % {"names": ", ".join("{" + name + "}" for name in unknown)}
            )
        return text


class WinBackTemplateForm(forms.ModelForm):
    """The win-back text managers edit; {name}, {topic} and {shop} are filled in per customer."""

    PLACEHOLDERS = {"name", "topic", "shop"}

    class Meta:
        model = WinBackTemplate
        fields = ["subject_es", "body_es", "subject_en", "body_en"]
        widgets = {"body_es": forms.Textarea(attrs={"rows": 8}), "body_en": forms.Textarea(attrs={"rows": 8})}

    def clean(self):
        cleaned = super().clean()
        for name in self.Meta.fields:
            value = cleaned.get(name) or ""
            try:
                used = {field for _text, field, _spec, _conv in string.Formatter().parse(value) if field is not None}
            except ValueError:
                self.add_error(name, _("Unbalanced braces: write {name}, {topic} or {shop}, or leave braces out."))
                continue
            unknown = used - self.PLACEHOLDERS
            if unknown:
                self.add_error(
                    name,
                    _("Unknown placeholder %(names)s: use {name}, {topic} or {shop}.")
                    % {"names": ", ".join(f"{{{field}}}" for field in sorted(unknown))},
                )
        return cleaned
