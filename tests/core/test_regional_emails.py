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
