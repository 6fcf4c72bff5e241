"""Loaders for the labelled sentiment data in ``shared/data`` (see each folder's README).

Every loader returns :class:`Dataset` records with ``texts``, ``labels`` (always in
``negative`` / ``neutral`` / ``positive``), ``lang`` and ``split``.

Licence notes (from the dataset READMEs) — read before shipping a model trained on these:
- UMSAB tweets: Apache-2.0 repo with upstream caveats; treat as evaluation/development
  data and never ship the raw tweets.
- OpeNER hotel sentences: licence evidence indirect; "check with the rights holder before
  training a shipped model on it".
- UCI sentences (en, binary): CC BY 4.0, attribution to Kotzias et al. (KDD 2015).
- voz_ecommerce_dev: CC0-1.0, synthetic, 200 items; used here as a development set.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
from dataclasses import dataclass, field
from pathlib import Path

from sentiment.ml.shop_comments import COMMENTS, MIXED

LABELS = ("negative", "neutral", "positive")
LANGS = ("es", "en")
SPLITS = ("train", "dev", "test")

# <project>/sentiment/ml/datasets.py -> parents[2] = <project>, parents[3] = its parent.
DEFAULT_DATA_DIR = Path(__file__).resolve().parents[3] / "shared" / "data"
UCI_SOURCES = ("amazon", "yelp", "imdb")
UCI_FILES = {
    "amazon": "amazon_cells_labelled.tsv",
    "yelp": "yelp_labelled.tsv",
    "imdb": "imdb_labelled.tsv",
}
# UCI has no official split: a fixed, seeded, stratified 80/10/10 split per source file.
UCI_SPLIT_SEED = 20240601
UCI_SPLIT_FRACTIONS = (0.8, 0.1, 0.1)


@dataclass
class Dataset:
    name: str  # e.g. "umsab", "opener", "uci-amazon", "voz_ecommerce"
    lang: str
    split: str
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def key(self) -> str:
        return f"{self.name}-{self.lang}"

    def __iter__(self):  # allows ``texts, labels, lang, split = ds``
        return iter((self.texts, self.labels, self.lang, self.split))


def data_dir(path: str | os.PathLike | None = None) -> Path:
    """Resolve the data dir: explicit argument, ``VOZ_SENTIMENT_DATA`` env var, default."""
    if path is not None:
        return Path(path)
    env = os.environ.get("VOZ_SENTIMENT_DATA")
    return Path(env) if env else DEFAULT_DATA_DIR


def _check(lang: str, split: str, splits=SPLITS) -> None:
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    if split not in splits:
        raise ValueError(f"split must be one of {splits}, got {split!r}")


def _read_tsv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


def load_umsab(lang: str, split: str, path=None) -> Dataset:
    """UMSAB tweets (InterTASS es / SemEval-17 en), balanced 3-class."""
    _check(lang, split)
    rows = _read_tsv(data_dir(path) / "umsab_tweets_es_en" / f"{lang}_{split}.tsv")
    ds = Dataset("umsab", lang, split)
    for r in rows:
        label = r["label"].strip()
        if label not in LABELS:
            raise ValueError(f"unexpected UMSAB label {label!r}")
        ds.texts.append(r["text"])
        ds.labels.append(label)
    return ds


def load_opener(lang: str, split: str, path=None, mixed: str = "drop") -> Dataset:
    """OpeNER hotel-review sentences (derived TSV). ``neutral`` = no opinion expressed.

    ``mixed`` (sentences with both polarities): ``"drop"`` (default, as in the shared
    README baselines) or ``"majority"`` (label by the larger of n_pos/n_neg, ties dropped).
    """
    _check(lang, split)
    if mixed not in ("drop", "majority"):
        raise ValueError("mixed must be 'drop' or 'majority'")
    rows = _read_tsv(data_dir(path) / "opener_hotel_reviews_es_en" / f"{lang}_{split}_sentences.tsv")
    ds = Dataset("opener", lang, split)
    for r in rows:
        label = r["label"].strip()
        if label == "mixed":
            if mixed == "drop":
                continue
            n_pos, n_neg = int(r["n_pos"]), int(r["n_neg"])
            if n_pos == n_neg:
                continue
            label = "positive" if n_pos > n_neg else "negative"
        if label not in LABELS:
            raise ValueError(f"unexpected OpeNER label {label!r}")
        ds.texts.append(r["text"])
        ds.labels.append(label)
    return ds


def _uci_split_indices(labels: list[str], split: str) -> list[int]:
    rng = random.Random(UCI_SPLIT_SEED)
    chosen: list[int] = []
    for lab in sorted(set(labels)):
        idx = [i for i, y in enumerate(labels) if y == lab]
        rng.shuffle(idx)
        n = len(idx)
        a = int(round(n * UCI_SPLIT_FRACTIONS[0]))
        b = a + int(round(n * UCI_SPLIT_FRACTIONS[1]))
        part = {"train": idx[:a], "dev": idx[a:b], "test": idx[b:]}[split]
        chosen.extend(part)
    return sorted(chosen)


def load_uci(source: str, split: str, path=None) -> Dataset:
    """UCI Sentiment Labelled Sentences (English, binary: negative/positive).

    No official split: a fixed seeded stratified 80/10/10 split per source.
    """
    _check("en", split)
    if source not in UCI_FILES:
        raise ValueError(f"source must be one of {UCI_SOURCES}")
    rows = _read_tsv(data_dir(path) / "uci_sentiment_labelled_sentences_en" / UCI_FILES[source])
    texts = [r["text"] for r in rows]
    labels = []
    for r in rows:
        lab = r["label"].strip()
        lab = {"0": "negative", "1": "positive"}.get(lab, lab)
        if lab not in ("negative", "positive"):
            raise ValueError(f"unexpected UCI label {lab!r}")
        labels.append(lab)
    ds = Dataset(f"uci-{source}", "en", split)
    for i in _uci_split_indices(labels, split):
        ds.texts.append(texts[i])
        ds.labels.append(labels[i])
    return ds


def load_voz_ecommerce(lang: str, path=None, with_meta: bool = False):
    """Synthetic e-commerce feedback (CC0), a development set only (split ``"dev"``).

    With ``with_meta=True`` returns ``(Dataset, list_of_raw_records)`` (topics, aspects).
    """
    _check(lang, "dev")
    ds = Dataset("voz_ecommerce", lang, "dev")
    meta = []
    with open(data_dir(path) / "voz_ecommerce_dev" / "feedback.jsonl", encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            rec = json.loads(line)
            if rec["lang"] != lang:
                continue
            ds.texts.append(rec["text"])
            ds.labels.append(rec["sentiment"])
            meta.append(rec)
    return (ds, meta) if with_meta else ds


# Registry: name -> (languages, splits, loader(lang, split, path)).
def _uci_loader(source):
    return lambda lang, split, path=None: load_uci(source, split, path)


def load_voz_demo(lang: str, split: str, path=None, repeat: int = 1) -> Dataset:
    """The hand-written shop comments (shop_comments.py, written for this project; the demo shop
    draws on them too): a few hundred short e-commerce sentences per language, labelled by
    polarity. Training only — they are in-domain (deliveries, refunds, sizes) where tweets and
    hotel reviews are not."""
    _check(lang, split, ("train",))

    ds = Dataset("voz_demo", lang, split)
    for (language, _topic, polarity), sentences in sorted(COMMENTS.items()):
        if language == lang:
            for _ in range(repeat):
                ds.texts.extend(sentences)
                ds.labels.extend([polarity] * len(sentences))
    # Mixed comments teach the clause-level model: each clause carries its own aspect's polarity.
    for comment in MIXED:
        clauses = [part for part in _CONTRAST.split(comment.text) if part.strip()]
        if comment.language == lang and len(clauses) == len(comment.aspects):
            for _ in range(repeat):
                ds.texts.extend(clauses)
                ds.labels.extend(comment.aspects.values())
    return ds


_CONTRAST = re.compile(
    r"[,;]?\s*\b(?:pero|aunque|sin embargo|lástima que|but|although|though|however|shame that|whereas)\b,?\s*",
    re.IGNORECASE,
)


LOADERS = {
    "umsab": (LANGS, SPLITS, load_umsab),
    "opener": (LANGS, SPLITS, load_opener),
    **{f"uci-{s}": (("en",), SPLITS, _uci_loader(s)) for s in UCI_SOURCES},
    "voz_ecommerce": (LANGS, ("dev",), lambda lang, split, path=None: load_voz_ecommerce(lang, path)),
    "voz_demo": (LANGS, ("train",), load_voz_demo),
    "voz_demo_x3": (LANGS, ("train",), lambda lang, split, path=None: load_voz_demo(lang, split, path, repeat=3)),
}


def load(name: str, lang: str, split: str, path=None) -> Dataset:
    langs, splits, fn = LOADERS[name]
    if lang not in langs or split not in splits:
        raise ValueError(f"{name} has no {lang}/{split}")
    return fn(lang, split, path)


def available(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    langs, splits, _ = LOADERS[name]
    return langs, splits


def load_many(names, lang: str, split: str, path=None) -> list[Dataset]:
    """All datasets in ``names`` that exist for ``lang``/``split`` (others skipped)."""
    out = []
    for name in names:
        langs, splits = available(name)
        if lang in langs and split in splits:
            out.append(load(name, lang, split, path))
    return out


def concat(datasets) -> tuple[list[str], list[str]]:
    texts: list[str] = []
    labels: list[str] = []
    for ds in datasets:
        texts.extend(ds.texts)
        labels.extend(ds.labels)
    return texts, labels


# ---------------------------------------------------------------------------------------
# In-domain shop texts with topics and aspects (voz_ecommerce_train, the team's written set)
# ---------------------------------------------------------------------------------------
WRITTEN_DIR = Path(__file__).resolve().parents[1] / "data" / "written"
HELD_OUT_SEED = "voz-written-heldout-13"
HELD_OUT_PERCENT = 20


def is_held_out(item_id: str) -> bool:
    """A fixed fifth of the written texts is kept for the final evaluation only. The rule looks at
    the id alone, so it does not move when a file grows; the ids are listed in heldout_ids.txt."""
    import hashlib

    return int(hashlib.sha256(f"{HELD_OUT_SEED}:{item_id}".encode()).hexdigest(), 16) % 100 < HELD_OUT_PERCENT


def read_jsonl(path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def load_written(split: str = "train", directory=None) -> list[dict]:
    """The written set's records; `split` is "train", "heldout" or "all". Each record gets a
    `source` naming its writer (the file)."""
    directory = Path(directory or WRITTEN_DIR)
    out = []
    for path in sorted(directory.glob("*.jsonl")):
        name = path.stem
        for rec in read_jsonl(path):
            held = is_held_out(rec["id"])
            if split == "all" or (split == "heldout") == held:
                out.append({**rec, "source": name})
    return out


def load_voz_train(path=None) -> list[dict]:
    """voz_ecommerce_train (1,200 texts, three writers: ids a-*, b-*, c-*)."""
    rows = read_jsonl(data_dir(path) / "voz_ecommerce_train" / "feedback.jsonl")
    return [{**rec, "source": "voz-" + rec["id"].split("-")[0]} for rec in rows]
