from django.db import migrations


def copy_marks(apps, schema_editor):
    """Days still waiting for a refresh move to the change log, so none is forgotten."""
    old = apps.get_model("analytics", "RollupDirtyDay")
    new = apps.get_model("core", "ChangedDay")
    new.objects.bulk_create(
        [new(source=m.source, day=m.day, marked_at=m.marked_at) for m in old.objects.iterator()], batch_size=1000
    )


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0007_brand_scope"),
        ("core", "0002_changed_day"),
    ]

    operations = [
        migrations.RunPython(copy_marks, migrations.RunPython.noop),
        migrations.DeleteModel(name="RollupDirtyDay"),
    ]
