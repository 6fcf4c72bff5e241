"""A customer answers the survey on a phone, in headless Chromium driven by Playwright."""

import re
from pathlib import Path

import pytest

from surveys.models import Invitation, Response
from tests.factories import CustomerFactory, InvitationFactory, OrderFactory

SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module", autouse=True)
def _analyzer_loaded(django_db_setup, django_db_blocker):
    """Comments submitted here are analysed on the spot (eager tasks). A process's first analysis
    loads the model and the language pipelines, which on a busy machine outlasts the 30 s a click
    waits for the page that follows."""
    from sentiment.runtime import get_analyzer

    with django_db_blocker.unblock():
        get_analyzer()


@pytest.fixture
def phone(chromium):
    """A fresh phone for every test: no cookies, headers or pages left by another test."""
    context = chromium.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1, is_mobile=True)
    yield context.new_page()
    context.close()


def choose(page, name: str, value: int) -> None:
    """Tap the scale button a customer sees (the radio input itself is visually covered)."""
    page.locator(f"label:has(input[name='{name}'][value='{value}'])").click()


def test_a_customer_answers_in_spanish_on_a_phone(live_server, phone):
    invitation = InvitationFactory()
    page = phone
    page.goto(f"{live_server.url}/s/{invitation.token}/")

    assert page.locator("h1").inner_text() == "¿Qué tal tu pedido?"
    improve = page.locator("fieldset.question--multiple_choice")
    assert improve.is_hidden()  # shown only for detractors
    page.screenshot(path=SCREENSHOTS / "survey-es-390.png", full_page=True)

    # a detractor score reveals the follow-up question
    choose(page, "q_nps", 3)
    assert improve.is_visible()
    page.get_by_label("La entrega").check()
    page.get_by_label("¿Cuál es el motivo principal de tu puntuación?").fill("El paquete llegó tarde y abierto.")

    # forgetting the delivery rating shows an error next to it, and nothing is stored
    page.get_by_role("button", name="Enviar mis respuestas").click()
    assert page.locator("#id_q_delivery_csat-error").inner_text().strip() == "Responde a esta pregunta, por favor."
    assert page.locator("#error-summary").is_visible()
    assert Response.objects.count() == 0
    page.screenshot(path=SCREENSHOTS / "survey-es-390-error.png", full_page=True)

    choose(page, "q_delivery_csat", 1)
    page.get_by_role("button", name="Enviar mis respuestas").click()

    assert page.locator("h1").inner_text() == "¡Gracias!", page.url
    page.screenshot(path=SCREENSHOTS / "survey-es-390-thanks.png", full_page=True)
    response = Response.objects.get(invitation=invitation)
    answers = {answer.question.code: answer.display_value for answer in response.answers.select_related("question")}
    assert answers == {
        "nps": "3",
        "improve": "delivery",
        "reason": "El paquete llegó tarde y abierto.",
        "delivery_csat": "1",
    }
    assert Invitation.objects.get(pk=invitation.pk).status == Invitation.Status.ANSWERED


def test_the_page_fits_a_phone_in_english(live_server, phone):
    invitation = InvitationFactory(customer=CustomerFactory(preferred_language="en"), language="en")
    page = phone
    page.goto(f"{live_server.url}/s/{invitation.token}/")

    assert page.locator("h1").inner_text() == "How was your order?"
    # nothing overflows sideways on a 390-px screen
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=SCREENSHOTS / "survey-en-390.png", full_page=True)


