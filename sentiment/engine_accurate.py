"""The accurate tier as a spaCy pipeline: language → sentences → lemmas → clauses and pattern hits
→ sentence embedding → sentiment → topics → aspects, so a batch is analysed by one `nlp.pipe`
per language. Every component works on the whole batch at once (its `pipe` method): one encoder
call, one matrix product per head.

The output is the fast tier's `TextAnalysis`, so support triage, dashboards and exports read it
unchanged. Topics of the default taxonomy are decided by their trained classifiers (the
patterns are one of their features); a topic a shop added itself has no classifier yet and is
found by its patterns, as in the fast tier.
"""

from __future__ import annotations

from itertools import islice

import numpy as np
import scipy.sparse as sp
from spacy.language import Language
from spacy.tokens import Doc

from sentiment.engine import (
    PIPELINE_LANGUAGES,
    Analyzer,
    Layout,
    SentenceResult,
    TextAnalysis,
    TopicResult,
    TopicSpec,
    _summarise,
)
from sentiment.language import detect_language
from sentiment.ml.accurate import TOPICS, AccurateModel, Bundle
from sentiment.ml.encoder import Encoder

for _name in (
    "voz_language",
    "voz_layout",
    "voz_embedding",
    "voz_text_row",
    "voz_lex",
    "voz_ngram",
    "voz_sentiment",
    "voz_topics",
    "voz_analysis",
):
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=None)


def _batches(docs, size):
    docs = iter(docs)
    while batch := list(islice(docs, size)):
        yield batch


