import logging
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.changes import Source, changes_statement
from core.exceptions import ApplicationError
from core.mail_threading import message_id, reply_address
from core.prepared import Statement, fetchone_prepared, statements_run
from core.queueing import enqueue
from core.shop import regional_override, shop_settings
from core.webhooks import webhooks_deliver_after_commit
from customers.emailing import EmailKind, EmailNotAllowed, customer_email_send
from customers.models import Customer, Order
from feedback.pipeline import feedback_analysis_enqueue
from surveys.comments import feedback_items_statement
from surveys.events import comments_created_statement, survey_answered_statement
from surveys.models import Answer, Choice, DefectionReason, Invitation, Question, Response, Survey

logger = logging.getLogger(__name__)

AnswerValue = int | str | list[str] | None


class InvitationUnavailable(ApplicationError):
    """The link cannot be answered any more; pages show a friendly explanation."""

    status_code = 410
    code = "invitation_unavailable"


class InvitationAlreadyAnswered(InvitationUnavailable):
    code = "invitation_already_answered"


class InvitationExpired(InvitationUnavailable):
    code = "invitation_expired"


class SurveyAnswersInvalid(ApplicationError):
    code = "survey_answers_invalid"

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("Some answers are missing or invalid.", extra=errors)
        self.errors = errors


OPEN_STATUSES = (Invitation.Status.PENDING, Invitation.Status.SENT, Invitation.Status.OPENED)


# ---------------------------------------------------------------------------------------------
# Scheduling and sending
# ---------------------------------------------------------------------------------------------


def invitation_language(customer: Customer) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    return customer.preferred_language if customer.preferred_language in supported else shop_settings().default_language


def _customer_in_cooldown(customer: Customer, now: datetime) -> bool:
    since = now - timedelta(days=shop_settings().survey_cooldown_days)
    return customer.invitations.filter(created_at__gt=since).exists()


def invitations_schedule_due(*, now: datetime | None = None) -> list[Invitation]:
    """Create the invitations whose delivery delay has passed and hand them to the send queue.

    Idempotent: the (order, survey) unique constraint and the per-customer lock make a second or
    concurrent run create nothing twice. A customer with several due orders gets one invitation,
    for the latest delivery, and none at all while in the cooldown after a previous invitation.
    """
    now = now or timezone.now()
    created: list[Invitation] = []
    surveys = Survey.objects.filter(is_active=True, trigger=Survey.Trigger.ORDER_DELIVERED)
    for survey in surveys:
        latest_due = now - survey.invitation_delay
        earliest_due = latest_due - timedelta(days=settings.SURVEY_MAX_LATENESS_DAYS)
        already_invited = Invitation.objects.filter(order=OuterRef("pk"), survey=survey)
        due_orders = (
            Order.objects.filter(
                delivered_at__lte=latest_due, delivered_at__gte=earliest_due, cancelled_at__isnull=True
            )
            # a shop may send an order without an email (a marketplace sale): stored, never surveyed
            .exclude(customer__email="")
            .exclude(customer__unsubscribed_at__isnull=False)
            .exclude(Exists(already_invited))
            .order_by("customer_id", "-delivered_at")
            .values_list("customer_id", "pk")
        )
        latest_order_per_customer: dict[int, int] = {}
        for customer_id, order_id in due_orders:
            latest_order_per_customer.setdefault(customer_id, order_id)
        for customer_id, order_id in latest_order_per_customer.items():
            invitation = _invitation_create_for_order(
                survey=survey, customer_id=customer_id, order_id=order_id, now=now
            )
            if invitation is not None:
                created.append(invitation)
    return created


@transaction.atomic
def _invitation_create_for_order(
    *, survey: Survey, customer_id: int, order_id: int, now: datetime
) -> Invitation | None:
    # Locking the customer serialises concurrent schedulers deciding about the same person.
    customer = Customer.objects.select_for_update().get(pk=customer_id)
    if _customer_in_cooldown(customer, now):
        return None
    try:
        with transaction.atomic():
            invitation = Invitation.objects.create(
                survey=survey,
                order_id=order_id,
                customer=customer,
                language=invitation_language(customer),
                created_at=now,
                expires_at=now + survey.invitation_lifetime,
            )
    except IntegrityError:
        return None
    transaction.on_commit(lambda: _enqueue_send(invitation.pk))
    return invitation


