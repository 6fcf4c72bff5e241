"""Every staff page passes axe-core with no serious or critical violation, half of them checked in
Spanish and half in English; and the Topics dashboard, drawn from the demo shop, is screenshotted at
phone and desktop width in both languages (docs/screenshots/), with its table view and CSV download
working.

A page's markup is the same in both languages but for its words, and no axe rule this test enforces
turns on which language they are in (a missing translation shows the English words, never none):
each page is checked in one language, the languages alternating down the list, so both languages'
shell is checked on every run at half the cost. That every page is in its reader's language, down to
`<html lang>`, is test_one_language's, on the server's answers in both languages."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from core.roles import AGENTS, MANAGERS
from tests.e2e.test_browser import AXE

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# what the issue asks for: no serious or critical violation (minor and moderate ones are reported)
BLOCKING = ("serious", "critical")


@pytest.fixture
def demo_shop():
    """The demo shop (smaller than `make demo`), its data up to today so the default windows hold it."""
    from demo.seed import seed_demo

    seed_demo(seed=7, customers=60, orders=240)


def signed_in(chromium, live_server, username: str, *, language: str, width: int):
    context = chromium.new_context(
        viewport={"width": width, "height": 900},
        locale="es-ES" if language == "es" else "en-GB",
        extra_http_headers={"Accept-Language": language},
        accept_downloads=True,
    )
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/admin/login/?next=/home/")
    page.fill("#id_login", username)
    page.fill("#id_password", "clave-segura-1")
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url("**/home/")
    page.problems = problems
    return page


def blocking_violations(page) -> list[str]:
    """axe-core's serious and critical findings, with every table view opened so they are checked too."""
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    page.evaluate(AXE.read_text())
    return page.evaluate(
        """async (blocking) => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .filter(v => blocking.includes(v.impact))
            .map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(" ")).slice(0, 3)})`)""",
        list(BLOCKING),
    )


@pytest.fixture
def staff(django_user_model):
    from core.roles import roles_sync
    from support.models import Team

    roles_sync()  # a transactional test's flush removed the groups
    manager = django_user_model.objects.create_user(
        "e2e-gerente", password="clave-segura-1", is_staff=True, first_name="Marta", email="marta@tienda.example"
    )
    manager.groups.add(Group.objects.get(name=MANAGERS))
    agent = django_user_model.objects.create_user(
        "e2e-agente", password="clave-segura-1", is_staff=True, first_name="Ana", email="ana@tienda.example"
    )
    agent.groups.add(Group.objects.get(name=AGENTS))
    team = Team.objects.filter(slug="atencion-al-cliente").first()
    if team:
        team.members.add(manager, agent)
    return manager, agent


def staff_pages() -> dict[str, str]:
    from analytics.models import AlertEpisode, AlertRule
    from customers.models import Customer
    from support.models import Case
    from surveys.models import Survey

    rule = AlertRule.objects.create(name="NPS semanal bajo", kind="nps_below", threshold=20)
    episode = AlertEpisode.objects.create(rule=rule, started_at=timezone.now() - timedelta(hours=3), value=12)
    case = Case.objects.order_by("-pk").first()
    customer = Customer.objects.filter(orders__isnull=False).order_by("pk").first()
    survey = Survey.objects.order_by("pk").first()
    return {
        "home (manager)": "/home/",
        "onboarding": "/home/start/",
        "inbox": "/support/",
        "case": f"/support/cases/{case.pk}/",
        "feed": "/feedback/",
        **{
            f"dashboard {view}": f"/dashboards/{view}/"
            for view in ("satisfaction", "topics", "sources", "service", "retention", "competitors", "metrics")
        },
        "digest": "/dashboards/digest/",
        "reviews": "/reviews/?status=all",
        "customers": "/customers/",
        "customer": f"/customers/{customer.pk}/",
        "surveys": "/surveys/",
        "survey editor": f"/surveys/{survey.pk}/",
        "alerts": "/dashboards/alerts/",
        "alert rule": "/dashboards/alerts/new/",
        "fired alert": f"/dashboards/alerts/fired/{episode.pk}/",
        "settings": "/home/settings/",
        "notifications": "/support/notifications/",
        "notification settings": "/support/notifications/settings/",
        "win-back": "/support/winback/",
        "canned replies": "/support/canned/",
        "staff": "/staff/accounts/",
    }


