"""Emails are written outside any request (Celery workers), yet they date and count as the pages
do: by the reader's language and the shop's region (core.shop.regional_override), so a US shop's
English reads month first, every other shop's English day first, and Spanish 3/12/2026 and 23,3."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from analytics import alerts
from analytics.models import AlertRule
from core.models import ShopSettings
from core.roles import AGENTS
from core.shop import shop_settings_save
from support import notify, services
from support.models import StaffProfile
from surveys.models import Invitation
from surveys.services import invitation_send
from tests.core.test_webhooks import no_wake_up  # noqa: F401
from tests.factories import CustomerFactory, InvitationFactory
from tests.support.test_notifications import complaint, first_response_breach, make_person, team  # noqa: F401

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")


def invitation_email(language: str, region: str = ""):
    shop_settings_save(ShopSettings(region=region))
    customer = CustomerFactory(preferred_language=language)
    invitation = InvitationFactory(
        customer=customer,
        language=language,
        status=Invitation.Status.PENDING,
        sent_at=None,
        expires_at=datetime(2026, 12, 3, 12, 0, tzinfo=MADRID),
    )
    invitation_send(invitation_id=invitation.pk, now=datetime(2026, 11, 20, tzinfo=MADRID))
    (message,) = mail.outbox
    return message.body + message.alternatives[0][0]


def test_a_us_shops_english_invitation_is_dated_month_first():
    email = invitation_email("en", region="US")

    assert "works until Dec. 3, 2026." in email
    assert "3 Dec 2026" not in email


def test_a_non_us_shops_english_invitation_is_dated_day_first():
    email = invitation_email("en", region="ES")

    assert "works until 3 Dec 2026." in email


def test_a_spanish_invitation_is_dated_day_first_even_for_a_us_shop():
    email = invitation_email("es", region="US")

    assert "3 de diciembre de 2026" in email


def test_a_us_shops_case_email_to_staff_gives_the_due_time_month_first(make_person, team):  # noqa: F811
    shop_settings_save(ShopSettings(region="US"))
    ana = make_person("ana", role=AGENTS, team=team, language="en", zone="America/New_York")
    case = complaint()
    services.case_assign(case=case, assignee=ana)
    case.refresh_from_db()
    mail.outbox.clear()
    breached_at = first_response_breach(case)

    services.sla_check(now=breached_at)
    notify.deliveries_send_due(now=breached_at)

    email = next(message for message in mail.outbox if "breached" in message.subject)
    # a first complaint is Normal: 8 business hours from Monday 10:00 in Madrid, due Tuesday 10:00 there
    assert "Due: March 3, 2026, 4 a.m. (America/New_York)" in email.body


def test_an_alert_email_speaks_each_readers_language_with_its_numbers(make_person):  # noqa: F811
    from tests.analytics.test_alerts import NOW
    from tests.analytics.test_analytics import answered

    AlertRule.objects.all().delete()
    make_person("jefa", language="en")  # jefa@shop.example reads English; the shop's default is Spanish
    for csat in (5, 5, 5, 4, 4, 4, 4, 3, 2, 1):
        answered(9, csat, NOW - timedelta(days=1))
    for _ in range(20):
        answered(9, 2, NOW - timedelta(days=3))  # 7 of 30 satisfied: 23.3 %
    AlertRule.objects.create(
        name="CSAT", kind="csat_below", threshold=80, emails="jefa@shop.example\ncompras@otra.example"
    )

    assert alerts.alerts_check(now=NOW) == 1

    by_address = {message.to[0]: message for message in mail.outbox if message.subject.startswith("[Voz] CSAT")}
    assert set(by_address) == {"jefa@shop.example", "compras@otra.example"}
    assert by_address["jefa@shop.example"].subject == "[Voz] CSAT: 23.3"
    assert "Value: 23.3" in by_address["jefa@shop.example"].body
    assert by_address["compras@otra.example"].subject == "[Voz] CSAT: 23,3"
    assert "Valor: 23,3" in by_address["compras@otra.example"].body
    assert "Value" not in by_address["compras@otra.example"].body
    assert StaffProfile.objects.get(user__username="jefa").language == "en"


# ---------------------------------------------------------------------------------------
# Notices after a change made in the admin or on the staff pages: in their reader's language,
# never in the server's (settings.LANGUAGE_CODE, Spanish) nor in that of whoever made the change
# ---------------------------------------------------------------------------------------
def webhook_owner_notice(capture_on_commit) -> str:
    """An admin makes Marta the owner of an API client in the admin, then its endpoint fails for
    three days from Monday 2 March 2026, 10:00 in Madrid: the notice she gets."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    from core import webhooks
    from core.models import ApiClient
    from tests.core.test_webhooks import T0, Receiver, endpoint_for, open_case

    User = get_user_model()
    root = User.objects.create_superuser("root", "root@shop.example", "x")
    owner = User.objects.create_user("marta", email="marta@shop.example", first_name="Marta")
    receiver = Receiver()
    receiver.status = 500
    try:
        endpoint = endpoint_for(receiver.url)
        admin = Client(HTTP_ACCEPT_LANGUAGE="es")
        admin.force_login(root)
        changed = admin.post(
            f"/admin/core/apiclient/{endpoint.client_id}/change/",
            {
                "name": "ERP",
                "scopes": endpoint.client.scopes,
                "is_active": "on",
                "owner": owner.pk,
                "owner_language": "",
            },
        )
        assert changed.status_code == 302
        assert ApiClient.objects.get(pk=endpoint.client_id).owner == owner
        endpoint.failing_since = T0
        endpoint.save(update_fields=["failing_since"])
        open_case(now=T0 + timedelta(days=3))
        webhooks.events_fan_out(now=T0 + timedelta(days=3))
        with capture_on_commit(execute=True):
            webhooks.webhooks_dispatch(now=T0 + timedelta(days=3, minutes=1))
    finally:
        receiver.server.shutdown()
        receiver.server.server_close()
    (message,) = [message for message in mail.outbox if message.to == ["marta@shop.example"]]
    return f"{message.subject}\n{message.body}"


