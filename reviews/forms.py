from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.models import Product
from reviews.models import Review
from reviews.selectors import ModerationFilters

ALL = "all"
MODERATE_ACTIONS = {"publish": Review.Status.PUBLISHED, "reject": Review.Status.REJECTED}


class ModerationFilterForm(forms.Form):
    """The list's filters, read from the query string; anything it does not know is a 400."""

    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[(ALL, pgettext_lazy("reviews tab", "All")), *Review.Status.choices],
    )
    rating = forms.TypedChoiceField(
        label=_("Stars"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", _("Any rating")), *((str(n), str(n)) for n in range(5, 0, -1))],
    )
    verified = forms.ChoiceField(
        label=_("Buyer"),
        required=False,
        choices=[("", _("Anyone")), ("yes", _("Verified buyers")), ("no", _("Not verified"))],
    )
    product = forms.ModelChoiceField(
        label=_("Product"), required=False, queryset=Product.objects.order_by("name"), empty_label=_("Any product")
    )
    q = forms.CharField(label=_("Search the text or the author"), required=False, max_length=200, strip=True)

    def filters(self) -> ModerationFilters:
        data = self.cleaned_data
        status = data["status"] or Review.Status.PENDING
        product = data["product"]
        return ModerationFilters(
            status="" if status == ALL else status,
            rating=data["rating"],
            is_verified_buyer={"yes": True, "no": False}.get(data["verified"]),
            product_id=product.pk if product else None,
            query=data["q"],
        )


class ModerateForm(forms.Form):
    """Publish or reject one review or the ones ticked; a rejection says why."""

    action = forms.ChoiceField(
        label=_("Action"), choices=[("publish", _("Publish")), ("reject", _("Reject"))], error_messages={}
    )
    reviews = forms.ModelMultipleChoiceField(
        queryset=Review.objects.filter(brand__isnull=True),
        error_messages={"required": _("Choose at least one review.")},
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=200, strip=True)

    def clean(self):
        data = super().clean()
        if data.get("action") == "reject" and not data.get("reason"):
            self.add_error("reason", _("Say why the review is rejected."))
        return data


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Public reply"),
        max_length=settings.API_MAX_TEXT_LENGTH,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Write the reply first.")},
    )
