from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from core.audit import audit
from core.changes import Source, changes_record
from core.exceptions import ApplicationError
from core.models import WebhookEventType
from core.webhooks import iso, webhook_event_record
from feedback.models import FeedbackItem
from support import business_time, notify, sla
from support.models import (
    EMAIL_AUTHOR_PREFIX,
    PRIORITY_RANK,
    Case,
    CaseEvent,
    CaseMessage,
    CasePause,
    ComplaintRules,
    Priority,
    SLAPolicy,
    Team,
)
from support.notifications import case_owner_notify
from support.priority import reason as reason_of
from surveys.models import Answer, Question

DEFAULT_TEAM_SLUG = "atencion-al-cliente"


class CaseActionRefused(ApplicationError):
    code = "case_action_refused"


# ---------------------------------------------------------------------------------------
# Which feedback is a complaint
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Complaint:
    item: FeedbackItem
    reasons: tuple[dict, ...]  # support.reason_of(...): codes and numbers, worded when read
    severity: int  # 0–2, how strongly the customer said it


def _survey_scores(items: Sequence[FeedbackItem]) -> dict[int, dict[str, int]]:
    response_ids = {item.survey_answer.response_id for item in items if item.survey_answer_id}
    scores: dict[int, dict[str, int]] = {}
    for response_id, kind, number in Answer.objects.filter(
        response_id__in=response_ids, question__kind__in=[Question.Kind.NPS, Question.Kind.CSAT], number__isnull=False
    ).values_list("response_id", "question__kind", "number"):
        scores.setdefault(response_id, {}).setdefault(kind, number)
    return scores


def complaints_among(items: Sequence[FeedbackItem], rules: ComplaintRules) -> list[Complaint]:
    """The items that are complaints under the shop's rules, with the reasons shown on the case."""
    scores = _survey_scores(items)
    found = []
    for item in items:
        reasons, severity = [], 0
        if item.survey_answer_id:
            response_scores = scores.get(item.survey_answer.response_id, {})
            nps, csat = response_scores.get(Question.Kind.NPS), response_scores.get(Question.Kind.CSAT)
            if nps is not None and nps <= rules.nps_at_most:
                reasons.append(reason_of("nps", nps))
                severity = max(severity, 2 if nps <= 3 else 1)
            if csat is not None and csat <= rules.csat_at_most:
                reasons.append(reason_of("csat", csat))
                severity = max(severity, 2 if csat <= 1 else 1)
        if item.review_id and item.review.rating <= rules.review_stars_at_most:
            reasons.append(reason_of("review", item.review.rating))
            severity = max(severity, 2 if item.review.rating == 1 else 1)
        stars = item.inbound_message.rating if item.inbound_message_id else None
        if stars is not None and stars <= rules.review_stars_at_most:
            reasons.append(reason_of("app_review", stars))
            severity = max(severity, 2 if stars == 1 else 1)
        sentiment = item.sentiment_gold or item.sentiment
        confidence = 1.0 if item.sentiment_gold else (item.sentiment_confidence or 0.0)
        if sentiment == "negative" and confidence >= rules.negative_confidence_at_least:
            reasons.append(
                reason_of("negative_staff") if item.sentiment_gold else reason_of("negative", round(confidence, 2))
            )
            severity = max(severity, 2 if (item.sentiment_score or 0) <= -0.8 else 1)
        if reasons:
            found.append(Complaint(item, tuple(reasons), severity))
    return found


