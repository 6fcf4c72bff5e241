"""The accurate tier's model: sentiment, topics and aspect sentiment from one set of features.

Features of a text (all computed again at analysis time, nothing of the training text is kept):
- hashed TF-IDF of word 1–2-grams and character 2–5-grams (the n-gram model's normalisation and
  negation marking);
- the multilingual-e5-small sentence embedding (`encoder.py`);
- the lexicon's negation- and contrast-aware scores (`lexicon.py`);
- the fast n-gram model's class probabilities (the fast artifact travels inside this one);
- for topics, which taxonomy patterns matched.

Heads:
- sentiment: multinomial logistic regression, public sets plus in-domain shop texts weighted up,
  its probabilities averaged with those of a small MLP (one hidden layer of 128 ReLU units over
  embedding + lexicon + n-gram scores; the one route that lifted both the shop texts and the
  public splits, REPORT.md), then a per-language bias on the neutral and negative logits (the
  "neutral band") chosen on out-of-fold predictions;
- topics: one binary logistic regression per topic of the default taxonomy, with a threshold
  per topic chosen on out-of-fold predictions;
- spans (aspects and sentences): a multinomial head over the span's own n-grams and lexicon
  scores plus the whole text's out-of-fold sentiment, so "Llegó tarde pero la atención fue
  excelente" gives delivery negative and customer_service positive.

Training is deterministic (fixed seeds, lbfgs) and the artifact is one `.npz` of plain arrays
(loaded with allow_pickle=False) whose name carries a hash of its content.
"""

from __future__ import annotations

import hashlib
import io
import json
import time
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.preprocessing import normalize as l2_normalize

from . import datasets as D
from . import lexicon
from .model import LABELS, SentimentModel, fit_on_occurring_columns, mark_negation, normalize_text

# The code that turns texts into features and labels: a model trained by other code on the same
# data and settings is another model, and its version says so.
TRAINING_CODE = ("accurate.py", "lexicon.py", "model.py", "encoder.py", "datasets.py")


def training_code_fingerprint() -> bytes:
    here = Path(__file__).resolve().parent
    return hashlib.sha256(b"".join((here / name).read_bytes() for name in TRAINING_CODE)).digest()


FORMAT_NAME = "voz-sentiment-accurate"
FORMAT_VERSION = 1
TOPICS = (
    "delivery",
    "product_quality",
    "price",
    "customer_service",
    "returns_refunds",
    "payment",
    "website_app",
    "packaging",
    "stock_availability",
    "size_fit",
)
LANGS = ("es", "en")
# The source of the in-domain examples that are a shop's own labels (its stars, survey scores and
# staff corrections, sentiment.learning): noisier than Voz's texts and of one trade only, so they
# train the heads but choose nothing (folds, the neutral band).
SHOP_SOURCE = "shop"
# At most this many times the weight of Voz's own texts in a language may a shop's labels weigh in
# it: past that, a shop with thousands of stars (one in ten contradicting its text) would outvote
# the texts that carry the labelling guide. Below it, their weights stay as given.
SHOP_MAX_SHARE = 1.0

Progress = Callable[[str, int, int], None]


@dataclass
class Example:
    """One labelled text. `topics is None` means "not labelled for topics" (e.g. a rated survey
    comment), so it trains the sentiment head only."""

    text: str
    lang: str
    sentiment: str
    topics: list[str] | None = None
    aspects: dict[str, str] | None = None
    weight: float = 1.0
    source: str = ""
    id: str = ""


def shop_weight_capped(examples: Sequence[Example]) -> tuple[list[Example], dict[str, float]]:
    """The examples with each language's shop labels scaled down to SHOP_MAX_SHARE of Voz's
    texts in it, if they weighed more (their proportions, corrections over stars, kept), and the
    factor applied per language."""
    factors: dict[str, float] = {}
    for lang in LANGS:
        shop = sum(ex.weight for ex in examples if ex.lang == lang and ex.source == SHOP_SOURCE)
        voz = sum(ex.weight for ex in examples if ex.lang == lang and ex.source != SHOP_SOURCE)
        factors[lang] = min(1.0, SHOP_MAX_SHARE * voz / shop) if shop and voz else 1.0
    capped = [
        replace(ex, weight=ex.weight * factors[ex.lang])
        if ex.source == SHOP_SOURCE and factors.get(ex.lang, 1.0) < 1.0
        else ex
        for ex in examples
    ]
    return capped, factors


@dataclass
class AccurateConfig:
    word_bits: int = 16
    char_bits: int = 17
    min_df: int = 2
    w_word: float = 1.0
    w_char: float = 1.0
    w_embed: float = 2.0
    w_lex: float = 1.0
    w_ngram: float = 1.0
    w_pattern: float = 1.0
    w_doc: float = 2.0
    in_domain_weight: float = 4.0
    C: float = 2.0
    topic_C: float = 4.0
    span_C: float = 1.0
    folds: int = 5
    calibrate: bool = True
    seed: int = 13
    # the sentiment MLP averaged with the linear head; 0 hidden units leaves the linear head alone
    mlp_hidden: int = 128
    mlp_epochs: int = 80
    mlp_alpha: float = 1e-3

    @classmethod
    def from_dict(cls, data: dict) -> AccurateConfig:
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


