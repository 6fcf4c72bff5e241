"""The alert rules a fresh install starts with (apart from 0013: Postgres refuses rows written in
the migration that still has its indexes to build)."""

from django.conf import settings
from django.db import migrations
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

# The rules a fresh install starts with, named in the shop's language; each is created once, and a
# manager may change, switch off or delete it (a later migrate does not bring it back).
DEFAULT_RULES = [
    (
        gettext_noop("Negative spike on any topic"),
        {"kind": "negative_spike", "each_topic": True, "sigma": 3, "min_volume": 5, "min_baseline_days": 14},
    ),
    (gettext_noop("Weekly NPS below 0"), {"kind": "nps_below", "threshold": 0, "min_volume": 30}),
    (
        gettext_noop("Over 10 % of SLA targets missed this week"),
        {"kind": "sla_breach_rate", "threshold": 10, "min_volume": 20},
    ),
]


def default_rules_create(apps, schema_editor):
    AlertRule = apps.get_model("analytics", "AlertRule")
    with translation.override(settings.LANGUAGE_CODE):
        for name, fields in DEFAULT_RULES:
            if not AlertRule.objects.filter(kind=fields["kind"]).exists():
                AlertRule.objects.create(name=gettext(name), cooldown_hours=24, **fields)


def default_rules_delete(apps, schema_editor):
    AlertRule = apps.get_model("analytics", "AlertRule")
    AlertRule.objects.filter(kind="sla_breach_rate").delete()  # its kind does not exist before


class Migration(migrations.Migration):
    dependencies = [("analytics", "0013_alert_rules_for_managers")]

    operations = [migrations.RunPython(default_rules_create, default_rules_delete)]
