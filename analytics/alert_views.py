"""The managers' alert pages: the rules (list, create, edit, switch off, delete) and each alert
with the evidence behind it. The Django admin keeps its editor for the admins."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.db.models import Count, Max
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from analytics import services
from analytics.forms import ALERT_DEFAULT_THRESHOLD, AlertRuleForm
from analytics.models import AlertEpisode, AlertRule
from customers.models import CustomerRfm, SavedSegment
from feedback.models import FeedbackItem

RECENT_ALERTS = 20


def scope_labels(rule: AlertRule) -> list[str]:
    """The rule's scope as the staff read it: "Topic: Delivery", "Channel: Social media" …"""
    language = (translation.get_language() or "es")[:2]
    labels = []
    if rule.topic_id:
        labels.append(gettext("Topic: %(value)s") % {"value": rule.topic.name(language)})
    elif rule.each_topic and rule.kind == AlertRule.Kind.NEGATIVE_SPIKE:
        labels.append(gettext("Each topic apart"))
    if rule.channel:
        channel = dict(FeedbackItem.Channel.choices).get(rule.channel, rule.channel)
        labels.append(gettext("Channel: %(value)s") % {"value": channel})
    if rule.product:
        labels.append(gettext("Product: %(value)s") % {"value": rule.product})
    if rule.segment:
        segment = dict(CustomerRfm.Segment.choices).get(rule.segment) or (
            SavedSegment.objects.filter(slug=rule.segment).values_list("name", flat=True).first() or rule.segment
        )
        labels.append(gettext("Segment: %(value)s") % {"value": segment})
    if rule.brand_id:
        labels.append(gettext("Brand: %(value)s") % {"value": rule.brand.name})
    return labels or [gettext("Whole shop")]


def condition_text(rule: AlertRule) -> str:
    """When the rule fires, in a sentence."""
    if rule.kind == AlertRule.Kind.NEGATIVE_SPIKE:
        return gettext("More negative items in the last day than the 28-day mean + %(k)s σ (at least %(n)s items).") % {
            "k": f"{rule.sigma:g}",
            "n": rule.min_volume,
        }
    if rule.kind == AlertRule.Kind.SLA_BREACH_RATE:
        return gettext("Over %(t)s %% of SLA targets missed this week (at least %(n)s targets decided).") % {
            "t": f"{rule.threshold:g}",
            "n": rule.min_volume,
        }
    metric = "NPS" if rule.kind == AlertRule.Kind.NPS_BELOW else "CSAT"
    return gettext("Weekly %(metric)s below %(t)s (at least %(n)s answers).") % {
        "metric": metric,
        "t": f"{rule.threshold:g}",
        "n": rule.min_volume,
    }


def signal_explanations() -> list[tuple[str, str]]:
    return [
        (
            AlertRule.Kind.NEGATIVE_SPIKE.label,
            gettext(
                "Counts the negative feedback of the last 24 hours and compares it with the same hours of each of "
                "the 28 days before. It fires when today is above the mean by more than k standard deviations, "
                "with at least the minimum volume, once there is enough history (minimum baseline)."
            ),
        ),
        (
            AlertRule.Kind.NPS_BELOW.label,
            gettext(
                "The NPS of the survey answers of the last 7 days. It fires when even the top of its 95 % "
                "interval is below the threshold, so a handful of bad answers does not set it off."
            ),
        ),
        (
            AlertRule.Kind.CSAT_BELOW.label,
            gettext(
                "The share of CSAT answers of 4 or 5 (of 5) in the last 7 days, in %. It fires when even the top "
                "of its 95 % interval is below the threshold."
            ),
        ),
        (
            AlertRule.Kind.SLA_BREACH_RATE.label,
            gettext(
                "Of the first-response and resolution targets of the cases opened in the last 7 days that are "
                "already decided (met or missed), the share missed, in %. It fires when even the bottom of its "
                "95 % interval is above the threshold."
            ),
        ),
    ]


@login_required
@permission_required("analytics.view_alertrule", raise_exception=True)
def alert_rules(request):
    """The rules with their last alert, and the latest alerts of every rule."""
    rules = (
        AlertRule.objects.select_related("topic", "brand")
        .annotate(alerts=Count("episodes"), last_alert=Max("episodes__started_at"))
        .order_by("-is_active", "name", "pk")
    )
    rows = [{"rule": rule, "scope": scope_labels(rule), "condition": condition_text(rule)} for rule in rules]
    recent = AlertEpisode.objects.select_related("rule")[:RECENT_ALERTS]
    return render(request, "analytics/alert_rules.html", {"nav": "alerts", "rows": rows, "recent": recent})


def _rule_form_page(request, form: AlertRuleForm, rule: AlertRule | None, status: int = 200):
    # htmx asks for the form again when the signal changes: only the fields that suit it
    template = "analytics/_alert_rule_form.html" if request.htmx else "analytics/alert_rule_form.html"
    context = {"nav": "alerts", "form": form, "rule": rule, "signals": signal_explanations()}
    return render(request, template, context, status=status)