class _BatchComponent:
    """A component whose work is done on a list of docs; calling it on one doc is a batch of one."""

    def __call__(self, doc: Doc) -> Doc:
        self.process([doc])
        return doc

    def pipe(self, docs, batch_size: int = 64):
        for batch in _batches(docs, batch_size):
            self.process(batch)
            yield from batch

    def process(self, docs: list[Doc]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


class LanguageComponent:
    """The language Voz detected (the analyzer routes each text to its language's pipeline with
    it and leaves it on the doc); a doc made without one is detected here."""

    def __call__(self, doc: Doc) -> Doc:
        detected = doc.user_data.get("voz_language")
        doc._.voz_language = detected or detect_language(doc.text, doc.user_data.get("voz_hint"))
        return doc


class LayoutComponent:
    """Clauses (cut at "pero", "but" …) and the taxonomy's pattern hits, from the analyzer's matchers."""

    analyzer: Analyzer | None = None

    def __init__(self, lang: str):
        self.lang = lang

    def __call__(self, doc: Doc) -> Doc:
        doc._.voz_layout = self.analyzer.layout(self.lang, doc)
        return doc


class EmbeddingComponent(_BatchComponent):
    encoder: Encoder | None = None

    def process(self, docs):
        vectors = self.encoder.embed([doc.text for doc in docs], batch_size=len(docs) or 1)
        for doc, vector in zip(docs, vectors, strict=True):
            doc._.voz_embedding = vector


class SentimentComponent(_BatchComponent):
    model: AccurateModel | None = None

    def __init__(self, lang: str):
        self.lang = lang

    def process(self, docs):
        model = self.model
        texts = [doc.text for doc in docs]
        bundle = model.bundle(texts, [self.lang] * len(docs), np.vstack([doc._.voz_embedding for doc in docs]))
        probabilities = model.sentiment_proba(bundle)
        for row, doc in enumerate(docs):
            doc._.voz_text_row = bundle.text[row]
            doc._.voz_lex = bundle.lex[row]
            doc._.voz_ngram = bundle.ngram[row]
            doc._.voz_sentiment = probabilities[row]


class TopicsComponent(_BatchComponent):
    model: AccurateModel | None = None
    analyzer: Analyzer | None = None

    def __init__(self, lang: str):
        self.lang = lang

    def process(self, docs):
        model = self.model
        layouts: list[Layout] = [doc._.voz_layout for doc in docs]
        patterns = np.array(
            [[*(1.0 if slug in lay.hits else 0.0 for slug in TOPICS), min(len(lay.hits), 5) / 5] for lay in layouts],
            dtype=np.float32,
        ).reshape(-1, len(TOPICS) + 1)
        bundle = Bundle(
            sp.vstack([doc._.voz_text_row for doc in docs], format="csr"),
            np.vstack([doc._.voz_embedding for doc in docs]),
            np.vstack([doc._.voz_lex for doc in docs]),
            np.vstack([doc._.voz_ngram for doc in docs]),
            [self.lang] * len(docs),
        )
        probabilities = model.topic_proba(bundle, patterns)
        active = self.analyzer.topic_slugs
        for row, (doc, lay) in enumerate(zip(docs, layouts, strict=True)):
            found = []
            for slug in active:
                if slug in TOPICS:
                    t = TOPICS.index(slug)
                    if len(doc) and probabilities[row, t] >= model.thresholds[t]:
                        found.append((slug, float(probabilities[row, t])))
                elif slug in lay.hits:  # a shop's own topic: its patterns decide
                    found.append((slug, 1.0))
            doc._.voz_topics = found


class AspectsComponent(_BatchComponent):
    """Each topic's sentiment from the clause that mentions it, and each sentence's, in one head call."""

    model: AccurateModel | None = None
    model_version: str = ""

    def __init__(self, lang: str):
        self.lang = lang

    def process(self, docs):
        model = self.model
        spans, doc_rows, partial, topic_index = [], [], [], []
        plans = []
        # Which clause a topic is in, when its patterns did not say: every clause of the batch is
        # scored against every topic in one call.
        clause_owner, clause_texts = [], []
        for position, doc in enumerate(docs):
            lay = doc._.voz_layout
            if len(lay.clauses) > 1:
                for start, end, _ in lay.clauses:
                    clause_owner.append(position)
                    clause_texts.append(doc[start:end].text)
        clause_scores = (
            model.topic_text_scores(model.featurizer.transform(clause_texts, [self.lang] * len(clause_texts)))
            if clause_texts
            else np.zeros((0, len(TOPICS)))
        )
        first_clause = {}
        for row, position in enumerate(clause_owner):
            first_clause.setdefault(position, row)
        for position, doc in enumerate(docs):
            lay: Layout = doc._.voz_layout
            plan = {"topics": [], "sentences": []}
            for slug, _probability in doc._.voz_topics or []:
                chosen = lay.topic_clauses(slug)
                if not chosen and slug in TOPICS and len(lay.clauses) > 1:
                    first = first_clause[position]
                    scores = clause_scores[first : first + len(lay.clauses), TOPICS.index(slug)]
                    chosen = [int(np.argmax(scores))]
                t = TOPICS.index(slug) if slug in TOPICS else None
                matches = _matched_words(lay, slug)
                if len(lay.clauses) <= 1 or not chosen or len(chosen) >= len(lay.clauses):
                    plan["topics"].append((slug, None, matches, chosen))
                else:
                    text = " ".join(doc[lay.clauses[c][0] : lay.clauses[c][1]].text for c in chosen)
                    plan["topics"].append((slug, len(spans), matches or [text[:80]], chosen))
                    spans.append(text)
                    doc_rows.append(position)
                    partial.append(1.0)
                    topic_index.append(t + 1 if t is not None else 0)
            if len(lay.sentences) > 1:
                for start, end in lay.sentences:
                    plan["sentences"].append(len(spans))
                    spans.append(doc[start:end].text)
                    doc_rows.append(position)
                    partial.append(1.0)
                    topic_index.append(0)
            plans.append(plan)
        doc_proba = np.vstack([doc._.voz_sentiment for doc in docs]) if docs else np.zeros((0, 3))
        span_proba = model.span_proba(
            spans, [self.lang] * len(spans), doc_proba[doc_rows] if spans else np.zeros((0, 3)), partial, topic_index
        )
        for position, (doc, plan) in enumerate(zip(docs, plans, strict=True)):
            lay = doc._.voz_layout
            language, language_confidence = doc._.voz_language
            if not doc.text.strip():
                doc._.voz_analysis = TextAnalysis(
                    language, language_confidence, "neutral", 0.0, 1.0, [], [], self.model_version
                )
                continue
            whole = doc_proba[position]
            label, score, confidence = _summarise(whole)
            sentences = []
            for index, (start, end) in enumerate(lay.sentences):
                row = whole if not plan["sentences"] else span_proba[plan["sentences"][index]]
                s_label, s_score, s_conf = _summarise(row)
                span = doc[start:end]
                sentences.append(SentenceResult(span.text, span.start_char, span.end_char, s_label, s_score, s_conf))
            topics = []
            for slug, span_row, matches, chosen in plan["topics"]:
                row = whole if span_row is None else span_proba[span_row]
                t_label, t_score, t_conf = _summarise(row)
                sentence_indexes = sorted({lay.clauses[c][2] for c in chosen}) if chosen else []
                topics.append(TopicResult(slug, t_label, t_score, t_conf, matches, sentence_indexes))
            doc._.voz_analysis = TextAnalysis(
                language, language_confidence, label, score, confidence, sentences, topics, self.model_version
            )


def _matched_words(lay: Layout, slug: str) -> list[str]:
    words: list[str] = []
    for start, end in lay.hits.get(slug, ()):
        text = lay.doc[start:end].text
        if text not in words:
            words.append(text)
    return words


@Language.factory("voz_language")
def make_language(nlp, name):
    return LanguageComponent()


@Language.factory("voz_layout")
def make_layout(nlp, name):
    return LayoutComponent(nlp.lang)


@Language.factory("voz_embedding")
def make_embedding(nlp, name):
    return EmbeddingComponent()


@Language.factory("voz_sentiment")
def make_sentiment(nlp, name):
    return SentimentComponent(nlp.lang)


@Language.factory("voz_topics")
def make_topics(nlp, name):
    return TopicsComponent(nlp.lang)


@Language.factory("voz_aspects")
def make_aspects(nlp, name):
    return AspectsComponent(nlp.lang)


ACCURATE_COMPONENTS = ("voz_layout", "voz_embedding", "voz_sentiment", "voz_topics", "voz_aspects")


class AccurateAnalyzer(Analyzer):
    """Same interface as the fast `Analyzer` (analyze, set_topics, model_version, taxonomy_version)."""

    def __init__(
        self, model: AccurateModel, topics: list[TopicSpec], taxonomy_version: str = "", encoder: Encoder | None = None
    ):
        super().__init__(model, topics, taxonomy_version)
        self.encoder = encoder or Encoder()
        for lang, nlp in self.pipelines.items():
            nlp.add_pipe("voz_language", first=True)
            for name in ACCURATE_COMPONENTS:
                component = nlp.add_pipe(name)
                component.analyzer = self
                component.model = model
                component.encoder = self.encoder
                component.model_version = model.version
            self.pipelines[lang] = nlp

    def analyze(
        self, texts: list[str], languages: list[str | None] | None = None, batch_size: int = 256
    ) -> list[TextAnalysis]:
        languages = languages or [None] * len(texts)
        texts = [text if isinstance(text, str) else "" for text in texts]
        detected = [detect_language(text, hint) for text, hint in zip(texts, languages, strict=True)]
        pipeline_of = [
            lang if lang in PIPELINE_LANGUAGES else (hint if hint in PIPELINE_LANGUAGES else "es")
            for (lang, _), hint in zip(detected, languages, strict=True)
        ]
        results: list[TextAnalysis | None] = [None] * len(texts)
        for lang in PIPELINE_LANGUAGES:
            indexes = [i for i, p in enumerate(pipeline_of) if p == lang]
            if not indexes:
                continue
            nlp = self.pipelines[lang]
            docs = []
            for i in indexes:
                doc = nlp.make_doc(texts[i])
                doc.user_data["voz_language"] = detected[i]
                docs.append(doc)
            for i, doc in zip(indexes, nlp.pipe(docs, batch_size=batch_size), strict=True):
                results[i] = doc._.voz_analysis
        return results  # type: ignore[return-value]
