"""The default win-back template was written wrapped at 100 columns, and its HTML part keeps every
line break: on a phone a sentence broke off in the middle ("responde a este correo: / lo lee una
persona…"). Rewrite it with one line per paragraph, unless the shop has edited it."""

from importlib import import_module

from django.db import migrations

WRAPPED = import_module("support.migrations.0005_default_winback_template")

UNWRAPPED = {
    "body_es": """Hola, {name}:

Nos contaste que tuviste un problema con {topic} y queremos que sepas que lo hemos leído con atención. No es la experiencia que queremos darte en {shop}.

Ya hemos tomado medidas para que no vuelva a pasar. Si quieres contarnos algo más, responde a este correo: lo lee una persona de nuestro equipo.

Gracias por tu paciencia y por darnos otra oportunidad.

El equipo de {shop}""",
    "body_en": """Hello {name},

You told us you had a problem with {topic}, and we want you to know we read it carefully. That is not the experience we want you to have at {shop}.

We have already taken steps so it does not happen again. If there is anything else you would like to tell us, just reply to this email: a person on our team reads it.

Thank you for your patience and for giving us another chance.

The {shop} team""",
}


def unwrap(apps, schema_editor):
    WinBackTemplate = apps.get_model("support", "WinBackTemplate")
    for field, wrapped in (("body_es", WRAPPED.BODY_ES), ("body_en", WRAPPED.BODY_EN)):
        WinBackTemplate.objects.filter(**{field: wrapped}).update(**{field: UNWRAPPED[field]})


def wrap(apps, schema_editor):
    WinBackTemplate = apps.get_model("support", "WinBackTemplate")
    for field, wrapped in (("body_es", WRAPPED.BODY_ES), ("body_en", WRAPPED.BODY_EN)):
        WinBackTemplate.objects.filter(**{field: UNWRAPPED[field]}).update(**{field: wrapped})


class Migration(migrations.Migration):
    dependencies = [("support", "0013_field_labels_translatable_2")]

    operations = [migrations.RunPython(unwrap, wrap)]
