from django.db import migrations

MOVED = ("customerrfm", "segmentrun", "savedsegment")


class Migration(migrations.Migration):
    """RFM scores and segments describe customers: their tables are renamed, rows and all, and the
    models leave analytics' state; customers.0006 takes them over."""

    dependencies = [
        ("analytics", "0008_change_log_moved_to_core"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable(name=name, table=f"customers_{name}") for name in MOVED],
            state_operations=[
                migrations.DeleteModel(name="CustomerRfm"),
                migrations.DeleteModel(name="SegmentRun"),
                migrations.DeleteModel(name="SavedSegment"),
            ],
        ),
    ]
