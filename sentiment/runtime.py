"""The NLP analyzer of this process: loaded once, refreshed when staff edit the taxonomy or
another model becomes active.

Loading the model and building the spaCy pipelines takes a moment and a few hundred MB, so
it happens lazily on first use in a worker (or in the web process when tasks run eagerly),
never at import time. Which analyzer is built follows the artifact: an accurate model gets
the accurate pipeline (embeddings and heads), a fast one the n-gram pipeline. Which model is
active is the registry's (sentiment.learning); the one a release ships follows VOZ_NLP_TIER.
"""

import logging
import threading

from django.conf import settings

from sentiment import learning, selectors
from sentiment.engine import Analyzer, TopicSpec
from sentiment.ml.model import load_model

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_analyzer: Analyzer | None = None
_registered_path: str | None = None  # the shipped model this process last registered

active_model_path = learning.tier_model_path


def topic_specs(topics) -> list[TopicSpec]:
    return [
        TopicSpec(
            slug=t.slug,
            patterns={"es": t.patterns("es"), "en": t.patterns("en")},
            examples=tuple(t.example_sentences()),
        )
        for t in topics
    ]


def build_analyzer(model, topics: list[TopicSpec], taxonomy_version: str) -> Analyzer:
    if getattr(model, "kind", "fast") == "accurate":
        from sentiment.engine_accurate import AccurateAnalyzer
        from sentiment.ml.encoder import Encoder

        # the encoder's threads are taken when the process first loads it (OpenMP reads them then)
        encoder = Encoder(threads=settings.VOZ_NLP_THREADS or None)
        return AccurateAnalyzer(model, topics, taxonomy_version, encoder=encoder)
    return Analyzer(model, topics, taxonomy_version)


def _active_model():
    """The registry's active model, loaded (cached per path). The shipped one is registered on first use."""
    global _registered_path
    shipped = str(learning.shipped_model_path())
    active = selectors.model_active()
    if active is None or _analyzer is None or shipped != _registered_path:
        # first use in this process, or the tier changed: a release may ship a model not yet registered
        learning.model_shipped_register()
        _registered_path = shipped
        active = selectors.model_active()
    try:
        return load_model(learning.artifact_path(active))
    except OSError:
        # a lost model volume must not stop the analysis of new feedback
        logger.exception("The active model %s cannot be loaded; using the shipped one", active.version)
        return load_model(learning.shipped_model_path())


def get_analyzer() -> Analyzer:
    """The process's analyzer, with the taxonomy and the model as they are in the database right now.

    Two small queries per call tell whether the taxonomy changed or another model was
    activated, so an edit or a switch in the admin takes effect on the next batch without
    restarting any worker (a switch to a model of the other kind builds the analyzer anew).
    """
    global _analyzer
    topics = selectors.taxonomy_active()
    version = selectors.taxonomy_version(topics)
    model = _active_model()
    with _lock:
        switched = _analyzer is not None and _analyzer.model_version != model.version
        # the accurate pipeline's components hold their model: another one means another pipeline
        if _analyzer is None or _kind(_analyzer.model) != _kind(model) or (switched and _kind(model) == "accurate"):
            _analyzer = build_analyzer(model, topic_specs(topics), version)
            return _analyzer
        if _analyzer.taxonomy_version != version:
            _analyzer.set_topics(topic_specs(topics), version)
        if _analyzer.model_version != model.version:
            _analyzer.set_model(model)
        return _analyzer


def _kind(model) -> str:
    return getattr(model, "kind", "fast")


def current_model_version() -> str:
    return get_analyzer().model_version
