"""Voz learns from the shop: labels from its ratings, a better-only gate, versioned models that
workers pick up at once, one-click rollback with re-analysis, and topics defined by example.

The models here are really trained, on small data: the demo shop's sentences as the base and
a simulated pet-insurance shop (bench/learning.py) whose good and bad news a general model
cannot read."""

import json
import shutil
from datetime import date, timedelta
from functools import partial
from io import StringIO
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from analytics import rollups
from analytics import selectors as dashboards
from bench import naive as oracle
from bench.learning import pet_insurance_reviews, store_reviews
from core.models import ChangedDay
from feedback.models import FeedbackItem
from sentiment import learning, selectors, services
from sentiment.ml import accurate, training
from sentiment.ml import datasets as D
from sentiment.ml.encoder import Encoder
from sentiment.ml.model import load_model
from sentiment.ml.shop_comments import COMMENTS
from sentiment.models import SentimentModel, Topic
from sentiment.runtime import get_analyzer
from sentiment.tasks import analyse_feedback
from tests.factories import FeedbackItemFactory
from tests.sentiment.test_accurate_tier import fake_embedding
from tests.sentiment.test_feedback_analysis import submit_comment

pytestmark = pytest.mark.django_db

SMALL_BASE = {"es": ("voz_demo",), "en": ("voz_demo",)}


def examples_of(reviews) -> list[training.Example]:
    examples = []
    for language, text, stars in reviews:
        label = selectors.stars_label(stars)
        if label:
            examples.append(training.Example(text, language, label))
    return examples


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """Models trained once for the module: the small base alone, and the base plus the shop."""
    reviews = pet_insurance_reviews(600, seed=3, noise=0.0)
    train, held_out = examples_of(reviews[:450]), examples_of(reviews[450:])
    folder = tmp_path_factory.mktemp("trained")
    models = {
        "base": training.train_model("fast", [], base_sets=SMALL_BASE),
        "shop": training.train_model("fast", train, base_sets=SMALL_BASE),
    }
    paths = {}
    for name, model in models.items():
        training.set_version(model, f"test-{name}")
        paths[name] = model.save(folder / f"test-{name}.npz")
    return {"models": models, "paths": paths, "held_out": held_out}


@pytest.fixture(autouse=True)
def model_and_data_dirs(settings, tmp_path, monkeypatch):
    """Models are written to a folder of the test's own; a retrain learns on the small base set (real
    training, in seconds), and Voz's held-out split is a few of the demo shop's sentences."""
    settings.VOZ_MODEL_DIR = str(tmp_path / "models")
    monkeypatch.setitem(training.TRAINERS, "fast", partial(training.train_fast, base_sets=SMALL_BASE))
    data = tmp_path / "data"
    base = data / "voz_ecommerce_train" / "feedback.jsonl"
    base.parent.mkdir(parents=True, exist_ok=True)
    with base.open("w", encoding="utf-8") as stream:
        for n, ((language, _topic, polarity), texts) in enumerate(sorted(COMMENTS.items())):
            for m, text in enumerate(texts[:4]):
                record = {"id": f"t-{n}-{m}", "lang": language, "text": text, "sentiment": polarity}
                stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    settings.SENTIMENT_DATA_DIR = str(data)


def register(trained, settings, name: str) -> SentimentModel:
    """A model that passed the check, its file in the registry's folder."""
    Path(settings.VOZ_MODEL_DIR).mkdir(parents=True, exist_ok=True)
    shutil.copy(trained["paths"][name], f"{settings.VOZ_MODEL_DIR}/test-{name}.npz")
    return SentimentModel.objects.create(
        version=f"test-{name}", artifact=f"test-{name}.npz", status=SentimentModel.Status.ACCEPTED
    )


def pet_shop(count: int) -> list[FeedbackItem]:
    ids = store_reviews(pet_insurance_reviews(count, seed=5))
    services.feedback_reanalyse(ids=ids)
    return list(FeedbackItem.objects.filter(pk__in=ids).order_by("pk"))


