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


def spanish_buttons_and_headings_of_swagger(page) -> dict:
    dialog = page.locator(".dialog-ux")
    found = {"apply": dialog.get_by_role("button", name="Aplicar las credenciales").count()}  # one per scheme
    dialog.get_by_role("button", name="Cerrar").first.click()
    found["execute"] = page.get_by_role("button", name="Ejecutar").count()
    return found


def spanish_words_of_redoc(page) -> dict:
    return {
        "search": page.get_by_placeholder("Buscar…").count(),
        "query parameters": page.get_by_text("Parámetros de consulta").count(),
        "response schema": page.get_by_text("Esquema de la respuesta:").count(),
        # "apiToken o cookieAuth": ReDoc writes the joiner with CSS
        "joiner": page.evaluate("""() => getComputedStyle(
          [...document.querySelectorAll("i")].find((i) => i.textContent === "apiToken").parentElement.parentElement,
          "::after").content"""),
    }


WIDTH = "() => document.documentElement.scrollWidth"


def visit(chromium, base_url: str, language: str, device: str, options: dict) -> dict:
    """Swagger UI then ReDoc, as a reader in `language` on `device` meets them: the words shown, the
    pages' widths and the screenshots (in artifacts/)."""
    context = chromium.new_context(**options, extra_http_headers={"Accept-Language": language})
    page = context.new_page()
    seen = {"swagger words": open_swagger(page, base_url)}
    page.screenshot(path=SCREENSHOTS / f"api-docs-swagger-authorize-{language}-{device}.png")
    if language == "es":
        seen["swagger in spanish"] = spanish_buttons_and_headings_of_swagger(page)
    else:
        page.locator(".dialog-ux button.btn-done").first.click()
    page.locator("#operations-v1-v1_answers_list .opblock-section-header").first.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / f"api-docs-swagger-{language}-{device}.png")
    swagger_width = page.evaluate(WIDTH)
    seen["redoc words"] = open_redoc(page, base_url)
    if language == "es":
        seen["redoc in spanish"] = spanish_words_of_redoc(page)
    page.screenshot(path=SCREENSHOTS / f"api-docs-redoc-{language}-{device}.png")
    page.locator("h5:has(+ *), h5").filter(has_text="application/json").first.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOTS / f"api-docs-redoc-operation-{language}-{device}.png")
    seen["widths"] = (swagger_width, page.evaluate(WIDTH))
    context.close()
    return seen


# One visit per language and width serves every check below: each visit draws the whole schema in
# both viewers, seconds of a browser's time.
@pytest.mark.parametrize(("device", "options"), [("390", PHONE), ("desktop", DESKTOP)])
def test_the_api_docs_speak_the_readers_language_and_the_spanish_ones_are_no_wider(
    live_server, chromium, device, options
):
    seen = {language: visit(chromium, live_server.url, language, device, options) for language in ("es", "en")}

    # Spanish words are longer: they must not push the pages sideways
    width = options["viewport"]["width"]
    widths = {language: seen[language]["widths"] for language in seen}
    assert all(es <= max(en, width) for es, en in zip(widths["es"], widths["en"], strict=True)), widths

    # the buttons and headings the viewers draw themselves, in Spanish
    assert seen["es"]["swagger in spanish"] == {"apply": 2, "execute": 1}
    redoc = seen["es"]["redoc in spanish"]
    assert (redoc["search"], redoc["response schema"], redoc["joiner"]) == (1, 1, '" o "')
    assert redoc["query parameters"] > 0

    for viewer, words in (("swagger", SWAGGER_WORDS), ("redoc", REDOC_WORDS)):
        shown = {language: seen[language][f"{viewer} words"] for language in seen}
        if device == "desktop":  # the phone folds some of them into menus
            assert [word for word in words if word not in shown["en"]] == [], viewer
        left_in_english = [word for word in words if word in shown["es"] and word not in SWAGGER_WORDS_IN_SPANISH_TOO]
        assert left_in_english == [], viewer
        # the schema's own words stay as they are: an operation's id, a field's name, a schema's name
        assert {"v1_answers_list", "webhook-id", "PaginatedSurveyResponseList"} & shown["es"], viewer
