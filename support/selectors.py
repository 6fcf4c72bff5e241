from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import (
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    prefetch_related_objects,
)
from django.utils import timezone

from customers.models import Order
from feedback.models import FeedbackItem
from support import sla
from support.business_time import Pause, WorkingTimeIndex
from support.models import Case, CaseMessage, CasePause, Priority, SLAPolicy, WinBackEmail
from support.priority import reasons_text
from support.services import case_sla_states, sla_calendar

INBOX_VIEWS = ("mine", "unassigned", "at_risk", "breached", "open", "all")


def cases_visible_to(user) -> QuerySet[Case]:
    """Managers see every case; agents the cases of their teams and the ones assigned to them."""
    cases = Case.objects.select_related("customer", "team", "assignee", "policy")
    if user.is_superuser or user.has_perm("support.view_all_cases"):
        return cases
    return cases.filter(Q(team__members=user) | Q(assignee=user)).distinct()


def inbox(
    *,
    user,
    view: str = "open",
    team: str = "",
    channel: str = "",
    priority: str = "",
    topic: str = "",
    sentiment: str = "",
    segment: str = "",
    now: datetime | None = None,
) -> QuerySet[Case]:
    """The triage list: open cases by default, the next SLA due first."""
    now = now or timezone.now()
    cases = cases_visible_to(user)
    if view != "all":
        cases = cases.filter(status__in=Case.OPEN_STATUSES)
    if view == "mine":
        cases = cases.filter(assignee=user)
    elif view == "unassigned":
        cases = cases.filter(assignee__isnull=True)
    elif view == "at_risk":
        cases = cases.filter(sla_warning_at__lte=now, sla_due_at__gt=now)
    elif view == "breached":
        cases = cases.filter(sla_due_at__lte=now)
    if team:
        cases = cases.filter(team__slug=team)
    if channel:
        cases = cases.filter(feedback_items__channel=channel)
    if priority:
        cases = cases.filter(priority=priority)
    if topic:
        cases = cases.filter(feedback_items__topics__slug=topic)
    if sentiment:
        cases = cases.filter(feedback_items__sentiment=sentiment)
    if segment:
        from customers.segments import customers_in_segment

        cases = cases.filter(customer_id__in=customers_in_segment(segment))
    if channel or topic or sentiment:
        cases = cases.distinct()
    # Cases with a running clock first, soonest due on top; paused ones (no due time) after them.
    return cases.order_by(F("sla_due_at").asc(nulls_last=True), "-opened_at", "pk")


def inbox_counts(*, user, now: datetime | None = None) -> dict[str, int]:
    return {view: inbox(user=user, view=view, now=now).count() for view in INBOX_VIEWS if view != "all"}


@dataclass(frozen=True)
class SlaDue:
    """The target a case's SLA clock is next due on, so that a label says against what it is late:
    "first response due 14:00, business hours · overdue by 4 h of business time"."""

    target: str  # first_response / next_response / resolution
    due_at: datetime
    is_business_hours: bool
    left: timedelta  # business time (wall-clock without business hours); negative when overdue
    now: datetime

    @property
    def is_overdue(self) -> bool:
        return self.left < timedelta(0)

    @property
    def is_long_overdue(self) -> bool:
        """Past due for more than two days: "overdue since 3 Mar" reads better than "overdue by 696 h"."""
        return self.now - self.due_at > timedelta(days=2)

    @property
    def days_overdue(self) -> int:
        return (self.now - self.due_at).days

    @property
    def is_due_today(self) -> bool:
        return timezone.localdate(self.due_at) == timezone.localdate(self.now)


def sla_due_of(cases: list[Case], *, now: datetime | None = None) -> dict[int, SlaDue]:
    """For each case whose clock is running, the target due first; the pauses and calendars are
    read for all the cases at once."""
    now = now or timezone.now()
    prefetch_related_objects(cases, "pauses", "policy__calendar__periods", "policy__calendar__holidays")
    dues = {}
    for case in cases:
        if case.sla_due_at is None or case.policy is None:
            continue
        states = [s for s in case_sla_states(case, now=now) if s.status in ("running", "breached") and s.due_at]
        if states:
            state = min(states, key=lambda s: s.due_at)
            policy = case.policy
            dues[case.pk] = SlaDue(
                target=state.name,
                due_at=state.due_at,
                is_business_hours=bool(policy.business_hours_only and policy.calendar_id),
                left=state.remaining,
                now=now,
            )
    return dues