# ---------------------------------------------------------------------------------------
# The dataset
# ---------------------------------------------------------------------------------------
def test_the_shop_labels_its_feedback_with_its_scores_and_stars_and_staff_corrections_count_most():
    promoter = submit_comment("Todo genial, repetiré.", nps=10)
    passive = submit_comment("Bien, sin más.", nps=8)
    detractor = submit_comment("Nunca más.", nps=3)
    ids = store_reviews([("es", "Una estrella, caja rota.", 1), ("en", "It's fine.", 3), ("en", "Love it!", 5)])
    one_star, three_stars, five_stars = FeedbackItem.objects.filter(pk__in=ids).order_by("pk")
    five_stars.sentiment_gold = "negative"  # staff read it: sarcasm
    five_stars.save()
    erased = store_reviews([("es", "", 1)])[0]
    FeedbackItem.objects.filter(pk=erased).update(erased_at=timezone.now())

    labels = {label.item_id: (label.label, label.source, label.weight) for label in selectors.shop_labels()}

    assert labels == {
        promoter.pk: ("positive", "survey", 1),
        detractor.pk: ("negative", "survey", 1),
        one_star.pk: ("negative", "review", 1),
        five_stars.pk: ("negative", "correction", selectors.CORRECTION_WEIGHT),
    }
    assert passive.pk not in labels and three_stars.pk not in labels


def test_the_held_out_slice_is_the_same_items_at_every_retrain():
    labels = [selectors.ShopLabel(pk, "es", "x", "positive", "review") for pk in range(1, 1001)]

    first = learning.shop_examples_split(labels)[1]
    again = learning.shop_examples_split(list(reversed(labels)))[1]

    assert 150 <= len(first) <= 250
    assert sorted(e.text for e in first) == sorted(e.text for e in again)
    assert {pk for pk in range(1, 1001) if training.is_shop_held_out(pk)} == {
        pk for pk in range(1, 1001) if training.is_shop_held_out(pk)
    }


# ---------------------------------------------------------------------------------------
# The gate
# ---------------------------------------------------------------------------------------
def test_the_gate_accepts_a_model_that_learned_the_shop_and_rejects_one_that_did_not(trained, settings):
    models, held_out = trained["models"], trained["held_out"]
    base_slice = training.base_holdout_examples(settings.SENTIMENT_DATA_DIR)

    accepted, figures = learning.gate(models["shop"], models["base"], held_out, base_slice)
    # the other way round: the model that never saw the shop, judged against the one that did
    not_better, worse_figures = learning.gate(models["base"], models["shop"], held_out, base_slice)

    assert accepted == ""
    assert figures["shop_holdout"]["candidate"]["macro_f1"] > figures["shop_holdout"]["active"]["macro_f1"] + 0.2
    assert not_better == SentimentModel.RejectionReason.NOT_BETTER
    assert worse_figures["shop_holdout"]["candidate"]["macro_f1"] <= worse_figures["shop_holdout"]["active"]["macro_f1"]


def test_the_gate_refuses_a_model_that_forgets_what_the_base_knew_and_one_judged_on_too_few_items(trained):
    models, held_out = trained["models"], trained["held_out"]
    # a "base" slice where the shop model is far worse: what the shop taught it, reversed
    flipped = [
        training.Example(e.text, e.language, "negative" if e.label == "positive" else "positive") for e in held_out
    ]

    worse_on_base, figures = learning.gate(models["shop"], models["base"], held_out, flipped)
    too_few, _ = learning.gate(models["shop"], models["base"], held_out[: learning.MIN_SHOP_HOLDOUT - 1], flipped)

    assert worse_on_base == SentimentModel.RejectionReason.WORSE_ON_BASE
    assert figures["base_holdout"]["candidate"]["macro_f1"] < figures["base_holdout"]["active"]["macro_f1"] - 0.02
    assert too_few == SentimentModel.RejectionReason.TOO_FEW_LABELS


