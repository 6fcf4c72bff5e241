"""A case's priority reason becomes factors (codes and numbers, worded when read).

The old texts were written in whatever language the worker ran in, with raw decimals; they cannot be
turned back into numbers reliably, so each is kept as one "note" factor, shown as it was written.
"""

from django.db import migrations, models


def reasons_to_notes(apps, schema_editor):
    Case = apps.get_model("support", "Case")
    cases = list(Case.objects.exclude(priority_reason="").only("pk", "priority_reason"))
    for case in cases:
        case.priority_factors = [{"code": "note", "text": case.priority_reason}]
    Case.objects.bulk_update(cases, ["priority_factors"], batch_size=500)


def notes_to_reasons(apps, schema_editor):
    Case = apps.get_model("support", "Case")
    cases = list(Case.objects.exclude(priority_factors=[]).only("pk", "priority_factors"))
    for case in cases:
        case.priority_reason = "\n".join(
            f.get("text", "") or f.get("code", "") for f in case.priority_factors if isinstance(f, dict)
        )
    Case.objects.bulk_update(cases, ["priority_reason"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("support", "0010_reply_posted_by_hand")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="priority_factors",
            field=models.JSONField(blank=True, default=list, verbose_name="why this priority"),
        ),
        migrations.RunPython(reasons_to_notes, notes_to_reasons),
        migrations.RemoveField(model_name="case", name="priority_reason"),
    ]
