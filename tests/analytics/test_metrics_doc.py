"""The page "How Voz computes its numbers": reachable from every dashboard, in the staff's language,
and saying what the code does."""

import pytest

from analytics import metrics

DASHBOARDS = [
    "/dashboards/satisfaction/",
    "/dashboards/topics/",
    "/dashboards/sources/",
    "/dashboards/competitors/",
    "/dashboards/service/",
    "/dashboards/retention/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", DASHBOARDS)
def test_every_dashboard_links_to_how_its_numbers_are_computed(client, manager, url):
    page = client.get(url).content.decode()

    footer = page.split('<footer class="dashboard-footer">')[1].split("</footer>")[0]
    assert 'href="/dashboards/metrics/"' in footer and "Cómo calcula Voz sus números" in footer


@pytest.mark.django_db
def test_the_page_explains_the_numbers_in_the_staffs_language(client, manager):
    spanish = client.get("/dashboards/metrics/").content.decode()
    english = client.get("/dashboards/metrics/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "<h1>Cómo calcula Voz sus números</h1>" in spanish
    for words in (
        "Wald ajustado",
        "intervalo del 95 %, <strong>de Wilson</strong>",
        "t de Student",
        "top-2-box",
        "más alto es más fácil",
        "prueba exacta de permutación",
        "muy pocas respuestas (n = 3)",
        "Europe/Madrid",
        "compraron el mes anterior y volvieron a comprar",
        "posición media",
    ):
        assert words in spanish, words
    assert "<h1>How Voz computes its numbers</h1>" in english
    for words in (
        "adjusted Wald",
        "Wilson score",
        "Student t",
        "top-2-box",
        "higher is easier",
        "exact permutation test",
        "too few answers (n = 3)",
        "Europe/Madrid",
        "bought in the previous month and bought again",
        "mid-rank",
    ):
        assert words in english, words
    assert "<table>" in english  # the formulas' tables are rendered, not shown as markdown


def test_the_page_states_the_minimum_sample_the_code_uses():
    from django.conf import settings

    for name, words in (("metrics.md", "answers**"), ("metrics.es.md", "respuestas**")):
        text = (settings.BASE_DIR / "docs" / name).read_text(encoding="utf-8")
        assert f"**{metrics.MIN_ANSWERS} {words}" in text, name
        assert f"{metrics.EXACT_NPS_MAX_SMALLER_SAMPLE}" in text


@pytest.mark.django_db
def test_the_page_is_for_signed_in_staff(client):
    response = client.get("/dashboards/metrics/")

    assert response.status_code == 302 and "login" in response["Location"]


@pytest.mark.django_db
def test_a_segments_dashboard_says_what_its_figures_mean_over_time(client, manager):
    spanish = client.get("/dashboards/satisfaction/?segment=at_risk").content.decode()
    english = client.get("/dashboards/topics/?segment=at_risk", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "cuenta en el segmento en el que estaba su cliente cuando llegó" in spanish
    assert "counts in the segment its customer was in when it arrived" in english
    assert 'id="segment-meaning"' not in client.get("/dashboards/satisfaction/").content.decode()
