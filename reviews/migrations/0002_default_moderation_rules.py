from django.db import migrations

PROFANITY_ES = ["mierda", "gilipollas", "cabrón", "cabron", "puta", "puto", "joder", "coño", "pendejo", "pendeja",
                "hijo de puta", "hijueputa", "malparido", "chingada", "verga", "boludo", "pelotudo", "idiota"]
PROFANITY_EN = ["shit", "fuck", "fucking", "bullshit", "asshole", "bastard", "bitch", "dickhead", "crap", "wanker"]


def create_rules(apps, schema_editor):
    Rule = apps.get_model("reviews", "ModerationRule")
    defaults = [
        ("links", "pending", "", ""),
        ("profanity", "rejected", "\n".join(PROFANITY_ES), "\n".join(PROFANITY_EN)),
        ("all_caps", "pending", "", ""),
        ("duplicate", "rejected", "", ""),
    ]
    for kind, action, words_es, words_en in defaults:
        Rule.objects.get_or_create(kind=kind, defaults={"action": action, "words_es": words_es, "words_en": words_en})


class Migration(migrations.Migration):
    dependencies = [("reviews", "0001_initial")]

    operations = [migrations.RunPython(create_rules, migrations.RunPython.noop)]
