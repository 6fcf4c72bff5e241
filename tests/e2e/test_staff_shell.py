"""The staff header on a phone and a desktop, in headless Chromium: it fits, and the menu opens."""

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client

from core.roles import AGENTS, MANAGERS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _signed_in(chromium, live_server, user, *, width: int):
    client = Client()
    client.force_login(user)
    context = chromium.new_context(viewport={"width": width, "height": 844})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            },
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": "es", "url": live_server.url},
        ]
    )
    return context


@pytest.fixture
def manager(django_user_model):
    from core.roles import roles_sync

    roles_sync()  # a transactional test's flush removed the groups
    user = django_user_model.objects.create_user("marta", password="x", is_staff=True, first_name="Marta")
    user.groups.add(Group.objects.get(name=MANAGERS))
    return user


@pytest.fixture
def agent(django_user_model, manager):
    user = django_user_model.objects.create_user("ana", password="x", is_staff=True, first_name="Ana")
    user.groups.add(Group.objects.get(name=AGENTS))
    return user


@pytest.mark.parametrize("path", ["/home/", "/support/", "/dashboards/satisfaction/", "/home/settings/"])
def test_a_manager_uses_the_menu_on_a_phone_without_sideways_scrolling(chromium, live_server, manager, path):
    context = _signed_in(chromium, live_server, manager, width=390)
    page = context.new_page()
    page.goto(live_server.url + path)

    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    header_height = page.locator(".staff-header").bounding_box()["height"]
    assert header_height < 80  # one bar, not a tall column of links
    inbox_link = page.locator("#staff-menu").get_by_role("link", name="Bandeja", exact=True)
    assert inbox_link.is_hidden()

    page.get_by_role("button", name="Menú").click()

    assert page.get_by_role("button", name="Menú").get_attribute("aria-expanded") == "true"
    assert inbox_link.is_visible()
    page.locator(".nav-group summary").click()
    assert page.locator("#staff-menu").get_by_role("link", name="Satisfacción").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()


def test_the_notification_preferences_note_reads_whole_on_a_phone_while_the_table_scrolls(chromium, live_server, agent):
    context = _signed_in(chromium, live_server, agent, width=390)
    page = context.new_page()
    page.goto(live_server.url + "/support/notifications/settings/")

    # the Spanish table is wider than a phone: it scrolls in its own box, the page does not
    box = page.locator(".table-scroll")
    assert box.evaluate("(el) => el.scrollWidth > el.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # and the note on team chat and the digest is not cut off with the table
    note = page.get_by_text("Las publicaciones en el chat van al chat del equipo del caso")
    right = note.bounding_box()["x"] + note.bounding_box()["width"]
    assert right <= 390 and note.evaluate("(el) => el.scrollWidth <= el.clientWidth")
    context.close()


def test_an_agent_follows_the_menu_on_a_phone(chromium, live_server, agent):
    context = _signed_in(chromium, live_server, agent, width=390)
    page = context.new_page()
    page.goto(live_server.url + "/home/")
    page.get_by_role("button", name="Menú").click()
    page.locator("#staff-menu").get_by_role("link", name="Opiniones").click()
    page.wait_for_url("**/feedback/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#staff-menu .nav-group").count() == 0
    context.close()


def test_on_a_desktop_the_sections_are_in_one_row(chromium, live_server, manager):
    context = _signed_in(chromium, live_server, manager, width=1280)
    page = context.new_page()
    page.goto(live_server.url + "/home/")
    assert page.locator(".menu-toggle").is_hidden()
    assert page.locator("#staff-menu").get_by_role("link", name="Bandeja", exact=True).is_visible()
    assert page.locator(".staff-header").bounding_box()["height"] < 70
    page.locator(".nav-group summary").click()
    page.locator("#staff-menu").get_by_role("link", name="Temas").click()
    page.wait_for_url("**/dashboards/topics/")
    context.close()
