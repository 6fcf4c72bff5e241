"""The NLP analyzer of this process: loaded once, refreshed when staff edit the taxonomy.

Loading the model and building the spaCy pipelines takes a moment and a few hundred MB, so
it happens lazily on first use in a worker (or in the web process when tasks run eagerly),
never at import time.
"""

import threading

from django.conf import settings

from sentiment import selectors
from sentiment.engine import Analyzer, TopicSpec
from sentiment.ml.model import load_model

_lock = threading.Lock()
_analyzer: Analyzer | None = None


def topic_specs(topics) -> list[TopicSpec]:
    return [TopicSpec(slug=t.slug, patterns={"es": t.patterns("es"), "en": t.patterns("en")}) for t in topics]


def get_analyzer() -> Analyzer:
    """The process's analyzer, with the taxonomy as it is in the database right now.

    One small query per call tells whether the taxonomy changed, so an edit in the admin
    takes effect on the next batch without restarting any worker.
    """
    global _analyzer
    topics = selectors.taxonomy_active()
    version = selectors.taxonomy_version(topics)
    with _lock:
        if _analyzer is None:
            model = load_model(settings.SENTIMENT_MODEL_PATH)
            _analyzer = Analyzer(model, topic_specs(topics), taxonomy_version=version)
        elif _analyzer.taxonomy_version != version:
            _analyzer.set_topics(topic_specs(topics), version)
        return _analyzer


def current_model_version() -> str:
    return load_model(settings.SENTIMENT_MODEL_PATH).version
