from django.db import migrations
from django.db.models import Min


def open_memberships(apps, schema_editor):
    """Each scored customer is in their segment from their first purchase: the history before the
    first run with memberships counts in today's segment, as it did before."""
    rfm = apps.get_model("customers", "CustomerRfm")
    membership = apps.get_model("customers", "SegmentMembership")
    rows = rfm.objects.annotate(first=Min("customer__orders__placed_at")).filter(first__isnull=False)
    membership.objects.bulk_create(
        (membership(customer_id=row.customer_id, segment=row.segment, since=row.first) for row in rows.iterator()),
        batch_size=5000,
    )


class Migration(migrations.Migration):
    dependencies = [("customers", "0010_segment_memberships")]

    operations = [migrations.RunPython(open_memberships, migrations.RunPython.noop)]