# ---------------------------------------------------------------------------------------
# Priority: an explainable sum of points
# ---------------------------------------------------------------------------------------
def case_priority(*, case: Case, complaints: Sequence[Complaint]) -> tuple[str, list[dict]]:
    """(priority, factors). Points for how strongly the customer complained, how many people
    can hear it, how much the customer is worth to the shop and whether it keeps happening; the
    factors are codes and numbers (support.priority words them in the reader's language)."""
    points, factors = 0, []
    strength = max((c.severity for c in complaints), default=0)
    if strength:
        points += strength
        factors.append({"code": "strength", "points": strength, "reasons": list(complaints[0].reasons)})
    followers = max((c.item.mention.author_followers for c in complaints if c.item.mention_id), default=0)
    reach = 3 if followers >= 100_000 else 2 if followers >= 10_000 else 1 if followers >= 1_000 else 0
    if reach:
        points += reach
        factors.append({"code": "reach", "points": reach, "followers": followers})
    if case.customer_id:
        stats = case.customer.orders.aggregate(count=Count("pk"), total=Sum("total"))
        value = (
            2
            if (stats["total"] or 0) >= 1000
            else 1
            if (stats["count"] or 0) >= 5 or (stats["total"] or 0) >= 300
            else 0
        )
        if value:
            points += value
            currency = case.customer.orders.order_by("-placed_at").values_list("currency", flat=True).first()
            factors.append(
                {
                    "code": "customer_value",
                    "points": value,
                    "orders": stats["count"],
                    "total": str(Decimal(stats["total"] or 0).quantize(Decimal("0.01"))),
                    "currency": currency or "",
                }
            )
        earlier = Case.objects.filter(customer_id=case.customer_id, opened_at__gte=timezone.now() - timedelta(days=90))
        if case.pk:
            earlier = earlier.exclude(pk=case.pk)
        # the complaints being judged may already hang on the case (attached just before): they
        # are not "earlier" feedback, or every first complaint would count as a repeat
        attached = case.feedback_items.exclude(pk__in=[c.item.pk for c in complaints]).count() if case.pk else 0
        if earlier.exists() or attached + len(complaints) > 1:
            points += 1
            factors.append({"code": "repeat", "points": 1})
    priority = (
        Priority.URGENT
        if points >= 5
        else Priority.HIGH
        if points >= 3
        else Priority.NORMAL
        if points >= 1
        else Priority.LOW
    )
    factors.append({"code": "total", "points": points, "priority": priority.value})
    return priority, factors


# ---------------------------------------------------------------------------------------
# SLA
# ---------------------------------------------------------------------------------------
def sla_policy_for(*, priority: str, channels: list[str], team: Team | None) -> SLAPolicy | None:
    policies = list(SLAPolicy.objects.filter(is_active=True).prefetch_related("teams").order_by("position", "pk"))
    for policy in policies:
        if policy.is_default:
            continue
        team_ids = {t.pk for t in policy.teams.all()}
        if not (policy.priorities or policy.channels or team_ids):
            continue
        if policy.matches(priority=priority, channels=channels, team_id=team.pk if team else None, team_ids=team_ids):
            return policy
    return next((p for p in policies if p.is_default), None)


def sla_calendar(policy: SLAPolicy | None) -> business_time.Calendar | None:
    """The calendar a policy's clock runs on; None (round the clock) without business hours."""
    if policy is None or not policy.business_hours_only or policy.calendar is None:
        return None
    return policy.calendar.to_calendar()


def case_sla_states(case: Case, *, now: datetime | None = None) -> list[sla.TargetState]:
    now = now or timezone.now()
    policy = case.policy
    if policy is None:
        return []
    calendar = sla_calendar(policy)
    pauses = [(p.started_at, p.ended_at) for p in case.pauses.all()]
    states = []
    targets = policy.targets()
    warning_share = policy.warning_percent / 100
    if "first_response" in targets:
        states.append(
            sla.target_state(
                name="first_response",
                calendar=calendar,
                started_at=case.opened_at,
                target=targets["first_response"],
                stopped_at=case.first_response_at,
                pauses=pauses,
                now=now,
                warning_share=warning_share,
            )
        )
    if "next_response" in targets and case.first_response_at and case.awaiting_response_since:
        states.append(
            sla.target_state(
                name="next_response",
                calendar=calendar,
                started_at=case.awaiting_response_since,
                target=targets["next_response"],
                stopped_at=None,
                pauses=pauses,
                now=now,
                warning_share=warning_share,
            )
        )
    if "resolution" in targets:
        states.append(
            sla.target_state(
                name="resolution",
                calendar=calendar,
                started_at=case.opened_at,
                target=targets["resolution"],
                stopped_at=case.resolved_at,
                pauses=pauses,
                now=now,
                warning_share=warning_share,
            )
        )
    return states


