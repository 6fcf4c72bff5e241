"""The NLP engine: language, sentences, clauses, lemmas, topics and sentiment — no database.

One `Analyzer` per process holds a spaCy pipeline per language built from `spacy.blank(lang)`
(tokenizer, sentencizer and a small component that sets the lookup lemmas of
spacy-lookups-data and makes them case- and accent-insensitive), the taxonomy's PhraseMatchers and the
project's sentiment model. The taxonomy is plain data here: the caller (sentiment.runtime)
reads it from the database and calls `set_topics` when staff change it.

Aspect sentiment: sentences are cut into clauses at contrastive connectives ("pero",
"aunque", "but", "although" …), every clause is scored, and a topic takes the sentiment of
the clauses that mention it — so "Llegó tarde pero la atención fue excelente" gives
delivery negative and customer_service positive. All model calls of a batch are made in one
vectorised call per language, and a text that is a single clause is scored only once.
"""

from __future__ import annotations

import gzip
import json
import unicodedata
from dataclasses import asdict, dataclass, field
from functools import lru_cache

import numpy as np
import spacy
from spacy.attrs import LEMMA, NORM, ORTH
from spacy.language import Language
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from sentiment import example_topics
from sentiment.language import detect_language
from sentiment.ml.model import LABELS

PIPELINE_LANGUAGES = ("es", "en")

# Connectives that turn the opinion of a sentence: the clause after them is scored apart.
CONTRASTIVE = {
    "es": {
        ("pero",),
        ("aunque",),
        ("sino",),
        ("mientras", "que"),
        ("sin", "embargo"),
        ("no", "obstante"),
        ("eso", "sí"),
        ("eso", "si"),
        ("lástima", "que"),
        ("lastima", "que"),
        ("salvo",),
        ("excepto",),
        ("menos", "mal"),
    },
    "en": {
        ("but",),
        ("although",),
        ("though",),
        ("however",),
        ("whereas",),
        ("except",),
        ("apart", "from"),
        ("shame", "that"),
        ("pity", "that"),
        ("even", "though"),
    },
}
# Clause breaks that need no connective.
CLAUSE_PUNCT = {";", ":"}


class _NonSpacingMarks(dict):
    """A `str.translate` table that deletes the combining marks (category Mn) and keeps every
    other character, filled in as characters are met."""

    def __missing__(self, codepoint: int) -> int | None:
        self[codepoint] = None if unicodedata.category(chr(codepoint)) == "Mn" else codepoint
        return self[codepoint]


_NON_SPACING_MARKS = _NonSpacingMarks()


def strip_accents(text: str) -> str:
    # Plain ASCII has no accents, and a translate table instead of a test per character: the
    # lemma tables' half a million forms took a second and a half of every worker's start.
    if text.isascii():
        return text
    # ñ is a letter of its own in Spanish; keep it so "año" and "ano" stay apart.
    decomposed = unicodedata.normalize("NFD", text.replace("ñ", "\0").replace("Ñ", "\1"))
    stripped = decomposed.translate(_NON_SPACING_MARKS)
    return unicodedata.normalize("NFC", stripped).replace("\0", "ñ").replace("\1", "Ñ")


@dataclass(frozen=True)
class TopicSpec:
    slug: str
    patterns: dict[str, list[str]]
    # sentences that are about the topic, in any language: found by likeness (sentiment.example_topics)
    examples: tuple[str, ...] = ()


@dataclass
class SentenceResult:
    text: str
    start: int
    end: int
    label: str
    score: float
    confidence: float


@dataclass
class TopicResult:
    slug: str
    label: str
    score: float
    confidence: float
    matches: list[str]
    sentences: list[int] = field(default_factory=list)


@dataclass
class Layout:
    """Where things are in one doc: sentences, clauses (cut at contrastive connectives) and the
    token spans each topic's patterns matched."""

    lang: str
    doc: Doc
    sentences: list[tuple[int, int]]
    clauses: list[tuple[int, int, int]]  # start token, end token, sentence index
    hits: dict[str, list[tuple[int, int]]]

    def topic_clauses(self, slug: str) -> list[int]:
        chosen = []
        for start, end in self.hits.get(slug, ()):
            for index, (c_start, c_end, _) in enumerate(self.clauses):
                if c_start <= start < c_end or start <= c_start < end:
                    if index not in chosen:
                        chosen.append(index)
                    break
        return sorted(chosen)


