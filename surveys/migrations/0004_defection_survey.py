from datetime import timedelta

from django.db import migrations

SURVEY_SLUG = "lapsed-customers"
# (value, Spanish, English); the first three are within the shop's control.
REASONS = [
    ("poor_service", "Mal servicio o mala experiencia", "Poor service or a bad experience"),
    ("price", "El precio", "Price"),
    ("better_offer", "Encontré una oferta mejor en otro sitio", "A better offer elsewhere"),
    ("moved_away", "Me mudé o ya no me envían", "I moved away / you no longer deliver to me"),
    ("not_needed", "Ya no lo necesito", "I no longer need it"),
    ("other", "Otro motivo", "Another reason"),
]


def create_defection_survey(apps, schema_editor):
    Survey = apps.get_model("surveys", "Survey")
    Question = apps.get_model("surveys", "Question")
    Choice = apps.get_model("surveys", "Choice")
    if Survey.objects.filter(slug=SURVEY_SLUG).exists():
        return
    survey = Survey.objects.create(
        slug=SURVEY_SLUG,
        title_es="Te echamos de menos",
        title_en="We miss you",
        intro_es="Hace tiempo que no compras con nosotros. ¿Nos cuentas por qué? Es solo una pregunta.",
        intro_en="You have not shopped with us for a while. Would you tell us why? It is one question.",
        thanks_es="Gracias. Nos ayuda mucho a mejorar.",
        thanks_en="Thank you. It really helps us improve.",
        trigger="manual",
        is_active=True,
        asks_for_reviews=False,
        invitation_delay=timedelta(0),
        invitation_lifetime=timedelta(days=30),
        reminder_after=None,
    )
    reason = Question.objects.create(
        survey=survey, code="defection_reason", position=10, kind="single_choice",
        prompt_es="¿Cuál es el motivo principal por el que has dejado de comprarnos?",
        prompt_en="What is the main reason you stopped buying from us?", is_required=True,
    )
    for position, (value, label_es, label_en) in enumerate(REASONS, start=1):
        Choice.objects.create(question=reason, value=value, label_es=label_es, label_en=label_en, position=position)
    Question.objects.create(
        survey=survey, code="comment", position=20, kind="open_text",
        prompt_es="¿Algo más que quieras contarnos?", prompt_en="Anything else you would like to tell us?",
        is_required=False,
    )


def remove_defection_survey(apps, schema_editor):
    apps.get_model("surveys", "Survey").objects.filter(slug=SURVEY_SLUG, invitations__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("surveys", "0003_review_requests")]

    operations = [migrations.RunPython(create_defection_survey, remove_defection_survey)]