LANGUAGES = ("es", "en")
PHONE_PAGES = ("home (manager)", "inbox", "dashboard topics", "dashboard satisfaction")
AGENT_PAGES = (("home (agent)", "/home/"), ("inbox (agent)", "/support/"), ("feed (agent)", "/feedback/"))


def in_turn(items, language: str) -> list:
    """Every other item, from the first for Spanish, from the second for English."""
    return list(items)[LANGUAGES.index(language) :: len(LANGUAGES)]


def test_every_staff_page_in_one_language_or_the_other_and_the_topics_dashboard_of_the_demo_shop(
    chromium, live_server, demo_shop, staff
):
    """One test, so the demo shop is seeded once (minutes on a busy machine) for all of it."""
    assert AXE.exists(), "axe-core is installed by `make assets` (npm ci)"
    pages = staff_pages()
    for language in LANGUAGES:
        no_serious_or_critical_violation(chromium, live_server, pages, language)
    for language in LANGUAGES:
        the_topics_dashboard_at_phone_and_desktop_width(chromium, live_server, language)


def no_serious_or_critical_violation(chromium, live_server, pages: dict[str, str], language: str) -> None:
    """This language's turn of the pages: at desktop width, a few at phone width, and the agent's."""
    violations, statuses = {}, {}

    page = signed_in(chromium, live_server, "e2e-gerente", language=language, width=1280)
    for name, path in in_turn(pages.items(), language):
        response = page.goto(f"{live_server.url}{path}")
        statuses[name] = response.status
        assert page.locator("html").get_attribute("lang") == language, name
        violations[name] = blocking_violations(page)
    page.set_viewport_size({"width": 390, "height": 844})
    for name in in_turn(PHONE_PAGES, language):
        page.goto(f"{live_server.url}{pages[name]}")
        violations[f"{name} @ 390"] = blocking_violations(page)
    manager_problems = page.problems
    page.context.close()

    page = signed_in(chromium, live_server, "e2e-agente", language=language, width=1280)
    for name, path in in_turn(AGENT_PAGES, language):
        statuses[name] = page.goto(f"{live_server.url}{path}").status
        violations[name] = blocking_violations(page)
    agent_problems = page.problems
    page.context.close()

    assert {name: status for name, status in statuses.items() if status != 200} == {}, language
    assert {name: found for name, found in violations.items() if found} == {}, language
    assert manager_problems == [] and agent_problems == [], language


def read_download(download) -> list[list[str]]:
    return list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8-sig"))))


def the_topics_dashboard_at_phone_and_desktop_width(chromium, live_server, language: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    heading = {"es": "Temas por volumen", "en": "Topics by volume"}[language]
    show_table = {"es": "Ver como tabla", "en": "Show as a table"}[language]
    for width, name in ((390, "390"), (1280, "desktop")):
        page = signed_in(chromium, live_server, "e2e-gerente", language=language, width=width)
        page.goto(f"{live_server.url}/dashboards/topics/")
        page.get_by_role("heading", name=heading).wait_for()
        page.wait_for_function("() => document.querySelector('#chart-topic-ranking').width > 0")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        assert page.locator("#topic-heatmap tbody tr").count() >= 3
        page.screenshot(path=SCREENSHOTS / f"dashboard-topics-{language}-{name}.png", full_page=True)

        # the table view holds the chart's numbers, and its CSV the same ones
        figure = page.locator("#chart-topic-ranking-figure")
        figure.get_by_text(show_table).click()
        table_rows = figure.locator("table tbody tr")
        assert table_rows.count() == page.locator("#topic-heatmap tbody tr").count()
        first_row = [text.strip() for text in table_rows.first.locator("th, td").all_text_contents()]
        with page.expect_download() as download:
            figure.locator("button[data-chart-csv]").click()
        rows = read_download(download.value)
        assert rows[1][0] == first_row[0] and int(rows[1][1]) == int(first_row[1].replace(".", "").replace(",", ""))
        with page.expect_download() as download:
            page.locator("#topic-heatmap-figure button[data-chart-csv]").click()
        heat = read_download(download.value)
        assert heat[0][0] == "topic" and len(heat) == page.locator("#topic-heatmap tbody tr").count() + 1
        assert page.problems == []
        page.context.close()
