"""A new manager's first ten minutes on a fresh shop, in headless Chromium driven by Playwright.

Sign in → home → the first-steps checklist → Settings → the survey editor → its preview → a test
survey to oneself → answering it as the customer → the answer on the Satisfaction dashboard, in
Spanish and in English, on a 390-px phone and on a desktop. Every page is saved to
docs/screenshots/onboarding/ (the README shows them); regenerate them with

    make screenshots

Each walk starts from an empty shop (the transactional test's flush, then the rows the migrations
ship), so the checklist starts at 0 and the dashboard counts only the walk's own answer.
"""

import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core import mail

from core.roles import MANAGERS, roles_sync
from surveys.models import Question, Response, Survey

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots" / "onboarding"
PASSWORD = "clave-segura-1"
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}

# What the manager reads, in each language: asserted literally, so an untranslated string fails.
TEXT = {
    "es": {
        "sign_in": "Entrar",
        "forgot": "¿Has olvidado tu contraseña?",
        "hello": "Hola, Marta",
        "signed_in": "Has entrado como marta.",
        "progress": "{done} de 7 primeros pasos hechos.",
        "continue": "Seguir configurando",
        "done": "{done} de 7 hechos",
        "sender_step": "Pon tu nombre de remitente, tu dirección y tu logotipo",
        "survey_step": "Personaliza la encuesta posventa",
        "save_settings": "Guardar ajustes",
        "saved": "Ajustes guardados.",
        "edit": "Editar",
        "save_question": "Guardar pregunta",
        "question_saved": "Pregunta guardada.",
        "add_question": "Añadir pregunta",
        "question_added": "Pregunta añadida.",
        "now_question": "es ahora la pregunta 6 de 7",
        "send_me": "Envíame la encuesta",
        "on_its_way": "La encuesta va de camino a marta@tienda.example.",
        "send_answers": "Enviar mis respuestas",
        "thanks": "¡Gracias!",
        "answered": "Respondidas",
    },
    "en": {
        "sign_in": "Sign in",
        "forgot": "Forgot your password?",
        "hello": "Hello, Marta",
        "signed_in": "Successfully signed in as marta.",
        "progress": "{done} of 7 first steps done.",
        "continue": "Continue setting up",
        "done": "{done} of 7 done",
        "sender_step": "Set your sender name, address and logo",
        "survey_step": "Customise the post-purchase survey",
        "save_settings": "Save settings",
        "saved": "Settings saved.",
        "edit": "Edit",
        "save_question": "Save question",
        "question_saved": "Question saved.",
        "add_question": "Add question",
        "question_added": "Question added.",
        "now_question": "is now question 6 of 7",
        "send_me": "Send me the survey",
        "on_its_way": "The survey is on its way to marta@tienda.example.",
        "send_answers": "Send my answers",
        "thanks": "Thank you!",
        "answered": "Answered",
    },
}

NPS_WORDING = {
    "es": "Del 0 al 10, ¿recomendarías Tienda Sol a alguien cercano?",
    "en": "From 0 to 10, would you recommend Tienda Sol to someone close to you?",
}
COMMENT = {"es": "Llegó rápido y bien embalado.", "en": "Quick, and well packed."}
PACKAGING = {"es": "¿Qué tal llegó el embalaje?", "en": "How was the packaging when it arrived?"}

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module", autouse=True)
def _screenshots_folder():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture(scope="module", autouse=True)
def _analyzer_loaded(django_db_setup, django_db_blocker):
    """The customer's comment is analysed on the spot (eager tasks); loading the pipelines the first
    time can outlast the 30 s a click waits for the next page."""
    from sentiment.runtime import get_analyzer

    with django_db_blocker.unblock():
        get_analyzer()


