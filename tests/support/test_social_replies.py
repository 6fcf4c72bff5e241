"""A reply to a social post: Voz cannot post it, so it is a draft the agent posts by hand, and only
the agent's confirmation counts as the first response on the SLA clock."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client

from core.roles import MANAGERS
from feedback.models import FeedbackItem
from social.services import MentionData, mentions_upsert
from support import services
from support.models import Case, CaseMessage, Team

pytestmark = pytest.mark.django_db
MADRID = ZoneInfo("Europe/Madrid")
MONDAY_10 = datetime(2026, 3, 2, 10, 0, tzinfo=MADRID)


def social_case() -> Case:
    (result,) = mentions_upsert(
        items=[
            MentionData(
                platform="x",
                external_id="m-77",
                text="@tienda mi pedido lleva dos semanas sin llegar, vergüenza",
                author_handle="@lucia",
                url="https://x.example/lucia/status/77",
                language="es",
                posted_at=MONDAY_10,
            )
        ]
    )
    item = FeedbackItem.objects.get(mention=result.obj)
    FeedbackItem.objects.filter(pk=item.pk).update(
        sentiment="negative", sentiment_score=-0.9, sentiment_confidence=0.9, analysis_status="done"
    )
    (case,) = services.cases_open_for_feedback(ids=[item.pk], now=MONDAY_10)
    assert case.customer is None and case.social_author == "x:lucia"
    return case


def first_response_status(case: Case, at: datetime) -> str:
    return next(s.status for s in services.case_sla_states(case, now=at) if s.name == "first_response")


def test_a_reply_to_a_social_post_is_a_draft_and_does_not_stop_the_clock(
    admin_user, django_capture_on_commit_callbacks
):
    case = social_case()

    with django_capture_on_commit_callbacks(execute=True):
        draft = services.case_reply(
            case=case, text="Lucía, te escribimos por privado", author=admin_user, now=MONDAY_10 + timedelta(hours=1)
        )

    case.refresh_from_db()
    assert draft.needs_manual_post and draft.posted_at is None and draft.is_unposted_draft
    assert case.first_response_at is None and case.status == "new"
    assert first_response_status(case, MONDAY_10 + timedelta(hours=2)) == "running"
    assert mail.outbox == [] and draft.emailed_at is None  # nothing was sent anywhere
    assert case.events.filter(kind="reply_drafted").exists() and not case.events.filter(kind="replied").exists()


def test_the_agents_confirmation_is_the_first_response(admin_user):
    case = social_case()
    draft = services.case_reply(case=case, text="Lo miramos ya", author=admin_user, now=MONDAY_10 + timedelta(hours=1))

    services.case_reply_confirm_posted(message=draft, actor=admin_user, now=MONDAY_10 + timedelta(hours=3))
    services.case_reply_confirm_posted(message=draft, actor=admin_user, now=MONDAY_10 + timedelta(hours=5))

    case.refresh_from_db()
    draft.refresh_from_db()
    assert case.first_response_at == MONDAY_10 + timedelta(hours=3)  # when posted, not when drafted; once
    assert (draft.posted_at, draft.posted_by) == (MONDAY_10 + timedelta(hours=3), admin_user)
    assert case.status == "open" and case.awaiting_response_since is None
    assert first_response_status(case, MONDAY_10 + timedelta(hours=4)) == "met"
    assert case.events.filter(kind="reply_posted").count() == 1


def test_an_emailed_reply_still_counts_at_once_and_cannot_be_confirmed_as_posted(admin_user):
    from tests.support.test_cases import analysed, detractor_comment

    item = analysed(detractor_comment(), "negative", -0.9)
    (case,) = services.cases_open_for_feedback(ids=[item.pk], now=MONDAY_10)
    reply = services.case_reply(case=case, text="Lo sentimos", author=admin_user, now=MONDAY_10 + timedelta(hours=1))

    case.refresh_from_db()
    assert not reply.needs_manual_post and case.first_response_at == MONDAY_10 + timedelta(hours=1)
    with pytest.raises(services.CaseActionRefused):
        services.case_reply_confirm_posted(message=reply, actor=admin_user)


def test_the_agent_drafts_copies_and_confirms_on_the_case_page(django_user_model):
    case = social_case()
    manager = django_user_model.objects.create_user("gerente", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    Team.objects.get(slug="atencion-al-cliente").members.add(manager)
    client = Client()
    client.force_login(manager)
    page = client.get(f"/support/cases/{case.pk}/").content.decode()
    assert "Redactar respuesta" in page and "Enviar respuesta" not in page  # no "Send" where Voz sends nothing

    response = client.post(f"/support/cases/{case.pk}/reply/", {"reply-text": "Lucía, ya está en camino"}, follow=True)
    page = response.content.decode()
    draft = CaseMessage.objects.get(case=case, kind="reply")
    assert draft.is_unposted_draft
    assert f'data-copy-from="message-{draft.pk}-text"' in page
    assert 'href="https://x.example/lucia/status/77"' in page
    assert Case.objects.get(pk=case.pk).first_response_at is None

    client.post(f"/support/cases/{case.pk}/posted/", {"message": draft.pk})
    draft.refresh_from_db()
    assert draft.posted_at is not None and draft.posted_by == manager
    assert Case.objects.get(pk=case.pk).first_response_at == draft.posted_at
    # another case's message, or nonsense, is refused without a server error
    assert client.post(f"/support/cases/{case.pk}/posted/", {"message": "x"}).status_code == 404
