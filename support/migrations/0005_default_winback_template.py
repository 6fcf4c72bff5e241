from django.db import migrations

SUBJECT_ES = "{name}, queremos hacerlo mejor contigo"
BODY_ES = """Hola, {name}:

Nos contaste que tuviste un problema con {topic} y queremos que sepas que lo hemos leído con atención.
No es la experiencia que queremos darte en {shop}.

Ya hemos tomado medidas para que no vuelva a pasar. Si quieres contarnos algo más, responde a este correo:
lo lee una persona de nuestro equipo.

Gracias por tu paciencia y por darnos otra oportunidad.

El equipo de {shop}"""
SUBJECT_EN = "{name}, we want to do better for you"
BODY_EN = """Hello {name},

You told us you had a problem with {topic}, and we want you to know we read it carefully.
That is not the experience we want you to have at {shop}.

We have already taken steps so it does not happen again. If there is anything else you would like to
tell us, just reply to this email: a person on our team reads it.

Thank you for your patience and for giving us another chance.

The {shop} team"""


def create_template(apps, schema_editor):
    WinBackTemplate = apps.get_model("support", "WinBackTemplate")
    if not WinBackTemplate.objects.exists():
        WinBackTemplate.objects.create(
            name="Win-back", subject_es=SUBJECT_ES, body_es=BODY_ES, subject_en=SUBJECT_EN, body_en=BODY_EN
        )


class Migration(migrations.Migration):
    dependencies = [("support", "0004_winback")]

    operations = [migrations.RunPython(create_template, migrations.RunPython.noop)]
