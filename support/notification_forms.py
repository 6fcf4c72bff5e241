from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from core.time_zones import TimeZoneSelect, time_zone_names
from support.models import ChatWebhook, NotificationEvent, NotificationPreference, StaffProfile

TIME_INPUT = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
DELIVERY_CHOICES = [("now", _("At once")), ("digest", _("In the digest"))]


class PreferencesForm(forms.Form):
    """One row per event (in-app, email, chat, at once or in the digest), then the person's
    language, time zone and quiet hours."""

    language = forms.ChoiceField(label=_("Language of emails"), choices=settings.LANGUAGES)
    time_zone = forms.ChoiceField(label=_("Time zone"))
    quiet_from = forms.TimeField(label=_("Quiet hours from"), required=False, widget=TIME_INPUT)
    quiet_until = forms.TimeField(label=_("Quiet hours until"), required=False, widget=TIME_INPUT)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].widget = TimeZoneSelect()
        self.fields["time_zone"].choices = [(zone, zone) for zone in time_zone_names()]  # the widget's too
        stored = {p.event: p for p in NotificationPreference.objects.filter(user=user)}
        self.rows = []
        for event, label in NotificationEvent.choices:
            preference = stored.get(event) or NotificationPreference(user=user, event=event)
            names = {}
            for channel in ("in_app", "email", "chat"):
                names[channel] = f"{event}-{channel}"
                self.fields[names[channel]] = forms.BooleanField(required=False, initial=getattr(preference, channel))
            names["delivery"] = f"{event}-delivery"
            self.fields[names["delivery"]] = forms.ChoiceField(
                choices=DELIVERY_CHOICES, initial="digest" if preference.in_digest else "now"
            )
            self.rows.append((event, label, names))

    def clean(self):
        data = super().clean()
        if (data.get("quiet_from") is None) != (data.get("quiet_until") is None):
            raise forms.ValidationError(_("Quiet hours need both a start and an end."))
        return data

    def bound_rows(self):
        return [(event, label, {key: self[name] for key, name in names.items()}) for event, label, names in self.rows]

    def choices(self) -> dict[str, dict[str, bool]]:
        return {
            event: {
                "in_app": self.cleaned_data[names["in_app"]],
                "email": self.cleaned_data[names["email"]],
                "chat": self.cleaned_data[names["chat"]],
                "in_digest": self.cleaned_data[names["delivery"]] == "digest",
            }
            for event, _label, names in self.rows
        }

    @staticmethod
    def initial_for(profile: StaffProfile) -> dict:
        return {
            "language": profile.language,
            "time_zone": profile.time_zone,
            "quiet_from": profile.quiet_from,
            "quiet_until": profile.quiet_until,
        }


class ChatWebhookForm(forms.ModelForm):
    class Meta:
        model = ChatWebhook
        fields = ["team", "name", "kind", "url"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if not url.lower().startswith(("https://", "http://")):
            raise forms.ValidationError(_("A webhook address starts with https:// (or http:// inside your network)."))
        return url
