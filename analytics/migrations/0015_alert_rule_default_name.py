"""The default alert rules are named by code (shown in each reader's language), not by the Spanish
text 0014 stored; a rule whose name a manager changed keeps it."""

from django.db import migrations, models
from django.utils import translation
from django.utils.translation import gettext

# (code, kind, the English name 0014 translated when it created the rule)
DEFAULTS = [
    ("negative_spike_any_topic", "negative_spike", "Negative spike on any topic"),
    ("weekly_nps_below_0", "nps_below", "Weekly NPS below 0"),
    ("sla_missed_over_10", "sla_breach_rate", "Over 10 % of SLA targets missed this week"),
]


def names_to_codes(apps, schema_editor):
    AlertRule = apps.get_model("analytics", "AlertRule")
    for code, kind, english in DEFAULTS:
        names = {english}
        for language in ("es", "en"):
            with translation.override(language):
                names.add(gettext(english))
        AlertRule.objects.filter(kind=kind, name__in=names, default_name="").update(default_name=code)


class Migration(migrations.Migration):
    dependencies = [("analytics", "0014_default_alert_rules")]

    operations = [
        migrations.AddField(
            model_name="alertrule",
            name="default_name",
            field=models.CharField(blank=True, editable=False, max_length=40, verbose_name="default name"),
        ),
        migrations.RunPython(names_to_codes, migrations.RunPython.noop),
    ]