def case_clock_durations(case: Case) -> dict[str, timedelta]:
    """Time from opening to the first response and to resolution (those reached), as the SLA
    clock counts it, so it compares with the targets: the working hours of the policy's calendar,
    pauses excluded. A case without a policy, or under a round-the-clock one, counts every hour."""
    calendar = sla_calendar(case.policy)
    pauses = [(p.started_at, p.ended_at) for p in case.pauses.all()]
    stops = {"first_response": case.first_response_at, "resolution": case.resolved_at}
    return {
        target: business_time.business_time_between(calendar, case.opened_at, at)
        - business_time.paused_business_time(calendar, pauses, case.opened_at, at)
        for target, at in stops.items()
        if at is not None
    }


def case_sla_refresh(case: Case, *, now: datetime | None = None) -> Case:
    """Store the next due and warning moments, which order the inbox and drive the checker."""
    running = [s for s in case_sla_states(case, now=now) if s.status in (sla.RUNNING, sla.BREACHED) and s.due_at]
    running = [s for s in running if not (s.name != "resolution" and s.status == sla.MET)]
    open_targets = [s for s in running if s.status != sla.MET]
    case.sla_due_at = min((s.due_at for s in open_targets), default=None) if case.is_open else None
    case.sla_warning_at = (
        min((s.warning_at for s in open_targets if s.warning_at), default=None) if case.is_open else None
    )
    Case.objects.filter(pk=case.pk).update(sla_due_at=case.sla_due_at, sla_warning_at=case.sla_warning_at)
    # Every change to a case ends here, so this is where its day's rollup is marked stale.
    changes_record(Source.CASES, [case.opened_at])
    return case


def _enqueue(task_name: str, *args) -> None:
    from core.queueing import enqueue
    from support import tasks

    enqueue(getattr(tasks, task_name), *args)


class FollowupAlreadyAnswered(ApplicationError):
    code = "followup_answered"
    status_code = 410


# An answer this low means the problem is not solved: the case goes back to work.
FOLLOWUP_UNHAPPY_AT_MOST = 2


@transaction.atomic
def case_followup_answer(*, case: Case, score: int, now: datetime | None = None) -> Case:
    """The customer's 1–5 answer to "did we solve your problem?", stored once; it feeds service CSAT.

    A 1 or 2 sends the problem back to work: the case reopens, or, when it was closed more than
    SUPPORT_FOLLOWUP_REOPEN_DAYS ago, a new case linked to it opens (an old case reopened would
    carry a long-breached clock and a stale thread). Its owner is told either way. Returns the case
    that now holds the work: the same one, or the new one.
    """
    now = now or timezone.now()
    if score not in range(1, 6):
        raise CaseActionRefused("The answer is a number from 1 to 5.", extra={"score": ["Choose 1 to 5."]})
    case = Case.objects.select_for_update().get(pk=case.pk)
    if case.followup_score is not None:
        raise FollowupAlreadyAnswered("This question has already been answered.")
    case.followup_score = score
    case.save(update_fields=["followup_score"])
    _event(case, "followup_answered", at=now, score=score)
    _announce(case, "followup_answered")
    if score > FOLLOWUP_UNHAPPY_AT_MOST:
        return case
    reopen_within = timedelta(days=settings.SUPPORT_FOLLOWUP_REOPEN_DAYS)
    if case.status == Case.Status.CLOSED and case.closed_at and now - case.closed_at > reopen_within:
        follow_on = _case_open_follow_on(case, score=score, now=now)
        case_owner_notify(follow_on, "followup_unhappy_new_case")
        return follow_on
    if case.status in (Case.Status.RESOLVED, Case.Status.CLOSED):
        case.status, case.resolved_at, case.closed_at = Case.Status.OPEN, None, None
        case.awaiting_response_since = case.awaiting_response_since or now
        case.save()
        _event(case, "reopened", at=now, reason="followup", score=score)
        case_sla_refresh(case, now=now)
        case_owner_notify(case, "followup_unhappy_reopened")
    else:  # the customer wrote back meanwhile and the case is being worked again: its owner still hears
        case_owner_notify(case, "followup_unhappy_open")
    return case