def test_a_retrain_from_the_admin_trains_in_a_task_goes_live_when_better_and_reanalyses(
    admin_client, django_capture_on_commit_callbacks
):
    items = pet_shop(300)
    shipped = selectors.model_active()
    before = {item.pk: item.sentiment for item in items}

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:sentiment_sentimentmodel_retrain"))

    assert response.status_code == 302
    model = SentimentModel.objects.exclude(pk=shipped.pk).get()
    assert model.status == SentimentModel.Status.ACCEPTED, model.figures
    assert model.is_active and model.progress == 100
    shop = model.figures["shop_holdout"]
    assert shop["candidate"]["macro_f1"] > shop["active"]["macro_f1"]
    assert model.figures["compared_with"] == shipped.version
    assert model.trained_from["by_source"] == {"review": model.trained_from["shop_labels"]}
    assert (learning.artifact_path(model)).exists()
    # every stored item now carries the new model's labels, and many changed
    assert set(FeedbackItem.objects.values_list("model_version", flat=True)) == {model.version}
    after = dict(FeedbackItem.objects.values_list("pk", "sentiment"))
    assert sum(before[pk] != after[pk] for pk in before) > 50
    assert model.reanalysis_done == model.reanalysis_total == 300 and model.reanalysis_finished_at
    page = admin_client.get(reverse("admin:sentiment_sentimentmodel_changelist")).content.decode()
    assert model.version in page and f"{shop['candidate']['macro_f1']:.3f}" in page


def test_a_rejected_retrain_is_kept_and_listed_with_its_reason(admin_client, settings):
    pet_shop(40)  # too few held-out items to judge anything

    out, err = StringIO(), StringIO()
    call_command("retrain_sentiment", stdout=out, stderr=err)

    model = SentimentModel.objects.get(status=SentimentModel.Status.REJECTED)
    assert not model.is_active
    assert model.rejection_reason == SentimentModel.RejectionReason.TOO_FEW_LABELS
    assert model.trained_from["shop_held_out"] < learning.MIN_SHOP_HOLDOUT
    assert "kept but not activated" in out.getvalue() and "Retraining" in err.getvalue()
    page = admin_client.get(reverse("admin:sentiment_sentimentmodel_changelist"), HTTP_ACCEPT_LANGUAGE="es")
    assert "Rechazado" in page.content.decode()
    # and it cannot be switched on by hand
    admin_client.post(reverse("admin:sentiment_sentimentmodel_activate", args=[model.pk]))
    assert not SentimentModel.objects.get(pk=model.pk).is_active


def test_a_second_retrain_is_refused_while_one_is_running(admin_client):
    learning.model_retrain_start(queue=False)

    admin_client.post(reverse("admin:sentiment_sentimentmodel_retrain"))

    assert SentimentModel.objects.filter(status=SentimentModel.Status.TRAINING).count() == 1


# ---------------------------------------------------------------------------------------
# Switching models
# ---------------------------------------------------------------------------------------
def test_a_worker_picks_up_a_newly_activated_model_without_a_restart(trained, settings):
    analyzer = get_analyzer()
    shipped_version = analyzer.model_version
    item = FeedbackItemFactory(text="Me aplicaron una carencia de 6 meses para la ecografía de Toby.")

    learning.model_activate(model_id=register(trained, settings, "shop").pk)
    services.feedback_analyse_batch(ids=[item.pk])

    assert get_analyzer() is analyzer  # the same process, the same analyzer, another model
    assert analyzer.model_version == "test-shop" != shipped_version
    item.refresh_from_db()
    assert (item.model_version, item.analyses.get(is_current=True).model_version) == ("test-shop", "test-shop")


def test_rolling_back_switches_the_active_model_and_reanalyses_stored_feedback(
    trained, settings, admin_client, django_capture_on_commit_callbacks
):
    today = date.today()
    items = pet_shop(120)
    shipped = selectors.model_active()
    with django_capture_on_commit_callbacks(execute=True):
        learning.model_activate(model_id=register(trained, settings, "shop").pk)
    assert set(FeedbackItem.objects.values_list("model_version", flat=True)) == {"test-shop"}
    relabelled = dict(FeedbackItem.objects.values_list("pk", "sentiment"))
    rollups.refresh()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:sentiment_sentimentmodel_rollback"))

    assert response.status_code == 302
    assert selectors.model_active() == shipped
    assert set(FeedbackItem.objects.values_list("model_version", flat=True)) == {shipped.version}
    reverted = dict(FeedbackItem.objects.values_list("pk", "sentiment"))
    assert sum(relabelled[item.pk] != reverted[item.pk] for item in items) > 20
    # the re-analysis told the rollups which days changed, so the dashboards follow
    assert ChangedDay.objects.filter(source="feedback").exists()
    filters = dashboards.Filters(start=today - timedelta(days=2), end=today, period="day")
    assert dashboards.satisfaction_series(filters) == oracle.satisfaction_series_naive(filters)
    assert dashboards.topic_series(filters) == oracle.topic_series_naive(filters)
    assert dashboards.csat_counts(filters) == oracle.csat_counts_naive(filters)


