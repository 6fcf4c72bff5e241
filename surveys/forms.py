from typing import NamedTuple

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from surveys.models import Question

SCALE_LABELS = {
    Question.Kind.NPS: (_("Not at all likely"), _("Extremely likely")),
    Question.Kind.CSAT: (_("Very dissatisfied"), _("Very satisfied")),
    Question.Kind.CES: (_("Very difficult"), _("Very easy")),
    Question.Kind.RATING: (_("1 star"), _("5 stars")),
}


class Option(NamedTuple):
    id: str
    value: str
    label: str
    checked: bool


class SurveyAnswerForm(forms.Form):
    """Parses the answers a customer typed; which ones are required is the service's decision.

    Every field is optional at this level because a question may not apply (its condition is
    not met), and only the service knows the whole rule set.
    """

    # Bots fill every field they find; people never see this one.
    website = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, questions: list[Question], language: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        self.language = language
        for question in questions:
            self.fields[self.field_name(question)] = self._field_of(question)

    @staticmethod
    def field_name(question: Question) -> str:
        return f"q_{question.code}"

    def _field_of(self, question: Question) -> forms.Field:
        # Questions are kept per process (surveys.services.survey_by_id) and so is the field built
        # from each, per language. Forms share it: Django deep-copies declared fields for forms
        # that edit their fields at run time, and this one never does (a form's errors and data
        # live on the form). Building the fields anew was a sixth of a submission's CPU, and
        # copying them a tenth.
        built = question.__dict__.setdefault("_form_fields", {})
        if self.language not in built:
            built[self.language] = self._field_for(question)
        return built[self.language]

    def _field_for(self, question: Question) -> forms.Field:
        label = question.prompt(self.language)
        help_text = question.help_text(self.language)
        if question.scale is not None:
            low, high = question.scale
            return forms.TypedChoiceField(
                label=label,
                help_text=help_text,
                required=False,
                coerce=int,
                empty_value=None,
                choices=[(value, str(value)) for value in range(low, high + 1)],
                widget=forms.RadioSelect,
                error_messages={
                    "invalid_choice": _("Choose a value from %(low)s to %(high)s.") % {"low": low, "high": high}
                },
            )
        if question.has_choices:
            choices = [(choice.value, choice.label(self.language)) for choice in question.choices.all()]
            if question.kind == Question.Kind.SINGLE_CHOICE:
                return forms.ChoiceField(
                    label=label,
                    help_text=help_text,
                    required=False,
                    choices=choices,
                    widget=forms.RadioSelect,
                    error_messages={"invalid_choice": _("Choose one of the options shown.")},
                )
            return forms.MultipleChoiceField(
                label=label,
                help_text=help_text,
                required=False,
                choices=choices,
                widget=forms.CheckboxSelectMultiple,
                error_messages={"invalid_choice": _("Choose one of the options shown.")},
            )
        return forms.CharField(
            label=label,
            help_text=help_text,
            required=False,
            max_length=question.max_length,
            widget=forms.Textarea(attrs={"rows": 4, "maxlength": question.max_length}),
            error_messages={"max_length": _("Keep it under %(limit_value)d characters (now %(show_value)d).")},
        )

    def options(self, question: Question) -> list[Option]:
        """The radio buttons or checkboxes of a question, ticked as the customer left them.

        The page writes the inputs itself: rendering each through Django's widget templates cost
        a third of the page's CPU (bench/load.py), for the same markup.
        """
        name = self.field_name(question)
        if not isinstance(self.fields[name], forms.ChoiceField):  # an open question
            return []
        ticked = set(self.data.getlist(name)) if self.is_bound else set()
        auto_id = self[name].auto_id
        return [
            Option(f"{auto_id}_{index}", str(value), str(label), str(value) in ticked)
            for index, (value, label) in enumerate(self.fields[name].choices)
        ]

    def answers_by_question_id(self) -> dict[int, object]:
        return {question.pk: self.cleaned_data.get(self.field_name(question)) for question in self.questions}

    @property
    def is_probably_a_bot(self) -> bool:
        return bool(self.cleaned_data.get("website"))


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to REVIEW_PHOTOS_PER_REVIEW photos, each checked and re-encoded without its metadata
    (reviews.photos): a file that is not a photo, or too big, is an error beside the field."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data, initial=None):
        from reviews.photos import PhotoRefused, photo_prepare

        files = [f for f in (data if isinstance(data, list | tuple) else [data]) if f]
        if not files:
            return []
        limit = settings.REVIEW_PHOTOS_PER_REVIEW
        if len(files) > limit:
            raise forms.ValidationError(
                ngettext("Add up to %(n)d photo.", "Add up to %(n)d photos.", limit) % {"n": limit}
            )
        prepared = []
        for upload in files:
            super().clean(upload, initial)
            try:
                prepared.append(photo_prepare(upload))
            except PhotoRefused as refusal:
                raise forms.ValidationError(f"{upload.name}: {refusal}") from refusal
        return prepared


class ProductReviewsForm(forms.Form):
    """One optional star rating, title and text per product of the order."""

    website = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, products, **kwargs):
        super().__init__(*args, **kwargs)
        self.products = products
        for product in products:
            self.fields[f"rating_{product.pk}"] = forms.TypedChoiceField(
                label=product.name,
                choices=[(n, str(n)) for n in range(1, 6)],
                coerce=int,
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields[f"title_{product.pk}"] = forms.CharField(label=_("Title"), max_length=200, required=False)
            self.fields[f"body_{product.pk}"] = forms.CharField(
                label=_("Your review"), max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 3})
            )
            self.fields[f"photos_{product.pk}"] = PhotosField(label=_("Photos"), required=False)

    def clean(self):
        cleaned = super().clean()
        rated = 0
        for product in self.products:
            rating = cleaned.get(f"rating_{product.pk}")
            wrote = (cleaned.get(f"title_{product.pk}") or "").strip() or (
                cleaned.get(f"body_{product.pk}") or ""
            ).strip()
            if rating:
                rated += 1
            elif wrote:
                self.add_error(f"rating_{product.pk}", _("Choose how many stars you give this product."))
        if not rated and not self.errors:
            raise forms.ValidationError(_("Rate at least one product, or close this page."))
        return cleaned

    def rows(self):
        """(product, rating field, title field, body field, photos field) for the template."""
        return [
            (
                product,
                self[f"rating_{product.pk}"],
                self[f"title_{product.pk}"],
                self[f"body_{product.pk}"],
                self[f"photos_{product.pk}"],
            )
            for product in self.products
        ]

    def product_reviews(self):
        from surveys.review_requests import ProductReview

        return [
            ProductReview(
                product_id=product.pk,
                rating=self.cleaned_data[f"rating_{product.pk}"],
                title=(self.cleaned_data.get(f"title_{product.pk}") or "").strip(),
                body=(self.cleaned_data.get(f"body_{product.pk}") or "").strip(),
                photos=tuple(self.cleaned_data.get(f"photos_{product.pk}") or ()),
            )
            for product in self.products
            if self.cleaned_data.get(f"rating_{product.pk}")
        ]