@pytest.fixture
def manager(django_user_model):
    roles_sync()  # the transactional flush took the role groups with it
    user = django_user_model.objects.create_user(
        "marta", email="marta@tienda.example", password=PASSWORD, is_staff=True, first_name="Marta"
    )
    user.groups.add(Group.objects.get(name=MANAGERS))
    return user


@pytest.fixture
def logo(tmp_path) -> Path:
    from PIL import Image

    path = tmp_path / "tienda-sol.png"
    Image.new("RGB", (120, 40), (230, 120, 20)).save(path)
    return path


class Walk:
    """One manager's browser, with the screenshot every step ends on."""

    def __init__(self, page, language: str, device: str):
        self.page, self.language, self.device = page, language, device
        self.text = TEXT[language]
        self.width = VIEWPORTS[device]["width"]
        self.problems: list[str] = []
        page.on("pageerror", lambda error: self.problems.append(str(error)))
        page.on("console", lambda message: self.problems.append(message.text) if message.type == "error" else None)

    def shot(self, number: int, step: str) -> None:
        """Nothing may push the page sideways; then the picture for the README."""
        page = self.page
        overflow = page.evaluate("document.documentElement.scrollWidth")
        assert overflow <= self.width, f"{step} is {overflow} px wide on a {self.width}-px screen"
        assert page.locator("html").get_attribute("lang") == self.language, step
        if page.locator(".menu-toggle").count() and page.locator(".menu-toggle").is_hidden():
            # the sections in one row: the last one must end before the account block begins
            sections_end = page.evaluate(
                "Math.max(...[...document.querySelectorAll('#staff-menu .nav-list > li')]"
                ".map((item) => item.getBoundingClientRect().right))"
            )
            assert sections_end <= page.locator(".account").bounding_box()["x"], f"{step}: the header overlaps"
        page.screenshot(path=SCREENSHOTS / f"{number:02d}-{step}-{self.language}-{self.device}.png", full_page=True)

    def flash(self) -> str:
        return self.page.locator(".flash").inner_text().strip()

    def progress(self) -> int:
        return int(self.page.locator("progress.onboarding-progress").get_attribute("value"))

    def step_done(self, key: str) -> bool:
        return self.page.locator(f"#step-{key}").get_attribute("data-done") == "true"


def survey_order() -> list[str]:
    survey = Survey.objects.get(slug="post-purchase")
    return list(survey.questions.filter(retired_at__isnull=True).order_by("position").values_list("code", flat=True))


