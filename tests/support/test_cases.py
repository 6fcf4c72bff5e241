"""Complaints become cases; priority is explained; SLA clocks pause, resume and warn once."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone, translation

from feedback.models import FeedbackItem
from reviews.services import ReviewData, reviews_upsert
from social.services import MentionData, mentions_upsert
from support import services
from support.models import Case, CasePause, SLANotice, SLAPolicy, Team
from tests.factories import FeedbackItemFactory, InvitationFactory
from tests.support.business_time_reference import due_by_walking

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=MADRID)


def analysed(item: FeedbackItem, sentiment: str, score: float, confidence: float = 0.9) -> FeedbackItem:
    FeedbackItem.objects.filter(pk=item.pk).update(
        sentiment=sentiment, sentiment_score=score, sentiment_confidence=confidence, analysis_status="done"
    )
    item.refresh_from_db()
    return item


def detractor_comment(nps: int = 2, text: str = "Llegó roto y nadie contesta") -> FeedbackItem:
    from surveys.services import response_submit

    invitation = InvitationFactory(language="es")
    questions = {q.code: q.pk for q in invitation.survey.questions.all()}
    response_submit(
        invitation=invitation,
        answers={questions["nps"]: nps, questions["delivery_csat"]: 3, questions["comment"]: text},
        language="es",
    )
    return FeedbackItem.objects.get(survey_answer__response__invitation=invitation)


def explained(case, language: str = "es") -> str:
    with translation.override(language):
        return "\n".join(case.priority_explanation)


def test_a_detractor_comment_opens_a_case_with_an_explained_priority_and_sla():
    item = analysed(detractor_comment(nps=2), "negative", -0.9)

    (case,) = services.cases_open_for_feedback(ids=[item.pk], now=MONDAY_10)

    case.refresh_from_db()
    assert case.customer == item.customer and case.channels == ["survey"] and case.status == "new"
    assert list(case.feedback_items.all()) == [item]
    assert "NPS 2" in explained(case) and "puntos" in explained(case)
    assert "queja repetida" not in explained(case), "a customer's first complaint is no repeat"
    assert case.policy is not None and case.policy.priorities in ([case.priority], [])
    assert case.sla_due_at is not None and case.sla_due_at > MONDAY_10
    assert case.events.filter(kind="opened").exists()


def test_praise_opens_no_case_and_running_twice_changes_nothing():
    happy = analysed(detractor_comment(nps=10, text="Todo perfecto"), "positive", 0.9)
    angry = analysed(detractor_comment(nps=1), "negative", -0.95)

    services.cases_open_for_feedback(ids=[happy.pk, angry.pk], now=MONDAY_10)
    services.cases_open_for_feedback(ids=[happy.pk, angry.pk], now=MONDAY_10)

    assert Case.objects.count() == 1
    happy.refresh_from_db()
    assert happy.case is None


def test_a_one_star_review_and_a_loud_negative_mention_open_cases():
    (review,) = reviews_upsert(items=[ReviewData("own_site", "r1", 1, body="Horrible, llegó roto", language="es")])
    (mention,) = mentions_upsert(
        items=[MentionData("x", "m1", "@TiendaDemo 3 semanas esperando mi pedido", "influencer", 150_000)]
    )
    review_item = analysed(FeedbackItem.objects.get(review=review.obj), "negative", -0.5, confidence=0.4)
    mention_item = analysed(FeedbackItem.objects.get(mention=mention.obj), "negative", -0.9)

    cases = services.cases_open_for_feedback(ids=[review_item.pk, mention_item.pk], now=MONDAY_10)

    by_channel = {case.channels[0]: case for case in cases}
    assert "1★ review" in explained(by_channel["review"], "en")
    loud = by_channel["social"]
    assert loud.social_author == "x:influencer" and "150.000 seguidores" in explained(loud)
    assert loud.priority == "urgent"


def test_a_second_complaint_from_the_same_customer_joins_the_open_case():
    first = analysed(detractor_comment(), "negative", -0.9)
    (case,) = services.cases_open_for_feedback(ids=[first.pk], now=MONDAY_10)
    second = analysed(
        FeedbackItemFactory(customer=first.customer, channel="review", text="Y otra vez mal"), "negative", -0.9
    )

    case.refresh_from_db()
    assert "queja repetida" not in explained(case)

    services.cases_open_for_feedback(ids=[second.pk], now=MONDAY_10 + timedelta(hours=1))

    assert Case.objects.count() == 1
    case.refresh_from_db()
    assert set(case.feedback_items.values_list("pk", flat=True)) == {first.pk, second.pk}
    assert case.channels == ["survey", "review"]
    assert "queja repetida" in explained(case)


def test_a_resolved_case_reopens_on_a_new_complaint_or_a_customer_reply(admin_user):
    item = analysed(detractor_comment(), "negative", -0.9)
    (case,) = services.cases_open_for_feedback(ids=[item.pk], now=MONDAY_10)
    services.case_set_status(case=case, status="resolved", actor=admin_user, now=MONDAY_10 + timedelta(hours=1))

    services.case_customer_message(case=case, text="Sigue sin funcionar", now=MONDAY_10 + timedelta(hours=2))
    case.refresh_from_db()
    assert (case.status, case.resolved_at) == ("open", None)

    services.case_set_status(case=case, status="resolved", actor=admin_user, now=MONDAY_10 + timedelta(hours=3))
    again = analysed(FeedbackItemFactory(customer=item.customer, text="Fatal"), "negative", -0.9)
    services.cases_open_for_feedback(ids=[again.pk], now=MONDAY_10 + timedelta(hours=4))
    case.refresh_from_db()
    assert case.status == "open" and Case.objects.count() == 1
    assert case.events.filter(kind="reopened").count() == 2


def test_an_internal_note_is_not_a_response_but_a_public_reply_is(admin_user):
    item = analysed(detractor_comment(), "negative", -0.9)
    (case,) = services.cases_open_for_feedback(ids=[item.pk], now=MONDAY_10)

    services.case_note(case=case, text="Revisar con almacén", author=admin_user)
    case.refresh_from_db()
    assert case.first_response_at is None

    services.case_reply(
        case=case, text="Te enviamos otro hoy mismo", author=admin_user, now=MONDAY_10 + timedelta(minutes=30)
    )
    case.refresh_from_db()
    assert case.first_response_at == MONDAY_10 + timedelta(minutes=30) and case.status == "open"
    states = {s.name: s for s in services.case_sla_states(case, now=MONDAY_10 + timedelta(hours=1))}
    assert states["first_response"].status == "met"


def test_waiting_for_the_customer_pauses_the_clock_and_the_pause_survives_a_policy_change(admin_user):
    item = analysed(detractor_comment(), "negative", -0.9)
    (case,) = services.cases_open_for_feedback(ids=[item.pk], now=MONDAY_10)
    services.case_reply(case=case, text="¿Nos mandas una foto?", author=admin_user, now=MONDAY_10 + timedelta(hours=1))
    before = {s.name: s for s in services.case_sla_states(case, now=MONDAY_10 + timedelta(hours=1))}["resolution"]

    services.case_set_status(case=case, status="pending_customer", actor=admin_user, now=MONDAY_10 + timedelta(hours=1))
    paused = {s.name: s for s in services.case_sla_states(case, now=MONDAY_10 + timedelta(hours=5))}["resolution"]
    services.case_customer_message(case=case, text="Aquí está la foto", now=MONDAY_10 + timedelta(days=1))
    services.case_set_priority(case=case, priority="low", actor=admin_user)  # another policy now applies
    case.refresh_from_db()
    resumed = {s.name: s for s in services.case_sla_states(case, now=MONDAY_10 + timedelta(days=1))}["resolution"]

    assert paused.status == "paused" and paused.due_at is None and paused.elapsed == before.elapsed
    pause = CasePause.objects.get(case=case)
    assert pause.ended_at == MONDAY_10 + timedelta(days=1)
    assert resumed.status == "running" and resumed.elapsed == timedelta(hours=1)
    assert case.policy.is_default


def test_a_case_paused_past_its_due_time_is_due_after_the_pause_in_the_inbox_panel_and_email(
    django_user_model, admin_user, client, django_capture_on_commit_callbacks
):
    agent = django_user_model.objects.create_user(username="ana", email="ana@shop.example", password="x")
    item = analysed(detractor_comment(), "negative", -0.9)
    (case,) = services.cases_open_for_feedback(ids=[item.pk], now=MONDAY_10)
    services.case_assign(case=case, assignee=agent, actor=admin_user)
    services.case_reply(case=case, text="¿Nos mandas una foto?", author=admin_user, now=MONDAY_10 + timedelta(hours=1))
    # the customer takes ten days to answer, well past the resolution target without the pause
    paused_at, resumed_at = MONDAY_10 + timedelta(hours=1), datetime(2026, 3, 12, 7, 55, tzinfo=MADRID)
    services.case_set_status(case=case, status="pending_customer", actor=admin_user, now=paused_at)
    services.case_set_status(case=case, status="open", actor=admin_user, now=resumed_at)
    case.refresh_from_db()
    calendar = case.policy.calendar.to_calendar()
    due = due_by_walking(calendar, MONDAY_10, case.policy.resolution, [(paused_at, resumed_at)])

    assert due > resumed_at
    assert case.sla_due_at == due  # the inbox orders and flags by it
    client.force_login(admin_user)
    page = client.get(f"/support/cases/{case.pk}/").content.decode()
    assert f"{due.astimezone(MADRID):%d/%m/%Y %H:%M}" in page
    warning_at = due_by_walking(calendar, MONDAY_10, case.policy.resolution * 0.75, [(paused_at, resumed_at)])
    with django_capture_on_commit_callbacks(execute=True):
        services.sla_check(now=warning_at)
    (email,) = mail.outbox
    local_due = due.astimezone(MADRID)
    # in Spanish (the shop's language, ana has chosen none), in Madrid time
    assert f"Vence: {local_due.day} de " in email.body
    assert f"de {local_due.year} a las {local_due:%H:%M} (Europe/Madrid)" in email.body


def test_policies_match_in_order_and_the_default_catches_the_rest():
    vip = Team.objects.create(name="VIP", slug="vip")
    special = SLAPolicy.objects.create(
        name="VIP social", position=1, channels=["social"], first_response=timedelta(minutes=30)
    )
    special.teams.add(vip)

    assert services.sla_policy_for(priority="low", channels=["social"], team=vip) == special
    assert services.sla_policy_for(priority="low", channels=["survey"], team=vip).is_default
    assert services.sla_policy_for(priority="urgent", channels=["survey"], team=None).name == "Urgente"
    SLAPolicy.objects.filter(name="Urgente").update(is_active=False)
    assert services.sla_policy_for(priority="urgent", channels=["survey"], team=None).is_default


def test_warnings_and_breaches_are_sent_once_to_the_assignee(
    django_user_model, admin_user, django_capture_on_commit_callbacks
):
    agent = django_user_model.objects.create_user(username="ana", email="ana@shop.example", password="x")
    item = analysed(detractor_comment(), "negative", -0.9)
    (case,) = services.cases_open_for_feedback(ids=[item.pk], now=MONDAY_10)
    services.case_assign(case=case, assignee=agent, actor=admin_user)
    target = case.policy.first_response
    calendar = case.policy.calendar.to_calendar()
    # business time, which stops for lunch and the night
    with django_capture_on_commit_callbacks(execute=True):
        services.sla_check(now=due_by_walking(calendar, MONDAY_10, target * 0.8, []))
        services.sla_check(now=due_by_walking(calendar, MONDAY_10, target * 0.85, []))
    warnings = list(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        services.sla_check(now=MONDAY_10 + target + timedelta(days=3))
        services.sla_check(now=MONDAY_10 + target + timedelta(days=3, minutes=5))

    assert [m.to for m in warnings] == [["ana@shop.example"]]
    assert "a punto de incumplir" in warnings[0].subject
    kinds = sorted(SLANotice.objects.filter(case=case).values_list("target", "kind"))
    assert ("first_response", "breach") in kinds and ("first_response", "warning") in kinds
    assert len(kinds) == len(set(kinds))
    # each breach reaches ana and, the team having no manager, the admin (the only one above her)
    breaches = [m for m in mail.outbox if "incumplido" in m.subject]
    breach_count = sum(1 for _target, kind in kinds if kind == "breach")
    assert sorted(m.to[0] for m in breaches) == sorted(["ana@shop.example", admin_user.email] * breach_count)
    assert len(mail.outbox) == len(warnings) + len(breaches)


def test_closed_cases_cannot_jump_back_to_pending(admin_user):
    item = analysed(detractor_comment(), "negative", -0.9)
    (case,) = services.cases_open_for_feedback(ids=[item.pk], now=MONDAY_10)
    services.case_set_status(case=case, status="closed", actor=admin_user)

    with pytest.raises(services.CaseActionRefused):
        services.case_set_status(case=case, status="pending_customer", actor=admin_user)
    assert timezone.now() >= Case.objects.get().closed_at


def test_the_sweep_opens_cases_for_complaints_whose_hand_over_was_lost():
    item = FeedbackItemFactory(
        sentiment="negative",
        sentiment_score=-0.9,
        sentiment_confidence=0.95,
        analysis_status="done",
        analysed_at=timezone.now(),
    )
    calm = FeedbackItemFactory(
        sentiment="positive",
        sentiment_score=0.9,
        sentiment_confidence=0.95,
        analysis_status="done",
        analysed_at=timezone.now(),
    )

    assert services.cases_sweep() == 1
    assert services.cases_sweep() == 0
    item.refresh_from_db()
    calm.refresh_from_db()
    assert item.case is not None and calm.case is None


def test_staff_open_a_case_by_hand_in_the_admin(admin_client):
    response = admin_client.post(
        "/admin/support/case/add/",
        {
            "subject": "Llamada de Ana",
            "priority": "high",
            "status": "new",
            "channels": "[]",
            "social_author": "",
            "messages-TOTAL_FORMS": "0",
            "messages-INITIAL_FORMS": "0",
            "events-TOTAL_FORMS": "0",
            "events-INITIAL_FORMS": "0",
        },
        follow=True,
    )

    case = Case.objects.get(subject="Llamada de Ana")
    assert response.status_code == 200
    assert case.priority == "high" and case.policy is not None and case.sla_due_at is not None
    assert case.events.filter(kind="opened_by_hand").exists()
