from datetime import timedelta

from django.db import migrations

SURVEY_SLUG = "post-purchase"

QUESTIONS = [
    {
        "code": "nps",
        "kind": "nps",
        "prompt_es": "¿Con qué probabilidad recomendarías nuestra tienda a un amigo o familiar?",
        "prompt_en": "How likely are you to recommend our shop to a friend or family member?",
        "is_required": True,
    },
    {
        "code": "reason",
        "kind": "open_text",
        "prompt_es": "¿Cuál es el motivo principal de tu puntuación?",
        "prompt_en": "What is the main reason for your score?",
        "is_required": False,
    },
    {
        "code": "improve",
        "kind": "multiple_choice",
        "prompt_es": "¿Qué podríamos mejorar?",
        "prompt_en": "What could we improve?",
        "help_es": "Elige todas las que correspondan.",
        "help_en": "Choose all that apply.",
        "is_required": False,
        "condition": ("nps", "lte", "6"),
        "choices": [
            ("delivery", "La entrega", "Delivery"),
            ("product_quality", "La calidad del producto", "Product quality"),
            ("price", "El precio", "Price"),
            ("customer_service", "La atención al cliente", "Customer service"),
            ("returns_refunds", "Devoluciones y reembolsos", "Returns and refunds"),
            ("website_app", "La web o la app", "Website or app"),
            ("other", "Otra cosa", "Something else"),
        ],
    },
    {
        "code": "delivery_csat",
        "kind": "csat",
        "prompt_es": "¿Qué tan satisfecho quedaste con la entrega de tu pedido?",
        "prompt_en": "How satisfied were you with the delivery of your order?",
        "is_required": True,
    },
    {
        "code": "comment",
        "kind": "open_text",
        "prompt_es": "¿Hay algo más que quieras contarnos?",
        "prompt_en": "Is there anything else you would like to tell us?",
        "is_required": False,
    },
]


def create_default_survey(apps, schema_editor):
    Survey = apps.get_model("surveys", "Survey")
    Question = apps.get_model("surveys", "Question")
    Choice = apps.get_model("surveys", "Choice")
    if Survey.objects.filter(slug=SURVEY_SLUG).exists():
        return
    survey = Survey.objects.create(
        slug=SURVEY_SLUG,
        title_es="¿Qué tal tu pedido?",
        title_en="How was your order?",
        intro_es="Son menos de dos minutos. Tus respuestas nos ayudan a mejorar.",
        intro_en="It takes less than two minutes. Your answers help us improve.",
        thanks_es="¡Gracias por tu opinión! La leemos con atención.",
        thanks_en="Thank you for your feedback! We read every answer.",
        trigger="order_delivered",
        is_active=True,
        invitation_delay=timedelta(days=2),
        invitation_lifetime=timedelta(days=30),
        reminder_after=timedelta(days=3),
    )
    by_code = {}
    for position, spec in enumerate(QUESTIONS, start=1):
        condition = spec.get("condition")
        question = Question.objects.create(
            survey=survey,
            code=spec["code"],
            position=position * 10,
            kind=spec["kind"],
            prompt_es=spec["prompt_es"],
            prompt_en=spec["prompt_en"],
            help_es=spec.get("help_es", ""),
            help_en=spec.get("help_en", ""),
            is_required=spec["is_required"],
            show_if_question=by_code[condition[0]] if condition else None,
            show_if_operator=condition[1] if condition else "",
            show_if_value=condition[2] if condition else "",
        )
        by_code[spec["code"]] = question
        for choice_position, (value, label_es, label_en) in enumerate(spec.get("choices", []), start=1):
            Choice.objects.create(
                question=question, value=value, label_es=label_es, label_en=label_en, position=choice_position
            )


def remove_default_survey(apps, schema_editor):
    Survey = apps.get_model("surveys", "Survey")
    Survey.objects.filter(slug=SURVEY_SLUG, invitations__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_initial")]

    operations = [migrations.RunPython(create_default_survey, remove_default_survey)]