class InvitationRefused(ApplicationError):
    """A survey was asked for that the invitation rules do not allow (the API answers 409)."""

    status_code = 409


class InvitationAlreadyExists(InvitationRefused):
    code = "already_invited"


class CustomerInCooldown(InvitationRefused):
    code = "customer_in_cooldown"


def invitation_request(*, survey: Survey, order: Order, now: datetime | None = None) -> Invitation:
    """Invite an order's customer to a survey now, on request (the API), under the scheduler's rules.

    The same function the scheduler uses makes it, so the same lock, cooldown and one-invitation-
    per-(order, survey) constraint apply; when it makes nothing, the rule that stopped it is named.
    """
    now = now or timezone.now()
    invitation = _invitation_create_for_order(survey=survey, customer_id=order.customer_id, order_id=order.pk, now=now)
    if invitation is not None:
        return invitation
    if Invitation.objects.filter(order=order, survey=survey).exists():
        raise InvitationAlreadyExists(
            f"The customer was already invited to {survey.slug!r} about order {order.external_id!r}."
        )
    raise CustomerInCooldown(
        f"The customer was invited within the last {shop_settings().survey_cooldown_days} days "
        "(Settings, or SURVEY_CUSTOMER_COOLDOWN_DAYS); nothing was sent."
    )


def _enqueue_send(invitation_id: int) -> None:
    from surveys.tasks import invitation_send as invitation_send_task

    enqueue(invitation_send_task, invitation_id)


def invitations_cancel_for_order(*, order_id: int) -> int:
    """Withdraw the order's invitations not emailed yet, once it is cancelled or refunded in full.

    One already sent stays answerable: the customer has the link, and what they say still counts.
    """
    return Invitation.objects.filter(
        order_id=order_id, order__cancelled_at__isnull=False, status=Invitation.Status.PENDING
    ).update(status=Invitation.Status.CANCELLED)


def invitations_dispatch_unsent(*, now: datetime | None = None) -> list[int]:
    """Hand pending invitations to the queue again when their first hand-over did not get through."""
    now = now or timezone.now()
    stale_before = now - timedelta(minutes=settings.SURVEY_UNSENT_SWEEP_MINUTES)
    ids = list(
        Invitation.objects.filter(
            status=Invitation.Status.PENDING, created_at__lte=stale_before, expires_at__gt=now
        ).values_list("pk", flat=True)[:1000]
    )
    for invitation_id in ids:
        _enqueue_send(invitation_id)
    return ids


def _send_invitation_email(invitation: Invitation, *, is_reminder: bool) -> None:
    """Raises EmailNotAllowed, sending nothing, when the customer may not get it (customers.emailing)."""
    language = invitation.language
    is_defection = invitation.survey.slug == LAPSED_SURVEY_SLUG
    shop = shop_settings()
    with regional_override(language):
        if is_defection:
            subject = gettext("We noticed you haven't been back — what changed?")
        elif is_reminder:
            subject = gettext("Reminder: how was your order from %(shop)s?") % {"shop": shop.name}
        else:
            subject = gettext("How was your order from %(shop)s?") % {"shop": shop.name}
    if is_defection:
        kind = EmailKind.DEFECTION_SURVEY
    else:
        kind = EmailKind.SURVEY_REMINDER if is_reminder else EmailKind.SURVEY_INVITATION
    # A reply to the invitation reaches the shop's inbound mailbox and becomes feedback about the
    # order (support.inbound_email): the Message-ID and the reply address name the invitation.
    customer_email_send(
        kind=kind,
        customer=invitation.customer,
        language=language,
        subject=subject,
        template="surveys/email/defection" if is_defection else "surveys/email/invitation",
        context={
            "invitation": invitation,
            "customer": invitation.customer,
            "order": invitation.order,
            "survey_title": invitation.survey.title(language),
            "shop_name": shop.name,
            "shop": shop,
            "logo_url": shop.logo_url(absolute=True),
            "url": invitation.url,
            "is_reminder": is_reminder,
            "expires_at": invitation.expires_at,
            "language": language,
        },
        reply_to=reply_address("invitation", invitation.pk) or shop.reply_to,
        message_id=message_id("invitation", invitation.pk),
    )


