"""Writes of the analytics app: the alert rules managers keep on their staff page."""

from django.db import transaction

from analytics.models import AlertRule


@transaction.atomic
def alert_rule_save(*, form) -> AlertRule:
    """Create or change a rule from a valid AlertRuleForm. A changed rule keeps its past alerts
    (and the evidence they kept); the next check reads it as it now is. A default rule renamed
    by the manager keeps the manager's name in every language."""
    if "name" in form.changed_data:
        form.instance.default_name = ""
    return form.save()


@transaction.atomic
def alert_rule_set_active(*, rule_id: int, is_active: bool) -> AlertRule:
    rule = AlertRule.objects.select_for_update().get(pk=rule_id)
    if rule.is_active != is_active:
        rule.is_active = is_active
        rule.save(update_fields=["is_active"])
    return rule


@transaction.atomic
def alert_rule_delete(*, rule_id: int) -> None:
    """Delete a rule and its alerts (their notifications stay, linking to a page that is gone)."""
    AlertRule.objects.filter(pk=rule_id).delete()
