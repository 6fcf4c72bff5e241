from urllib.parse import urlsplit

from django import forms
from django.utils.translation import gettext_lazy as _

from integrations.models import Platform


class ConnectorForm(forms.Form):
    platform = forms.ChoiceField(label=_("Platform"), choices=Platform.choices)
    shop_url = forms.URLField(
        label=_("Shop URL"),
        max_length=300,
        assume_scheme="https",
        help_text=_("The address of your shop, e.g. https://tienda.example.com"),
    )
    secret = forms.CharField(
        label=_("Secret or key"),
        max_length=200,
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text=_(
            "Shopify: the webhook signing secret. WooCommerce: the secret you give each webhook "
            "(leave empty and Voz makes one). PrestaShop: the Webservice key."
        ),
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.editing = editing
        if editing:
            del self.fields["platform"]
            self.fields["secret"].help_text = _("Leave empty to keep the stored one.")

    def clean_shop_url(self) -> str:
        url = self.cleaned_data["shop_url"]
        if urlsplit(url).scheme not in ("http", "https"):
            raise forms.ValidationError(_("Use an http or https address."))
        return url

    def clean(self):
        cleaned = super().clean()
        platform = cleaned.get("platform")
        secret = cleaned.get("secret", "")
        if not self.editing and not secret and platform in (Platform.SHOPIFY, Platform.PRESTASHOP):
            self.add_error("secret", _("Shopify's signing secret and PrestaShop's key are required."))
        if secret and len(secret) < 8:
            self.add_error("secret", _("That is too short to be a real secret or key."))
        return cleaned