def _mark_suppressed(invitation: Invitation, reason: str) -> None:
    invitation.status = Invitation.Status.SUPPRESSED
    invitation.last_error = f"not sent: {reason}"
    invitation.save(update_fields=["status", "last_error"])


def invitation_send(*, invitation_id: int, now: datetime | None = None) -> bool:
    """Email the survey link once. Returns False when there is nothing to send (already sent, gone, expired).

    A failure is recorded on the invitation and raised again so the task retries with backoff.
    """
    now = now or timezone.now()
    try:
        with transaction.atomic():
            invitation = (
                Invitation.objects.select_for_update(of=("self",))
                .select_related("customer", "survey", "order")
                .filter(pk=invitation_id)
                .first()
            )
            if invitation is None or invitation.status != Invitation.Status.PENDING:
                return False
            if invitation.order is not None and invitation.order.cancelled_at is not None:
                # the order's cancellation was not heard of before (its hand-over was lost)
                invitation.status = Invitation.Status.CANCELLED
                invitation.save(update_fields=["status"])
                return False
            if invitation.expires_at <= now:
                invitation.status = Invitation.Status.EXPIRED
                invitation.save(update_fields=["status"])
                return False
            try:
                _send_invitation_email(invitation, is_reminder=False)
            except EmailNotAllowed as refused:
                _mark_suppressed(invitation, refused.reason)
                return False
            invitation.status = Invitation.Status.SENT
            invitation.sent_at = now
            invitation.send_attempts += 1
            invitation.last_error = ""
            invitation.save(update_fields=["status", "sent_at", "send_attempts", "last_error"])
            return True
    except Exception as error:
        Invitation.objects.filter(pk=invitation_id).update(
            send_attempts=F("send_attempts") + 1, last_error=f"{type(error).__name__}: {error}"[:2000]
        )
        raise


STAFF_TEST_PREFIX = "voz-staff-test-"


class NoSurveyToTest(ApplicationError):
    pass


def invitation_send_test(*, user, language: str, now: datetime | None = None) -> Invitation:
    """Email the post-purchase survey to a staff member, as a customer would get it, to try it out.

    The staff member is a customer of their own (external id voz-staff-test-<user id>), so the test
    never touches a real customer's cooldown; no order, so nothing is reviewed. Sent at once rather
    than queued: the person is waiting for it.
    """
    now = now or timezone.now()
    survey = Survey.objects.filter(trigger=Survey.Trigger.ORDER_DELIVERED, is_active=True).order_by("pk").first()
    if survey is None:
        raise NoSurveyToTest(gettext("There is no active post-purchase survey to send."))
    if not user.email:
        raise NoSurveyToTest(gettext("Your account has no email address."))
    with transaction.atomic():
        customer, _created = Customer.objects.update_or_create(
            external_id=f"{STAFF_TEST_PREFIX}{user.pk}",
            defaults={"email": user.email, "name": user.get_full_name(), "preferred_language": language},
        )
        invitation = Invitation.objects.create(
            survey=survey,
            customer=customer,
            language=language,
            created_at=now,
            expires_at=now + survey.invitation_lifetime,
        )
    invitation_send(invitation_id=invitation.pk, now=now)
    invitation.refresh_from_db()
    return invitation