def test_an_agent_assigns_a_case_and_replies_to_the_customer(live_server, phone, django_user_model):
    from django.contrib.auth.models import Permission

    from support import services
    from support.models import Case, Team
    from tests.factories import FeedbackItemFactory

    agent = django_user_model.objects.create_user(username="agente", password="clave-segura-1", is_staff=True)
    agent.user_permissions.add(*Permission.objects.filter(codename__in=["view_case", "change_case"]))
    Team.objects.get(slug="atencion-al-cliente").members.add(agent)
    for text in ("El paquete llegó abierto", "Me cobraron dos veces"):
        item = FeedbackItemFactory(
            text=text, sentiment="negative", sentiment_score=-0.9, sentiment_confidence=0.95, analysis_status="done"
        )
        services.cases_open_for_feedback(ids=[item.pk])
    page = phone
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server.url}/admin/login/?next=/support/")
    page.fill("#id_login", "agente")
    page.fill("#id_password", "clave-segura-1")
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url("**/support/")
    page.screenshot(path=SCREENSHOTS / "inbox-desktop.png")

    # j selects the first case, a assigns it to me
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("a")
    assert Case.objects.filter(assignee=agent).count() == 1

    # Enter opens the case; the page fits a phone
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url("**/support/cases/**")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.locator("#sla-title").is_visible()
    page.screenshot(path=SCREENSHOTS / "case-390.png", full_page=True)

    # the agent answers the customer from the phone
    case = Case.objects.get(pk=int(page.url.rstrip("/").split("/")[-1]))
    assert case.first_response_at is None
    page.fill("#id_reply-text", "Sentimos lo ocurrido: le enviamos un pedido nuevo hoy mismo.")
    with page.expect_navigation():
        page.get_by_role("button", name="Send reply").click()
    assert page.get_by_text("Sentimos lo ocurrido: le enviamos un pedido nuevo hoy mismo.").first.is_visible()
    page.screenshot(path=SCREENSHOTS / "case-390-replied.png", full_page=True)
    case.refresh_from_db()
    assert case.first_response_at is not None and case.status == "open"
    assert case.messages.filter(kind="reply", author=agent).count() == 1
    from core.models import AuditEvent

    assert AuditEvent.objects.filter(actor=agent, action="case.replied", target_id=str(case.pk)).exists()


def test_an_agent_inserts_a_canned_reply_filled_in_for_the_customer(live_server, phone, django_user_model):
    from django.contrib.auth.models import Permission

    from support import services
    from support.models import CannedReply, Team
    from tests.factories import CustomerFactory, FeedbackItemFactory

    agent = django_user_model.objects.create_user(username="agente", password="clave-segura-1", is_staff=True)
    agent.user_permissions.add(*Permission.objects.filter(codename__in=["view_case", "change_case"]))
    Team.objects.get(slug="atencion-al-cliente").members.add(agent)
    CannedReply.objects.create(
        title="Reembolso", language="es", text="Hola, {customer_name}: te devolvemos el importe."
    )
    item = FeedbackItemFactory(
        customer=CustomerFactory(name="Lucía"),
        text="Me cobraron dos veces",
        sentiment="negative",
        sentiment_score=-0.9,
        sentiment_confidence=0.95,
        analysis_status="done",
    )
    (case,) = services.cases_open_for_feedback(ids=[item.pk])
    page = phone
    page.goto(f"{live_server.url}/admin/login/?next=/support/cases/{case.pk}/")
    page.fill("#id_login", "agente")
    page.fill("#id_password", "clave-segura-1")
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url(f"**/support/cases/{case.pk}/")

    page.fill("#id_reply-text", "Gracias por avisar. ")
    page.select_option("#canned-reply", label="Reembolso (ES)")

    assert page.input_value("#id_reply-text") == "Gracias por avisar. Hola, Lucía: te devolvemos el importe."