def _case_open_follow_on(case: Case, *, score: int, now: datetime) -> Case:
    follow_on = Case.objects.create(
        subject=case.subject,
        customer=case.customer,
        social_author=case.social_author,
        channels=list(case.channels),
        priority=case.priority,
        priority_factors=[
            {
                "code": "followup",
                "score": score,
                "case": case.pk,
                "closed_on": timezone.localdate(case.closed_at).isoformat(),
            }
        ],
        is_priority_overridden=True,
        team=case.team,
        assignee=case.assignee,
        linked_from=case,
        opened_at=now,
        awaiting_response_since=now,
    )
    follow_on.policy = sla_policy_for(priority=follow_on.priority, channels=follow_on.channels, team=follow_on.team)
    follow_on.save(update_fields=["policy"])
    _event(follow_on, "opened_from_followup", at=now, previous_case=case.pk, score=score)
    _event(case, "follow_on_opened", at=now, new_case=follow_on.pk, score=score)
    case_sla_refresh(follow_on, now=now)
    _announce(follow_on)
    return follow_on


def case_webhook_data(case: Case) -> dict:
    """A case as webhook events tell it (version 1): what the cases API lists, by reference."""
    return {
        "id": case.pk,
        "subject": case.subject,
        "status": case.status,
        "priority": case.priority,
        "channels": list(case.channels),
        "customer": case.customer.external_id if case.customer_id else None,
        "team": case.team.slug if case.team_id else None,
        "assignee": case.assignee.get_username() if case.assignee_id else None,
        "opened_at": iso(case.opened_at),
        "first_response_at": iso(case.first_response_at),
        "resolved_at": iso(case.resolved_at),
        "closed_at": iso(case.closed_at),
        "sla_due_at": iso(case.sla_due_at),
    }


def _announce(case: Case, change: str = "") -> None:
    """case.created (no change named) or case.updated, with the case as it is after the change."""
    if change:
        webhook_event_record(WebhookEventType.CASE_UPDATED, lambda: {**case_webhook_data(case), "change": change})
    else:
        webhook_event_record(WebhookEventType.CASE_CREATED, lambda: case_webhook_data(case))


def _event(case: Case, kind: str, actor=None, *, at: datetime | None = None, **data) -> None:
    CaseEvent.objects.create(case=case, kind=kind, actor=actor, data=data, created_at=at or timezone.now())
    audit(f"case.{kind}", case, actor=actor, people_only=True, summary=str(case)[:200], details=data)


# ---------------------------------------------------------------------------------------
# Opening and attaching
# ---------------------------------------------------------------------------------------
def _owner_of(item: FeedbackItem) -> tuple[int | None, str]:
    if item.customer_id:
        return item.customer_id, ""
    if item.mention_id:
        return None, f"{item.mention.platform}:{item.mention.author_handle.lower()}"
    if item.inbound_message_id and item.inbound_message.author_email:
        # someone who is not (yet) a customer wrote: their address keeps their complaints on one
        # case, and is where the replies go (support.notifications)
        return None, f"{EMAIL_AUTHOR_PREFIX}{item.inbound_message.author_email.lower()}"
    return None, ""