def test_reanalysis_resumes_from_where_it_stopped(trained, settings):
    items = pet_shop(30)
    model = register(trained, settings, "shop")
    learning.model_activate(model_id=model.pk)  # its task is queued on commit, which a test never reaches

    assert learning.model_reanalyse(model_id=model.pk, seconds=0, batch_size=10) is True
    model.refresh_from_db()
    assert (model.reanalysis_done, model.reanalysis_cursor) == (10, items[9].pk)
    assert learning.model_reanalyse(model_id=model.pk, batch_size=10) is False
    model.refresh_from_db()
    assert model.reanalysis_done == 30 and model.reanalysis_finished_at
    assert not FeedbackItem.objects.exclude(model_version="test-shop").exists()
    # a redelivered task finds nothing left to do
    assert learning.model_reanalyse(model_id=model.pk) is False


# ---------------------------------------------------------------------------------------
# A shop's own topics
# ---------------------------------------------------------------------------------------
def test_a_topic_added_with_example_sentences_tags_matching_feedback_at_once():
    get_analyzer()  # a worker that is already running
    Topic.objects.create(
        slug="vet_claims",
        name_es="Reclamaciones veterinarias",
        name_en="Vet claims",
        examples="\n".join(
            [
                "La póliza no cubrió la visita al veterinario de mi perro.",
                "Me rechazaron el reembolso de la vacuna del gato.",
                "El seguro no paga las radiografías de mi mascota.",
                "Reclamé la cirugía de mi perra y la aseguradora tardó dos meses.",
                "La cobertura veterinaria es excelente, pagaron la operación.",
                "The policy did not cover my dog's vet visit.",
                "They refused to reimburse my cat's vaccine.",
            ]
        ),
    )
    about = FeedbackItemFactory(text="El veterinario cobró la consulta y el seguro no la cubrió.")
    english = FeedbackItemFactory(text="The insurer refused to cover the vet visit for my dog.", language="en")
    other = FeedbackItemFactory(text="El pedido llegó tarde y la caja estaba rota.")

    services.feedback_analyse_batch(ids=[about.pk, english.pk, other.pk])

    mention = about.topic_mentions.get(topic__slug="vet_claims")
    assert mention.sentiment == "negative"
    assert mention.matches and mention.matches[0].startswith("≈ ")
    assert english.topic_mentions.filter(topic__slug="vet_claims").exists()
    assert not other.topic_mentions.filter(topic__slug="vet_claims").exists()
    assert other.topic_mentions.filter(topic__slug="delivery").exists()


# ---------------------------------------------------------------------------------------
# Admin pages
# ---------------------------------------------------------------------------------------
def test_the_model_pages_render_for_staff_in_spanish(admin_client):
    get_analyzer()  # registers the shipped model
    model = selectors.model_active()

    listing = admin_client.get(reverse("admin:sentiment_sentimentmodel_changelist"), HTTP_ACCEPT_LANGUAGE="es")
    detail = admin_client.get(
        reverse("admin:sentiment_sentimentmodel_change", args=[model.pk]), HTTP_ACCEPT_LANGUAGE="es"
    )
    topic_form = admin_client.get(reverse("admin:sentiment_topic_add"), HTTP_ACCEPT_LANGUAGE="es")

    assert listing.status_code == detail.status_code == topic_form.status_code == 200
    assert "Reentrenar con las etiquetas de la tienda" in listing.content.decode()
    assert model.version in detail.content.decode()
    assert "Frases de ejemplo" in topic_form.content.decode()


