"""A manager reorders a survey's questions by dragging and from the keyboard, and the preview shows
the survey at phone width, in headless Chromium driven by Playwright."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group

from core.roles import MANAGERS
from surveys.models import Question, Survey

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def survey():
    survey = Survey.objects.create(slug="orden", title_es="Encuesta de orden", title_en="Order survey")
    for position, (kind, spanish, english) in enumerate(
        [
            ("nps", "¿Nos recomendarías?", "Would you recommend us?"),
            ("csat", "¿Satisfecho con la entrega?", "Happy with the delivery?"),
            ("open_text", "¿Algo más?", "Anything else?"),
        ],
        start=1,
    ):
        Question.objects.create(
            survey=survey, code=kind, kind=kind, position=position, prompt_es=spanish, prompt_en=english
        )
    return survey


@pytest.fixture
def manager_page(chromium, live_server, django_user_model):
    manager = django_user_model.objects.create_user(username="gerente", password="clave-segura-1", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    context = chromium.new_context(viewport={"width": 1280, "height": 900}, locale="es-ES")
    page = context.new_page()
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(f"{live_server.url}/admin/login/?next=/surveys/")
    page.fill("#id_login", "gerente")
    page.fill("#id_password", "clave-segura-1")
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url("**/surveys/")
    page.problems = problems
    yield page
    context.close()


def order_on_page(page) -> list[str]:
    return page.locator(".question-row .q-texts p[lang=en]").all_inner_texts()


def stored_order(survey) -> list[str]:
    return list(survey.questions.order_by("position").values_list("code", flat=True))


def press_and_settle(page, key: str) -> None:
    """Press `key` on the focused Up/Down button and wait until htmx has settled the new list.

    htmx wires the swapped-in form up only once it settles (20 ms after the swap); a key pressed
    before that submits the form without htmx, as a browser without JavaScript would. A person
    cannot press twice that fast, the test's browser can (Chromium 156.0.8078.129 did).
    """
    page.evaluate(
        "() => { window.vozSettled = false;"
        " document.body.addEventListener('htmx:afterSettle', () => { window.vozSettled = true; }, {once: true}); }"
    )
    with page.expect_response(lambda r: r.url.endswith("/questions/order/")):
        page.keyboard.press(key)
    page.wait_for_function("() => window.vozSettled === true")


def test_a_manager_reorders_questions_by_drag_and_by_keyboard(live_server, manager_page, survey):
    page = manager_page
    page.goto(f"{live_server.url}/surveys/{survey.pk}/")
    assert stored_order(survey) == ["nps", "csat", "open_text"]

    # drag the last question above the first by its handle
    handles = page.locator(".drag-handle")
    with page.expect_response(lambda r: r.url.endswith("/questions/order/") and r.status == 200):
        source, top = handles.nth(2).bounding_box(), page.locator(".question-row").first.bounding_box()
        x = source["x"] + source["width"] / 2
        page.mouse.move(x, source["y"] + source["height"] / 2)
        page.mouse.down()
        for step in range(1, 21):
            page.mouse.move(x, source["y"] + (top["y"] + 4 - source["y"]) * step / 20)
        # Sortable moves a row only on a pointer move, and not onto a row still sliding (150 ms): a
        # hand that reached the top stays there, moving a little, until the row has taken its place
        for wiggle in range(40):
            if order_on_page(page)[0].endswith("Anything else?"):
                break
            page.wait_for_timeout(50)
            page.mouse.move(x, top["y"] + 4 + wiggle % 2)
        page.mouse.up()
    page.wait_for_function("() => document.querySelector('#order-status').textContent.trim() !== ''")
    assert stored_order(survey) == ["open_text", "nps", "csat"]
    assert order_on_page(page)[0].endswith("Anything else?")

    # from the keyboard: focus the first question's Down button and press Enter twice
    moved = survey.questions.get(code="open_text")
    page.focus(f"#q{moved.pk}-down")
    press_and_settle(page, "Enter")
    page.wait_for_function(f"() => document.activeElement && document.activeElement.id === 'q{moved.pk}-down'")
    press_and_settle(page, "Enter")
    page.wait_for_selector(f"#q{moved.pk}-down[disabled]")
    assert stored_order(survey) == ["nps", "csat", "open_text"]
    assert "3" in page.locator("#order-status").inner_text()  # "…is now question 3 of 3."

    # the preview follows: the reordered survey at phone width
    frame = page.frame_locator("#survey-preview")
    frame.locator("fieldset.question").last.locator("legend", has_text="¿Algo más?").wait_for()
    assert frame.locator("legend").first.inner_text().startswith("¿Nos recomendarías?")
    assert page.locator("#survey-preview").bounding_box()["width"] == 390
    assert page.frame("survey-preview").evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=SCREENSHOTS / "survey-editor-es-desktop.png", full_page=True)
    assert page.problems == []


def test_a_change_made_before_the_preview_first_loaded_still_shows_in_it(live_server, manager_page, survey):
    # On a slow connection a manager can move a question before the preview has loaded at all: the
    # preview's first load fails here, and the change must load it all the same (reloading what the
    # frame held left it empty, or on the browser's error page, for good).
    page = manager_page
    failed_once = []

    def first_load_fails(route):
        if not failed_once:
            failed_once.append(route.request.url)
            route.abort()
        else:
            route.continue_()

    page.route("**/preview/**", first_load_fails)
    page.goto(f"{live_server.url}/surveys/{survey.pk}/")
    assert failed_once
    last = survey.questions.get(code="open_text")
    page.focus(f"#q{last.pk}-up")
    press_and_settle(page, "Enter")
    assert stored_order(survey) == ["nps", "open_text", "csat"]

    legends = page.frame_locator("#survey-preview").locator("fieldset.question legend")
    legends.nth(1).filter(has_text="¿Algo más?").wait_for()


def test_the_preview_fits_a_phone_in_both_languages(live_server, manager_page, survey):
    page = manager_page
    page.set_viewport_size({"width": 390, "height": 844})
    for language, title in (("es", "Encuesta de orden"), ("en", "Order survey")):
        page.goto(f"{live_server.url}/surveys/{survey.pk}/preview/?lang={language}")
        assert page.locator("h1").inner_text() == title
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.locator("button.submit").is_disabled()
        page.screenshot(path=SCREENSHOTS / f"survey-preview-{language}-390.png", full_page=True)

    page.goto(f"{live_server.url}/surveys/{survey.pk}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.problems == []


def test_the_editor_and_the_customer_page_pass_the_accessibility_checks(live_server, manager_page, survey):
    from tests.e2e.test_browser import axe_violations
    from tests.factories import FeedbackItemFactory, OrderFactory

    item = FeedbackItemFactory(text="El paquete llegó abierto", sentiment="negative", analysis_status="done")
    OrderFactory(customer=item.customer)
    page = manager_page
    pages = {
        "survey list": "/surveys/",
        "survey editor": f"/surveys/{survey.pk}/",
        "survey preview": f"/surveys/{survey.pk}/preview/?lang=es",
        "customers": "/customers/?q=",
        "customer": f"/customers/{item.customer_id}/",
    }
    violations = {}
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages.items():
            page.goto(f"{live_server.url}{path}")
            violations[f"{name} @ {width}"] = axe_violations(page)

    assert {name: found for name, found in violations.items() if found} == {}
    assert page.problems == []
