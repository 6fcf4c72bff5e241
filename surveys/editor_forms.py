from django import forms
from django.utils.translation import gettext_lazy as _

from surveys.editing import ChoiceData, QuestionData
from surveys.models import Question, Survey


class SurveySettingsForm(forms.ModelForm):
    class Meta:
        model = Survey
        fields = [
            "slug",
            "title_es",
            "title_en",
            "intro_es",
            "intro_en",
            "thanks_es",
            "thanks_en",
            "trigger",
            "is_active",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 2}) for name in ("intro_es", "intro_en", "thanks_es", "thanks_en")
        }


class QuestionForm(forms.Form):
    """A question's texts side by side in both languages, its choices, and when it is shown."""

    kind = forms.ChoiceField(label=_("Kind"), choices=Question.Kind.choices)
    # two lines, so a question as long as customers read it shows whole while it is edited
    prompt_es = forms.CharField(label=_("Question (Spanish)"), max_length=400, widget=forms.Textarea(attrs={"rows": 2}))
    prompt_en = forms.CharField(label=_("Question (English)"), max_length=400, widget=forms.Textarea(attrs={"rows": 2}))
    help_es = forms.CharField(label=_("Help text (Spanish)"), max_length=400, required=False)
    help_en = forms.CharField(label=_("Help text (English)"), max_length=400, required=False)
    is_required = forms.BooleanField(label=_("Required"), required=False, initial=True)
    choices = forms.CharField(
        label=_("Choices"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line: Spanish | English. For single and multiple choice questions."),
    )
    show_if_question = forms.TypedChoiceField(
        label=_("Show only if question"), required=False, coerce=int, empty_value=None
    )
    show_if_operator = forms.ChoiceField(
        label=_("Operator"), required=False, choices=[("", "—"), *Question.Operator.choices]
    )
    show_if_value = forms.CharField(
        label=_("Value"),
        max_length=60,
        required=False,
        help_text=_("A number for scales (e.g. 6 for “NPS is at most 6”), a choice's label for choices."),
    )

    def __init__(self, *args, sources: list[Question], question: Question | None = None, **kwargs):
        if question is not None:
            kwargs.setdefault(
                "initial",
                {
                    "kind": question.kind,
                    "prompt_es": question.prompt_es,
                    "prompt_en": question.prompt_en,
                    "help_es": question.help_es,
                    "help_en": question.help_en,
                    "is_required": question.is_required,
                    "choices": "\n".join(f"{c.label_es} | {c.label_en}" for c in question.choices.all()),
                    "show_if_question": question.show_if_question_id,
                    "show_if_operator": question.show_if_operator,
                    "show_if_value": question.show_if_value,
                },
            )
        super().__init__(*args, **kwargs)
        self.question = question
        if question is not None:
            # answers on one scale do not fit another: the kind of a question is fixed
            self.fields["kind"].disabled = True
        self.fields["show_if_question"].choices = [("", _("Always shown"))] + [
            (source.pk, f"{source.position}. {source.prompt()}")
            for source in sources
            if (question is None or source.pk != question.pk) and source.kind != Question.Kind.OPEN_TEXT
        ]

    def clean_choices(self) -> list[ChoiceData]:
        parsed = []
        for line in self.cleaned_data["choices"].splitlines():
            if not line.strip():
                continue
            spanish, _bar, english = line.partition("|")
            if len(spanish.strip()) > 200 or len(english.strip()) > 200:
                raise forms.ValidationError(_("A choice's label has at most 200 characters."))
            parsed.append(ChoiceData(label_es=spanish.strip(), label_en=english.strip()))
        return parsed

    def question_data(self) -> QuestionData:
        data = self.cleaned_data
        return QuestionData(
            prompt_es=data["prompt_es"],
            prompt_en=data["prompt_en"],
            help_es=data["help_es"],
            help_en=data["help_en"],
            is_required=data["is_required"],
            choices=data["choices"],
            show_if_question_id=data["show_if_question"],
            show_if_operator=data["show_if_operator"],
            show_if_value=data["show_if_value"],
        )
