from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = _("Surveys")

    def ready(self) -> None:
        from surveys.models import Choice, Question, Survey
        from surveys.services import survey_questions_forget

        for model in (Survey, Question, Choice):
            for signal in (post_save, post_delete):
                signal.connect(
                    survey_questions_forget, sender=model, dispatch_uid=f"voz-questions-{model.__name__}-{signal}"
                )