def invitations_due_for_reminder(*, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    candidates = Invitation.objects.filter(
        status__in=(Invitation.Status.SENT, Invitation.Status.OPENED),
        reminded_at__isnull=True,
        expires_at__gt=now,
        survey__reminder_after__isnull=False,
        intercept__isnull=True,  # offered on the website: there is no email to remind
    ).values_list("pk", "sent_at", "survey__reminder_after")
    return [pk for pk, sent_at, after in candidates if sent_at and sent_at + after <= now]


def invitation_remind(*, invitation_id: int, now: datetime | None = None) -> bool:
    """Send the single reminder; running it again never sends a second one."""
    now = now or timezone.now()
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("customer", "survey", "order")
            .filter(pk=invitation_id)
            .first()
        )
        if (
            invitation is None
            or invitation.intercept_id is not None
            or invitation.status not in (Invitation.Status.SENT, Invitation.Status.OPENED)
            or invitation.reminded_at is not None
            or invitation.survey.reminder_after is None
            or invitation.sent_at is None
            or invitation.sent_at + invitation.survey.reminder_after > now
            or invitation.expires_at <= now
        ):
            return False
        try:
            _send_invitation_email(invitation, is_reminder=True)
        except EmailNotAllowed as refused:
            # the link already sent still works; nothing more goes to this customer
            _mark_suppressed(invitation, refused.reason)
            return False
        invitation.reminded_at = now
        invitation.save(update_fields=["reminded_at"])
        return True


