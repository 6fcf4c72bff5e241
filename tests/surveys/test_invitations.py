from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from surveys import services
from surveys.models import Invitation
from tests.factories import CustomerFactory, InvitationFactory, OrderFactory, default_survey

pytestmark = pytest.mark.django_db


def delivered_order(*, days_ago: float, customer=None, **kwargs):
    delivered_at = timezone.now() - timedelta(days=days_ago)
    return OrderFactory(
        customer=customer or CustomerFactory(),
        placed_at=delivered_at - timedelta(days=2),
        delivered_at=delivered_at,
        **kwargs,
    )


def test_an_invitation_is_due_only_after_the_delivery_delay(django_capture_on_commit_callbacks):
    # given an order delivered yesterday and one delivered three days ago (default delay: 2 days)
    recent = delivered_order(days_ago=1)
    due = delivered_order(days_ago=3)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        created = services.invitations_schedule_due()

    # then only the older delivery is invited, and the email went out
    assert [invitation.order for invitation in created] == [due]
    assert not Invitation.objects.filter(order=recent).exists()
    invitation = Invitation.objects.get(order=due)
    assert invitation.status == Invitation.Status.SENT
    assert invitation.expires_at - invitation.created_at == timedelta(days=30)
    assert [message.to for message in mail.outbox] == [[due.customer.email]]


def test_scheduling_twice_never_creates_a_second_invitation(django_capture_on_commit_callbacks):
    delivered_order(days_ago=3)
    delivered_order(days_ago=4)

    with django_capture_on_commit_callbacks(execute=True):
        first = services.invitations_schedule_due()
    with django_capture_on_commit_callbacks(execute=True):
        second = services.invitations_schedule_due()

    assert len(first) == 2
    assert second == []
    assert Invitation.objects.count() == 2
    assert len(mail.outbox) == 2


def test_a_survey_delay_edited_in_the_admin_is_respected():
    survey = default_survey()
    survey.invitation_delay = timedelta(days=5)
    survey.save()
    delivered_order(days_ago=3)

    assert services.invitations_schedule_due() == []


def test_a_customer_with_several_deliveries_gets_one_invitation_for_the_latest():
    customer = CustomerFactory()
    delivered_order(days_ago=5, customer=customer)
    latest = delivered_order(days_ago=3, customer=customer)

    created = services.invitations_schedule_due()

    assert [invitation.order for invitation in created] == [latest]


def test_a_customer_invited_within_the_cooldown_is_not_invited_again():
    customer = CustomerFactory()
    InvitationFactory(
        order=delivered_order(days_ago=25, customer=customer), created_at=timezone.now() - timedelta(days=20)
    )
    new_order = delivered_order(days_ago=3, customer=customer)

    assert services.invitations_schedule_due() == []
    assert not Invitation.objects.filter(order=new_order).exists()


def test_after_the_cooldown_the_customer_is_invited_again():
    customer = CustomerFactory()
    InvitationFactory(
        order=delivered_order(days_ago=45, customer=customer), created_at=timezone.now() - timedelta(days=31)
    )
    new_order = delivered_order(days_ago=3, customer=customer)

    created = services.invitations_schedule_due()

    assert [invitation.order for invitation in created] == [new_order]


def test_old_deliveries_are_not_surveyed_late():
    delivered_order(days_ago=40)

    assert services.invitations_schedule_due() == []


def test_inactive_surveys_invite_nobody():
    survey = default_survey()
    survey.is_active = False
    survey.save()
    delivered_order(days_ago=3)

    assert services.invitations_schedule_due() == []


def test_a_failed_send_is_recorded_and_raised_so_the_task_retries(settings):
    settings.EMAIL_BACKEND = "tests.broken_email.BrokenEmailBackend"
    invitation = InvitationFactory(status=Invitation.Status.PENDING, sent_at=None)

    with pytest.raises(ConnectionRefusedError):
        services.invitation_send(invitation_id=invitation.pk)

    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.PENDING
    assert invitation.send_attempts == 1
    assert "ConnectionRefusedError" in invitation.last_error


def test_unsent_invitations_are_handed_over_again_by_the_sweep():
    # given an invitation whose first hand-over to the broker was lost
    invitation = InvitationFactory(
        status=Invitation.Status.PENDING, sent_at=None, created_at=timezone.now() - timedelta(minutes=30)
    )

    # when the sweep runs (tasks are eager in tests)
    dispatched = services.invitations_dispatch_unsent()

    # then it is sent, once
    assert dispatched == [invitation.pk]
    invitation.refresh_from_db()
    assert invitation.status == Invitation.Status.SENT
    assert len(mail.outbox) == 1
    assert services.invitations_dispatch_unsent() == []


def test_sending_an_already_sent_invitation_does_nothing():
    invitation = InvitationFactory(status=Invitation.Status.SENT)

    assert services.invitation_send(invitation_id=invitation.pk) is False
    assert mail.outbox == []


def test_one_reminder_is_sent_after_the_configured_days():
    sent_at = timezone.now() - timedelta(days=4)
    invitation = InvitationFactory(created_at=sent_at, sent_at=sent_at)
    InvitationFactory(created_at=timezone.now() - timedelta(days=1))  # too recent for a reminder

    due = services.invitations_due_for_reminder()
    assert due == [invitation.pk]
    assert services.invitation_remind(invitation_id=invitation.pk) is True
    assert services.invitation_remind(invitation_id=invitation.pk) is False

    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject.startswith("Recordatorio")
    assert services.invitations_due_for_reminder() == []


def test_reminders_can_be_switched_off_per_survey():
    survey = default_survey()
    survey.reminder_after = None
    survey.save()
    sent_at = timezone.now() - timedelta(days=10)
    InvitationFactory(created_at=sent_at, sent_at=sent_at)

    assert services.invitations_due_for_reminder() == []


def test_answered_invitations_get_no_reminder():
    sent_at = timezone.now() - timedelta(days=10)
    invitation = InvitationFactory(created_at=sent_at, sent_at=sent_at, status=Invitation.Status.ANSWERED)

    assert services.invitation_remind(invitation_id=invitation.pk) is False
    assert mail.outbox == []


def test_open_invitations_past_their_lifetime_expire():
    old = InvitationFactory(created_at=timezone.now() - timedelta(days=31))
    fresh = InvitationFactory()
    answered = InvitationFactory(created_at=timezone.now() - timedelta(days=40), status=Invitation.Status.ANSWERED)

    assert services.invitations_expire() == 1

    statuses = dict(Invitation.objects.values_list("pk", "status"))
    assert statuses == {
        old.pk: Invitation.Status.EXPIRED,
        fresh.pk: Invitation.Status.SENT,
        answered.pk: Invitation.Status.ANSWERED,
    }


def test_the_survey_jobs_command_runs_every_periodic_job_once(django_capture_on_commit_callbacks):
    from io import StringIO

    from django.core.management import call_command

    delivered_order(days_ago=3)
    out = StringIO()

    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_survey_jobs", stdout=out)

    assert "Invitations created: 1" in out.getvalue()
    assert Invitation.objects.get().status == Invitation.Status.SENT
    assert len(mail.outbox) == 1