@transaction.atomic
def cases_open_for_feedback(*, ids: Sequence[int], now: datetime | None = None) -> list[Case]:
    """Turn complaints among these items into cases: a new case, or the customer's open one.

    Idempotent: an item already on a case is skipped. A resolved case of the same customer is
    reopened rather than a second one started.
    """
    now = now or timezone.now()
    rules = ComplaintRules.current()
    if not rules.is_active:
        return []
    items = list(
        FeedbackItem.objects.select_for_update(of=("self",))
        .filter(pk__in=list(ids), case__isnull=True, brand__isnull=True)  # a rival's complaint is not our case
        .select_related("survey_answer", "review", "mention", "inbound_message", "customer")
    )
    touched: dict[int, Case] = {}
    opened: list[Case] = []
    for complaint in complaints_among(items, rules):
        item = complaint.item
        customer_id, social_author = _owner_of(item)
        case = None
        if customer_id or social_author:
            owner = {"customer_id": customer_id} if customer_id else {"social_author": social_author}
            case = (
                Case.objects.select_for_update()
                .filter(**owner, status__in=[*Case.OPEN_STATUSES, Case.Status.RESOLVED])
                .order_by("-opened_at")
                .first()
            )
        if case is None:
            team = Team.objects.filter(slug=DEFAULT_TEAM_SLUG).first()
            case = Case.objects.create(
                subject=_subject(item),
                customer_id=customer_id,
                social_author=social_author,
                channels=[item.channel],
                team=team,
                opened_at=now,
                awaiting_response_since=now,
            )
            _event(case, "opened", at=now, reasons=list(complaint.reasons), feedback=item.pk)
            opened.append(case)
        else:
            if item.channel not in case.channels:
                case.channels = [*case.channels, item.channel]
            if case.status == Case.Status.RESOLVED:
                case.status, case.resolved_at = Case.Status.OPEN, None
                _event(case, "reopened", at=now, feedback=item.pk)
            if case.status == Case.Status.PENDING_CUSTOMER:
                _resume(case, now)
                case.status = Case.Status.OPEN
            case.awaiting_response_since = case.awaiting_response_since or now
            case.save()
            _event(case, "complaint_attached", at=now, reasons=list(complaint.reasons), feedback=item.pk)
        item.case = case
        item.save(update_fields=["case"])
        if not case.is_priority_overridden:
            priority, factors = case_priority(case=case, complaints=[complaint])
            if case.pk in touched or case.priority_factors:
                priority = min(priority, case.priority, key=lambda p: PRIORITY_RANK[p])
            case.priority, case.priority_factors = priority, factors
        case.policy = sla_policy_for(priority=case.priority, channels=case.channels, team=case.team)
        case.save()
        case_sla_refresh(case, now=now)
        touched[case.pk] = case
    for case in opened:
        notify.case_opened_announce(case=case, now=now)
    opened_ids = {case.pk for case in opened}
    for case in touched.values():
        _announce(case, "" if case.pk in opened_ids else "complaint_attached")
    return list(touched.values())


@transaction.atomic
def case_open_manual(
    *,
    subject: str,
    customer=None,
    channel: str = "",
    priority: str = Priority.NORMAL,
    text: str = "",
    team: Team | None = None,
    actor=None,
    now: datetime | None = None,
) -> Case:
    """Staff (or a shop system) open a case by hand, e.g. after a phone call."""
    now = now or timezone.now()
    if not subject.strip():
        raise CaseActionRefused("A case needs a subject.", extra={"subject": ["This field may not be blank."]})
    if priority not in Priority.values:
        raise CaseActionRefused(f"Unknown priority {priority!r}.", extra={"priority": ["Not a valid choice."]})
    team = team or Team.objects.filter(slug=DEFAULT_TEAM_SLUG).first()
    case = Case.objects.create(
        subject=subject.strip()[:200],
        customer=customer,
        channels=[channel] if channel else [],
        priority=priority,
        priority_factors=[{"code": "opened_by_hand", "priority": priority}],
        is_priority_overridden=True,
        team=team,
        opened_at=now,
        awaiting_response_since=now,
    )
    case.policy = sla_policy_for(priority=priority, channels=case.channels, team=team)
    case.save(update_fields=["policy"])
    if text.strip():
        CaseMessage.objects.create(case=case, kind=CaseMessage.Kind.CUSTOMER, text=text.strip(), created_at=now)
    _event(case, "opened_by_hand", actor, at=now)
    case_sla_refresh(case, now=now)
    notify.case_opened_announce(case=case, actor=actor, now=now)
    _announce(case)
    return case