def test_the_model_pages_and_buttons_are_refused_to_non_staff(client, django_user_model, trained, settings):
    get_analyzer()
    candidate = register(trained, settings, "shop")
    django_user_model.objects.create_user(username="customer", password="x")
    client.login(username="customer", password="x")

    listing = client.get(reverse("admin:sentiment_sentimentmodel_changelist"))
    retrain = client.post(reverse("admin:sentiment_sentimentmodel_retrain"))
    activate = client.post(reverse("admin:sentiment_sentimentmodel_activate", args=[candidate.pk]))

    assert listing.status_code == retrain.status_code == activate.status_code == 302
    assert "/login/" in listing["Location"]
    assert not SentimentModel.objects.filter(status=SentimentModel.Status.TRAINING).exists()
    assert not SentimentModel.objects.get(pk=candidate.pk).is_active


def test_staff_without_the_permission_cannot_switch_models(client, django_user_model, trained, settings):
    get_analyzer()
    candidate = register(trained, settings, "shop")
    django_user_model.objects.create_user(username="agent", password="x", is_staff=True)
    client.login(username="agent", password="x")

    response = client.post(reverse("admin:sentiment_sentimentmodel_activate", args=[candidate.pk]))

    assert response.status_code == 403
    assert not SentimentModel.objects.get(pk=candidate.pk).is_active
    assert client.get(reverse("admin:sentiment_sentimentmodel_activate", args=[candidate.pk])).status_code == 403


# ---------------------------------------------------------------------------------------
# The accurate tier (the default): retraining it from the shop's labels
# ---------------------------------------------------------------------------------------
def test_every_tier_a_shop_can_run_can_be_retrained_and_judged():
    assert set(learning.TIERS) <= set(training.TRAINERS)
    assert set(learning.TIERS) <= set(training.BASE_HOLDOUTS)


def test_the_accurate_kind_is_judged_on_a_base_slice_it_never_trained_on(settings):
    trained_on = {(e.lang, e.text) for e in accurate.default_examples(settings.SENTIMENT_DATA_DIR)}
    judged_on = {(e.language, e.text) for e in training.base_holdout("accurate", settings.SENTIMENT_DATA_DIR)}
    fast_slice = training.base_holdout("fast", settings.SENTIMENT_DATA_DIR)

    assert len(judged_on) > 700
    # held out by id; two stock phrases ("Primera y última vez.") were also written by another writer
    assert len(judged_on & trained_on) <= 0.005 * len(judged_on)
    # the fast kind's quarter of voz_ecommerce_train, which the accurate model learns from, stays the fast kind's
    assert fast_slice == training.base_holdout_examples(settings.SENTIMENT_DATA_DIR)
    assert {(e.language, e.text) for e in fast_slice} <= trained_on


def test_the_shipped_accurate_recipe_is_the_one_a_retrain_uses(settings):
    shipped = load_model(settings.SENTIMENT_ACCURATE_MODEL_PATH)

    assert shipped.config == accurate.AccurateConfig()


