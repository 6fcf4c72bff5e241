"""The API reference pages in Spanish are in Spanish all through: not only the schema's texts but
the words Swagger UI and ReDoc draw themselves (buttons, headings, labels), which neither tool can
translate (core.api_docs, static/voz/api_docs_words.js); in English they keep their own words."""

import pytest

from tests.e2e.conftest import SCREENSHOTS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 1, "is_mobile": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}

# What a reader sees: each text outside the examples (and the texts of an element holding only
# texts, joined: "query Parameters"), and the labels, placeholders and tooltips.
SHOWN = """() => {
  const shown = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest("pre, code, script, style")) continue;
    const text = node.nodeValue.trim();
    if (text) shown.add(text);
  }
  for (const element of document.body.querySelectorAll("*")) {
    if (!element.firstElementChild && element.childNodes.length > 1 && !element.closest("pre, code, script, style"))
      shown.add(element.textContent.trim().replace(/\\s+/g, " "));
    for (const name of ["placeholder", "title", "aria-label"])
      if (element.getAttribute(name)) shown.add(element.getAttribute(name).trim());
  }
  return [...shown];
}"""

SWAGGER_WORDS = [
    "Authorize",
    "Try it out",
    "Cancel",
    "Execute",
    "Clear",
    "Parameters",
    "Name",
    "Description",
    "(query)",
    "Request body",
    "Responses",
    "Code",
    "Links",
    "No links",
    "Media type",
    "Example Value",
    "Schema",
    "Schemas",
    "Curl",
    "Request URL",
    "Server response",
    "Response body",
    "Response headers",
    "Details",
    "Copy path to clipboard",
    "Available authorizations",
    "Close",
]
# "Curl" is a program's name, the same in Spanish
SWAGGER_WORDS_IN_SPANISH_TOO = {"Curl"}

REDOC_WORDS = [
    "Search...",
    "API docs by Redocly",
    "Authorizations:",
    "query Parameters",
    "path Parameters",
    "header Parameters",
    "Parameters",
    "required",
    "Request Body schema:",
    "Responses",
    "Response Schema:",
    "Request samples",
    "Response samples",
    "Payload",
    "Content type",
    "Copy",
    "Expand all",
    "Collapse all",
    "Download",
    "Enum",
    "expand",
    "collapse",
]


def open_swagger(page, base_url: str) -> set[str]:
    """Every part of Swagger UI a reader meets: an operation tried out, one with a request body,
    the schemas, and the authorization dialog."""
    page.goto(f"{base_url}/api/docs/")
    page.wait_for_selector(".opblock-summary-control")
    listing, opening = page.locator("#operations-v1-v1_answers_list"), page.locator("#operations-v1-v1_cases_create")
    listing.locator(".opblock-summary-control").click()
    opening.locator(".opblock-summary-control").click()
    listing.locator(".try-out__btn").wait_for()
    opening.locator(".opblock-section-request-body").wait_for()
    shown = set(page.evaluate(SHOWN))
    listing.locator(".try-out__btn").click()
    listing.locator("button.execute").click()
    listing.locator(".live-responses-table").wait_for()
    shown |= set(page.evaluate(SHOWN))
    page.locator("button.authorize").first.click()
    page.wait_for_selector(".dialog-ux .modal-ux-content")
    return shown | set(page.evaluate(SHOWN))


def open_redoc(page, base_url: str) -> set[str]:
    page.goto(f"{base_url}/api/redoc/")
    page.wait_for_selector("[role=search] input", state="attached")  # in the folded menu, on a phone
    # a response opened, to show its schema
    page.locator("button:has(strong:text-is('200'))").first.click()
    page.wait_for_function("() => document.body.textContent.includes('application/json')")
    return set(page.evaluate(SHOWN))


@pytest.mark.parametrize(
    ("viewer", "words"), [(open_swagger, SWAGGER_WORDS), (open_redoc, REDOC_WORDS)], ids=["swagger", "redoc"]
)
def test_the_api_docs_draw_their_own_words_in_the_readers_language(live_server, chromium, viewer, words):
    shown = {}
    for language in ("es", "en"):
        context = chromium.new_context(**DESKTOP, extra_http_headers={"Accept-Language": language})
        shown[language] = viewer(context.new_page(), live_server.url)
        context.close()

    assert [word for word in words if word not in shown["en"]] == []
    left_in_english = [word for word in words if word in shown["es"] and word not in SWAGGER_WORDS_IN_SPANISH_TOO]
    assert left_in_english == []
    # the schema's own words stay as they are: an operation's id, a field's name, a schema's name
    assert {"v1_answers_list", "webhook-id", "PaginatedSurveyResponseList"} & shown["es"]


def test_the_spanish_docs_name_their_buttons_in_spanish(live_server, chromium):
    context = chromium.new_context(**DESKTOP, extra_http_headers={"Accept-Language": "es"})
    page = context.new_page()
    open_swagger(page, live_server.url)
    dialog = page.locator(".dialog-ux")
    assert dialog.get_by_role("button", name="Aplicar las credenciales").count() == 2  # one per scheme
    dialog.get_by_role("button", name="Cerrar").first.click()
    assert page.get_by_role("button", name="Ejecutar").count() == 1
    open_redoc(page, live_server.url)
    assert page.get_by_placeholder("Buscar…").count() == 1
    assert page.get_by_text("Parámetros de consulta").count() > 0
    assert page.get_by_text("Esquema de la respuesta:").count() == 1
    # "apiToken o cookieAuth": ReDoc writes the joiner with CSS
    joiner = page.evaluate("""() => getComputedStyle(
      [...document.querySelectorAll("i")].find((i) => i.textContent === "apiToken").parentElement.parentElement,
      "::after").content""")
    assert joiner == '" o "'
    context.close()


WIDTH = "() => document.documentElement.scrollWidth"


@pytest.mark.parametrize(("device", "options"), [("390", PHONE), ("desktop", DESKTOP)])
def test_the_spanish_docs_are_no_wider_than_the_english(live_server, chromium, device, options):
    """Spanish words are longer: they must not push the pages sideways (pictures in artifacts/)."""
    widths = {}
    for language in ("es", "en"):
        context = chromium.new_context(**options, extra_http_headers={"Accept-Language": language})
        page = context.new_page()
        open_swagger(page, live_server.url)
        page.screenshot(path=SCREENSHOTS / f"api-docs-swagger-authorize-{language}-{device}.png")
        page.locator(".dialog-ux button.btn-done").first.click()
        page.locator("#operations-v1-v1_answers_list .opblock-section-header").first.scroll_into_view_if_needed()
        page.screenshot(path=SCREENSHOTS / f"api-docs-swagger-{language}-{device}.png")
        swagger = page.evaluate(WIDTH)
        open_redoc(page, live_server.url)
        page.screenshot(path=SCREENSHOTS / f"api-docs-redoc-{language}-{device}.png")
        page.locator("h5:has(+ *), h5").filter(has_text="application/json").first.scroll_into_view_if_needed()
        page.screenshot(path=SCREENSHOTS / f"api-docs-redoc-operation-{language}-{device}.png")
        widths[language] = (swagger, page.evaluate(WIDTH))
        context.close()

    width = options["viewport"]["width"]
    assert all(es <= max(en, width) for es, en in zip(widths["es"], widths["en"], strict=True)), widths