@pytest.mark.parametrize("device", list(VIEWPORTS))
@pytest.mark.parametrize("language", ["es", "en"])
def test_a_new_manager_walks_from_sign_in_to_the_first_answer_on_the_dashboard(
    chromium, live_server, manager, logo, language, device
):
    context = chromium.new_context(
        viewport=VIEWPORTS[device],
        locale="es-ES",
        is_mobile=device == "phone",
        device_scale_factor=1,
        reduced_motion="reduce",  # charts drawn at once, not caught mid-animation
    )
    walk = Walk(context.new_page(), language, device)
    page, text = walk.page, walk.text

    # 01 sign in: the root address leads to the sign-in page; the language switch is on it, not behind a menu
    page.goto(f"{live_server.url}/")
    page.wait_for_url(re.compile(r"/accounts/login/"))
    assert page.locator(".menu-toggle").count() == 0
    switch = page.locator("#lang-select")
    assert switch.is_visible()
    if language == "en":
        with page.expect_navigation():
            switch.select_option("en")
    assert page.get_by_role("button", name=text["sign_in"], exact=True).is_visible()
    assert page.get_by_role("link", name=text["forgot"]).is_visible()
    walk.shot(1, "sign-in")
    page.fill("#id_login", "marta")
    page.fill("#id_password", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=text["sign_in"], exact=True).click()

    # 02 home: greeted by name, nothing set up yet
    page.wait_for_url(re.compile(r"/home/$"))
    assert page.locator("h1").inner_text() == text["hello"]
    assert walk.flash() == text["signed_in"]
    teaser = page.locator("#onboarding-teaser")
    assert text["progress"].format(done=0) in teaser.inner_text()
    assert teaser.locator("progress").get_attribute("value") == "0"
    walk.shot(2, "home")

    # 03 the checklist: seven steps, none done, each a link
    teaser.get_by_role("link", name=text["continue"]).click()
    page.wait_for_url(re.compile(r"/home/start/$"))
    assert page.locator("#steps > li").count() == 7
    assert walk.progress() == 0
    assert page.locator(".page-head .hint").inner_text() == text["done"].format(done=0)
    walk.shot(3, "checklist")

    # 04 Settings, from the checklist's step: sender name, address and logo
    page.locator("#step-sender").get_by_role("link", name=text["sender_step"]).click()
    page.wait_for_url(re.compile(r"/home/settings/$"))
    page.fill("#id_shop_name", "Tienda Sol")
    page.fill("#id_sender_name", "Tienda Sol")
    page.fill("#id_sender_email", "hola@tiendasol.example")
    page.set_input_files("#id_logo", str(logo))
    with page.expect_navigation():
        page.get_by_role("button", name=text["save_settings"]).click()
    assert walk.flash() == text["saved"]
    assert page.locator("#id_sender_email").input_value() == "hola@tiendasol.example"
    assert page.locator("img.logo-preview").is_visible()
    walk.shot(4, "settings")

    # 05 back on the checklist the sender step is ticked, and the count went up by one
    page.goto(f"{live_server.url}/home/start/")
    assert walk.step_done("sender")
    assert page.locator("#step-sender .step-mark").inner_text() == "✓"
    assert walk.progress() == 1
    assert not walk.step_done("survey")
    walk.shot(5, "checklist-sender-done")

    # 06 the post-purchase survey in the editor, from the checklist's step
    page.locator("#step-survey").get_by_role("link", name=text["survey_step"]).click()
    survey = Survey.objects.get(slug="post-purchase")
    page.wait_for_url(re.compile(rf"/surveys/{survey.pk}/$"))
    assert survey_order() == ["nps", "reason", "improve", "delivery_csat", "order_effort", "comment"]
    walk.shot(6, "survey-editor")

    # 07 reword the recommendation question in both languages
    nps = survey.questions.get(code="nps")
    page.locator(f"#question-{nps.pk}").get_by_role("link", name=re.compile(rf"^{text['edit']}")).click()
    page.wait_for_url(re.compile(rf"/questions/{nps.pk}/$"))
    page.fill("#id_prompt_es", NPS_WORDING["es"])
    page.fill("#id_prompt_en", NPS_WORDING["en"])
    walk.shot(7, "question-edit")
    with page.expect_navigation():
        page.get_by_role("button", name=text["save_question"]).click()
    assert walk.flash() == text["question_saved"]
    assert NPS_WORDING[language] in page.locator(f"#question-{nps.pk}").inner_text()

    # add a star rating about the packaging at the end, then move it up one place from the keyboard
    page.select_option("#add_kind", "rating")
    page.fill("#add_prompt_es", PACKAGING["es"])
    page.fill("#add_prompt_en", PACKAGING["en"])
    page.locator("#add_is_required").uncheck()
    with page.expect_navigation():
        page.get_by_role("button", name=text["add_question"], exact=True).click()
    assert walk.flash() == text["question_added"]
    assert survey_order()[-1] == "rating"
    added = survey.questions.get(code="rating")
    page.focus(f"#q{added.pk}-up")
    with page.expect_response(lambda r: r.url.endswith("/questions/order/") and r.status == 200):
        page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#order-status').textContent.trim() !== ''")
    assert survey_order() == ["nps", "reason", "improve", "delivery_csat", "order_effort", "rating", "comment"]
    assert text["now_question"] in page.locator("#order-status").inner_text()
    rows = page.locator(f".question-row .q-texts p[lang={language}]").all_inner_texts()
    assert rows[5].endswith(PACKAGING[language])
    walk.shot(8, "survey-edited")

    # 09 the preview at phone width shows the new wording and the new question in place
    frame = page.frame_locator("#survey-preview")
    frame.locator("legend", has_text=NPS_WORDING[language]).wait_for()
    assert frame.locator("fieldset.question legend").nth(5).inner_text().startswith(PACKAGING[language])
    page.goto(f"{live_server.url}/surveys/{survey.pk}/preview/?lang={language}")
    assert page.locator("legend").first.inner_text().startswith(NPS_WORDING[language])
    walk.shot(9, "survey-preview")

    # 10 the checklist ticked the survey step; send the test survey to oneself
    page.goto(f"{live_server.url}/home/start/")
    assert walk.step_done("survey")
    assert walk.progress() == 2
    mail.outbox.clear()
    with page.expect_navigation():
        page.get_by_role("button", name=text["send_me"]).click()
    assert walk.flash() == text["on_its_way"]
    assert walk.step_done("test")
    assert walk.progress() == 3
    walk.shot(10, "test-survey-sent")

    # 11 the email, in the manager's language, from the sender just set, with the survey link
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["marta@tienda.example"]
    assert "hola@tiendasol.example" in email.from_email
    link = re.search(r"https?://[^\s\"<>]+(/s/[^\s/]+/)", email.body)
    assert link, email.body

    # the customer's side: the survey page, with the new wording and the new question
    customer = context.new_page()
    walk.page = customer
    customer.goto(live_server.url + link.group(1))
    assert customer.locator("fieldset.question legend").first.inner_text().startswith(NPS_WORDING[language])
    customer.locator("label:has(input[name='q_nps'][value='9'])").click()
    customer.locator("label:has(input[name='q_delivery_csat'][value='5'])").click()
    customer.locator("label:has(input[name='q_rating'][value='4'])").click()
    customer.locator("label:has(input[name='q_order_effort'][value='6'])").click()
    customer.fill("[name='q_reason']", COMMENT[language])
    walk.shot(11, "survey-answered")
    customer.get_by_role("button", name=text["send_answers"]).click()
    customer.wait_for_url(re.compile(r"/thanks/\?lang="))
    assert customer.locator("h1").inner_text() == text["thanks"]
    walk.shot(12, "survey-thanks")
    answers = {a.question.code: a.display_value for a in Response.objects.get().answers.select_related("question")}
    assert answers["nps"] == "9" and answers["rating"] == "4" and answers["delivery_csat"] == "5"
    customer.close()

    # 13 the dashboard counts the answer: one promoter, so NPS 100, one of one invitations answered
    walk.page = page
    page.goto(f"{live_server.url}/dashboards/satisfaction/")
    assert page.locator("#kpi-nps .big").inner_text() == "100"
    funnel = page.locator("#response-funnel .funnel-step[data-step=answered]")
    assert text["answered"] in funnel.inner_text()
    assert funnel.locator(".funnel-count strong").inner_text() == "1"
    clipped = page.evaluate(
        "[...document.querySelectorAll('.funnel-label')].filter((l) => l.scrollWidth > l.clientWidth).length"
    )
    assert clipped == 0, "a funnel label runs under its bar"
    page.wait_for_function("() => [...document.querySelectorAll('canvas')].every((c) => c.width > 0)")
    walk.shot(13, "dashboard")

    # 14 home: the week's NPS, and three of seven first steps done
    page.goto(f"{live_server.url}/home/")
    assert page.locator("#kpi-nps .big").inner_text() == "100"
    assert text["progress"].format(done=3) in page.locator("#onboarding-teaser").inner_text()
    walk.shot(14, "home-after")

    assert walk.problems == []
    assert Question.objects.filter(survey=survey, code="nps", prompt_en=NPS_WORDING["en"]).exists()
    context.close()
