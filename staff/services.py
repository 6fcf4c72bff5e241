from datetime import timedelta

from django.db import transaction

from core.audit import audit
from core.models import ShopSettings
from core.shop import shop_settings_save
from surveys.models import Survey


@transaction.atomic
def shop_settings_update(*, row: ShopSettings, changed: list[str]) -> ShopSettings:
    """Save the Settings page and apply its survey timing to the post-purchase surveys.

    The delay and the reminder live on each survey (the admin can still tune one survey); the
    Settings page sets them for every survey sent after delivery, which is what a shop means.
    """
    row = shop_settings_save(row)
    timing = {}
    if row.survey_delay_days is not None:
        timing["invitation_delay"] = timedelta(days=row.survey_delay_days)
    if row.survey_reminder_days is not None:
        timing["reminder_after"] = timedelta(days=row.survey_reminder_days) if row.survey_reminder_days else None
    if timing:
        Survey.objects.filter(trigger=Survey.Trigger.ORDER_DELIVERED).update(**timing)
    if "time_zone" in changed:
        # the rollups' days are the shop's days: recounted in the new zone, in the background
        from analytics.tasks import rollups_rebuild

        transaction.on_commit(rollups_rebuild.delay)
    audit("shop_settings.update", row, summary="Settings page", details={"fields": sorted(changed)})
    return row
