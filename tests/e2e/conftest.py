import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def chromium():
    """One Chromium per worker for every browser test (starting one took longer than most of them);
    each test opens contexts of its own, so no cookie, header or page passes from one to the next.

    Playwright's sync API keeps an event loop marked as running in this thread while it lives, so
    Django's guard against synchronous database calls from async code stays off from the first
    browser test on: the ORM calls in the tests are synchronous, and Voz has no async code the
    guard could catch. The browser tests are transactional and run near the end of a worker's
    share (tests/conftest.py), after the tests that use the database without a browser."""
    playwright_sync = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail("chromium is not installed: apt-get install -y chromium chromium-driver")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as monkeypatch, playwright_sync.sync_playwright() as playwright:
        monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--no-first-run"],
        )
        yield browser
        browser.close()
