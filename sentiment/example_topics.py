"""Topics a shop defines by example: a few sentences, no retraining (no database here).

Each topic's example sentences are embedded and averaged into a centroid; a clause whose
cosine similarity to the centroid clears the topic's threshold is about that topic. The vectors
come from the model's own `embed(texts, language)` when it has one (the sentence encoder of the
accurate tier), and otherwise from the word and character n-gram TF-IDF of the fast model.

The threshold is set per topic without labelled data: halfway between how close ordinary shop
comments come to the centroid (their 95th percentile, from the hand-written comments in
sentiment.ml.shop_comments, none of which is about a shop's own topic) and how close each
example comes to the centroid of the others. Cosines of sentence encoders sit high and close
together, those of sparse n-grams low and spread out; measuring both ends in the same space
makes one rule serve both. Measured with 8 examples per topic on voz_ecommerce_train (where the
background does talk about the same topics, so it is the hard case): F1 0.39–0.60 (n-grams) and
0.39–0.48 (e5) for packaging, sizes, payment and returns; the patterns still apply beside it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import scipy.sparse as sp
from sklearn.preprocessing import normalize

from sentiment.language import detect_language

Embed = Callable[[list[str], str], np.ndarray]


@lru_cache(maxsize=2)
def background_comments(language: str) -> tuple[str, ...]:
    from sentiment.ml.shop_comments import COMMENTS

    return tuple(
        text for (lang, _topic, _polarity), texts in sorted(COMMENTS.items()) if lang == language for text in texts
    )


def ngram_embedder(model) -> Embed | None:
    """TF-IDF vectors from the fast model's own featuriser, where words it never saw in training
    count as rare words (its IDF gives them no weight at all: right for sentiment, wrong for a
    shop's product words)."""
    languages = getattr(model, "models", None)
    if not languages:
        return None

    def embed(texts: list[str], language: str) -> np.ndarray:
        featurizer = languages[language].feats
        words, chars = featurizer._counts(featurizer.preprocess(texts))
        blocks = []
        for counts, idf in ((words, featurizer.idf_word), (chars, featurizer.idf_char)):
            idf = idf.copy()
            idf[idf == 0] = idf.max()
            blocks.append(featurizer._weight(counts, idf))
        return normalize(sp.hstack(blocks).tocsr())

    return embed


def embedder_for(model) -> tuple[Embed | None, bool]:
    """The vectors to compare with, and whether they are comparable across languages."""
    embed = getattr(model, "embed", None)
    if callable(embed):
        return embed, True
    return ngram_embedder(model), False


def _dense(matrix) -> np.ndarray:
    return matrix.toarray() if sp.issparse(matrix) else np.asarray(matrix, dtype=np.float32)


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return vector / norm if norm else vector


@dataclass
class Centroid:
    slug: str
    vector: np.ndarray
    threshold: float
    examples: list[str]
    example_vectors: np.ndarray


def build_centroids(topics: Sequence, language: str, embed: Embed, multilingual: bool = False) -> list[Centroid]:
    """One centroid per topic with examples in this language (or, for a multilingual encoder, any)."""
    background = None
    centroids = []
    for topic in topics:
        examples = [text for text in topic.examples if text.strip()]
        if not multilingual:
            examples = [text for text in examples if detect_language(text, None)[0] == language]
        if len(examples) < 2:
            continue
        vectors = _dense(embed(examples, language))
        vectors = np.array([_unit(v) for v in vectors])
        centroid = _unit(vectors.mean(axis=0))
        others = [_unit(np.delete(vectors, i, axis=0).mean(axis=0)) for i in range(len(vectors))]
        leave_one_out = float(np.mean([vectors[i] @ others[i] for i in range(len(vectors))]))
        if background is None:
            background = _dense(embed(list(background_comments(language)), language))
        ordinary = float(np.percentile(background @ centroid, 95)) if len(background) else 0.0
        threshold = (ordinary + leave_one_out) / 2 if leave_one_out > ordinary else leave_one_out
        centroids.append(Centroid(topic.slug, centroid, threshold, examples, vectors))
    return centroids


def closest(centroids: list[Centroid], vectors) -> list[tuple[Centroid, np.ndarray, np.ndarray]]:
    """For each centroid: the similarity of every vector, and which example each is nearest to."""
    dense = _dense(vectors)
    return [(c, dense @ c.vector, (dense @ c.example_vectors.T).argmax(axis=1)) for c in centroids]
