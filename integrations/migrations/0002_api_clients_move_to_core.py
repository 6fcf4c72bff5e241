from django.db import migrations


class Migration(migrations.Migration):
    """API clients are the kernel's API plumbing: the model moves to core with its rows.

    The table is renamed here; core.0003 declares the same model without touching the database.
    """

    dependencies = [
        ("integrations", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable(name="ApiClient", table="core_apiclient")],
            state_operations=[migrations.DeleteModel(name="ApiClient")],
        ),
    ]
