"""What the staff home and the first-steps checklist show, read from the shop's own data.

Each onboarding step is ticked by what exists, never by a box someone ticked: a connector, a
sender address, an edit to the calendar, a second account, the widget heard from the shop's domain.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import StaffInvitation
from analytics import selectors as analytics
from analytics.models import AlertEpisode
from core.models import AuditEvent, ShopSettings
from integrations.models import Connector
from onsite.models import Site
from support.models import Case
from support.selectors import inbox, sla_due_of
from surveys.models import Invitation, Survey
from surveys.services import STAFF_TEST_PREFIX

HOME_CASES = 12
HOME_TOPICS = 5

# Record types whose edits by a person (in the admin or a service that audits) count as the
# calendar, or the post-purchase survey, having been set up.
CALENDAR_RECORDS = ("support.businesscalendar", "support.workingperiod", "support.holiday")
SURVEY_RECORDS = ("surveys.survey", "surveys.question", "surveys.choice")


def case_urgency(case: Case, now: datetime) -> str:
    if case.sla_due_at is None:
        return "paused"
    if case.sla_due_at <= now:
        return "breached"
    if case.sla_warning_at is not None and case.sla_warning_at <= now:
        return "at_risk"
    return "on_time"


def agent_home(*, user, now: datetime | None = None) -> dict:
    """The agent's open cases, the next SLA due first, and the queue around them."""
    now = now or timezone.now()
    mine = list(inbox(user=user, view="mine", now=now)[:HOME_CASES])
    unassigned = list(inbox(user=user, view="unassigned", now=now)[:HOME_CASES])
    dues = sla_due_of(mine + unassigned, now=now)
    return {
        "mine": [{"case": c, "urgency": case_urgency(c, now), "due": dues.get(c.pk)} for c in mine],
        "unassigned": [{"case": c, "urgency": case_urgency(c, now), "due": dues.get(c.pk)} for c in unassigned],
        "counts": {view: inbox(user=user, view=view, now=now).count() for view in ("mine", "at_risk", "breached")},
        "now": now,
    }


def _sla_compliance(levels: dict) -> dict:
    """Targets met over the window, from the per-priority rows (which add up to every case)."""
    result = {}
    for target in ("first_response", "resolution"):
        decided = met = 0.0
        for row in levels["by"]["priority"].values():
            if row[f"{target}_met"] is not None:
                decided += row[f"{target}_decided"]
                met += row[f"{target}_met"] * row[f"{target}_decided"] / 100
        result[target] = {"met": 100 * met / decided if decided else None, "decided": int(decided)}
    return result


def manager_home(*, now: datetime | None = None) -> dict:
    """The week at a glance: scores with their intervals, SLA compliance, rising topics, alerts."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    week = analytics.Filters(start=today - timedelta(days=6), end=today, period="week")
    levels = analytics.service_levels(week, now=now)
    rising = [row for row in analytics.topic_shifts(week) if row["rise"] and row["rise"] > 0 and row["topic"]]
    return {
        "week": week,
        "summary": analytics.satisfaction_summary(week),
        "sla": _sla_compliance(levels),
        "backlog": levels["backlog"],
        "breached_now": levels["breached_now"],
        "rising_topics": rising[:HOME_TOPICS],
        "alerts": list(AlertEpisode.objects.filter(ended_at__isnull=True).select_related("rule")[:10]),
    }


@dataclass(frozen=True)
class Step:
    key: str
    title: str
    help: str
    url: str
    is_done: bool
    detail: str = ""


def _edited_by_a_person(record_types: tuple[str, ...]) -> bool:
    return AuditEvent.objects.filter(target_type__in=record_types, actor__isnull=False).exists()


def _pending_invitations() -> int:
    """Invitations to join that can still be accepted: inviting someone is the step done."""
    return StaffInvitation.objects.filter(
        accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).count()


def _admin_url(name: str) -> str:
    return reverse(f"admin:{name}")


def onboarding_steps() -> list[Step]:
    staff = get_user_model().objects.filter(is_active=True, is_staff=True).count()
    site = Site.objects.filter(is_active=True, last_seen_at__isnull=False).order_by("-last_seen_at").first()
    test_sent = Invitation.objects.filter(
        customer__external_id__startswith=STAFF_TEST_PREFIX, sent_at__isnull=False
    ).exists()
    return [
        Step(
            "shop",
            _("Connect your shop"),
            _("Orders and customers come in from Shopify, WooCommerce or PrestaShop."),
            reverse("integrations:connectors"),
            Connector.objects.filter(is_active=True).exists(),
        ),
        Step(
            "sender",
            _("Set your sender name, address and logo"),
            _("Customers see them on every survey email and page."),
            reverse("staff:settings"),
            ShopSettings.objects.exclude(sender_email="").exclude(logo="").exists(),
        ),
        Step(
            "calendar",
            _("Set your SLA calendar and holidays"),
            _("Response times count only your working hours."),
            _admin_url("support_businesscalendar_changelist"),
            _edited_by_a_person(CALENDAR_RECORDS),
        ),
        Step(
            "team",
            _("Invite your team"),
            _("Agents work the inbox; managers also see the dashboards."),
            _team_url(),
            staff > 1 or _pending_invitations() > 0,
        ),
        Step(
            "survey",
            _("Customise the post-purchase survey"),
            _("Your questions, in your words, in Spanish and English."),
            _survey_url(),
            _edited_by_a_person(SURVEY_RECORDS),
        ),
        Step(
            "widget",
            _("Install the on-site widget"),
            _("Paste the snippet into your shop's pages; this step ticks when the widget is seen there."),
            reverse("staff:onboarding") + "#widget",
            site is not None,
            detail=str(_("Last seen on %(origin)s") % {"origin": site.last_seen_origin}) if site else "",
        ),
        Step(
            "test",
            _("Send a test survey to yourself"),
            _("See the email and the survey as your customers will."),
            reverse("staff:onboarding") + "#test-survey",
            test_sent,
        ),
    ]


def _team_url() -> str:
    return reverse("accounts:staff")


def _survey_url() -> str:
    """Straight to the post-purchase survey in the editor (the list when there is none)."""
    survey = Survey.objects.filter(trigger=Survey.Trigger.ORDER_DELIVERED, is_active=True).order_by("pk").first()
    if survey is None:
        return reverse("survey-editor:list")
    return reverse("survey-editor:edit", args=[survey.pk])


def widget_sites() -> list[Site]:
    return list(Site.objects.filter(is_active=True).order_by("pk"))