# The targets with one outcome per case (the next-response clock starts again with every message).
REPORTED_TARGETS = ("first_response", "resolution")


def cases_sla_clocks(
    cases: QuerySet[Case], *, now: datetime, fields: Sequence[str]
) -> Iterator[tuple[tuple, dict[str, str], dict[str, timedelta]]]:
    """The first-response and resolution clocks of many cases, for reports. Per case: its
    `fields` (as `values_list` reads them), the status at `now` of each of those targets that its
    policy sets (as `case_sla_states` gives it), and the clock time from its opening to its first
    response and to its resolution, those reached (as `case_clock_durations` gives it).

    The cases, their pauses and the policies are read in a few queries, and every clock on a
    calendar is measured on one `WorkingTimeIndex`: case by case, through model instances and
    `case_sla_states`, this was most of a full rollup rebuild (78 s of 201 s at 40,000 cases).
    """
    policies = list(
        SLAPolicy.objects.select_related("calendar").prefetch_related("calendar__periods", "calendar__holidays")
    )
    targets = {policy.pk: policy.targets() for policy in policies}
    # the calendars are read now, once, and the indexes live as long as this call
    indexes: dict[int | None, WorkingTimeIndex] = {None: WorkingTimeIndex(None)}
    index_of_policy: dict[int | None, WorkingTimeIndex] = {None: indexes[None]}
    for policy in policies:
        calendar = sla_calendar(policy)
        key = policy.calendar_id if calendar is not None else None
        if key not in indexes:
            indexes[key] = WorkingTimeIndex(calendar)
        index_of_policy[policy.pk] = indexes[key]
    pauses: dict[int, list[Pause]] = defaultdict(list)
    case_pauses = CasePause.objects.filter(case__in=cases.values("pk")).order_by()
    for case_id, started_at, ended_at in case_pauses.values_list("case_id", "started_at", "ended_at"):
        pauses[case_id].append((started_at, ended_at))
    columns = ("pk", "policy_id", "opened_at", "first_response_at", "resolved_at", *fields)
    for pk, policy_id, opened_at, first_response_at, resolved_at, *values in cases.values_list(*columns).iterator(
        chunk_size=2000
    ):
        index, its_pauses = index_of_policy[policy_id], pauses.get(pk, [])
        stops = {"first_response": first_response_at, "resolution": resolved_at}
        durations = {
            target: index.unpaused_between(its_pauses, opened_at, at) for target, at in stops.items() if at is not None
        }
        statuses = {}
        for target in REPORTED_TARGETS:
            if policy_id is not None and target in targets[policy_id]:
                elapsed = durations.get(target)
                if elapsed is None:
                    elapsed = index.unpaused_between(its_pauses, opened_at, now)
                statuses[target] = sla.target_status(
                    target=targets[policy_id][target],
                    elapsed=elapsed,
                    is_stopped=stops[target] is not None,
                    pauses=its_pauses,
                )
        yield tuple(values), statuses, durations


def _event_words(event) -> dict:
    """What an event stored as codes says to the reader: status and priority labels, complaint reasons."""
    labels = {"status": dict(Case.Status.choices), "priority": dict(Priority.choices)}.get(event.kind)
    words = {}
    if labels is not None:
        old, new = event.data.get("old", ""), event.data.get("new", "")
        words["change"] = (str(labels.get(old, old)), str(labels.get(new, new)))
    if event.data.get("reasons"):
        words["reasons"] = reasons_text(event.data["reasons"])
    return words