def cases_sweep(*, now: datetime | None = None, lookback: timedelta = timedelta(days=2)) -> int:
    """Catch complaints whose hand-over to triage was lost (broker down after the analysis)."""
    now = now or timezone.now()
    candidates = FeedbackItem.objects.filter(
        case__isnull=True,
        analysis_status=FeedbackItem.AnalysisStatus.DONE,
        analysed_at__gte=now - lookback,
        brand__isnull=True,
    ).filter(
        models.Q(sentiment="negative")
        | models.Q(sentiment_gold="negative")
        | models.Q(review__rating__lte=2)
        | models.Q(inbound_message__rating__lte=2)
        | models.Q(survey_answer__isnull=False)
    )
    ids = list(candidates.values_list("pk", flat=True)[:5000])
    return len(cases_open_for_feedback(ids=ids, now=now)) if ids else 0


def _subject(item: FeedbackItem) -> str:
    text = " ".join(item.text.split())
    return text if len(text) <= 90 else text[:87] + "…"


def _resume(case: Case, now: datetime) -> None:
    CasePause.objects.filter(case=case, ended_at__isnull=True).update(ended_at=now)


# ---------------------------------------------------------------------------------------
# Staff actions
# ---------------------------------------------------------------------------------------
def case_reply_goes_by_email(case: Case) -> bool:
    """Whether Voz itself delivers a reply: only by email. No connector posts on a social network,
    so there a reply is a draft the agent posts by hand."""
    from support.notifications import case_recipient

    return bool(case_recipient(case))


@transaction.atomic
def case_reply(*, case: Case, text: str, author, now: datetime | None = None) -> CaseMessage:
    """A public reply: it goes to the customer and it is the response the SLA measures.

    By email it is sent, and counts, at once. Where Voz cannot deliver it (a social post, a chat
    without an address) it is stored as a draft to post by hand, and the clock keeps running until
    the agent confirms they posted it (case_reply_confirm_posted): a reply posted nowhere is no
    response."""
    now = now or timezone.now()
    if not text.strip():
        raise CaseActionRefused("A reply needs some text.", extra={"text": ["This field may not be blank."]})
    case = Case.objects.select_for_update().get(pk=case.pk)
    by_email = case_reply_goes_by_email(case)
    message = CaseMessage.objects.create(
        case=case,
        kind=CaseMessage.Kind.REPLY,
        author=author,
        text=text.strip(),
        created_at=now,
        needs_manual_post=not by_email,
    )
    if not by_email:
        _event(case, "reply_drafted", author, at=now, message=message.pk)
        return message
    _responded(case, now)
    _event(case, "replied", author, at=now, message=message.pk)
    case_sla_refresh(case, now=now)
    _announce(case, "replied")
    transaction.on_commit(lambda: _enqueue("case_reply_email", message.pk))
    return message


def _responded(case: Case, now: datetime) -> None:
    case.first_response_at = case.first_response_at or now
    case.last_response_at = now
    case.awaiting_response_since = None
    if case.status == Case.Status.NEW:
        case.status = Case.Status.OPEN
    case.save()


@transaction.atomic
def case_reply_confirm_posted(*, message: CaseMessage, actor, now: datetime | None = None) -> CaseMessage:
    """The agent says they posted the drafted reply: from now it is the response the SLA measures.
    Confirming twice changes nothing."""
    now = now or timezone.now()
    message = CaseMessage.objects.select_for_update().select_related("case").get(pk=message.pk)
    if not message.needs_manual_post or message.kind != CaseMessage.Kind.REPLY:
        raise CaseActionRefused("This message is not a reply to post by hand.", extra={"message": ["Not a draft."]})
    if message.posted_at is not None:
        return message
    message.posted_at, message.posted_by = now, actor
    message.save(update_fields=["posted_at", "posted_by"])
    case = Case.objects.select_for_update().get(pk=message.case_id)
    _responded(case, now)
    _event(case, "reply_posted", actor, at=now, message=message.pk)
    case_sla_refresh(case, now=now)
    _announce(case, "replied")
    return message