def test_the_shops_labels_train_the_accurate_model_but_neither_choose_its_neutral_band_nor_move_vozs_folds(
    monkeypatch,
):
    # Voz's in-domain texts (six writers) and a shop whose stars are only positive or negative,
    # one in ten contradicting its text
    voz = accurate.examples_from_records(D.load_written("train")[::25])
    shop = [
        accurate.Example(text, language, selectors.stars_label(stars), source=accurate.SHOP_SOURCE)
        for language, text, stars in pet_insurance_reviews(200, seed=5)
        if selectors.stars_label(stars)
    ]
    config = accurate.AccurateConfig(folds=3, word_bits=12, char_bits=13, mlp_hidden=32, mlp_epochs=20)
    chosen_on = []
    calibrate = accurate.calibrate_bias

    def recording(logits, gold):
        chosen_on.append(len(gold))
        return calibrate(logits, gold)

    monkeypatch.setattr(accurate, "calibrate_bias", recording)
    weighed = []
    balanced = accurate._balanced_weights
    monkeypatch.setattr(accurate, "_balanced_weights", lambda y, w: weighed.append((len(w), w.sum())) or balanced(y, w))
    model = accurate.train_accurate(voz + shop, base_sets={}, config=config, embed=fake_embedding)

    # the band is chosen on Voz's texts, one language at a time
    assert sorted(chosen_on) == sorted(sum(ex.lang == lang for ex in voz) for lang in accurate.LANGS)
    # every writer keeps the fold it has without the shop, and each fold's model learns from the shop
    folds = accurate._folds(voz + shop, config.folds, config.seed)
    assert folds[: len(voz)].tolist() == accurate._folds(voz, config.folds, config.seed).tolist()
    assert set(folds[len(voz) :].tolist()) == set(range(config.folds))
    # and the shop's labels did train it, at most as heavy as Voz's texts (they outnumber them here)
    assert model.meta["train"]["in_domain"] == {
        lang: sum(ex.lang == lang for ex in voz + shop) for lang in ("es", "en")
    }
    assert all(0 < scale < 1 for scale in model.meta["train"]["shop_weight_scale"].values())
    # the final fit, on every row: the shop weighs what Voz's texts weigh, in each language
    ((_, total),) = [(rows, total) for rows, total in weighed if rows == len(voz + shop)]
    assert total == pytest.approx(2 * accurate.AccurateConfig.in_domain_weight * len(voz))


def test_a_shop_with_more_labels_than_vozs_texts_weighs_as_much_as_they_do_and_no_more():
    voz = accurate.examples_from_records(D.load_written("train")[::25])
    stars = [
        accurate.Example(text, language, selectors.stars_label(stars), source=accurate.SHOP_SOURCE)
        for language, text, stars in pet_insurance_reviews(400, seed=5)
        if selectors.stars_label(stars)
    ]
    corrected = [
        accurate.Example(ex.text, ex.lang, ex.sentiment, weight=selectors.CORRECTION_WEIGHT, source=ex.source)
        for ex in stars[:20]
    ]

    capped, scale = accurate.shop_weight_capped(voz + stars + corrected)

    for lang in accurate.LANGS:
        voz_weight = sum(ex.weight for ex in voz if ex.lang == lang)
        shop = [ex for ex in capped if ex.lang == lang and ex.source == accurate.SHOP_SOURCE]
        assert sum(ex.weight for ex in shop) == pytest.approx(voz_weight * accurate.SHOP_MAX_SHARE)
        assert scale[lang] < 1
    assert capped[: len(voz)] == voz  # Voz's own texts keep their weights
    # a staff correction still counts CORRECTION_WEIGHT stars
    star, correction = capped[len(voz)], capped[len(voz) + len(stars)]
    assert correction.weight == pytest.approx(selectors.CORRECTION_WEIGHT * star.weight)
    # a shop under the cap trains with its labels' weights as given
    few = stars[:6]
    assert accurate.shop_weight_capped(voz + few) == (voz + few, {"es": 1.0, "en": 1.0})


@pytest.fixture
def accurate_tier(settings, monkeypatch, tmp_path):
    """The default tier and its registered trainer, on small data: Voz's in-domain texts are the
    demo sentences the autouse fixture wrote plus a written set of a few more (whose held-out fifth
    is the gate's base slice), no public sets, smaller hashed features and MLP. Every encoder (training,
    the gate, the workers' analyzer) gives the deterministic stand-in vectors of the accurate tier's
    training test: the real e5 costs minutes here, and the encoder is tested in test_accurate_tier."""
    settings.VOZ_NLP_TIER = "accurate"
    settings.SENTIMENT_MODEL_PATH = ""
    trainer = training.TRAINERS["accurate"]  # the accurate kind must have a trainer of its own
    small = accurate.AccurateConfig(word_bits=12, char_bits=13, folds=3, mlp_hidden=32, mlp_epochs=20)
    monkeypatch.setitem(training.TRAINERS, "accurate", partial(trainer, base_sets={}, config=small))

    def embed(self, texts, batch_size=64, progress=None):
        if progress:
            progress(len(texts), len(texts))
        return fake_embedding(list(texts)) if len(texts) else np.zeros((0, 384), dtype=np.float32)

    monkeypatch.setattr(Encoder, "embed", embed)
    written = tmp_path / "written"
    written.mkdir()
    for language in ("es", "en"):
        with (written / f"wt-{language}.jsonl").open("w", encoding="utf-8") as stream:
            for n, ((lang, topic, polarity), texts) in enumerate(sorted(COMMENTS.items())):
                if lang == language:
                    for m, text in enumerate(texts[4:7]):
                        record = {"id": f"w-{n}-{m}", "lang": lang, "text": text, "sentiment": polarity}
                        stream.write(json.dumps({**record, "topics": [topic]}, ensure_ascii=False) + "\n")
    monkeypatch.setattr(D, "WRITTEN_DIR", written)


