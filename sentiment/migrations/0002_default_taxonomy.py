from django.db import migrations


def seed_default_taxonomy(apps, schema_editor):
    from sentiment.services import topics_seed_default

    topics_seed_default(topic_model=apps.get_model("sentiment", "Topic"))


class Migration(migrations.Migration):
    dependencies = [("sentiment", "0001_initial")]

    operations = [migrations.RunPython(seed_default_taxonomy, migrations.RunPython.noop)]