def invitations_expire(*, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return Invitation.objects.filter(status__in=OPEN_STATUSES, expires_at__lte=now).update(
        status=Invitation.Status.EXPIRED
    )


# ---------------------------------------------------------------------------------------------
# Answering
# ---------------------------------------------------------------------------------------------


_INVITATION_FIELDS = [field.attname for field in Invitation._meta.concrete_fields]
_ORDER_FIELDS = [field.attname for field in Order._meta.concrete_fields]
# Every survey page view and submission starts here, so the statement is prepared (see
# core.prepared) and the survey comes from this process's memo rather than a join.
_INVITATION_SQL = "SELECT {}, {} FROM {} invitation LEFT JOIN {} ord ON ord.id = invitation.order_id {}".format(
    ", ".join(f"invitation.{name}" for name in _INVITATION_FIELDS),
    ", ".join(f"ord.{name}" for name in _ORDER_FIELDS),
    Invitation._meta.db_table,
    Order._meta.db_table,
    "WHERE invitation.public_id = %(public_id)s::uuid",
)


def invitation_for_token(token: str) -> Invitation | None:
    """The invitation a link points to, or None when the token was altered or never existed.

    The survey and the order (the page shows its reference) come with it; the customer is read
    only when needed.
    """
    public_id = Invitation.public_id_from_token(token)
    if public_id is None:
        return None
    if connection.vendor != "postgresql":
        return Invitation.objects.select_related("survey", "order").filter(public_id=public_id).first()
    row = fetchone_prepared(_INVITATION_SQL, {"public_id": public_id})
    if row is None:
        return None
    invitation = Invitation.from_db(connection.alias, _INVITATION_FIELDS, row[: len(_INVITATION_FIELDS)])
    invitation.order = (
        Order.from_db(connection.alias, _ORDER_FIELDS, row[len(_INVITATION_FIELDS) :]) if invitation.order_id else None
    )
    invitation.survey = survey_by_id(invitation.survey_id)
    return invitation


def invitation_check_answerable(*, invitation: Invitation, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if invitation.status == Invitation.Status.ANSWERED:
        raise InvitationAlreadyAnswered(gettext("This survey has already been answered."))
    if invitation.is_expired_at(now):
        raise InvitationExpired(gettext("This survey link has expired."))


def invitation_mark_opened(*, invitation: Invitation, now: datetime | None = None) -> None:
    """The first view of the page opens the invitation; a reload (already opened) writes nothing."""
    opening = (Invitation.Status.PENDING, Invitation.Status.SENT)
    if invitation.status not in opening:
        return
    now = now or timezone.now()
    Invitation.objects.filter(pk=invitation.pk, status__in=opening).update(
        status=Invitation.Status.OPENED, opened_at=now
    )
    invitation.status, invitation.opened_at = Invitation.Status.OPENED, now


def question_is_shown(question: Question, answers: Mapping[int, AnswerValue]) -> bool:
    """Whether a question applies, given the answers to the questions before it."""
    if not question.is_conditional:
        return True
    given = answers.get(question.show_if_question_id)
    if given is None or given == "" or given == []:
        return False
    operator, expected = question.show_if_operator, question.show_if_value
    Operator = Question.Operator
    if isinstance(given, list):
        if operator == Operator.INCLUDES:
            return expected in given
        return False
    if isinstance(given, int):
        try:
            expected_number = int(expected)
        except ValueError:
            return False
        return {
            Operator.LTE: given <= expected_number,
            Operator.GTE: given >= expected_number,
            Operator.EQ: given == expected_number,
            Operator.NE: given != expected_number,
        }.get(operator, False)
    return {
        Operator.EQ: given == expected,
        Operator.NE: given != expected,
        Operator.INCLUDES: given == expected,
    }.get(operator, False)


def _answer_errors(question: Question, value: AnswerValue) -> list[str]:
    if value is None or value == "" or value == []:
        return [str(_("Please answer this question."))] if question.is_required else []
    if question.scale is not None:
        low, high = question.scale
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            return [str(_("Choose a value from %(low)s to %(high)s.") % {"low": low, "high": high})]
    elif question.has_choices:
        allowed = {choice.value for choice in question.choices.all()}
        values = value if isinstance(value, list) else [value]
        if question.kind == Question.Kind.SINGLE_CHOICE and len(values) != 1:
            return [str(_("Choose one option."))]
        if any(item not in allowed for item in values):
            return [str(_("Choose one of the options shown."))]
    elif question.kind == Question.Kind.OPEN_TEXT:
        if not isinstance(value, str):
            return [str(_("Write your answer as text."))]
        if len(value) > question.max_length:
            return [
                str(
                    _("Keep it under %(limit)s characters (now %(count)s).")
                    % {"limit": question.max_length, "count": len(value)}
                )
            ]
    return []


# A survey and its questions are read on every page view and submission but change rarely: each
# process keeps them for QUESTIONS_TTL seconds. An edit clears this process's copy at once (see
# surveys.apps) and reaches the other server processes within the TTL.
QUESTIONS_TTL = 10.0
_questions_memo: dict[int, tuple[float, list[Question]]] = {}
# Bumped by every forget. A read that began before an edit's forget (another thread of this
# process, the editor's preview reloading while the next reorder commits) must not store what it
# read after the forget: the editor would then be shown the old order for the whole TTL.
_forgotten = [0]


def survey_questions(survey: Survey) -> list[Question]:
    cached = _questions_memo.get(survey.pk)
    if cached is not None and time.monotonic() - cached[0] < QUESTIONS_TTL:
        return cached[1]
    generation = _forgotten[0]
    questions = list(
        survey.questions.filter(retired_at__isnull=True)
        .select_related("show_if_question")
        .prefetch_related("choices")
        .order_by("position", "pk")
    )
    if _forgotten[0] == generation:
        _questions_memo[survey.pk] = (time.monotonic(), questions)
    return questions


_surveys_memo: dict[int, tuple[float, Survey]] = {}


def survey_by_id(survey_id: int) -> Survey:
    """A survey as this process last read it, at most QUESTIONS_TTL seconds ago."""
    cached = _surveys_memo.get(survey_id)
    if cached is not None and time.monotonic() - cached[0] < QUESTIONS_TTL:
        return cached[1]
    generation = _forgotten[0]
    survey = Survey.objects.get(pk=survey_id)
    if _forgotten[0] == generation:
        _surveys_memo[survey_id] = (time.monotonic(), survey)
    return survey


def survey_questions_forget(*args, **kwargs) -> None:
    _forgotten[0] += 1
    _questions_memo.clear()
    _surveys_memo.clear()


def answers_check(
    *, questions: list[Question], answers: Mapping[int, AnswerValue], skip: frozenset[int] = frozenset()
) -> tuple[dict[int, AnswerValue], dict[str, list[str]]]:
    """Split answers into those to keep and errors by question code, following the survey's rules.

    Questions whose condition is not met are ignored whatever was sent for them; `skip` names
    questions already known to be wrong for another reason (so they get no second message).
    """
    errors: dict[str, list[str]] = {}
    kept: dict[int, AnswerValue] = {}
    for question in questions:
        if question.pk in skip or not question_is_shown(question, kept):
            continue
        value = answers.get(question.pk)
        if isinstance(value, str):
            value = value.strip()
        problems = _answer_errors(question, value)
        if problems:
            errors[question.code] = problems
        elif value not in (None, "", []):
            kept[question.pk] = value
    return kept, errors


def response_submit(
    *,
    invitation: Invitation,
    answers: Mapping[int, AnswerValue],
    language: str,
    user_agent: str = "",
    now: datetime | None = None,
    questions: list[Question] | None = None,
) -> Response:
    """Store a customer's answers once and turn their comments into feedback items.

    `answers` maps question ids to values. Answers to questions that do not apply (their condition
    is not met) are dropped. A second submission of the same invitation is refused — by the lock
    here and, should two requests still race, by the one-response-per-invitation constraint.
    """
    now = now or timezone.now()
    questions = questions if questions is not None else survey_questions(invitation.survey)
    kept, errors = answers_check(questions=questions, answers=answers)
    if errors:
        raise SurveyAnswersInvalid(errors)

    try:
        response = _response_store(invitation, kept, questions, language, user_agent, now)
    except IntegrityError as error:  # claimed nothing, and stored nothing: say why
        invitation_check_answerable(invitation=Invitation.objects.get(pk=invitation.pk), now=now)
        raise InvitationAlreadyAnswered(gettext("This survey has already been answered.")) from error
    invitation.status, invitation.answered_at = Invitation.Status.ANSWERED, now
    return response


# A submission is the hottest write path: its writes are plain statements, the same on PostgreSQL
# and SQLite, that travel together in one round trip and one transaction on PostgreSQL, each
# prepared once per connection (core.prepared.statements_run). Each finds the rows it builds on
# by the invitation, as the response's id is only known once all have run. With the same writes
# through the ORM (an update and four inserts, one round trip each, in a transaction) the
# whole submission took 2 to 2.5 times the CPU, in the web process and in the database's
# (bench/load.py's submission, measured in process).
_CLAIM_SQL = (
    f"UPDATE {Invitation._meta.db_table} SET status = %s, answered_at = %s"
    " WHERE id = %s AND expires_at > %s AND status NOT IN (%s, %s)"
)
# The response belongs to the invitation answered at this very moment, that is the one the claim
# before it claimed, or to none: the column refuses NULL, and that fails the whole submission.
_RESPONSE_SQL = (
    f"INSERT INTO {Response._meta.db_table}"
    " (invitation_id, survey_id, customer_id, order_id, submitted_at, language, user_agent, survey_version)"
    f" VALUES ((SELECT id FROM {Invitation._meta.db_table} WHERE id = %s AND status = %s AND answered_at = %s),"
    f" %s, %s, %s, %s, %s, %s, (SELECT version FROM {Survey._meta.db_table} WHERE id = %s)) RETURNING id"
)


@lru_cache(maxsize=32)
def _answers_sql(count: int) -> str:
    row = f"((SELECT id FROM {Response._meta.db_table} WHERE invitation_id = %s), %s, %s, %s, %s, %s, %s)"
    return "INSERT INTO {} (response_id, question_id, number, text, choices, prompt_es, prompt_en) VALUES {}".format(
        Answer._meta.db_table, ", ".join([row] * count)
    )


def _response_store(invitation, kept, questions, language, user_agent, now) -> Response:
    """Claim the invitation, then store the response, its answers, their feedback items and the change.

    Claiming is one UPDATE that locks the invitation and checks it can still be answered: a
    concurrent second submission waits for this one's commit, then claims nothing. When it claims
    nothing, the response's insert fails (IntegrityError) and nothing is stored; the
    one-response-per-invitation constraint backs it up.
    """
    moment = connection.ops.adapt_datetimefield_value(now)
    answered, expired = Invitation.Status.ANSWERED.value, Invitation.Status.EXPIRED.value
    response = Response(
        invitation_id=invitation.pk,
        survey_id=invitation.survey_id,
        customer_id=invitation.customer_id,
        order_id=invitation.order_id,
        submitted_at=now,
        language=language,
        user_agent=user_agent[:400],
    )
    by_id = {question.pk: question for question in questions}
    choices_field = Answer._meta.get_field("choices")
    answers, has_comments = [], False
    for question_id, value in kept.items():
        question = by_id[question_id]
        text = value if isinstance(value, str) and question.kind == Question.Kind.OPEN_TEXT else ""
        choices = (value if isinstance(value, list) else [value]) if question.has_choices else []
        number = value if isinstance(value, int) else None
        # the wording the customer was shown, which a later edit of the survey does not change
        answers += [invitation.pk, question_id, number, text, choices_field.get_db_prep_save(choices, connection)]
        answers += [question.prompt_es, question.prompt_en]
        has_comments = has_comments or bool(text)
    statements = [
        Statement(_CLAIM_SQL, [answered, moment, invitation.pk, moment, answered, expired]),
        Statement(
            _RESPONSE_SQL,
            [invitation.pk, answered, moment]  # the invitation claimed
            + [
                invitation.survey_id,
                invitation.customer_id,
                invitation.order_id,
                moment,
                language,
                response.user_agent,
                invitation.survey_id,
            ],
        ),
    ]
    if answers:
        statements.append(Statement(_answers_sql(len(kept)), answers))
    if has_comments:
        statements.append(feedback_items_statement(invitation=invitation, user_agent=response.user_agent))
    statements.append(changes_statement(Source.ANSWERS, [now]))
    statements.append(
        survey_answered_statement(invitation=invitation, answers=kept, questions=by_id, language=language, now=now)
    )
    if has_comments:
        statements.append(
            comments_created_statement(
                invitation=invitation, user_agent=response.user_agent, language=language, now=now
            )
        )
    returned = statements_run(*statements)
    ((response.pk,),) = returned[1]
    response._state.adding, response._state.db = False, connection.alias
    events = returned[-1] + (returned[-2] if has_comments else [])
    webhooks_deliver_after_commit([event_id for (event_id,) in events])
    if has_comments:
        items = returned[3 if answers else 2]  # after the claim, the response and the answers
        feedback_analysis_enqueue([item_id for (item_id,) in items])
    return response


LAPSED_SURVEY_SLUG = "lapsed-customers"


def lapsed_customers_invite(*, inactive_days: int = 180, now: datetime | None = None, limit: int = 500) -> int:
    """Ask customers who stopped buying why (the defection survey), once each, about their last order."""
    from django.db.models import Max

    from customers.models import Order

    now = now or timezone.now()
    survey = Survey.objects.filter(slug=LAPSED_SURVEY_SLUG, is_active=True).first()
    if survey is None:
        return 0
    asked = Invitation.objects.filter(survey=survey).values("customer_id")
    lapsed = (
        Order.objects.values("customer_id")
        .annotate(last=Max("placed_at"))
        .filter(last__lt=now - timedelta(days=inactive_days))
        .exclude(customer_id__in=asked)
        .exclude(customer__unsubscribed_at__isnull=False)
        .exclude(customer__erased_at__isnull=False)
        .order_by("last")[:limit]
    )
    created = 0
    for row in lapsed:
        order_id = (
            Order.objects.filter(customer_id=row["customer_id"], placed_at=row["last"])
            .values_list("pk", flat=True)
            .first()
        )
        if _invitation_create_for_order(survey=survey, customer_id=row["customer_id"], order_id=order_id, now=now):
            created += 1
    return created


DEFECTION_QUESTION_CODE = "defection_reason"


@transaction.atomic
def defection_reasons_apply() -> int:
    """Make the defection survey's reason question offer the active reasons, in their order.

    Answers keep the codes they were given, so a reason withdrawn later still counts in the
    dashboards under its old code; returns how many reasons are offered.
    """
    question = Question.objects.filter(survey__slug=LAPSED_SURVEY_SLUG, code=DEFECTION_QUESTION_CODE).first()
    if question is None:
        return 0
    reasons = list(DefectionReason.objects.filter(is_active=True))
    question.choices.exclude(value__in=[reason.value for reason in reasons]).delete()
    for position, reason in enumerate(reasons, start=1):
        Choice.objects.update_or_create(
            question=question,
            value=reason.value,
            defaults={"label_es": reason.label_es, "label_en": reason.label_en, "position": position},
        )
    survey_questions_forget()
    return len(reasons)
