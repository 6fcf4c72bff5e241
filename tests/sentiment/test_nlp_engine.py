"""The NLP engine on its own (no database): labels, topics on inflected and accent-less text,
aspect sentiment, language detection and taxonomy rebuilds."""

import pytest
from django.conf import settings

from sentiment.engine import Analyzer, TopicSpec, strip_accents
from sentiment.language import detect_language
from sentiment.ml.model import load_model
from sentiment.taxonomy_default import DEFAULT_TOPICS


def default_specs() -> list[TopicSpec]:
    return [TopicSpec(t["slug"], {"es": t["patterns_es"], "en": t["patterns_en"]}) for t in DEFAULT_TOPICS]


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer(load_model(settings.SENTIMENT_FAST_MODEL_PATH), default_specs(), "default")


def analyse(analyzer, text, lang=None):
    return analyzer.analyze([text], [lang])[0]


def topics_of(analyzer, text, lang=None) -> set[str]:
    return {topic.slug for topic in analyse(analyzer, text, lang).topics}


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Me encantó, todo perfecto y llegó rapidísimo. Repetiré seguro.", "positive"),
        ("Es la peor tienda en la que he comprado, un desastre total.", "negative"),
        ("¿Hacen envíos a Canarias?", "neutral"),
        ("Quería saber si tienen la camiseta en azul.", "neutral"),
        ("Absolutely love it, great quality and fast shipping!", "positive"),
        ("Terrible experience, the item broke after one day and nobody answers.", "negative"),
        ("I ordered it on Monday.", "neutral"),
    ],
)
def test_clear_sentences_get_the_right_label(analyzer, text, label):
    result = analyse(analyzer, text)

    assert result.label == label
    assert -1 <= result.score <= 1 and 0 < result.confidence <= 1
    assert (result.score > 0) if label == "positive" else (result.score < 0) if label == "negative" else True


@pytest.mark.parametrize("form", ["entregas", "entregaron", "entregado", "entregó", "entregaran"])
def test_inflected_spanish_forms_hit_their_lemma_pattern(analyzer, form):
    assert "delivery" in topics_of(analyzer, f"Lo {form} en la dirección equivocada", "es")


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("I returned the jacket last week", "returns_refunds"),
        ("They are still returning my money", "returns_refunds"),
        ("The parcels were delivered to my neighbour", "delivery"),
        ("I was charged twice for one order", "payment"),
    ],
)
def test_inflected_english_forms_hit_their_lemma_pattern(analyzer, text, slug):
    assert slug in topics_of(analyzer, text, "en")


def test_accentless_and_capitalised_text_still_hits_topics(analyzer):
    assert {"delivery", "returns_refunds", "customer_service"} <= topics_of(
        analyzer, "El envio tardo una semana, la devolucion un mes y la atencion nula", "es"
    )
    assert "delivery" in topics_of(analyzer, "ENVÍO CARÍSIMO Y LENTO", "es")
    assert strip_accents("Devolución año") == "Devolucion año"
    # capitals, a combining accent typed apart from its letter, and the Ñ kept
    assert strip_accents("CAMIÓN ÑANDÚ cafe\u0301") == "CAMION ÑANDU cafe"


@pytest.mark.parametrize(
    "lang,text,lemmas",
    [
        ("es", "Los envíos llegaron rotos y me devolvieron las cajas", {"envío", "llegar", "devolver", "caja"}),
        ("en", "The parcels were delivered to my neighbours, boxes crushed", {"parcel", "deliver", "box"}),
    ],
)
def test_lemmas_are_the_lookup_lemmas_of_spacy(analyzer, lang, text, lemmas):
    # the pipeline reads spacy-lookups-data's table itself instead of through spaCy's lemmatizer:
    # every lemma must still be the one spaCy's lookup lemmatizer gives
    from spacy.lookups import load_lookups

    table = load_lookups(lang, ["lemma_lookup"]).get_table("lemma_lookup")
    doc = analyzer.pipelines[lang](text)
    assert [token.lemma_ for token in doc] == [table.get(token.text, token.text) for token in doc]
    assert lemmas <= {token.lemma_ for token in doc}


def test_matched_words_explain_each_topic(analyzer):
    result = analyse(analyzer, "Me cobraron dos veces con la tarjeta", "es")

    payment = next(topic for topic in result.topics if topic.slug == "payment")
    assert "cobraron" in payment.matches and "tarjeta" in payment.matches


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Llegó tarde pero la atención fue excelente.", {"delivery": "negative", "customer_service": "positive"}),
        ("El envío tardó muchísimo, aunque el chat me lo resolvió enseguida.", {"delivery": "negative"}),
        ("The box was crushed but the support team sorted it quickly.", {"packaging": "negative"}),
        ("Great price, but the quality is awful.", {"price": "positive", "product_quality": "negative"}),
    ],
)
def test_each_topic_gets_the_sentiment_of_its_own_clause(analyzer, text, expected):
    result = analyse(analyzer, text)

    found = {topic.slug: topic.label for topic in result.topics}
    for slug, label in expected.items():
        assert found[slug] == label, found
    assert len(result.sentences) == 1, "aspects split clauses, not sentences"


def test_sentences_are_scored_one_by_one(analyzer):
    result = analyse(analyzer, "Todo llegó perfecto. Pero la talla era enorme y tuve que devolverla.", "es")

    assert [s.label for s in result.sentences] == ["positive", "negative"]
    assert result.sentences[1].start == result.sentences[0].end + 1


def test_empty_text_is_neutral_with_no_topics(analyzer):
    result = analyse(analyzer, "   ", "es")

    assert (result.label, result.topics, result.sentences) == ("neutral", [], [])


@pytest.mark.parametrize(
    ("text", "hint", "language"),
    [
        ("El paquete llego tarde y nadie me dio una solucion", None, "es"),  # no accents
        ("la atencion fue pesima", None, "es"),
        ("The parcel arrived late and nobody answered", None, "en"),
        ("muy bueno", None, "es"),
        ("great service", None, "en"),
        ("Genial!!", "es", "es"),  # too short to tell: the survey's language
        ("ok", "en", "en"),
        ("Das Paket kam sehr spät an und war beschädigt", None, "other"),
        ("", None, "unknown"),
    ],
)
def test_language_detection_handles_short_and_accentless_text(text, hint, language):
    detected, confidence = detect_language(text, hint)

    assert detected == language
    assert 0 <= confidence <= 1


def test_a_new_taxonomy_takes_effect_on_the_next_batch(analyzer):
    text = "Pedí envoltorio de regalo y vino sin lazo"
    before = topics_of(analyzer, text, "es")
    extra = TopicSpec("gift_wrap", {"es": ["envoltorio de regalo", "lazo"], "en": ["gift wrap"]})

    analyzer.set_topics([*default_specs(), extra], "with-gift-wrap")
    try:
        after = topics_of(analyzer, text, "es")
    finally:
        analyzer.set_topics(default_specs(), "default")

    assert "gift_wrap" not in before and "gift_wrap" in after
    assert analyzer.taxonomy_version == "default"


def test_analysis_serialises_to_the_documented_shape(analyzer):
    data = analyse(analyzer, "La talla M me queda pequeña", "es").as_dict()

    assert set(data) == {"language", "language_confidence", "sentiment", "topics", "sentences", "model_version"}
    assert set(data["sentiment"]) == {"label", "score", "confidence"}
    assert data["topics"][0]["slug"] == "size_fit" and data["topics"][0]["matches"] == ["talla", "queda pequeña"]
    assert data["model_version"] == analyzer.model_version
