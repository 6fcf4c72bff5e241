import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models

import customers.models

MOVED = ("customerrfm", "segmentrun", "savedsegment")


def move_content_types(apps, schema_editor):
    """Permissions granted on saved segments (and the admin's history) follow the models."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="customers", model=model).exists():
            ContentType.objects.filter(app_label="analytics", model=model).update(app_label="customers")


def move_content_types_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    for model in MOVED:
        if not ContentType.objects.filter(app_label="analytics", model=model).exists():
            ContentType.objects.filter(app_label="customers", model=model).update(app_label="analytics")


class Migration(migrations.Migration):
    """The tables analytics.0009 renamed, taken over as they are."""

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("customers", "0005_customer_attributes"),
        ("analytics", "0009_segments_move_to_customers"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="CustomerRfm",
                    fields=[
                        (
                            "customer",
                            models.OneToOneField(
                                on_delete=django.db.models.deletion.CASCADE,
                                primary_key=True,
                                related_name="rfm",
                                serialize=False,
                                to="customers.customer",
                            ),
                        ),
                        ("recency", models.PositiveSmallIntegerField()),
                        ("frequency", models.PositiveSmallIntegerField()),
                        ("monetary", models.PositiveSmallIntegerField()),
                        (
                            "segment",
                            models.CharField(
                                choices=[
                                    ("champions", "Champions"),
                                    ("loyal", "Loyal"),
                                    ("new", "New"),
                                    ("at_risk", "At risk"),
                                    ("hibernating", "Hibernating"),
                                ],
                                db_index=True,
                                max_length=20,
                            ),
                        ),
                    ],
                    options={
                        "verbose_name": "customer RFM segment",
                        "verbose_name_plural": "customer RFM segments",
                    },
                ),
                migrations.CreateModel(
                    name="SegmentRun",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        ("computed_at", models.DateTimeField()),
                        ("customers", models.PositiveIntegerField()),
                        ("changed", models.PositiveIntegerField()),
                    ],
                ),
                migrations.CreateModel(
                    name="SavedSegment",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID"),
                        ),
                        ("name", models.CharField(max_length=120, verbose_name="name")),
                        (
                            "slug",
                            models.SlugField(
                                help_text="What the filters and the API use, e.g. vip-madrid.",
                                max_length=40,
                                unique=True,
                                validators=[customers.models.validate_not_rfm_code],
                                verbose_name="slug",
                            ),
                        ),
                        ("description", models.TextField(blank=True, verbose_name="description")),
                        (
                            "rfm_segments",
                            models.JSONField(
                                blank=True,
                                default=list,
                                help_text="Any of these; none: any segment.",
                                verbose_name="RFM segments",
                            ),
                        ),
                        (
                            "attributes",
                            models.JSONField(
                                blank=True,
                                default=dict,
                                help_text="All of these must match (case does not matter).",
                                verbose_name="attributes",
                            ),
                        ),
                        (
                            "recency_min_days",
                            models.PositiveIntegerField(
                                blank=True,
                                help_text="e.g. 180 for lapsed customers",
                                null=True,
                                verbose_name="last order at least (days ago)",
                            ),
                        ),
                        (
                            "recency_max_days",
                            models.PositiveIntegerField(blank=True, null=True, verbose_name="last order at most (days ago)"),
                        ),
                        ("frequency_min", models.PositiveIntegerField(blank=True, null=True, verbose_name="orders at least")),
                        ("frequency_max", models.PositiveIntegerField(blank=True, null=True, verbose_name="orders at most")),
                        (
                            "monetary_min",
                            models.DecimalField(
                                blank=True, decimal_places=2, max_digits=12, null=True, verbose_name="spent at least"
                            ),
                        ),
                        (
                            "monetary_max",
                            models.DecimalField(
                                blank=True, decimal_places=2, max_digits=12, null=True, verbose_name="spent at most"
                            ),
                        ),
                        ("created_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="created")),
                    ],
                    options={
                        "verbose_name": "customer segment",
                        "verbose_name_plural": "customer segments",
                        "ordering": ["name"],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(move_content_types, move_content_types_back),
    ]