# ---------------------------------------------------------------------------------------
# Text features
# ---------------------------------------------------------------------------------------
class TextFeaturizer:
    def __init__(self, config: AccurateConfig):
        self.config = config
        common = {"alternate_sign": False, "norm": None, "lowercase": False, "dtype": np.float32}
        self.word = HashingVectorizer(
            analyzer="word",
            token_pattern=r"(?u)\b\w+\b|[!?]",
            ngram_range=(1, 2),
            n_features=2**config.word_bits,
            **common,
        )
        self.char = HashingVectorizer(analyzer="char_wb", ngram_range=(2, 5), n_features=2**config.char_bits, **common)
        self.idf_word: np.ndarray | None = None
        self.idf_char: np.ndarray | None = None

    @property
    def width(self) -> int:
        return 2**self.config.word_bits + 2**self.config.char_bits

    @staticmethod
    def preprocess(texts: Sequence[str], langs: Sequence[str]) -> list[str]:
        # 20,000 characters of one text would weigh as much as any other text after L2; the
        # first 4,000 say what it is about.
        return [mark_negation(normalize_text((t or "")[:4000]), lang) for t, lang in zip(texts, langs, strict=True)]

    def _idf(self, counts) -> np.ndarray:
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
        idf = np.log((1.0 + n) / (1.0 + df)) + 1.0
        idf[df < self.config.min_df] = 0.0
        return idf.astype(np.float32)

    @staticmethod
    def _weight(counts, idf):
        counts = counts.tocsr(copy=True)
        np.log(counts.data, out=counts.data)
        counts.data += 1.0
        counts = counts @ sp.diags(idf, format="csr")
        counts.eliminate_zeros()
        return l2_normalize(counts, copy=False)

    def fit(self, texts, langs) -> TextFeaturizer:
        pre = self.preprocess(texts, langs)
        self.idf_word = self._idf(self.word.transform(pre))
        self.idf_char = self._idf(self.char.transform(pre))
        return self

    def transform(self, texts, langs):
        """One sparse block: [word TF-IDF · w_word | char TF-IDF · w_char]."""
        pre = self.preprocess(texts, langs)
        word = self._weight(self.word.transform(pre), self.idf_word) * self.config.w_word
        char = self._weight(self.char.transform(pre), self.idf_char) * self.config.w_char
        return sp.hstack([word, char], format="csr", dtype=np.float32)


def lang_onehot(langs: Sequence[str]) -> np.ndarray:
    return np.array([[lang == "es", lang == "en"] for lang in langs], dtype=np.float32).reshape(-1, 2)


def ngram_probs(fast: SentimentModel, texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
    out = np.zeros((len(texts), 3), dtype=np.float32)
    for lang in LANGS:
        idx = [i for i, candidate in enumerate(langs) if candidate == lang]
        if idx:
            out[idx] = fast.predict_proba([texts[i] for i in idx], lang)
    return out


# ---------------------------------------------------------------------------------------
# Heads
# ---------------------------------------------------------------------------------------
class LinearHead:
    """coef (n_outputs, n_features) over [sparse text block | dense block]."""

    def __init__(self, coef: np.ndarray, intercept: np.ndarray, sparse_width: int):
        coef = np.asarray(coef, dtype=np.float32)
        self.sparse_coef_T = sp.csr_matrix(coef[:, :sparse_width]).T.tocsr()
        self.dense_coef_T = np.ascontiguousarray(coef[:, sparse_width:].T)
        self.intercept = np.asarray(intercept, dtype=np.float32)
        self.sparse_width = sparse_width

    @property
    def coef(self) -> np.ndarray:
        return np.hstack([self.sparse_coef_T.T.toarray(), self.dense_coef_T.T])

    def decision(self, sparse_block, dense_block: np.ndarray) -> np.ndarray:
        z = (
            (sparse_block @ self.sparse_coef_T).toarray()
            if sparse_block.shape[0]
            else np.zeros((0, len(self.intercept)))
        )
        return z + dense_block @ self.dense_coef_T + self.intercept

    def sparse_part(self, sparse_block) -> np.ndarray:
        return (sparse_block @ self.sparse_coef_T).toarray()


@dataclass
class MLPHead:
    """One hidden layer of ReLU units and a softmax, fitted by sklearn and applied with numpy."""

    w0: np.ndarray
    b0: np.ndarray
    w1: np.ndarray
    b1: np.ndarray

    def proba(self, dense: np.ndarray) -> np.ndarray:
        hidden = np.maximum(dense @ self.w0 + self.b0, 0.0)
        return _softmax(hidden @ self.w1 + self.b1)


def _fit_mlp(X: np.ndarray, y: np.ndarray, weights: np.ndarray, config: AccurateConfig) -> MLPHead | None:
    """None when a class is missing (a tiny training set): the linear head then answers alone."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    if config.mlp_hidden <= 0 or len(set(y.tolist())) < 3:
        return None
    clf = MLPClassifier(
        hidden_layer_sizes=(config.mlp_hidden,),
        alpha=config.mlp_alpha,
        max_iter=config.mlp_epochs,
        random_state=config.seed,
        learning_rate_init=1e-3,
    )
    # a fixed number of epochs is the recipe measured (early stopping would need a split of its own)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y, sample_weight=weights)
    w0, w1 = (np.asarray(w, dtype=np.float32) for w in clf.coefs_)
    b0, b1 = (np.asarray(b, dtype=np.float32) for b in clf.intercepts_)
    return MLPHead(w0, b0, w1, b1)


def _averaged_logits(linear_logits: np.ndarray, mlp_proba: np.ndarray) -> np.ndarray:
    """Log of the two heads' mean probabilities: the neutral band is a bias on these."""
    return np.log(np.clip((_softmax(linear_logits) + mlp_proba) / 2, 1e-6, 1.0))


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))


