from django.db import migrations
from django.db.models.functions import TruncDate


def mark_customer_days(apps, schema_editor):
    """The segment rollups counted a customer's whole history in today's segment; they now count
    each row in the segment of its time, from the first purchase on: every day with a customer's
    row is recomputed on the next refresh."""
    from zoneinfo import ZoneInfo

    from django.conf import settings

    zone = ZoneInfo(settings.TIME_ZONE)
    changed = apps.get_model("core", "ChangedDay")
    days = set()
    for model, field in (
        ("feedback.FeedbackItem", "received_at"),
        ("surveys.Response", "submitted_at"),
        ("reviews.Review", "created_at"),
        ("support.Case", "opened_at"),
    ):
        rows = apps.get_model(model).objects.filter(customer__isnull=False)
        days.update(rows.annotate(d=TruncDate(field, tzinfo=zone)).values_list("d", flat=True).order_by().distinct())
    changed.objects.bulk_create([changed(source="segments", day=day) for day in days], batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0014_default_alert_rules"),
        ("core", "0002_changed_day"),
        ("customers", "0011_segment_memberships_from_scores"),
        ("feedback", "0015_feedback_customer_set_by_staff"),
        ("reviews", "0005_storefront_photos_moderation"),
        ("support", "0010_reply_posted_by_hand"),
        ("surveys", "0009_merge_20261206_1144"),
    ]

    operations = [migrations.RunPython(mark_customer_days, migrations.RunPython.noop)]
