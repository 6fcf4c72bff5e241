"""The NLP analyzer of this process: loaded once, refreshed when staff edit the taxonomy or the
active model changes.

Loading the model and building the spaCy pipelines takes a moment and a few hundred MB, so
it happens lazily on first use in a worker (or in the web process when tasks run eagerly),
never at import time. Which analyzer is built follows the artifact: an accurate model gets
the accurate pipeline (embeddings and heads), a fast one the n-gram pipeline.
"""

import threading

from django.conf import settings

from sentiment import selectors
from sentiment.engine import Analyzer, TopicSpec
from sentiment.ml.model import load_model

_lock = threading.Lock()
_analyzer: Analyzer | None = None
_analyzer_path: str | None = None

TIERS = ("fast", "accurate")


def topic_specs(topics) -> list[TopicSpec]:
    return [TopicSpec(slug=t.slug, patterns={"es": t.patterns("es"), "en": t.patterns("en")}) for t in topics]


def active_model_path() -> str:
    """SENTIMENT_MODEL_PATH when set (the active model of a registry), else the tier's artifact."""
    if settings.SENTIMENT_MODEL_PATH:
        return str(settings.SENTIMENT_MODEL_PATH)
    tier = settings.VOZ_NLP_TIER
    if tier not in TIERS:
        raise ValueError(f"VOZ_NLP_TIER must be one of {', '.join(TIERS)}, not {tier!r}")
    return str(settings.SENTIMENT_ACCURATE_MODEL_PATH if tier == "accurate" else settings.SENTIMENT_FAST_MODEL_PATH)


def build_analyzer(model, topics: list[TopicSpec], taxonomy_version: str) -> Analyzer:
    if getattr(model, "kind", "fast") == "accurate":
        from sentiment.engine_accurate import AccurateAnalyzer

        return AccurateAnalyzer(model, topics, taxonomy_version)
    return Analyzer(model, topics, taxonomy_version)


def get_analyzer() -> Analyzer:
    """The process's analyzer, with the taxonomy as it is in the database right now.

    One small query per call tells whether the taxonomy changed, so an edit in the admin
    takes effect on the next batch without restarting any worker; a change of the active
    model path (another tier, a new model) builds a new analyzer the same way.
    """
    global _analyzer, _analyzer_path
    topics = selectors.taxonomy_active()
    version = selectors.taxonomy_version(topics)
    path = active_model_path()
    with _lock:
        if _analyzer is None or _analyzer_path != path:
            _analyzer = build_analyzer(load_model(path), topic_specs(topics), version)
            _analyzer_path = path
        elif _analyzer.taxonomy_version != version:
            _analyzer.set_topics(topic_specs(topics), version)
        return _analyzer


def current_model_version() -> str:
    return load_model(active_model_path()).version
