"""Dates and numbers follow the reader's language: Spanish 03/12/2026 and 1.234,50; English is day
first unless the shop's region is the US (12/03/2026). Identifiers never get a separator."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group
from django.db import connection

from core.models import ShopSettings
from core.roles import AGENTS
from core.shop import shop_settings_save
from support.services import case_open_manual
from tests.factories import CustomerFactory, OrderFactory

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")


@pytest.fixture
def agent(client, django_user_model):
    user = django_user_model.objects.create_user("agent", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=AGENTS))
    client.force_login(user)
    client.user = user
    return client


@pytest.fixture
def customer_page():
    customer = CustomerFactory(name="Ana Gómez")
    OrderFactory(customer=customer, placed_at=datetime(2026, 12, 3, 10, 0, tzinfo=MADRID), total=Decimal("1234.50"))
    return f"/customers/{customer.pk}/"


def region(code: str) -> None:
    shop_settings_save(ShopSettings(region=code))


def test_spanish_pages_write_day_first_dates_and_spanish_separators(agent, customer_page):
    html = agent.get(customer_page, HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "03/12/2026" in html
    assert "1.234,50 EUR" in html


def test_english_for_a_spanish_shop_is_day_first(agent, customer_page):
    region("ES")

    html = agent.get(customer_page, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "03/12/2026" in html and "12/03/2026" not in html
    assert "1,234.50 EUR" in html


def test_english_without_a_region_is_day_first(agent, customer_page):
    html = agent.get(customer_page, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "03/12/2026" in html


def test_english_for_a_us_shop_is_month_first(agent, customer_page):
    region("US")

    html = agent.get(customer_page, HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "12/03/2026" in html and "03/12/2026" not in html
    assert "1,234.50 EUR" in html
    assert 'lang="en-us"' in html and "English" in html  # still the English catalogue and switcher


def test_spanish_for_a_us_shop_stays_spanish(agent, customer_page):
    region("US")

    html = agent.get(customer_page, HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "03/12/2026" in html


def test_the_region_is_chosen_on_the_settings_page(client, django_user_model):
    from core.roles import MANAGERS

    manager = django_user_model.objects.create_user("manager", password="x", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    client.force_login(manager)

    page = client.get("/home/settings/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert 'name="region"' in page and "United States" in page


def test_case_numbers_and_links_carry_no_thousands_separator(agent):
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('support_case', 'id'), 1233)")
    case = case_open_manual(subject="Paquete roto", text="Llegó roto")
    case.assignee = agent.user
    case.save(update_fields=["assignee"])
    assert case.pk == 1234

    html = agent.get("/support/", HTTP_ACCEPT_LANGUAGE="es").content.decode()

    assert "#1234 Paquete roto" in html and 'value="1234"' in html
    assert "1.234" not in html


@pytest.mark.parametrize(("region_code", "expected"), [("ES", "03/12/2026"), ("", "03/12/2026"), ("US", "12/03/2026")])
def test_an_english_digests_subject_dates_follow_the_shops_region(region_code, expected):
    from datetime import date

    from analytics import digests

    region(region_code)
    day = date(2026, 12, 3)
    digest = digests.digest_build(frequency="daily", start=day, end=day, now=datetime(2026, 12, 4, 8, tzinfo=MADRID))

    english = digests.digest_render(digest, "en", chart_src="cid:x")
    spanish = digests.digest_render(digest, "es", chart_src="cid:x")

    assert english["subject"].endswith(f"daily digest for {expected}")
    assert spanish["subject"].endswith("03/12/2026")