@transaction.atomic
def case_note(*, case: Case, text: str, author) -> CaseMessage:
    """An internal note: never shown to the customer, and not a response for the SLA."""
    if not text.strip():
        raise CaseActionRefused("A note needs some text.", extra={"text": ["This field may not be blank."]})
    message = CaseMessage.objects.create(case=case, kind=CaseMessage.Kind.NOTE, author=author, text=text.strip())
    _event(case, "noted", author, message=message.pk)
    return message


@transaction.atomic
def case_customer_message(*, case: Case, text: str, now: datetime | None = None) -> CaseMessage:
    """The customer wrote back: the clock resumes and a resolved case reopens."""
    now = now or timezone.now()
    case = Case.objects.select_for_update().get(pk=case.pk)
    message = CaseMessage.objects.create(case=case, kind=CaseMessage.Kind.CUSTOMER, text=text.strip(), created_at=now)
    if case.status == Case.Status.PENDING_CUSTOMER:
        _resume(case, now)
    if case.status in (Case.Status.PENDING_CUSTOMER, Case.Status.RESOLVED):
        if case.status == Case.Status.RESOLVED:
            case.resolved_at = None
            _event(case, "reopened", at=now, reason="customer reply")
        case.status = Case.Status.OPEN
    case.awaiting_response_since = case.awaiting_response_since or now
    case.save()
    case_sla_refresh(case, now=now)
    _announce(case, "customer_message")
    return message


ALLOWED_MOVES = {
    Case.Status.NEW: {Case.Status.OPEN, Case.Status.PENDING_CUSTOMER, Case.Status.RESOLVED, Case.Status.CLOSED},
    Case.Status.OPEN: {Case.Status.PENDING_CUSTOMER, Case.Status.RESOLVED, Case.Status.CLOSED},
    Case.Status.PENDING_CUSTOMER: {Case.Status.OPEN, Case.Status.RESOLVED, Case.Status.CLOSED},
    Case.Status.RESOLVED: {Case.Status.OPEN, Case.Status.CLOSED},
    Case.Status.CLOSED: {Case.Status.OPEN},
}


@transaction.atomic
def case_set_status(*, case: Case, status: str, actor=None, now: datetime | None = None) -> Case:
    now = now or timezone.now()
    case = Case.objects.select_for_update().get(pk=case.pk)
    if status == case.status:
        return case
    if status not in ALLOWED_MOVES.get(case.status, set()):
        raise CaseActionRefused(
            f"A case cannot go from {case.status} to {status}.",
            extra={"status": ["Not allowed from the current status."]},
        )
    if case.status == Case.Status.PENDING_CUSTOMER:
        _resume(case, now)
    if status == Case.Status.PENDING_CUSTOMER:
        CasePause.objects.create(case=case, started_at=now)
    if status == Case.Status.RESOLVED:
        case.resolved_at = now
    if status in (Case.Status.RESOLVED, Case.Status.CLOSED) and case.followup_requested_at is None:
        # Any first move out of work asks the customer, open → closed included; once per case, so
        # resolved → closed or a reopen and a second resolution ask nothing more.
        case.followup_requested_at = now
        transaction.on_commit(lambda: _enqueue("case_followup", case.pk))
    if status == Case.Status.CLOSED:
        case.closed_at = now
        case.resolved_at = case.resolved_at or now
    if status == Case.Status.OPEN:
        case.resolved_at, case.closed_at = None, None
    _event(case, "status", actor, at=now, old=case.status, new=status)
    case.status = status
    case.save()
    case_sla_refresh(case, now=now)
    _announce(case, "status")
    return case


