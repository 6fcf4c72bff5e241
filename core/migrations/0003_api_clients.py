from django.db import migrations, models


def content_type_follows(apps, schema_editor):
    """The admin permissions on API clients (and the groups holding them) follow the model.

    On a fresh database there is nothing to move: content types are created after migrate.
    """
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="core", model="apiclient").exists():
        ContentType.objects.filter(app_label="integrations", model="apiclient").update(app_label="core")


def content_type_goes_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="integrations", model="apiclient").exists():
        ContentType.objects.filter(app_label="core", model="apiclient").update(app_label="integrations")


class Migration(migrations.Migration):
    """API clients move here from integrations, rows and all (integrations.0002 renames the table)."""

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("core", "0002_changed_day"),
        ("integrations", "0002_api_clients_move_to_core"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="ApiClient",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=120, verbose_name="name")),
                        ("token_prefix", models.CharField(editable=False, max_length=16, unique=True, verbose_name="token prefix")),
                        ("token_digest", models.CharField(editable=False, max_length=64)),
                        ("scopes", models.JSONField(blank=True, default=list, verbose_name="scopes")),
                        ("is_active", models.BooleanField(default=True, verbose_name="active")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created")),
                        ("last_used_at", models.DateTimeField(blank=True, editable=False, null=True, verbose_name="last used")),
                    ],
                    options={
                        "verbose_name": "API client",
                        "verbose_name_plural": "API clients",
                        "ordering": ["name"],
                    },
                ),
            ],
        ),
        migrations.RunPython(content_type_follows, content_type_goes_back),
    ]