def _form_for_signal_change(request, rule: AlertRule | None) -> AlertRuleForm:
    """The form as typed so far, shown again for the signal just chosen (nothing is validated)."""
    # the form's own fields only: the rest of a query string is nothing the form shows
    initial = {name: request.GET[name] for name in AlertRuleForm.base_fields if name in request.GET}
    kind = initial.get("kind")
    if kind in ALERT_DEFAULT_THRESHOLD and (rule is None or rule.kind != kind):
        initial["threshold"] = ALERT_DEFAULT_THRESHOLD[kind]
    for checkbox in ("is_active", "each_topic"):  # an unticked box is not sent at all
        initial[checkbox] = initial.get(checkbox) == "on"
    return AlertRuleForm(initial=initial, instance=rule)


@login_required
@permission_required("analytics.add_alertrule", raise_exception=True)
def alert_rule_new(request):
    if request.method == "POST":
        form = AlertRuleForm(request.POST)
        if form.is_valid():
            rule = services.alert_rule_save(form=form)
            messages.success(request, gettext("Rule “%(name)s” created.") % {"name": rule.display_name})
            return redirect("analytics:alerts")
        return _rule_form_page(request, form, None, status=400)
    if request.htmx and "kind" in request.GET:
        return _rule_form_page(request, _form_for_signal_change(request, None), None)
    kind = AlertRule.Kind.NEGATIVE_SPIKE
    return _rule_form_page(request, AlertRuleForm(initial={"kind": kind, "is_active": True}), None)


@login_required
@permission_required("analytics.change_alertrule", raise_exception=True)
def alert_rule_edit(request, pk: int):
    rule = get_object_or_404(AlertRule, pk=pk)
    if request.method == "POST":
        form = AlertRuleForm(request.POST, instance=rule)
        if form.is_valid():
            rule = services.alert_rule_save(form=form)
            messages.success(request, gettext("Rule “%(name)s” saved.") % {"name": rule.display_name})
            return redirect("analytics:alerts")
        return _rule_form_page(request, form, rule, status=400)
    if request.htmx and "kind" in request.GET:
        return _rule_form_page(request, _form_for_signal_change(request, rule), rule)
    return _rule_form_page(request, AlertRuleForm(instance=rule), rule)


@login_required
@permission_required("analytics.change_alertrule", raise_exception=True)
@require_POST
def alert_rule_toggle(request, pk: int):
    """Switch a rule on or off; htmx swaps its row, a plain form comes back to the list."""
    rule = get_object_or_404(AlertRule, pk=pk)
    rule = services.alert_rule_set_active(rule_id=rule.pk, is_active=not rule.is_active)
    if request.htmx:
        rule = AlertRule.objects.annotate(alerts=Count("episodes"), last_alert=Max("episodes__started_at")).get(
            pk=rule.pk
        )
        row = {"rule": rule, "scope": scope_labels(rule), "condition": condition_text(rule)}
        return render(request, "analytics/_alert_rule_row.html", {"row": row})
    return redirect("analytics:alerts")


@login_required
@permission_required("analytics.delete_alertrule", raise_exception=True)
def alert_rule_delete(request, pk: int):
    rule = get_object_or_404(AlertRule, pk=pk)
    if request.method == "POST":
        services.alert_rule_delete(rule_id=rule.pk)
        messages.success(request, gettext("Rule “%(name)s” deleted.") % {"name": rule.display_name})
        return redirect("analytics:alerts")
    return render(
        request,
        "analytics/alert_rule_delete.html",
        {"nav": "alerts", "rule": rule, "alerts": rule.episodes.count()},
    )


@login_required
@permission_required("analytics.view_alertepisode", raise_exception=True)
def alert_detail(request, pk: int):
    """One alert: what fired, over which window, and the feedback items or cases behind it."""
    episode = get_object_or_404(AlertEpisode.objects.select_related("rule__topic", "rule__brand"), pk=pk)
    language = (translation.get_language() or "es")[:2]
    feedback = [
        # each item with what it said negatively about: which topic spiked, for a rule on every topic
        {
            "item": item,
            "topics": [m.topic.name(language) for m in item.topic_mentions.all() if m.sentiment == "negative"],
        }
        for item in episode.feedback.select_related("customer", "case", "brand")
        .prefetch_related("topic_mentions__topic")
        .order_by("-received_at")
    ]
    cases = episode.cases.select_related("customer").order_by("-opened_at")
    shown = len(feedback) + len(cases)
    context = {
        "nav": "alerts",
        "episode": episode,
        "rule": episode.rule,
        "scope": scope_labels(episode.rule),
        "condition": condition_text(episode.rule),
        "feedback": feedback,
        "cases": cases,
        "not_shown": max(episode.evidence_total - shown, 0),
        "is_spike": episode.rule.kind == AlertRule.Kind.NEGATIVE_SPIKE,
    }
    return render(request, "analytics/alert_detail.html", context)