@transaction.atomic
def case_set_priority(*, case: Case, priority: str, actor) -> Case:
    if priority not in Priority.values:
        raise CaseActionRefused(f"Unknown priority {priority!r}.", extra={"priority": ["Not a valid choice."]})
    case = Case.objects.select_for_update().get(pk=case.pk)
    _event(case, "priority", actor, old=case.priority, new=priority)
    case.priority, case.is_priority_overridden = priority, True
    case.priority_factors = [*case.priority_factors, {"code": "set_by", "priority": priority, "actor": str(actor)}]
    case.policy = sla_policy_for(priority=priority, channels=case.channels, team=case.team)
    case.save()
    case_sla_refresh(case)
    _announce(case, "priority")
    return case


@transaction.atomic
def case_assign(*, case: Case, assignee=None, team: Team | None = None, actor=None) -> Case:
    case = Case.objects.select_for_update().get(pk=case.pk)
    _event(
        case,
        "assigned",
        actor,
        assignee=getattr(assignee, "pk", None),
        team=getattr(team or case.team, "pk", None),
    )
    case.assignee = assignee
    if team is not None:
        case.team = team
        case.policy = sla_policy_for(priority=case.priority, channels=case.channels, team=team)
    case.save()
    case_sla_refresh(case)
    _announce(case, "assigned")
    return case


# ---------------------------------------------------------------------------------------
# Warnings and breaches
# ---------------------------------------------------------------------------------------
def sla_check(*, now: datetime | None = None) -> int:
    """Warn before a target breaches, announce when it does, and escalate a breach nobody has dealt
    with after SLA_ESCALATE_AFTER — each notice once, however often this runs (the notice row is
    unique per case, target, kind and due time, and so is each person's notification of it)."""
    from django.db import IntegrityError

    from support.models import SLANotice

    now = now or timezone.now()
    sent = 0
    cases = (
        Case.objects.filter(status__in=Case.OPEN_STATUSES, sla_warning_at__lte=now)
        .select_related("policy__calendar", "assignee", "team")
        .prefetch_related("pauses")
    )
    for case in cases:
        for state in case_sla_states(case, now=now):
            if state.status == sla.BREACHED:
                kind = SLANotice.Kind.BREACH
            elif state.is_warning:
                kind = SLANotice.Kind.WARNING
            else:
                continue
            if kind == SLANotice.Kind.BREACH and _target_fulfilled(case, state.name):
                continue  # answered late: nobody needs telling any more
            try:
                with transaction.atomic():
                    notice = SLANotice.objects.create(
                        case=case, target=state.name, kind=kind, due_at=state.due_at or now, sent_at=now
                    )
                    notify.sla_notice_announce(notice=notice, now=now)
                    # with the notice that makes it happen once
                    webhook_event_record(
                        WebhookEventType.CASE_SLA_BREACHED
                        if kind == SLANotice.Kind.BREACH
                        else WebhookEventType.CASE_SLA_WARNING,
                        lambda case=case, state=state: {
                            "case": case_webhook_data(case),
                            "target": state.name,
                            "due_at": iso(state.due_at),
                        },
                        now=now,
                    )
            except IntegrityError:
                continue  # already announced
            _event(case, f"sla_{kind}", target=state.name)
            if kind == SLANotice.Kind.BREACH:
                # A clock that ran out turns the case from "running" into "breached" in the rollups.
                changes_record(Source.CASES, [case.opened_at])
            sent += 1
    for breach in notify.escalations_due(now=now):
        case = breach.case
        state = next((s for s in case_sla_states(case, now=now) if s.name == breach.target), None)
        if state is None or state.status != sla.BREACHED or _target_fulfilled(case, breach.target):
            continue
        try:
            with transaction.atomic():
                notice = SLANotice.objects.create(
                    case=case, target=breach.target, kind=SLANotice.Kind.ESCALATION, due_at=breach.due_at, sent_at=now
                )
                notify.sla_notice_announce(notice=notice, now=now)
        except IntegrityError:
            continue
        _event(case, "sla_escalation", target=breach.target)
        sent += 1
    return sent


def _target_fulfilled(case: Case, target: str) -> bool:
    return {"first_response": case.first_response_at, "resolution": case.resolved_at}.get(target) is not None