@dataclass
class TextAnalysis:
    language: str
    language_confidence: float
    label: str
    score: float
    confidence: float
    sentences: list[SentenceResult]
    topics: list[TopicResult]
    model_version: str

    def as_dict(self) -> dict:
        return {
            "language": self.language,
            "language_confidence": self.language_confidence,
            "sentiment": {"label": self.label, "score": self.score, "confidence": self.confidence},
            "topics": [
                {
                    "slug": t.slug,
                    "sentiment": t.label,
                    "score": t.score,
                    "confidence": t.confidence,
                    "matches": t.matches,
                    "sentences": t.sentences,
                }
                for t in self.topics
            ],
            "sentences": [asdict(s) for s in self.sentences],
            "model_version": self.model_version,
        }


# ---------------------------------------------------------------------------------------
# Lemmas that survive capitals and missing accents
# ---------------------------------------------------------------------------------------
@lru_cache(maxsize=2)
def _lemma_tables(lang: str) -> tuple[dict[str, str], dict[str, str]]:
    """spacy-lookups-data's lemma table (form -> lemma, what spaCy's lookup lemmatizer reads), and
    the same keyed by accent-stripped lower-case forms, for "envio", "devolucion", "llego".

    Read once per process, as plain dicts: spaCy's own `Table` hashes each of the half a million
    forms into an ordered dict on load, which took a second of every analyzer's start for lookups
    a dict answers alike."""
    import spacy_lookups_data

    path = spacy_lookups_data.__path__[0] + f"/data/{lang}_lemma_lookup.json.gz"
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        table: dict[str, str] = json.load(stream)
    accentless: dict[str, str] = {}
    for form, lemma in table.items():
        key = strip_accents(form.lower())
        # Where stripping makes two forms collide, the accented original wins ("está" over "esta").
        if key not in accentless or key == form:
            accentless[key] = lemma
    return table, accentless


class _LemmaNormalizer:
    """Sets each token's lemma (the lookup table of spacy-lookups-data, as spaCy's lookup
    lemmatizer does) and its norm: the accent-less lower-case lemma the PhraseMatchers match on.

    It works on the doc's arrays, with a cache keyed by the token's string id: a Python Token object
    per token, as spaCy's own lemmatizer makes, took a fifth of the analysis time.
    """

    def __init__(self, nlp: Language, lang: str):
        self.lang = lang
        self.strings = nlp.vocab.strings
        self.lookup, self.accentless = _lemma_tables(lang)
        self.cache: dict[int, tuple[int, int]] = {}  # orth id → (lemma id, norm id)

    def _ids(self, text: str) -> tuple[int, int]:
        lower = text.lower()
        lemma = self.lookup.get(text)
        norm_lemma = lemma or self.lookup.get(lower)
        if norm_lemma is None:
            norm_lemma = self.accentless.get(strip_accents(lower), lower)
        # One more hop makes the lemma canonical: "envíos" gives "envío", whose own lemma
        # is "enviar", the same as "envío" and "envió" give directly.
        norm_lemma = self.lookup.get(norm_lemma, norm_lemma)
        return self.strings.add(lemma or text), self.strings.add(strip_accents(norm_lemma.lower()))

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        cache = self.cache
        orths = doc.to_array(ORTH)
        values = np.empty((len(orths), 2), dtype="uint64")
        strings = self.strings
        for position, orth in enumerate(orths.tolist()):
            ids = cache.get(orth)
            if ids is None:
                ids = self._ids(strings[orth])
                if len(cache) < 500_000:
                    cache[orth] = ids
            values[position] = ids
        doc.from_array([LEMMA, NORM], values)
        return doc


@Language.factory("voz_lemma_norm")
def make_lemma_normalizer(nlp: Language, name: str) -> _LemmaNormalizer:
    return _LemmaNormalizer(nlp, nlp.lang)


def build_pipeline(lang: str) -> Language:
    nlp = spacy.blank(lang)
    nlp.add_pipe("sentencizer")
    # sets the lookup lemmas spaCy's lookup lemmatizer would, and the norms, in one pass
    nlp.add_pipe("voz_lemma_norm")
    return nlp