def test_with_the_accurate_tier_the_admin_retrain_trains_an_accurate_model_that_goes_live_and_rolls_back(
    accurate_tier, admin_client, django_capture_on_commit_callbacks, settings
):
    items = pet_shop(200)
    shipped = selectors.model_active()
    assert (shipped.kind, shipped.status) == ("accurate", SentimentModel.Status.SHIPPED)

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:sentiment_sentimentmodel_retrain"))

    assert response.status_code == 302
    model = SentimentModel.objects.exclude(pk=shipped.pk).get()
    assert model.kind == "accurate"
    assert model.status == SentimentModel.Status.ACCEPTED, (model.error, model.rejection_reason, model.figures)
    assert model.is_active and model.progress == 100
    shop, base = model.figures["shop_holdout"], model.figures["base_holdout"]
    assert shop["candidate"]["macro_f1"] > shop["active"]["macro_f1"]
    assert shop["candidate"]["languages"].keys() == {"es", "en"}
    assert model.figures["base_holdout_set"] == "written_heldout"
    assert base["candidate"]["n"] == base["active"]["n"] == len(training.base_holdout("accurate")) > 0
    assert base["candidate"]["macro_f1"] >= base["active"]["macro_f1"] - learning.MAX_BASE_LOSS
    assert model.figures["compared_with"] == shipped.version
    assert "shop" in model.trained_from["base"]["sources"]
    # Voz's in-domain texts plus the shop's
    in_domain = len(accurate.default_examples(settings.SENTIMENT_DATA_DIR)) + model.trained_from["shop_train"]
    assert sum(model.trained_from["base"]["in_domain"].values()) == in_domain
    saved = load_model(learning.artifact_path(model))
    assert (saved.kind, saved.version) == ("accurate", model.version)
    # stored feedback was re-analysed with it, and a worker analysing new feedback uses it without a restart
    assert set(FeedbackItem.objects.values_list("model_version", flat=True)) == {model.version}
    assert model.reanalysis_done == model.reanalysis_total == len(items)
    new = FeedbackItemFactory(text="Me aplicaron una carencia de 6 meses para la ecografía de Luna.")
    analyse_feedback.delay([new.pk])
    new.refresh_from_db()
    assert (new.model_version, new.analyses.get(is_current=True).model_version) == (model.version, model.version)
    assert get_analyzer().model_version == model.version

    # the same labels again train the same model: no better, so it is kept but not activated
    stages = []
    again = learning.model_retrain_start(queue=False)
    again = learning.model_retrain(model_id=again.pk, progress=lambda fraction, stage: stages.append((fraction, stage)))
    assert again.status == SentimentModel.Status.REJECTED
    assert again.rejection_reason == SentimentModel.RejectionReason.NOT_BETTER
    assert again.figures["shop_holdout"]["candidate"] == again.figures["shop_holdout"]["active"]
    assert selectors.model_active() == model
    # the admin's bar moved through the trainer's own stages, never backwards
    fractions = [fraction for fraction, _stage in stages]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert {"embedding", "sentiment head (folds)", "topic heads", "span head"} <= {stage for _f, stage in stages}
    assert len({round(fraction, 2) for fraction, stage in stages if stage == "sentiment head (folds)"}) >= 3

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:sentiment_sentimentmodel_rollback"))

    assert response.status_code == 302
    assert selectors.model_active() == shipped
    assert set(FeedbackItem.objects.values_list("model_version", flat=True)) == {shipped.version}
    assert get_analyzer().model_version == shipped.version