def test_a_manager_sees_every_dashboard_drawn_without_policy_violations(live_server, phone, django_user_model):
    """Charts render under the Content-Security-Policy, in Spanish, and the language switch works."""
    from datetime import timedelta

    from django.contrib.auth.models import Group
    from django.utils import timezone

    from core.roles import MANAGERS
    from tests.analytics.test_analytics import answered

    manager = django_user_model.objects.create_user(username="gerente", password="clave-segura-1", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    for weeks, (nps, csat) in enumerate([(10, 5), (9, 4), (3, 2), (8, 4)]):
        answered(nps, csat, timezone.now() - timedelta(days=3 + 7 * weeks))
    # a year of monthly cohorts makes the cohort table wider than a phone: it must scroll inside
    # its own box, not widen the page
    for months in range(12):
        OrderFactory(placed_at=timezone.now() - timedelta(days=30 * months + 2))
    page = phone
    page.context.set_extra_http_headers({"Accept-Language": "es-ES,es;q=0.9"})
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda response: problems.append(response.url) if response.status >= 400 else None)
    page.goto(f"{live_server.url}/admin/login/?next=/dashboards/satisfaction/")
    page.fill("#id_login", "gerente")
    page.fill("#id_password", "clave-segura-1")
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url("**/dashboards/satisfaction/")

    for view in ("satisfaction", "topics", "sources", "competitors", "service", "retention"):
        page.goto(f"{live_server.url}/dashboards/{view}/")
        # every chart is drawn, or says what data it waits for (a dashboard with no data draws none)
        page.wait_for_function(
            "() => document.querySelectorAll('figure.chart-card').length > 0"
            " && [...document.querySelectorAll('canvas')].every(c => c.width > 0)"
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, view
        page.screenshot(path=SCREENSHOTS / f"dashboard-{view}-es-390.png", full_page=True)
    # the formulas page and the digest preview hold long formulas and an email's tables
    for view in ("metrics", "digest"):
        page.goto(f"{live_server.url}/dashboards/{view}/")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, view
    assert page.locator("html").get_attribute("lang") == "es"

    page.click(".menu-toggle")  # on a phone the language switch sits in the folded menu
    with page.expect_navigation():
        page.select_option("#lang-select", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert problems == []


def test_a_visitor_sends_feedback_through_the_widget_on_a_shop_page(live_server, phone):
    from urllib.parse import urlsplit

    from feedback.models import FeedbackItem
    from onsite.models import Site, WebFeedback

    Site.objects.create(name="Tienda Demo", domains=urlsplit(live_server.url).netloc)
    page = phone
    page.context.set_extra_http_headers(
        {"User-Agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126.0 Mobile Safari/537.36"}
    )
    page.goto(f"{live_server.url}/w/demo/")
    tab = page.get_by_role("button", name="Opinión")
    tab.wait_for()
    page.screenshot(path=SCREENSHOTS / "widget-shop-390.png")

    # Escape closes the dialog and gives the focus back to the tab
    tab.click()
    dialog = page.get_by_role("dialog", name="¿Qué te parece esta página?")
    assert dialog.is_visible()
    page.keyboard.press("Escape")
    assert dialog.count() == 0
    focused = page.evaluate("document.querySelector('[data-voz-widget]').shadowRoot.activeElement.textContent")
    assert focused == "Opinión"

    # sending nothing is refused in the page; a rating and a comment go through
    tab.click()
    page.get_by_role("button", name="Enviar").click()
    assert page.get_by_text("Elige una valoración o escribe un comentario.").is_visible()
    page.get_by_role("button", name="2 · Mala").click()
    page.get_by_label("¿Quieres contarnos algo? (opcional)").fill("No encuentro los gastos de envío antes de pagar.")
    page.screenshot(path=SCREENSHOTS / "widget-dialog-390.png")
    page.get_by_role("button", name="Enviar").click()
    page.get_by_text("¡Gracias! Lo leeremos con atención.").wait_for()

    stored = WebFeedback.objects.get()
    assert stored.rating == 2 and stored.device == "mobile" and stored.page_url.endswith("/w/demo/")
    assert FeedbackItem.objects.get(web_feedback=stored).channel == "web"
    # the shop's own styles are untouched by the widget's
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("Georgia")


def test_a_visitor_is_offered_the_survey_on_the_shop_page_answers_it_and_is_not_asked_again(
    live_server, phone, settings
):
    from urllib.parse import urlsplit

    from onsite.models import Intercept, Site
    from tests.factories import default_survey

    settings.VOZ_PUBLIC_BASE_URL = live_server.url  # where survey links point
    site = Site.objects.create(name="Tienda Demo", domains=urlsplit(live_server.url).netloc)
    intercept = Intercept.objects.create(
        site=site, survey=default_survey(), name="Producto", page_patterns="/w/demo/*", seconds_on_page=1
    )
    page = phone
    page.goto(f"{live_server.url}/w/demo/")

    # after a second on the page the invitation opens by itself
    offer = page.get_by_role("dialog", name="¿Qué tal tu pedido?")
    offer.wait_for(timeout=10_000)
    assert page.get_by_text("¿Nos respondes unas preguntas rápidas?").is_visible()
    page.screenshot(path=SCREENSHOTS / "intercept-offer-390.png")
    invitation = Invitation.objects.get(intercept=intercept)
    assert invitation.customer is None and invitation.page_url.endswith("/w/demo/")

    # accepting opens the survey in a new tab and closes the invitation
    with page.context.expect_page() as opened:
        page.get_by_role("link", name="Sí, responder").click()
    survey = opened.value
    survey.wait_for_load_state()
    assert survey.locator("h1").inner_text() == "¿Qué tal tu pedido?"
    assert offer.count() == 0
    choose(survey, "q_nps", 9)
    choose(survey, "q_delivery_csat", 5)
    survey.get_by_label("¿Cuál es el motivo principal de tu puntuación?").fill("Encontré la taza que buscaba.")
    survey.get_by_role("button", name="Enviar mis respuestas").click()
    assert survey.locator("h1").inner_text() == "¡Gracias!"
    assert Response.objects.get(invitation=invitation).customer is None

    # the same visitor coming back is not asked again
    page.reload()
    page.get_by_role("button", name="Opinión").wait_for()
    page.wait_for_timeout(2500)
    assert page.get_by_role("dialog").count() == 0
    assert Invitation.objects.filter(intercept=intercept).count() == 1


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page) -> list[str]:
    """What axe-core (WCAG 2.x A/AA rules, colour contrast included) finds wrong on the page."""
    page.evaluate(AXE.read_text())
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
            .map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map(n => n.target.join(" ")).slice(0, 3)})`)"""
    )
    return found


def test_every_page_customers_and_staff_use_passes_the_accessibility_checks(live_server, phone, django_user_model):
    from datetime import timedelta

    from django.contrib.auth.models import Group
    from django.utils import timezone

    from core.roles import MANAGERS
    from customers.emailing import unsubscribe_token
    from support import services
    from support.models import Case, Team
    from tests.analytics.test_analytics import answered
    from tests.factories import FeedbackItemFactory

    assert AXE.exists(), "axe-core is installed by `make assets` (npm ci)"
    page = phone
    page.context.set_extra_http_headers({"Accept-Language": "es-ES,es;q=0.9"})
    violations = {}

    # the customer: the survey, the survey with an error, the thanks page
    invitation = InvitationFactory()
    page.goto(f"{live_server.url}/s/{invitation.token}/")
    violations["survey"] = axe_violations(page)
    choose(page, "q_nps", 3)
    page.get_by_role("button", name="Enviar mis respuestas").click()
    page.wait_for_selector("#error-summary")
    violations["survey with errors"] = axe_violations(page)
    page.get_by_label("La entrega").check()
    choose(page, "q_delivery_csat", 2)
    page.get_by_role("button", name="Enviar mis respuestas").click()
    page.wait_for_url("**/thanks/**")
    violations["thanks"] = axe_violations(page)
    customer = invitation.customer
    page.goto(f"{live_server.url}/u/{unsubscribe_token(customer=customer, address=customer.email, language='es')}/")
    violations["unsubscribe"] = axe_violations(page)

    # staff: the inbox, a case, the feed, every dashboard
    manager = django_user_model.objects.create_user(username="gerente", password="clave-segura-1", is_staff=True)
    manager.groups.add(Group.objects.get(name=MANAGERS))
    Team.objects.get(slug="atencion-al-cliente").members.add(manager)
    item = FeedbackItemFactory(
        text="El paquete llegó abierto",
        sentiment="negative",
        sentiment_score=-0.9,
        sentiment_confidence=0.95,
        analysis_status="done",
    )
    services.cases_open_for_feedback(ids=[item.pk])
    for weeks, (nps, csat) in enumerate([(10, 5), (9, 4), (3, 2), (8, 4)]):
        answered(nps, csat, timezone.now() - timedelta(days=3 + 7 * weeks))
    # a year of monthly cohorts makes the cohort table wider than a phone: it must scroll inside
    # its own box, not widen the page
    for months in range(12):
        OrderFactory(placed_at=timezone.now() - timedelta(days=30 * months + 2))
    page.goto(f"{live_server.url}/admin/login/?next=/support/")
    page.fill("#id_login", "gerente")
    page.fill("#id_password", "clave-segura-1")
    page.click("form.auth-form button[type=submit]")
    page.wait_for_url("**/support/")
    staff_pages = {
        "inbox": "/support/",
        "case": f"/support/cases/{Case.objects.get().pk}/",
        "feed": "/feedback/",
        "win-back": "/support/winback/",
        **{f"dashboard {view}": f"/dashboards/{view}/" for view in ("satisfaction", "topics", "service", "retention")},
    }
    for name, path in staff_pages.items():
        page.goto(f"{live_server.url}{path}")
        violations[name] = axe_violations(page)

    assert {name: found for name, found in violations.items() if found} == {}
    assert len(violations) == 4 + len(staff_pages)


@pytest.mark.parametrize(
    ("language", "heading", "average", "count", "verified", "sort_label", "helpful"),
    [
        (
            "es",
            "Reseñas de clientes",
            "4,2 de 5 estrellas",
            "6 reseñas",
            "Compra verificada",
            "Ordenar por",
            "Sí (0)",
        ),
        ("en", "Customer reviews", "4.2 out of 5 stars", "6 reviews", "Verified buyer", "Sort by", "Yes (0)"),
    ],
)
def test_a_shopper_sees_the_stars_and_reviews_on_the_product_page(
    live_server, phone, language, heading, average, count, verified, sort_label, helpful
):
    from datetime import timedelta
    from urllib.parse import urlsplit

    from django.utils import timezone

    from onsite.models import Site
    from reviews.models import Review, ReviewReply
    from tests.factories import ProductFactory

    Site.objects.create(name="Tienda Demo", domains=urlsplit(live_server.url).netloc)
    mug = ProductFactory(sku="TAZA-AZUL", name="Taza esmaltada azul")
    texts = [
        (5, "Preciosa", "El azul es aún más bonito en persona.", True),
        (4, "Muy bonita", "Algo pequeña para el café de la mañana.", False),
        (2, "Llegó rota", "El asa venía despegada; me enviaron otra.", True),
        (5, "Repetiré", "Ya he pedido dos más para regalar.", True),
        (5, "Perfecta", "Aguanta el lavavajillas sin perder color.", False),
        (4, "Bonita", "El esmalte tiene alguna burbuja, nada grave.", False),
    ]
    for n, (rating, title, body, verified_buyer) in enumerate(texts):
        review = Review.objects.create(
            source="own_site",
            external_id=f"e2e-{n}",
            product=mug,
            rating=rating,
            title=title,
            body=body,
            author_name=["Lucía Pérez", "John Smith", "Marta Gil", "Ana Ruiz", "Pablo Sanz", "Eva Mora"][n],
            is_verified_buyer=verified_buyer,
            status="published",
            created_at=timezone.now() - timedelta(days=n * 3),
        )
        if rating <= 2:
            ReviewReply.objects.create(review=review, text="Sentimos el golpe: la nueva ya va de camino.")
    Review.objects.create(
        source="own_site", external_id="e2e-hidden", product=mug, rating=1, body="Oculta", status="pending"
    )

    page = phone
    page.goto(f"{live_server.url}/w/demo/?sku=TAZA-AZUL&lang={language}")
    widget = page.locator("[data-voz-reviews]")
    widget.get_by_role("heading", name=heading).wait_for()
    widget.get_by_text(verified).first.wait_for()

    assert widget.get_by_role("img", name=average).is_visible()  # the average, in stars, in the page's locale
    assert widget.get_by_text(count, exact=True).is_visible()
    assert widget.locator("li").count() == 5  # the first page
    assert widget.get_by_text("Preciosa").is_visible() and widget.get_by_text("Oculta").count() == 0
    assert widget.get_by_label(sort_label).is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate("document.cookie") == ""
    page.screenshot(path=SCREENSHOTS / f"reviews-widget-{language}-390.png", full_page=True)

    # the shop's reply, sorted by lowest rating first; a helpful vote counts once
    widget.get_by_label(sort_label).select_option("lowest")
    lowest = widget.locator("li").first
    lowest.get_by_text("Llegó rota").wait_for()
    assert lowest.get_by_text("Sentimos el golpe").is_visible()
    lowest.get_by_role("button", name=helpful).click()
    lowest.get_by_role("button", name=re.compile(r"\(1\)")).wait_for()
    assert Review.objects.get(external_id="e2e-2").helpful_count == 1
    page.screenshot(path=SCREENSHOTS / f"reviews-widget-{language}-390-lowest.png", full_page=True)
    # the shop's own styles are untouched
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("Georgia")
