"""The post-purchase survey asks how easy the order was (CES), so NPS, CSAT and CES all come from
the one short survey a customer gets. Optional: it must not cost answers to the questions before it."""

from django.db import migrations

SURVEY_SLUG = "post-purchase"
CODE = "order_effort"


def add_effort_question(apps, schema_editor):
    Survey = apps.get_model("surveys", "Survey")
    Question = apps.get_model("surveys", "Question")
    survey = Survey.objects.filter(slug=SURVEY_SLUG).first()
    if survey is None or survey.questions.filter(kind="ces").exists():
        return
    # between the delivery CSAT (40) and the closing comment (50), where it reads as part of the
    # order; the scale's end labels (very difficult … very easy) say which way it runs
    Question.objects.create(
        survey=survey,
        code=CODE,
        position=45,
        kind="ces",
        prompt_es="¿Qué tan fácil te resultó hacer tu pedido con nosotros?",
        prompt_en="How easy was it to place your order with us?",
        is_required=False,
    )


def remove_effort_question(apps, schema_editor):
    Question = apps.get_model("surveys", "Question")
    Question.objects.filter(survey__slug=SURVEY_SLUG, code=CODE, answers__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("surveys", "0006_alter_invitation_status")]

    operations = [migrations.RunPython(add_effort_question, remove_effort_question)]