@pytest.mark.parametrize(
    ("language", "region", "said"),
    [
        ("en", "ES", "since 2 Mar 2026, 10:00 has failed"),
        ("en", "US", "since March 2, 2026, 10 a.m. has failed"),
        ("es", "US", "desde el 2 de marzo de 2026 a las 10:00 han fallado"),
    ],
)
@pytest.mark.usefixtures("no_wake_up")
def test_a_webhook_owner_named_in_the_admin_without_a_language_is_told_in_the_shops(
    django_capture_on_commit_callbacks, language, region, said
):
    shop_settings_save(ShopSettings(default_language=language, region=region))

    notice = webhook_owner_notice(django_capture_on_commit_callbacks)

    assert said in notice


def test_an_api_client_added_in_the_admin_keeps_its_owner_and_takes_the_shops_language(django_user_model):
    from django.test import Client

    from core.models import ApiClient

    shop_settings_save(ShopSettings(default_language="en"))
    root = django_user_model.objects.create_superuser("root", "root@shop.example", "x")
    owner = django_user_model.objects.create_user("marta", email="marta@shop.example")
    admin = Client(HTTP_ACCEPT_LANGUAGE="es")
    admin.force_login(root)

    offered = admin.get("/admin/core/apiclient/add/").context["adminform"].form["owner_language"].value()
    added = admin.post(
        "/admin/core/apiclient/add/",
        {"name": "ERP", "scopes": ["orders:read"], "is_active": "on", "owner": owner.pk, "owner_language": ""},
    )

    assert added.status_code == 302
    api_client = ApiClient.objects.get(name="ERP")
    assert offered == "en"
    assert (api_client.owner, api_client.owner_language) == (owner, "en")


def test_an_unhappy_customers_case_owner_hears_in_their_language(make_person, django_capture_on_commit_callbacks):  # noqa: F811
    from tests.support.test_followup_loop import answer, open_case

    ana = make_person("ana", language="en")  # the server and the customer speak Spanish
    case = open_case(assignee=ana, language="es")
    with django_capture_on_commit_callbacks(execute=True):
        services.case_set_status(case=case, status="resolved")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        answer(case, 2)

    (email,) = mail.outbox
    assert email.to == ["ana@shop.example"]
    assert email.subject == f"[Voz] Case #{case.pk} reopened: the customer says the problem is not solved"
    assert "Follow-up answer: 2 of 5" in email.body and "Customer: Lucía" in email.body


def test_what_staff_send_a_customer_whose_language_nobody_knows_is_in_the_shops_language():
    from customers.models import MarketingConsent
    from reviews.services import review_reply_email_send
    from support.winback import winback_email_send, winback_send
    from tests.customers.test_emailing import review_reply_for

    shop_settings_save(ShopSettings(default_language="en"))
    customer = CustomerFactory(
        email="lucia@example.com", name="Lucía", preferred_language="", marketing_consent=MarketingConsent.GRANTED
    )

    review_reply_email_send(reply_id=review_reply_for(customer).pk)
    winback_email_send(email_id=winback_send(customer=customer).pk)

    reply, winback = mail.outbox
    assert "replied" in reply.subject and "Thank you for your review" in reply.body
    assert winback.subject == "Lucía, we want to do better for you"
