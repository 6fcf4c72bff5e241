"""The staff shell: where the root address sends each person, and one navigation on every staff page."""

import pytest
from django.conf import settings
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse

from core.nav import nav_for

pytestmark = pytest.mark.django_db

# Pages of the URLconf that are not staff pages: public pages, the API, the admin (its own look),
# fragments loaded into a page and file downloads.
NOT_STAFF_PAGES = {
    "surveys",
    "onsite",
    "admin",
    "support-followup",
    "inbound-email",
    "set_language",
    "shop-logo",
    "root",
    "analytics:digest-unsubscribe",
    "feedback:feed-export",
    "support:notification-bell",
    "accounts:sso",  # single sign-on's settings: administrators only
}


def _staff_page_names() -> list[str]:
    """Every named URL without arguments outside the API, walking the URLconf as it is now."""

    def walk(resolver, namespace=""):
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace != "admin":
                    yield from walk(pattern, pattern.namespace or namespace)
            elif isinstance(pattern, URLPattern) and pattern.name and not pattern.pattern.regex.groups:
                yield f"{namespace}:{pattern.name}" if namespace else pattern.name

    names = []
    for name in walk(get_resolver()):
        try:
            path = reverse(name)
        except NoReverseMatch:  # a name allauth also gives a pattern with arguments
            continue
        # allauth's own pages (sign-in, two-factor, sessions) are the account's, not the staff app's
        if name.startswith(("account_", "mfa_", "socialaccount_", "usersessions_", "openid_connect")):
            continue
        if path.startswith("/api/") or name in NOT_STAFF_PAGES or name.split(":")[0] in NOT_STAFF_PAGES:
            continue
        names.append(name)
    return sorted(set(names))


def test_the_root_sends_a_visitor_to_the_login_page(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))
    assert "next=/home/" in response["Location"]


def test_the_root_sends_a_signed_in_customer_account_to_the_login_page(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("shopper", password="x"))
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))


@pytest.mark.parametrize("role", ["as_agent", "as_manager"])
def test_the_root_sends_staff_to_their_home(role, request):
    client = request.getfixturevalue(role)
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:home")


def test_every_staff_page_has_the_one_navigation(as_manager, manager):
    names = _staff_page_names()
    assert "staff:home" in names and "support:inbox" in names and "analytics:satisfaction" in names
    for name in names:
        response = as_manager.get(reverse(name))
        if response.status_code in (302, 405):  # an action (POST only), not a page
            continue
        html = response.content.decode()
        assert response.status_code in (200, 400), name
        assert 'id="staff-menu"' in html, f"{name} lacks the staff navigation"
        assert 'class="menu-toggle"' in html, name
        assert "set_language" in html or "/i18n/setlang/" in html, name
        assert "Marta" in html, name


def test_a_case_page_has_the_navigation_too(as_agent, agent):
    from support.services import case_assign, case_open_manual

    case = case_assign(case=case_open_manual(subject="Llegó roto", text="Llegó roto"), assignee=agent)
    html = as_agent.get(reverse("support:case", args=[case.pk])).content.decode()
    assert 'id="staff-menu"' in html


def test_the_navigation_shows_what_the_role_may_open(agent, manager):
    agent_keys = {item["key"] for item in nav_for(agent)}
    manager_items = {item["key"]: item for item in nav_for(manager)}
    assert {"home", "inbox", "feed"} <= agent_keys
    assert not {"dashboards", "settings"} & agent_keys
    assert {"home", "inbox", "feed", "dashboards", "settings"} <= set(manager_items)
    dashboards = [child["key"] for child in manager_items["dashboards"]["children"]]
    assert dashboards == ["satisfaction", "topics", "sla", "retention", "competitors"]


def test_a_section_whose_page_is_not_installed_is_left_out(manager, monkeypatch):
    from core import nav

    monkeypatch.setattr(nav, "NAV", (*nav.NAV, nav.Section("later", "Later", ("nowhere:page",))))
    assert "later" not in {item["key"] for item in nav.nav_for(manager)}
    monkeypatch.setattr(nav, "NAV", (*nav.NAV, nav.Section("later", "Later", ("nowhere:page", "support:inbox"))))
    assert "later" in {item["key"] for item in nav.nav_for(manager)}


def test_the_header_marks_the_current_page_and_names_the_role(as_agent):
    html = as_agent.get(reverse("support:inbox"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'<a href="{reverse("support:inbox")}" aria-current="page">' in html
    assert "Ana" in html
    assert "Support agent" in html or "Agente de soporte" in html


def test_only_the_pages_own_section_is_marked_current(manager):
    items = {item["key"]: item for item in nav_for(manager, path=reverse("staff:settings"))}
    assert items["settings"]["is_current"] is True
    assert items["home"]["is_current"] is False  # /home/ is a prefix of /home/settings/

    items = {item["key"]: item for item in nav_for(manager, current="dashboards", path="/dashboards/service/")}
    assert items["dashboards"]["is_current"] is True
    assert [child["key"] for child in items["dashboards"]["children"] if child["is_current"]] == ["sla"]
