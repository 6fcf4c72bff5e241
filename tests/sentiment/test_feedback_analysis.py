"""Feedback is understood after it arrives: stored results, history, idempotency, sweep and taxonomy edits."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from feedback.models import FeedbackItem
from sentiment import services
from sentiment.models import FeedbackAnalysis, FeedbackTopic, Topic
from sentiment.runtime import get_analyzer
from surveys.services import response_submit
from tests.factories import FeedbackItemFactory, InvitationFactory

pytestmark = pytest.mark.django_db


def topic_slugs(item: FeedbackItem) -> set[str]:
    return set(item.topic_mentions.values_list("topic__slug", flat=True))


def submit_comment(text: str, language: str = "es", nps: int = 3) -> FeedbackItem:
    invitation = InvitationFactory(language=language)
    questions = {q.code: q.pk for q in invitation.survey.questions.all()}
    response_submit(
        invitation=invitation,
        answers={questions["nps"]: nps, questions["delivery_csat"]: 2, questions["comment"]: text},
        language=language,
    )
    return FeedbackItem.objects.get(survey_answer__response__invitation=invitation)


def test_a_survey_comment_is_analysed_once_the_response_is_stored(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        item = submit_comment("El paquete llegó tarde y la caja venía rota. Muy decepcionado.")

    item.refresh_from_db()
    assert item.analysis_status == FeedbackItem.AnalysisStatus.DONE
    assert item.language == "es"
    assert item.sentiment == "negative"
    assert -1 <= item.sentiment_score < 0
    assert {"delivery", "packaging"} <= topic_slugs(item)
    analysis = item.analyses.get()
    assert analysis.is_current
    assert analysis.model_version == get_analyzer().model_version == item.model_version
    assert analysis.sentences and {"text", "label", "score"} <= set(analysis.sentences[0])
    delivery = item.topic_mentions.get(topic__slug="delivery")
    assert delivery.sentiment == "negative"
    assert delivery.matches, "an agent must see which words made the topic"


def test_aspect_sentiment_is_stored_per_topic():
    item = FeedbackItemFactory(text="Llegó tarde pero la atención fue excelente.")

    services.feedback_analyse_batch(ids=[item.pk])

    sentiments = dict(item.topic_mentions.values_list("topic__slug", "sentiment"))
    assert sentiments["delivery"] == "negative"
    assert sentiments["customer_service"] == "positive"


def test_analysing_the_same_batch_twice_changes_nothing():
    items = [FeedbackItemFactory(text=t) for t in ("Me encantó, llegó rapidísimo.", "The refund never arrived.")]
    ids = [item.pk for item in items]

    assert services.feedback_analyse_batch(ids=ids) == 2
    first = list(FeedbackAnalysis.objects.order_by("pk").values("pk", "sentiment", "score", "analysed_at"))
    mentions = list(FeedbackTopic.objects.order_by("pk").values("pk", "topic_id", "sentiment"))

    assert services.feedback_analyse_batch(ids=ids) == 0
    assert list(FeedbackAnalysis.objects.order_by("pk").values("pk", "sentiment", "score", "analysed_at")) == first
    assert list(FeedbackTopic.objects.order_by("pk").values("pk", "topic_id", "sentiment")) == mentions


def test_a_forced_rerun_with_the_same_model_replaces_its_result_instead_of_adding_one():
    item = FeedbackItemFactory(text="The courier lost my parcel.")
    services.feedback_analyse_batch(ids=[item.pk])

    services.feedback_analyse_batch(ids=[item.pk], force=True)

    assert item.analyses.count() == 1
    assert item.topic_mentions.filter(topic__slug="delivery").count() == 1


def test_a_newer_model_keeps_the_older_analysis_as_history():
    item = FeedbackItemFactory(text="La talla M me queda enorme, la tabla de tallas no sirve.")
    services.feedback_analyse_batch(ids=[item.pk])
    # given the current result came from an older model
    FeedbackAnalysis.objects.filter(feedback=item).update(model_version="ngram-lr-old")
    FeedbackItem.objects.filter(pk=item.pk).update(model_version="ngram-lr-old")

    assert services.feedback_analyse_batch(ids=[item.pk]) == 1

    old, new = item.analyses.order_by("analysed_at", "pk")
    assert (old.model_version, old.is_current) == ("ngram-lr-old", False)
    assert (new.model_version, new.is_current) == (get_analyzer().model_version, True)
    assert "size_fit" in topic_slugs(item)


def test_an_item_edited_while_it_was_analysed_is_not_overwritten_with_the_old_text_result():
    item = FeedbackItemFactory(text="Todo perfecto, gracias.")
    analyzer = get_analyzer()
    original = analyzer.analyze

    def analyse_then_edit(texts, languages=None, **kwargs):
        results = original(texts, languages, **kwargs)
        FeedbackItem.objects.filter(pk=item.pk).update(text="El pago con tarjeta falló dos veces.")
        return results

    analyzer.analyze = analyse_then_edit
    try:
        written = services.feedback_analyse_batch(ids=[item.pk])
    finally:
        del analyzer.analyze

    item.refresh_from_db()
    assert written == 0
    assert item.analysis_status == FeedbackItem.AnalysisStatus.PENDING
    assert not item.analyses.exists()


def test_the_sweep_analyses_items_left_pending_and_leaves_fresh_ones_to_their_own_task(
    django_capture_on_commit_callbacks,
):
    # given one item whose hand-over to the broker was lost a while ago, and one that just arrived
    stale = FeedbackItemFactory(text="No me llegó el reembolso de la devolución.")
    fresh = FeedbackItemFactory(text="Genial la web, muy fácil de usar.")
    FeedbackItem.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(minutes=30))

    with django_capture_on_commit_callbacks(execute=True):
        swept = services.feedback_pending_sweep()  # tasks run eagerly in the tests: the batch runs now

    stale.refresh_from_db()
    fresh.refresh_from_db()
    assert swept == 1
    assert stale.analysis_status == FeedbackItem.AnalysisStatus.DONE
    assert "returns_refunds" in topic_slugs(stale)
    assert fresh.analysis_status == FeedbackItem.AnalysisStatus.PENDING


def test_a_taxonomy_edit_takes_effect_without_a_restart_and_can_retag_past_items(
    django_capture_on_commit_callbacks,
):
    item = FeedbackItemFactory(text="El envoltorio de regalo era precioso.", language="es")
    services.feedback_analyse_batch(ids=[item.pk])
    assert "gift_wrap" not in topic_slugs(item)

    # when staff add a topic in the admin (same process: no restart)
    Topic.objects.create(
        slug="gift_wrap",
        name_es="Envoltorio de regalo",
        name_en="Gift wrap",
        patterns_es="envoltorio de regalo\nenvolver",
        patterns_en="gift wrap",
    )
    new_item = FeedbackItemFactory(text="Pedí envoltorio de regalo y vino sin él.")
    services.feedback_analyse_batch(ids=[new_item.pk])
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.feedback_retag_all()

    # then new feedback is tagged at once, and the re-tag brings past items in line
    assert queued == 2
    assert "gift_wrap" in topic_slugs(new_item)
    assert "gift_wrap" in topic_slugs(item)
    assert item.analyses.count() == 2, "the run with the old taxonomy stays in the history"


def test_an_unanalysable_item_is_marked_failed_and_does_not_block_its_batch():
    good = FeedbackItemFactory(text="Great price and fast delivery.", language="en")
    bad = FeedbackItemFactory(text="boom", language="en")
    analyzer = get_analyzer()
    original = analyzer.analyze

    def analyse(texts, languages=None, **kwargs):
        if "boom" in texts:
            raise ValueError("pathological input")
        return original(texts, languages, **kwargs)

    analyzer.analyze = analyse
    try:
        services.feedback_analyse_batch(ids=[good.pk, bad.pk])
    finally:
        del analyzer.analyze

    good.refresh_from_db()
    bad.refresh_from_db()
    assert good.analysis_status == FeedbackItem.AnalysisStatus.DONE
    assert bad.analysis_status == FeedbackItem.AnalysisStatus.FAILED


def test_reanalyze_command_reruns_the_selected_items_with_progress():
    survey_item = FeedbackItemFactory(text="The checkout page kept crashing.", language="en")
    review_item = FeedbackItemFactory(text="Stock ran out after I paid.", language="en", channel="review")
    services.feedback_analyse_batch(ids=[survey_item.pk, review_item.pk])
    FeedbackItem.objects.update(model_version="ngram-lr-old")
    out, err = StringIO(), StringIO()

    call_command("reanalyze", "--channel", "survey", "--model-version", "ngram-lr-old", stdout=out, stderr=err)

    survey_item.refresh_from_db()
    review_item.refresh_from_db()
    assert "1 items to analyse" in out.getvalue()
    assert "Analysed 1 items" in out.getvalue()
    assert "100%" in err.getvalue()
    assert survey_item.model_version == get_analyzer().model_version
    assert review_item.model_version == "ngram-lr-old"