def _fit_lr(X, y, weights, C: float, seed: int, binary: bool = False) -> tuple[np.ndarray, np.ndarray]:
    clf = LogisticRegression(C=C, max_iter=500, random_state=seed, tol=1e-3)
    coef = fit_on_occurring_columns(clf, X, y, sample_weight=weights)
    intercept = clf.intercept_.astype(np.float32)
    if not binary and list(clf.classes_) != list(range(3)):
        # a class absent from a tiny training set: keep three rows so heads stay aligned
        full_c, full_i = np.zeros((3, coef.shape[1]), np.float32), np.full(3, -30.0, np.float32)
        for row, cls in enumerate(clf.classes_):
            full_c[int(cls)], full_i[int(cls)] = coef[row], intercept[row]
        coef, intercept = full_c, full_i
    return coef, intercept


def _balanced_weights(y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    totals = np.array([weights[y == k].sum() for k in range(3)])
    factor = np.where(totals > 0, totals.sum() / (3 * np.maximum(totals, 1e-9)), 0.0)
    return weights * factor[y]


def calibrate_bias(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The neutral band: offsets added to the negative and neutral logits that maximise macro-F1."""
    best, best_bias = -1.0, np.zeros(3, dtype=np.float32)
    grid = np.arange(-1.5, 1.51, 0.25)
    for neutral in grid:
        for negative in grid:
            bias = np.array([negative, neutral, 0.0], dtype=np.float32)
            score = f1_score(y, (logits + bias).argmax(axis=1), average="macro", labels=[0, 1, 2])
            # ties go to the smaller correction
            if score > best + 1e-9 or (abs(score - best) <= 1e-9 and np.abs(bias).sum() < np.abs(best_bias).sum()):
                best, best_bias = score, bias
    return best_bias


def choose_threshold(probs: np.ndarray, gold: np.ndarray) -> float:
    best, best_t = -1.0, 0.5
    for t in np.arange(0.2, 0.81, 0.05):
        score = f1_score(gold, probs >= t, zero_division=0)
        if score > best + 1e-9:
            best, best_t = score, float(round(t, 2))
    return best_t


# ---------------------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------------------
@dataclass
class Bundle:
    """Every feature of a batch of texts, computed once and shared by the heads."""

    text: object  # sparse
    embedding: np.ndarray
    lex: np.ndarray
    ngram: np.ndarray
    langs: list[str]

    def sentiment_dense(self, config: AccurateConfig) -> np.ndarray:
        return np.hstack(
            [
                self.embedding * config.w_embed,
                self.lex * config.w_lex,
                self.ngram * config.w_ngram,
                lang_onehot(self.langs),
            ]
        ).astype(np.float32)

    def mlp_dense(self) -> np.ndarray:
        return np.hstack([self.embedding, self.lex, self.ngram, lang_onehot(self.langs)]).astype(np.float32)


@dataclass
class AccurateModel:
    config: AccurateConfig
    featurizer: TextFeaturizer
    fast: SentimentModel
    fast_bytes: bytes
    sentiment: LinearHead
    bias: dict[str, np.ndarray]
    topics: LinearHead  # one row per topic in TOPICS
    thresholds: np.ndarray
    span: LinearHead
    meta: dict = field(default_factory=dict)
    kind: str = "accurate"
    # averaged with the linear sentiment head when present (artifacts trained before it have none)
    mlp: MLPHead | None = None
    # How `predict` embeds texts (the analyzer brings its own encoder): the function the model was
    # trained with, else the process's shared encoder. Not saved.
    embed: Callable[[list[str]], np.ndarray] | None = field(default=None, repr=False, compare=False)

    @property
    def version(self) -> str:
        return self.meta.get("version", "unversioned")

    @property
    def languages(self) -> list[str]:
        return list(LANGS)

    def predict(self, texts: Sequence[str], lang: str) -> list[tuple[str, float, float]]:
        """Document sentiment as the analyzer gives it, ``[(label, score, confidence), ...]``, for
        texts in `lang`: the registry's gate scores every model kind through this."""
        texts = [text if isinstance(text, str) else "" for text in texts]
        if not texts:
            return []
        embedding = (self.embed or shared_encoder().embed)(texts)
        probabilities = self.sentiment_proba(self.bundle(texts, [lang] * len(texts), embedding))
        out = []
        for text, row in zip(texts, probabilities, strict=True):
            if not text.strip():
                out.append(("neutral", 0.0, 1.0))  # as the analyzer answers an empty text
                continue
            index = int(np.argmax(row))
            score = float(row[LABELS.index("positive")] - row[LABELS.index("negative")])
            out.append((LABELS[index], round(max(-1.0, min(1.0, score)), 4), round(float(row[index]), 4)))
        return out

    # -- features ----------------------------------------------------------------------
    def bundle(self, texts: Sequence[str], langs: Sequence[str], embedding: np.ndarray) -> Bundle:
        texts, langs = list(texts), [lang if lang in LANGS else "es" for lang in langs]
        return Bundle(
            text=self.featurizer.transform(texts, langs),
            embedding=embedding,
            lex=lexicon.features_many(texts, langs),
            ngram=ngram_probs(self.fast, texts, langs),
            langs=langs,
        )

    # -- sentiment ---------------------------------------------------------------------
    def sentiment_logits(self, bundle: Bundle, calibrated: bool = True) -> np.ndarray:
        z = self.sentiment.decision(bundle.text, bundle.sentiment_dense(self.config))
        if self.mlp is not None:
            z = _averaged_logits(z, self.mlp.proba(bundle.mlp_dense()))
        if calibrated:
            z = z + np.array([self.bias.get(lang, np.zeros(3)) for lang in bundle.langs]).reshape(-1, 3)
        return z

    def sentiment_proba(self, bundle: Bundle) -> np.ndarray:
        return _softmax(self.sentiment_logits(bundle))

    # -- topics ------------------------------------------------------------------------
    def topic_dense(self, bundle: Bundle, patterns: np.ndarray) -> np.ndarray:
        return np.hstack([bundle.embedding * self.config.w_embed, patterns * self.config.w_pattern]).astype(np.float32)

    def topic_proba(self, bundle: Bundle, patterns: np.ndarray) -> np.ndarray:
        return _sigmoid(self.topics.decision(bundle.text, self.topic_dense(bundle, patterns)))

    def topic_text_scores(self, sparse_block) -> np.ndarray:
        """How much each span's own words point at each topic (to find the clause a topic is in)."""
        return self.topics.sparse_part(sparse_block)

    # -- spans (aspects, sentences) ----------------------------------------------------
    def span_proba(
        self, spans: Sequence[str], langs: Sequence[str], doc_proba: np.ndarray, partial, topic_index
    ) -> np.ndarray:
        if not len(spans):
            return np.zeros((0, 3), dtype=np.float32)
        langs = [lang if lang in LANGS else "es" for lang in langs]
        block = self.featurizer.transform(list(spans), langs)
        dense = span_dense(
            lexicon.features_many(list(spans), langs),
            ngram_probs(self.fast, list(spans), langs),
            doc_proba,
            np.asarray(partial, dtype=np.float32),
            np.asarray(topic_index),
            self.config,
        )
        return _softmax(self.span.decision(block, dense))

    # -- artifact ----------------------------------------------------------------------
    def save(self, path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, np.ndarray] = {
            "idf_word": self.featurizer.idf_word.astype(np.float16),
            "idf_char": self.featurizer.idf_char.astype(np.float16),
            "fast": np.frombuffer(self.fast_bytes, dtype=np.uint8),
            "thresholds": self.thresholds.astype(np.float32),
        }
        for name, head in (("sentiment", self.sentiment), ("topics", self.topics), ("span", self.span)):
            sparse_coef = head.sparse_coef_T.T.tocsr()
            sparse_coef.eliminate_zeros()
            arrays[f"{name}.data"] = sparse_coef.data.astype(np.float16)
            arrays[f"{name}.indices"] = sparse_coef.indices.astype(np.int32)
            arrays[f"{name}.indptr"] = sparse_coef.indptr.astype(np.int64)
            arrays[f"{name}.shape"] = np.array(sparse_coef.shape, dtype=np.int64)
            arrays[f"{name}.dense"] = head.dense_coef_T.T.astype(np.float32)
            arrays[f"{name}.intercept"] = head.intercept.astype(np.float32)
        for lang, bias in self.bias.items():
            arrays[f"bias.{lang}"] = np.asarray(bias, dtype=np.float32)
        if self.mlp is not None:
            for name in ("w0", "b0", "w1", "b1"):
                arrays[f"mlp.{name}"] = getattr(self.mlp, name).astype(np.float32)
        header = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "config": asdict(self.config),
            "topics": list(TOPICS),
            **self.meta,
        }
        arrays["header"] = np.frombuffer(json.dumps(header, sort_keys=True).encode("utf-8"), dtype=np.uint8)
        path.write_bytes(_zip_arrays(arrays))
        return path

    @classmethod
    def load(cls, path) -> AccurateModel:
        with np.load(Path(path), allow_pickle=False) as z:
            header = json.loads(bytes(z["header"]).decode("utf-8"))
            if header.get("format") != FORMAT_NAME or header.get("format_version") != FORMAT_VERSION:
                raise ValueError(f"not a {FORMAT_NAME} v{FORMAT_VERSION} artifact")
            config = AccurateConfig.from_dict(header["config"])
            featurizer = TextFeaturizer(config)
            featurizer.idf_word = z["idf_word"].astype(np.float32)
            featurizer.idf_char = z["idf_char"].astype(np.float32)
            heads = {}
            for name in ("sentiment", "topics", "span"):
                shape = tuple(z[f"{name}.shape"].tolist())
                sparse_coef = sp.csr_matrix(
                    (z[f"{name}.data"].astype(np.float32), z[f"{name}.indices"], z[f"{name}.indptr"]), shape=shape
                )
                head = LinearHead.__new__(LinearHead)
                head.sparse_coef_T = sparse_coef.T.tocsr()
                head.dense_coef_T = np.ascontiguousarray(z[f"{name}.dense"].T)
                head.intercept = z[f"{name}.intercept"]
                head.sparse_width = shape[1]
                heads[name] = head
            fast_bytes = z["fast"].tobytes()
            bias = {lang: z[f"bias.{lang}"] for lang in LANGS if f"bias.{lang}" in z.files}
            thresholds = z["thresholds"]
            mlp = MLPHead(*(z[f"mlp.{name}"] for name in ("w0", "b0", "w1", "b1"))) if "mlp.w0" in z.files else None
        fast = SentimentModel.load(io.BytesIO(fast_bytes))
        meta = {k: v for k, v in header.items() if k not in ("format", "format_version", "config", "topics")}
        return cls(
            config,
            featurizer,
            fast,
            fast_bytes,
            heads["sentiment"],
            bias,
            heads["topics"],
            thresholds,
            heads["span"],
            meta,
            mlp=mlp,
        )


_shared_encoder = None


def shared_encoder():
    """One encoder per process for `predict` (its weights are an mmap of a file in the wheel)."""
    global _shared_encoder
    if _shared_encoder is None:
        from .encoder import Encoder

        _shared_encoder = Encoder()
    return _shared_encoder


def span_dense(lex, ngram, doc_proba, partial, topic_index, config: AccurateConfig) -> np.ndarray:
    topic_onehot = np.zeros((len(partial), len(TOPICS) + 1), dtype=np.float32)
    topic_onehot[np.arange(len(partial)), np.asarray(topic_index, dtype=int)] = 1.0
    partial = partial.reshape(-1, 1)
    doc = np.log(np.clip(doc_proba, 1e-4, 1.0)) * config.w_doc
    return np.hstack([lex * config.w_lex, ngram * config.w_ngram, doc, doc * partial, partial, topic_onehot]).astype(
        np.float32
    )


def _zip_arrays(arrays: dict[str, np.ndarray]) -> bytes:
    # Fixed timestamps and order: the same model gives the same bytes (and the same hash).
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            info = zipfile.ZipInfo(name + ".npy", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            arr_buf = io.BytesIO()
            np.lib.format.write_array(arr_buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            zf.writestr(info, arr_buf.getvalue())
    return buf.getvalue()


def content_hash(path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:10]


# ---------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------
# Public sets trained on (train splits), with weight 1; in-domain shop texts weigh more.
# UCI (binary movie/phone/restaurant sentences) is left out: it has no neutral class and
# measured no gain for the shop texts (see REPORT.md).
BASE_SETS = {"es": ("umsab", "opener", "voz_demo"), "en": ("umsab", "opener", "voz_demo")}


# Each public set contributes at most this many texts per language (a fixed, class-stratified
# sample): the sentence encoder is the slow part of training, and beyond about a thousand the
# public texts add little for shop feedback (the fast model's scores, a feature, were trained
# on all of them).
BASE_PER_SET = 1000


def base_examples(
    base_sets: dict[str, Sequence[str]] | None, data_path=None, per_set: int | None = BASE_PER_SET, seed: int = 13
) -> list[Example]:
    out = []
    for lang, names in sorted((base_sets if base_sets is not None else BASE_SETS).items()):
        for ds in D.load_many(names, lang, "train", data_path):
            chosen = list(range(len(ds)))
            if per_set and len(ds) > per_set:
                rng = np.random.RandomState(seed)
                chosen = []
                for label in LABELS:
                    idx = [i for i, candidate in enumerate(ds.labels) if candidate == label]
                    take = round(per_set * len(idx) / len(ds))
                    chosen += sorted(rng.permutation(idx)[:take].tolist())
                chosen.sort()
            out += [
                Example(ds.texts[n], lang, ds.labels[n], source=f"base:{ds.name}", id=f"{ds.name}-{lang}-{n}")
                for n in chosen
            ]
    return out


def _folds(examples: Sequence[Example], k: int, seed: int) -> np.ndarray:
    """Fold of each in-domain example: one writer per fold when Voz's texts have enough writers
    (the hidden sets are by other writers, so this is the honest estimate), else stratified.

    A shop's labels (source SHOP_SOURCE) are no writer: they are spread over the folds by label.
    As one more "writer" they would all sit in one fold, scored by a model that never saw the
    shop, and they would move Voz's writers to other folds than the shipped model's."""
    fold = np.zeros(len(examples), dtype=int)
    shop = np.array([ex.source == SHOP_SOURCE for ex in examples], dtype=bool)
    voz = [ex for ex in examples if ex.source != SHOP_SOURCE]
    sources = sorted({ex.source for ex in voz})
    if len(sources) >= k:
        fold[~shop] = [sources.index(ex.source) % k for ex in voz]
    else:
        fold[~shop] = _stratified_folds(voz, k, seed)
    fold[shop] = _stratified_folds([ex for ex in examples if ex.source == SHOP_SOURCE], k, seed)
    return fold


def _stratified_folds(examples: Sequence[Example], k: int, seed: int) -> np.ndarray:
    rng = np.random.RandomState(seed)
    fold = np.zeros(len(examples), dtype=int)
    for label in LABELS:
        idx = [i for i, ex in enumerate(examples) if ex.sentiment == label]
        rng.shuffle(idx)
        for position, i in enumerate(idx):
            fold[i] = position % k
    return fold


def _cross_fitted_ngram(base: list[Example], k: int, seed: int, data_path=None) -> np.ndarray:
    """The fast model's scores on the public rows it was trained on would be over-confident;
    each fifth of them is scored by a fast model trained without it."""
    from .model import DEFAULT_C, DEFAULT_FEATURES, DEFAULT_TRAIN_SETS, TrainConfig, train_lang

    out = np.zeros((len(base), 3), dtype=np.float32)
    rng = np.random.RandomState(seed)
    for lang in LANGS:
        idx = np.array([i for i, ex in enumerate(base) if ex.lang == lang])
        if not len(idx):
            continue
        texts, labels = D.concat(D.load_many(DEFAULT_TRAIN_SETS[lang], lang, "train", data_path))
        fold = rng.randint(0, k, size=len(idx))
        for f in range(k):
            held = {base[i].text for i in idx[fold == f]}
            keep = [n for n, text in enumerate(texts) if text not in held]
            model, _ = train_lang(
                lang,
                [texts[n] for n in keep],
                [labels[n] for n in keep],
                TrainConfig(C=DEFAULT_C[lang], seed=seed, features=DEFAULT_FEATURES[lang]),
            )
            rows = idx[fold == f]
            if len(rows):
                out[rows] = model.predict_proba([base[i].text for i in rows])
    return out


def train_accurate(
    examples: Sequence[Example],
    *,
    base_sets: dict[str, Sequence[str]] | None = None,
    progress: Progress | None = None,
    config: AccurateConfig | None = None,
    fast_path=None,
    data_path=None,
    embed: Callable[[list[str]], np.ndarray] | None = None,
    version: str | None = None,
) -> AccurateModel:
    """Train the accurate model from in-domain `examples` plus the public `base_sets`.

    Deterministic: the same examples, base sets, config and fast model give the same artifact.
    `progress(stage, done, total)` is called as it goes (the CLI prints it, a Celery task can
    store it).
    """
    from .encoder import Encoder

    config = config or AccurateConfig()
    say = progress or (lambda stage, done, total: None)
    started = time.perf_counter()
    examples = [ex for ex in examples if ex.sentiment in LABELS and (ex.text or "").strip()]
    if not examples:
        raise ValueError("no labelled examples to train on")
    examples, shop_scale = shop_weight_capped(examples)
    fast_path = Path(fast_path or DEFAULT_FAST_PATH)
    fast_bytes = fast_path.read_bytes()
    fast = SentimentModel.load(io.BytesIO(fast_bytes))
    base = base_examples(base_sets, data_path)
    rows = base + list(examples)
    n_base = len(base)
    texts = [ex.text for ex in rows]
    langs = [ex.lang if ex.lang in LANGS else "es" for ex in rows]
    y = np.array([LABELS.index(ex.sentiment) for ex in rows])
    weights = np.array(
        [ex.weight * (1.0 if i < n_base else config.in_domain_weight) for i, ex in enumerate(rows)], dtype=np.float64
    )

    # 1. features
    predict_embed = embed
    if embed is None:
        encoder = Encoder()
        predict_embed = encoder.embed

        def embed(batch):
            return encoder.embed(batch, progress=lambda done, total: say("embedding", done, total))

    say("embedding", 0, len(texts))
    embedding = embed(texts)
    featurizer = TextFeaturizer(config).fit(texts, langs)
    text_block = featurizer.transform(texts, langs)
    say("n-gram scores", 0, 1)
    ngram = np.zeros((len(rows), 3), dtype=np.float32)
    # The public rows come from sets the fast model was trained on: cross-fitted scores for them.
    if n_base:
        ngram[:n_base] = _cross_fitted_ngram(base, config.folds, config.seed, data_path)
    ngram[n_base:] = ngram_probs(fast, texts[n_base:], langs[n_base:])
    say("n-gram scores", 1, 1)
    bundle = Bundle(text_block, embedding, lexicon.features_many(texts, langs), ngram, langs)
    dense = bundle.sentiment_dense(config)
    X = sp.hstack([text_block, sp.csr_matrix(dense)], format="csr")

    # 2. sentiment head: out-of-fold on the in-domain rows (for the neutral band and the span
    # head), then on everything
    domain = np.arange(n_base, len(rows))
    fold = _folds(examples, config.folds, config.seed)
    oof = np.zeros((len(domain), 3), dtype=np.float32)
    n_folds = int(fold.max()) + 1
    mlp_dense = bundle.mlp_dense()
    for f in range(n_folds):
        say("sentiment head (folds)", f, n_folds + 1)
        train_rows = np.concatenate([np.arange(n_base), domain[fold != f]])
        balanced = _balanced_weights(y[train_rows], weights[train_rows])
        coef, intercept = _fit_lr(X[train_rows], y[train_rows], balanced, config.C, config.seed)
        head = LinearHead(coef, intercept, featurizer.width)
        test_rows = domain[fold == f]
        oof[fold == f] = head.decision(text_block[test_rows], dense[test_rows])
        if config.mlp_hidden > 0:
            fold_mlp = _fit_mlp(mlp_dense[train_rows], y[train_rows], balanced, config)
            # a fold too small for the MLP still gives log-probabilities, the scale the band is chosen on
            other = fold_mlp.proba(mlp_dense[test_rows]) if fold_mlp else _softmax(oof[fold == f])
            oof[fold == f] = _averaged_logits(oof[fold == f], other)
    say("sentiment head (folds)", n_folds, n_folds + 1)
    balanced = _balanced_weights(y, weights)
    coef, intercept = _fit_lr(X, y, balanced, config.C, config.seed)
    sentiment = LinearHead(coef, intercept, featurizer.width)
    mlp = _fit_mlp(mlp_dense, y, balanced, config)
    say("sentiment head (folds)", n_folds + 1, n_folds + 1)
    y_domain = y[domain]
    domain_langs = np.array([langs[i] for i in domain])
    # The neutral band is chosen on Voz's in-domain texts only: where neutral begins is a matter of
    # Voz's labelling guide, and a shop's labels say little about it (a 3-star review is no label,
    # so its rows are positive or negative, and one rating in ten or so contradicts its text).
    chooses = np.array([ex.source != SHOP_SOURCE for ex in examples], dtype=bool)
    if not chooses.any():
        chooses[:] = True
    bias = {}
    for lang in LANGS:
        mask = (domain_langs == lang) & chooses
        bias[lang] = (
            calibrate_bias(oof[mask], y_domain[mask])
            if config.calibrate and mask.sum() >= 30
            else np.zeros(3, np.float32)
        )
    oof_calibrated = oof + np.array([bias[lang] for lang in domain_langs]).reshape(-1, 3)
    oof_proba = _softmax(oof_calibrated)
    metrics = {}
    for lang in LANGS:
        mask = (domain_langs == lang) & chooses
        if mask.any():
            score = f1_score(y_domain[mask], oof_calibrated[mask].argmax(1), average="macro")
            metrics[f"oof_sentiment_macro_f1_{lang}"] = round(float(score), 4)

    # 3. topic heads, on the rows labelled with topics
    say("topic heads", 0, len(TOPICS) + 1)
    layout = _TrainingLayout(fast)
    topic_rows = [i for i, ex in enumerate(examples) if ex.topics is not None]
    topics_head, thresholds = None, np.full(len(TOPICS), 0.5, dtype=np.float32)
    rows_idx = domain[topic_rows] if topic_rows else np.array([], dtype=int)
    layouts = layout.docs([texts[i] for i in domain], [langs[i] for i in domain])
    patterns_all = np.array([layout.pattern_vector(item) for item in layouts], dtype=np.float32).reshape(
        -1, len(TOPICS) + 1
    )
    topic_coef = np.zeros((len(TOPICS), featurizer.width + embedding.shape[1] + len(TOPICS) + 1), np.float32)
    topic_intercept = np.full(len(TOPICS), -10.0, np.float32)
    if topic_rows:
        Xt_text = text_block[rows_idx]
        Xt_dense = np.hstack([embedding[rows_idx] * config.w_embed, patterns_all[topic_rows] * config.w_pattern])
        Xt = sp.hstack([Xt_text, sp.csr_matrix(Xt_dense)], format="csr")
        tfold = fold[topic_rows]
        tw = weights[rows_idx]
        oof_topics = np.zeros((len(topic_rows), len(TOPICS)), dtype=np.float32)
        for t, slug in enumerate(TOPICS):
            gold = np.array([slug in (examples[i].topics or ()) for i in topic_rows])
            if gold.sum() < 5:
                continue
            for f in range(int(tfold.max()) + 1):
                train_mask = tfold != f
                if gold[train_mask].all() or not gold[train_mask].any():
                    continue
                c, b = _fit_lr(
                    Xt[train_mask],
                    gold[train_mask],
                    _binary_weights(gold[train_mask], tw[train_mask]),
                    config.topic_C,
                    config.seed,
                    binary=True,
                )
                oof_topics[~train_mask, t] = _sigmoid((Xt[~train_mask] @ c.T).ravel() + b[0])
            thresholds[t] = choose_threshold(oof_topics[:, t], gold)
            c, b = _fit_lr(Xt, gold, _binary_weights(gold, tw), config.topic_C, config.seed, binary=True)
            topic_coef[t], topic_intercept[t] = c[0], b[0]
            say("topic heads", t + 1, len(TOPICS) + 1)
        gold_all = np.array([[slug in (examples[i].topics or ()) for slug in TOPICS] for i in topic_rows])
        pred_all = oof_topics >= thresholds
        for lang in LANGS:
            mask = np.array([langs[domain[i]] == lang for i in topic_rows])
            if mask.any():
                metrics[f"oof_topic_micro_f1_{lang}"] = round(
                    float(f1_score(gold_all[mask], pred_all[mask], average="micro", zero_division=0)), 4
                )
    topics_head = LinearHead(topic_coef, topic_intercept, featurizer.width)

    # 4. span head: aspects, from the clause that mentions the topic
    say("span head", 0, 1)
    span_texts, span_langs, span_doc, span_partial, span_topic, span_y, span_w = [], [], [], [], [], [], []
    for position, ex in enumerate(examples):
        if not ex.aspects:
            continue
        item = layouts[position]
        for slug, label in ex.aspects.items():
            if slug not in TOPICS or label not in LABELS:
                continue
            text, partial = layout.topic_span(item, slug, topics_head, featurizer, TOPICS.index(slug))
            span_texts.append(text)
            span_langs.append(langs[domain[position]])
            span_doc.append(oof_proba[position])
            span_partial.append(partial)
            span_topic.append(TOPICS.index(slug) + 1)
            span_y.append(LABELS.index(label))
            span_w.append(weights[domain[position]])
    if span_texts:
        block = featurizer.transform(span_texts, span_langs)
        sd = span_dense(
            lexicon.features_many(span_texts, span_langs),
            ngram_probs(fast, span_texts, span_langs),
            np.array(span_doc),
            np.array(span_partial, dtype=np.float32),
            np.array(span_topic),
            config,
        )
        Xs = sp.hstack([block, sp.csr_matrix(sd)], format="csr")
        ys = np.array(span_y)
        c, b = _fit_lr(Xs, ys, _balanced_weights(ys, np.array(span_w)), config.span_C, config.seed)
        span = LinearHead(c, b, featurizer.width)
    else:
        width = 20 + 3 + 3 + 3 + 1 + len(TOPICS) + 1
        span = LinearHead(
            np.zeros((3, featurizer.width + width), np.float32), np.zeros(3, np.float32), featurizer.width
        )
    say("span head", 1, 1)

    fingerprint = hashlib.sha256()
    for ex in rows:
        fingerprint.update(f"{ex.lang}\t{ex.sentiment}\t{ex.topics}\t{ex.aspects}\t{ex.weight}\t{ex.text}\n".encode())
    fingerprint.update(json.dumps(asdict(config), sort_keys=True).encode())
    fingerprint.update(fast_bytes)
    fingerprint.update(training_code_fingerprint())
    meta = {
        "version": version or f"accurate-{FORMAT_VERSION}-{fingerprint.hexdigest()[:8]}",
        "fast_version": fast.version,
        "train": {
            "base": {lang: sum(1 for ex in base if ex.lang == lang) for lang in LANGS},
            "in_domain": {lang: sum(1 for ex in examples if ex.lang == lang) for lang in LANGS},
            "sources": sorted({ex.source for ex in examples}),
            "shop_weight_scale": {lang: round(factor, 4) for lang, factor in shop_scale.items()},
            "data_sha256_16": fingerprint.hexdigest()[:16],
        },
        "metrics": metrics,
    }
    model = AccurateModel(
        config,
        featurizer,
        fast,
        fast_bytes,
        sentiment,
        bias,
        topics_head,
        thresholds,
        span,
        meta,
        embed=predict_embed,
        mlp=mlp,
    )
    model.train_seconds = round(time.perf_counter() - started, 1)
    return model


def _binary_weights(gold: np.ndarray, weights: np.ndarray) -> np.ndarray:
    pos, neg = weights[gold].sum(), weights[~gold].sum()
    total = pos + neg
    return np.where(gold, weights * total / (2 * max(pos, 1e-9)), weights * total / (2 * max(neg, 1e-9)))


DEFAULT_FAST_PATH = Path(__file__).resolve().parents[1] / "artifacts" / "sentiment-model.npz"


class _TrainingLayout:
    """Sentences, clauses and taxonomy pattern hits of training texts, by the same spaCy code
    the analyzer runs, with the default taxonomy's patterns."""

    def __init__(self, fast: SentimentModel):
        from sentiment.engine import Analyzer, TopicSpec
        from sentiment.taxonomy_default import DEFAULT_TOPICS

        specs = [TopicSpec(t["slug"], {"es": t["patterns_es"], "en": t["patterns_en"]}) for t in DEFAULT_TOPICS]
        self.analyzer = Analyzer(fast, specs, "default")

    def docs(self, texts: list[str], langs: list[str]) -> list:
        out: list = [None] * len(texts)
        for lang in LANGS:
            idx = [i for i, candidate in enumerate(langs) if candidate == lang]
            docs = self.analyzer.pipelines[lang].pipe([texts[i] for i in idx], batch_size=256)
            for i, doc in zip(idx, docs, strict=True):
                out[i] = self.analyzer.layout(lang, doc)
        return out

    @staticmethod
    def pattern_vector(layout) -> list[float]:
        found = [1.0 if slug in layout.hits else 0.0 for slug in TOPICS]
        return [*found, min(len(layout.hits), 5) / 5]

    @staticmethod
    def topic_span(layout, slug: str, topics_head: LinearHead, featurizer: TextFeaturizer, t: int) -> tuple[str, float]:
        return topic_span(layout, slug, topics_head, featurizer, t)


def topic_clauses(layout, slug: str, topics_head: LinearHead, featurizer: TextFeaturizer, t: int) -> list[int]:
    """The clauses a topic is talked about in: those its patterns matched, else the clause whose
    own words point at it most."""
    if len(layout.clauses) <= 1:
        return list(range(len(layout.clauses)))
    chosen = layout.topic_clauses(slug)
    if not chosen:
        texts = [layout.doc[start:end].text for start, end, _ in layout.clauses]
        scores = topics_head.sparse_part(featurizer.transform(texts, [layout.lang] * len(texts)))[:, t]
        chosen = [int(np.argmax(scores))]
    return chosen


def topic_span(layout, slug: str, topics_head: LinearHead, featurizer: TextFeaturizer, t: int) -> tuple[str, float]:
    chosen = topic_clauses(layout, slug, topics_head, featurizer, t)
    if len(chosen) >= len(layout.clauses):
        return layout.doc.text, 0.0
    return " ".join(layout.doc[layout.clauses[c][0] : layout.clauses[c][1]].text for c in chosen), 1.0


def examples_from_records(records: Sequence[dict]) -> list[Example]:
    return [
        Example(
            text=rec["text"],
            lang=rec["lang"],
            sentiment=rec["sentiment"],
            topics=list(rec.get("topics", [])),
            aspects=dict(rec.get("aspects", {})),
            source=rec.get("source", ""),
            id=rec.get("id", ""),
        )
        for rec in records
    ]


def default_examples(data_path=None, written_dir=None) -> list[Example]:
    """The in-domain training texts: voz_ecommerce_train and the written set minus its held-out fifth.
    voz_ecommerce_dev is never trained on (it is reported, not used for choices)."""
    return examples_from_records(D.load_voz_train(data_path) + D.load_written("train", written_dir))