def case_timeline(case: Case) -> list[dict]:
    """Everything this customer (or social author) told the shop and everything done about it,
    oldest first: orders, survey answers, reviews, mentions, earlier cases, messages and events."""
    entries: list[dict] = []
    customer = case.customer
    if customer is not None:
        # the latest orders (a long history is on the customer page, page by page)
        for order in customer.orders.prefetch_related("items__product").order_by("-placed_at")[:50]:
            entries.append({"at": order.placed_at, "kind": "order", "order": order})
        for earlier in customer.cases.exclude(pk=case.pk).order_by("opened_at"):
            entries.append({"at": earlier.opened_at, "kind": "earlier_case", "case": earlier})
        for email in customer.winback_emails.select_related("sent_by", "topic"):
            entries.append({"at": email.created_at, "kind": "winback", "email": email})
        feedback = customer.feedback_items.all()
    else:
        feedback = case.feedback_items.all()
    feedback = feedback.select_related("review__product", "mention", "survey_answer__response").prefetch_related(
        "topic_mentions__topic", "survey_answer__response__answers__question"
    )
    for item in feedback:
        entries.append({"at": item.received_at, "kind": "feedback", "item": item, "on_case": item.case_id == case.pk})
    for message in case.messages.select_related("author"):
        entries.append({"at": message.created_at, "kind": "message", "message": message})
    for event in case.events.exclude(kind="winback").select_related("actor"):  # shown as the email itself
        entries.append({"at": event.created_at, "kind": "event", "event": event, **_event_words(event)})
    return sorted(entries, key=lambda entry: entry["at"])


def service_csat(*, since: datetime | None = None) -> dict:
    """Service CSAT from the follow-up question: share of 4–5 answers among all answers."""
    answered = Case.objects.filter(followup_score__isnull=False)
    if since is not None:
        answered = answered.filter(resolved_at__gte=since)
    scores = list(answered.values_list("followup_score", flat=True))
    satisfied = sum(1 for score in scores if score >= 4)
    return {
        "answers": len(scores),
        "satisfied": satisfied,
        "csat": round(100 * satisfied / len(scores), 1) if scores else None,
        "mean": round(sum(scores) / len(scores), 2) if scores else None,
    }


WINBACK_PURCHASE_WINDOW = timedelta(days=90)


def winback_results(*, now: datetime | None = None):
    """Win-back emails with what came of them: did the customer reply (a message on the case, or
    any new feedback from them after the send) and did they buy again within 90 days.

    `bought_again` is None while the 90 days are still running and nothing was bought yet.
    """
    now = now or timezone.now()
    window_end = ExpressionWrapper(
        OuterRef("emailed_at") + Value(WINBACK_PURCHASE_WINDOW), output_field=DateTimeField()
    )
    return (
        WinBackEmail.objects.select_related("customer", "case", "sent_by")
        .annotate(
            replied_on_case=Exists(
                CaseMessage.objects.filter(
                    case_id=OuterRef("case_id"), kind=CaseMessage.Kind.CUSTOMER, created_at__gt=OuterRef("emailed_at")
                )
            ),
            new_feedback=Exists(
                FeedbackItem.objects.filter(customer_id=OuterRef("customer_id"), created_at__gt=OuterRef("emailed_at"))
            ),
            bought=Exists(
                Order.objects.filter(
                    customer_id=OuterRef("customer_id"),
                    cancelled_at__isnull=True,
                    placed_at__gt=OuterRef("emailed_at"),
                    placed_at__lte=window_end,
                )
            ),
            window_over=Q(emailed_at__lte=now - WINBACK_PURCHASE_WINDOW),
        )
        .order_by("-created_at", "-pk")
    )


def winback_totals(*, now: datetime | None = None) -> dict:
    rows = winback_results(now=now).filter(emailed_at__isnull=False)
    sent = rows.count()
    replied = rows.filter(Q(replied_on_case=True) | Q(new_feedback=True)).count()
    bought = rows.filter(bought=True).count()
    decided = rows.filter(Q(bought=True) | Q(window_over=True)).count()
    return {
        "sent": sent,
        "replied": replied,
        "replied_share": 100 * replied / sent if sent else None,
        "bought": bought,
        "decided": decided,
        "bought_share": 100 * bought / decided if decided else None,
        "automatic": rows.filter(is_automatic=True).count(),
        "not_sent": WinBackEmail.objects.exclude(not_sent_reason="").count(),
    }


def case_social_post(case: Case):
    """The newest social post the case was opened or grown for: where a drafted reply is posted."""
    from feedback.models import FeedbackItem

    item = (
        FeedbackItem.objects.filter(case=case, mention__isnull=False)
        .select_related("mention")
        .order_by("-received_at", "-pk")
        .first()
    )
    return item.mention if item else None