# ---------------------------------------------------------------------------------------
# The analyzer
# ---------------------------------------------------------------------------------------
class Analyzer:
    def __init__(self, model, topics: list[TopicSpec], taxonomy_version: str = ""):
        self.model = model
        self.model_version: str = model.version
        self._topics_by_example: dict[str, list[example_topics.Centroid]] = {}
        self.pipelines = {lang: build_pipeline(lang) for lang in PIPELINE_LANGUAGES}
        self._connectives = {lang: self._connective_matcher(lang, phrases) for lang, phrases in CONTRASTIVE.items()}
        self.taxonomy_version = ""
        self._matchers: dict[str, PhraseMatcher] = {}
        self.set_topics(topics, taxonomy_version)

    def _pattern_doc(self, lang: str, pattern: str) -> Doc:
        nlp = self.pipelines[lang]
        return nlp.get_pipe("voz_lemma_norm")(nlp.make_doc(pattern))

    def _connective_matcher(self, lang: str, phrases) -> PhraseMatcher:
        matcher = PhraseMatcher(self.pipelines[lang].vocab, attr="LOWER")
        phrases = sorted(phrases) + [(mark,) for mark in sorted(CLAUSE_PUNCT)]
        matcher.add("CONTRAST", [self.pipelines[lang].make_doc(" ".join(words)) for words in phrases])
        return matcher

    def set_topics(self, topics: list[TopicSpec], taxonomy_version: str) -> None:
        """Rebuild the topic matchers; takes effect for the next call of `analyze`."""
        matchers = {}
        for lang in PIPELINE_LANGUAGES:
            matcher = PhraseMatcher(self.pipelines[lang].vocab, attr="NORM")
            for topic in topics:
                docs = [self._pattern_doc(lang, p) for p in topic.patterns.get(lang, []) if p.strip()]
                if docs:
                    matcher.add(topic.slug, docs)
            matchers[lang] = matcher
        self._matchers = matchers
        self.topic_slugs = [topic.slug for topic in topics]
        self.taxonomy_version = taxonomy_version
        self._topic_specs = list(topics)
        self._build_example_centroids()

    def set_model(self, model) -> None:
        """Swap the model (the registry activated another); takes effect for the next call of `analyze`."""
        self.model = model
        self.model_version = model.version
        self._build_example_centroids()

    def _build_example_centroids(self) -> None:
        # the centroids live in the model's vector space, so they follow a change of either
        with_examples = [topic for topic in self._topic_specs if topic.examples]
        embed, multilingual = example_topics.embedder_for(self.model) if with_examples else (None, False)
        self._embed = embed
        self._topics_by_example = {
            lang: example_topics.build_centroids(with_examples, lang, embed, multilingual)
            for lang in PIPELINE_LANGUAGES
            if embed is not None
        }

    # -- analysis --------------------------------------------------------------------------
    def analyze(
        self, texts: list[str], languages: list[str | None] | None = None, batch_size: int = 256
    ) -> list[TextAnalysis]:
        """Analyse a batch. `languages[i]` is the channel's language, used for very short texts
        and as the pipeline for texts in a language we have no pipeline for (Spanish otherwise)."""
        languages = languages or [None] * len(texts)
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
            docs = self.pipelines[lang].pipe((texts[i] for i in indexes), batch_size=batch_size)
            for i, analysis in zip(
                indexes, self._analyse_docs(lang, list(docs), [detected[i] for i in indexes]), strict=True
            ):
                results[i] = analysis
        return results  # type: ignore[return-value]

    def _analyse_docs(self, lang: str, docs: list[Doc], detected) -> list[TextAnalysis]:
        # 1. Cut every doc into sentences and clauses; collect the unique strings to score.
        to_score: dict[str, int] = {}

        def slot(text: str) -> int:
            if text not in to_score:
                to_score[text] = len(to_score)
            return to_score[text]

        layouts = []
        for doc in docs:
            text = doc.text.strip()
            if not text:
                layouts.append(None)
                continue
            doc_slot = slot(doc.text)
            sentences = []
            doc_sentences = [sent for sent in doc.sents if sent.text.strip()]
            for sent in doc_sentences:
                clauses = self._clauses(lang, doc, sent.start, sent.end)
                sentence_slot = doc_slot if len(doc_sentences) == 1 else slot(sent.text)
                clause_slots = (
                    [(start, end, sentence_slot) for start, end in clauses]
                    if len(clauses) == 1
                    else [(start, end, slot(doc[start:end].text)) for start, end in clauses]
                )
                sentences.append((sent, sentence_slot, clause_slots))
            layouts.append((doc_slot, sentences))

        # 2. One vectorised model call for the whole batch.
        probabilities = self.model.predict_proba(list(to_score), lang) if to_score else np.zeros((0, 3))
        classes = list(self.model.models[lang].classes)
        order = [classes.index(label) for label in LABELS]
        probabilities = probabilities[:, order] if len(probabilities) else probabilities

        # Topics defined by example: every clause compared with every centroid, in one product.
        centroids = self._topics_by_example.get(lang) or []
        likeness = (
            example_topics.closest(centroids, self._embed(list(to_score), lang)) if centroids and to_score else []
        )

        # 3. Assemble the results.
        analyses = []
        for doc, layout, (language, language_confidence) in zip(docs, layouts, detected, strict=True):
            if layout is None:
                analyses.append(
                    TextAnalysis(language, language_confidence, "neutral", 0.0, 1.0, [], [], self.model_version)
                )
                continue
            doc_slot, sentences = layout
            label, score, confidence = _summarise(probabilities[doc_slot])
            sentence_results = []
            clause_spans = []  # (start token, end token, sentence index, probability row)
            clause_rows = []
            for index, (sent, sentence_slot, clause_slots) in enumerate(sentences):
                s_label, s_score, s_conf = _summarise(probabilities[sentence_slot])
                sentence_results.append(
                    SentenceResult(sent.text, sent.start_char, sent.end_char, s_label, s_score, s_conf)
                )
                clause_spans += [(start, end, index, probabilities[row]) for start, end, row in clause_slots]
                clause_rows += [row for _start, _end, row in clause_slots]
            by_example = {
                centroid.slug: [
                    (clause, centroid.examples[nearest[row]])
                    for clause, row in enumerate(clause_rows)
                    if similarity[row] >= centroid.threshold
                ]
                for centroid, similarity, nearest in likeness
            }
            topics = self._topics(lang, doc, clause_spans, by_example)
            analyses.append(
                TextAnalysis(
                    language,
                    language_confidence,
                    label,
                    score,
                    confidence,
                    sentence_results,
                    topics,
                    self.model_version,
                )
            )
        return analyses

    def layout(self, lang: str, doc: Doc) -> Layout:
        sentences = [(sent.start, sent.end) for sent in doc.sents if sent.text.strip()] if len(doc) else []
        clauses = [
            (start, end, index)
            for index, (s_start, s_end) in enumerate(sentences)
            for start, end in self._clauses(lang, doc, s_start, s_end)
        ]
        hits: dict[str, list[tuple[int, int]]] = {}
        vocab_strings = doc.vocab.strings
        for match_id, start, end in self._matchers[lang](doc) if len(doc) else ():
            hits.setdefault(vocab_strings[match_id], []).append((start, end))
        return Layout(lang, doc, sentences, clauses, hits)

    def _clauses(self, lang: str, doc: Doc, start: int, end: int) -> list[tuple[int, int]]:
        cuts = [
            (start + match_start, start + match_end)
            for _, match_start, match_end in self._connectives[lang](doc[start:end])
        ]
        if not cuts:
            return [(start, end)]
        clauses = []
        position = start
        for cut_start, cut_end in sorted(cuts):
            if cut_start > position and _has_words(doc[position:cut_start]):
                clauses.append((position, cut_start))
            position = max(position, cut_end)
        if position < end and _has_words(doc[position:end]):
            clauses.append((position, end))
        return clauses or [(start, end)]

    def _topics(self, lang: str, doc: Doc, clause_spans, by_example=None) -> list[TopicResult]:
        found: dict[str, dict] = {}
        for slug, hits in (by_example or {}).items():
            for clause, example in hits:
                entry = found.setdefault(slug, {"matches": [], "rows": {}, "sentences": set()})
                # what an agent sees under "why these topics": the example it resembles
                if f"≈ {example}" not in entry["matches"]:
                    entry["matches"].append(f"≈ {example}")
                entry["rows"][clause] = clause_spans[clause][3]
                entry["sentences"].add(clause_spans[clause][2])
        vocab_strings = doc.vocab.strings
        for match_id, start, end in self._matchers[lang](doc):
            slug = vocab_strings[match_id]
            entry = found.setdefault(slug, {"matches": [], "rows": {}, "sentences": set()})
            words = doc[start:end].text
            if words not in entry["matches"]:
                entry["matches"].append(words)
            for index, (c_start, c_end, sentence_index, row) in enumerate(clause_spans):
                if c_start <= start < c_end or (start <= c_start < end):
                    entry["rows"][index] = row
                    entry["sentences"].add(sentence_index)
                    break
        results = []
        for slug in self.topic_slugs:
            if slug not in found:
                continue
            entry = found[slug]
            rows = list(entry["rows"].values())
            label, score, confidence = _summarise(np.mean(rows, axis=0)) if rows else ("neutral", 0.0, 0.0)
            results.append(TopicResult(slug, label, score, confidence, entry["matches"], sorted(entry["sentences"])))
        return results


def _has_words(span) -> bool:
    return any(token.is_alpha for token in span)


def _summarise(probability_row) -> tuple[str, float, float]:
    index = int(np.argmax(probability_row))
    score = float(probability_row[2] - probability_row[0])
    return LABELS[index], round(max(-1.0, min(1.0, score)), 4), round(float(probability_row[index]), 4)
