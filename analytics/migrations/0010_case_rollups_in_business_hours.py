from django.db import migrations
from django.db.models.functions import TruncDate


def mark_case_days(apps, schema_editor):
    """The case rollups were computed with wall-clock durations and with due times that pauses
    and clock changes could put wrong: every day with cases is recomputed on the next refresh."""
    from zoneinfo import ZoneInfo

    from django.conf import settings

    zone = ZoneInfo(settings.TIME_ZONE)
    changed = apps.get_model("core", "ChangedDay")
    days = (
        apps.get_model("support", "Case")
        .objects.annotate(d=TruncDate("opened_at", tzinfo=zone))
        .values_list("d", flat=True)
        .distinct()
    )
    changed.objects.bulk_create([changed(source="cases", day=day) for day in days], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0009_segments_move_to_customers"),
        ("core", "0002_changed_day"),
        ("support", "0005_default_winback_template"),
    ]

    operations = [migrations.RunPython(mark_case_days, migrations.RunPython.noop)]
