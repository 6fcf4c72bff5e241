"""The staff Reviews page on a phone, in headless Chromium: it fits 390 px, and a manager ticks two
reviews and publishes them together."""

import pytest

from reviews.models import Review
from tests.e2e.test_staff_shell import _signed_in, manager  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_manager_publishes_two_ticked_reviews_on_a_phone(chromium, live_server, manager):  # noqa: F811
    reviews = [
        Review.objects.create(
            source="own_site",
            external_id=f"r{n}",
            rating=n,
            title=f"Reseña número {n}",
            body="Un texto bastante largo para ver que el renglón se parte bien en un teléfono pequeño " * 3,
            author_name="Lucía Fernández",
            language="es",
        )
        for n in (1, 2, 3)
    ]
    context = _signed_in(chromium, live_server, manager, width=390)
    page = context.new_page()
    page.goto(live_server.url + "/reviews/")

    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for review in reviews[1:]:
        page.locator(f'input[name="reviews"][value="{review.pk}"][form="bulk"]').check()
    page.select_option("#bulk-action", "publish")
    page.get_by_role("button", name="Aplicar").click()

    page.wait_for_selector(".flash")
    assert "2 reseñas publicadas." in page.locator(".flash").inner_text()
    assert dict(Review.objects.values_list("pk", "status")) == {
        reviews[0].pk: "pending",
        reviews[1].pk: "published",
        reviews[2].pk: "published",
    }
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    context.close()
