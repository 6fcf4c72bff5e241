"""Evaluation of the sentiment model next to baselines measured in the same run.

``evaluate(model)`` returns a dict::

    {"model_version": ..., "results": {method: {"umsab-es": {"macro_f1", "accuracy", "n"}, ...}},
     "datasets": [...], "notes": [...]}

and ``to_markdown(result)`` renders the table. Methods:
- ``model``: the model passed in (the chosen one),
- ``majority``: most frequent class of the model's training data per language,
- ``tfidf_lr``: TF-IDF word(1-2) + char(2-5) + LogisticRegression(class_weight=balanced),
  trained here on the same training data as the model,
- ``vader``: VADER compound >= 0.05 positive, <= -0.05 negative, else neutral (English only;
  skipped if ``vaderSentiment`` is not installed).

Test splits: UMSAB (es/en), OpeNER (es/en, ``mixed`` dropped), UCI amazon/yelp/imdb (en,
binary, seeded split — a ``neutral`` prediction counts as an error; macro-F1 over the two
gold classes). ``voz_ecommerce`` has only a dev split and is reported as ``voz_ecommerce-xx
(dev)``: it was not used for training or tuning.
"""

from __future__ import annotations

import time
from collections import Counter

from sklearn.metrics import accuracy_score, f1_score

from . import datasets as D

TEST_SETS = {
    "es": ("umsab", "opener"),
    "en": ("umsab", "opener", "uci-amazon", "uci-yelp", "uci-imdb"),
}
DEV_ONLY_SETS = ("voz_ecommerce",)
TARGETS = {"umsab-es": 0.65, "opener-es": 0.72, "opener-en": 0.82}


def scores(gold, pred) -> dict:
    labels = sorted(set(gold))
    return {
        "macro_f1": round(float(f1_score(gold, pred, labels=labels, average="macro", zero_division=0)), 4),
        "accuracy": round(float(accuracy_score(gold, pred)), 4),
        "n": len(gold),
    }


def eval_sets(data_path=None, langs=("es", "en"), include_dev_only=True) -> list[D.Dataset]:
    out = []
    for lang in langs:
        out += D.load_many(TEST_SETS[lang], lang, "test", data_path)
        if include_dev_only:
            out += D.load_many(DEV_ONLY_SETS, lang, "dev", data_path)
    return out


def _col(ds: D.Dataset) -> str:
    return ds.key if ds.split == "test" else f"{ds.key} ({ds.split})"


class _TfidfLR:
    def __init__(self, seed: int = 13):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline, make_union

        self.pipe = make_pipeline(
            make_union(
                TfidfVectorizer(ngram_range=(1, 2)),
                TfidfVectorizer(analyzer="char", ngram_range=(2, 5)),
            ),
            LogisticRegression(max_iter=3000, class_weight="balanced", random_state=seed),
        )

    def fit(self, texts, labels):
        self.pipe.fit(texts, labels)
        return self

    def predict(self, texts):
        return list(self.pipe.predict(texts))


def _vader():
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
    except ImportError:  # optional dependency
        return None
    sia = SentimentIntensityAnalyzer()

    def predict(texts):
        out = []
        for t in texts:
            c = sia.polarity_scores(t)["compound"]
            out.append("positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral")
        return out

    return predict


def evaluate(
    model,
    data_path=None,
    langs=("es", "en"),
    train_sets: dict | None = None,
    baselines: bool = True,
    include_dev_only: bool = True,
    seed: int = 13,
) -> dict:
    """Evaluate ``model`` (a :class:`sentiment.ml.model.SentimentModel`) and the baselines.

    Baselines are trained on ``train_sets`` (default: the public datasets,
    ``model.SHARED_TRAIN_SETS``) train splits, in this run.
    """
    from .model import SHARED_TRAIN_SETS

    train_sets = train_sets or SHARED_TRAIN_SETS
    sets = eval_sets(data_path, langs, include_dev_only)
    results: dict[str, dict] = {"model": {}}
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    for ds in sets:
        preds = [p[0] for p in model.predict(ds.texts, ds.lang)]
        results["model"][_col(ds)] = scores(ds.labels, preds)
    timings["model_predict_s"] = round(time.perf_counter() - t0, 2)
    if baselines:
        results["majority"] = {}
        results["tfidf_lr"] = {}
        t0 = time.perf_counter()
        for lang in langs:
            texts, labels = D.concat(D.load_many(train_sets[lang], lang, "train", data_path))
            majority = Counter(labels).most_common(1)[0][0]
            tfidf = _TfidfLR(seed).fit(texts, labels)
            for ds in (d for d in sets if d.lang == lang):
                results["majority"][_col(ds)] = scores(ds.labels, [majority] * len(ds))
                results["tfidf_lr"][_col(ds)] = scores(ds.labels, tfidf.predict(ds.texts))
        timings["baselines_s"] = round(time.perf_counter() - t0, 2)
        vader = _vader() if "en" in langs else None
        if vader is not None:
            results["vader"] = {_col(ds): scores(ds.labels, vader(ds.texts)) for ds in sets if ds.lang == "en"}
    return {
        "model_version": getattr(model, "version", None),
        "datasets": [_col(ds) for ds in sets],
        "results": results,
        "targets": TARGETS,
        "timings": timings,
        "notes": [
            "macro-F1 on test splits; OpeNER `mixed` sentences dropped",
            "UCI: binary gold, seeded 80/10/10 split, neutral predictions count as errors",
            "voz_ecommerce: dev set only — never trained on; used to tune the topic patterns and to choose "
            "the in-domain training data",
            f"baselines trained in this run on: {dict(train_sets)}",
        ],
    }


def to_markdown(result: dict, metric: str = "macro_f1") -> str:
    cols = result["datasets"]
    targets = result.get("targets", {})
    lines = [
        f"Model `{result.get('model_version')}` — {metric.replace('_', '-')} (accuracy in brackets)",
        "",
        "| method | " + " | ".join(cols) + " |",
        "|---|" + "---|" * len(cols),
    ]
    for method, row in result["results"].items():
        cells = []
        for c in cols:
            r = row.get(c)
            cells.append("–" if r is None else f"{r[metric]:.3f} ({r['accuracy']:.3f})")
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    if targets:
        lines.append("| target | " + " | ".join(f"≥ {targets[c]:.2f}" if c in targets else "" for c in cols) + " |")
    lines.append("")
    lines += [f"- {n}" for n in result.get("notes", [])]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:  # python -m sentiment.ml.evaluate MODEL.npz
    import argparse
    import json

    from .model import SentimentModel

    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--data", default=None)
    ap.add_argument("--json", default=None, help="also write the result dict here")
    ap.add_argument("--no-baselines", action="store_true")
    a = ap.parse_args(argv)
    res = evaluate(SentimentModel.load(a.model), data_path=a.data, baselines=not a.no_baselines)
    print(to_markdown(res))
    if a.json:
        with open(a.json, "w", encoding="utf-8") as fh:
            json.dump(res, fh, indent=2, sort_keys=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
