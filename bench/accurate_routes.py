"""Which training route lifts the accurate tier's public scores without costing the shop texts?

Every route trains the accurate model's sentiment head (sentiment/ml/accurate.py) and is scored
only where choices may be made:
- in-domain: macro-F1 out-of-fold, leave-one-writer-out (voz_ecommerce_train and the written
  set's training part; the same folds and neutral band as `train_accurate`);
- public: macro-F1 on the *dev* splits of UMSAB and OpeNER (the model trained on all folds).
The written held-out fifth, voz_ecommerce_dev and the public test splits are not touched.

Routes:
- shipped: the public train sets, 1,000 rows per set and language, in-domain ×4;
- all: every public train row, in-domain ×4;
- all-balanced: every public train row, each set and language weighted to 1,000 rows in total;
- mlp: a small MLP head (128 hidden units) on embedding + lexicon + n-gram scores, alone and
  averaged with the linear head of the `--mlp-base` route;
and for each, the neutral band (per-language offsets chosen on the folds) on and off.

Usage: VOZ_EMBED_CACHE=/tmp/emb.sqlite .venv/bin/python bench/accurate_routes.py --data /work/shared/data
  [--routes shipped,all,...]
(the first run embeds about 11,000 texts; with the cache it is the regressions: minutes).
"""

import argparse
import io
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import scipy.sparse as sp  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

from sentiment.ml import accurate as A  # noqa: E402
from sentiment.ml import datasets as D  # noqa: E402
from sentiment.ml import lexicon  # noqa: E402
from sentiment.ml.encoder import Encoder  # noqa: E402
from sentiment.ml.model import LABELS, SentimentModel  # noqa: E402

PUBLIC_DEV = (("umsab", "es"), ("opener", "es"), ("umsab", "en"), ("opener", "en"))
STARTED = time.perf_counter()


def say(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:6.0f}s] {message}", flush=True)


class Data:
    """Texts, labels and the features that do not depend on the route, computed once."""

    def __init__(self, data_path: str, base_keys):
        self.data_path = data_path
        self.examples = A.default_examples(data_path)
        per_set = {"1000": A.BASE_PER_SET, "all": None}
        self.base = {key: A.base_examples(None, data_path, per_set=per_set[key]) for key in base_keys}
        self.dev = {(name, lang): D.load(name, lang, "dev", data_path) for name, lang in PUBLIC_DEV}
        texts = [ex.text for ex in self.examples]
        for rows in self.base.values():
            texts += [ex.text for ex in rows]
        for ds in self.dev.values():
            texts += ds.texts
        self.fast_bytes = A.DEFAULT_FAST_PATH.read_bytes()
        self.fast = SentimentModel.load(io.BytesIO(self.fast_bytes))
        self._ngram_base: dict[str, np.ndarray] = {}
        self._lex: dict[tuple[str, str], np.ndarray] = {}
        # the encoder-free features first: with a cold cache the embedding is the long part
        for key in self.base:
            self.ngram_base(key, A.AccurateConfig())
        say("lexicon scores")
        for rows in [*self.base.values(), self.examples]:
            self.lex([ex.text for ex in rows], [ex.lang for ex in rows])
        for (_, lang), ds in self.dev.items():
            self.lex(ds.texts, [lang] * len(ds))
        unique = list(dict.fromkeys(texts))
        say(f"{len(unique)} texts to embed (cached ones are read back)")
        vectors = Encoder().embed(unique)
        self.embedding = dict(zip(unique, vectors, strict=True))

    def lex(self, texts, langs) -> np.ndarray:
        todo = [(t, lang) for t, lang in zip(texts, langs, strict=True) if (t, lang) not in self._lex]
        if todo:
            rows = lexicon.features_many([t for t, _ in todo], [lang for _, lang in todo])
            self._lex.update(zip(todo, rows, strict=True))
        return np.vstack([self._lex[(t, lang)] for t, lang in zip(texts, langs, strict=True)])

    def ngram_base(self, key: str, config: A.AccurateConfig) -> np.ndarray:
        if key not in self._ngram_base:
            say(f"cross-fitted n-gram scores for the public rows ({key})")
            self._ngram_base[key] = A._cross_fitted_ngram(self.base[key], config.folds, config.seed, self.data_path)
        return self._ngram_base[key]


class Features:
    """One route's design matrix (train rows = public + in-domain) and the public dev rows."""

    def __init__(self, data: Data, base_key: str, config: A.AccurateConfig):
        base = data.base[base_key]
        rows = base + list(data.examples)
        self.n_base = len(base)
        self.rows = rows
        texts = [ex.text for ex in rows]
        self.langs = [ex.lang if ex.lang in A.LANGS else "es" for ex in rows]
        self.y = np.array([LABELS.index(ex.sentiment) for ex in rows])
        featurizer = A.TextFeaturizer(config).fit(texts, self.langs)
        self.width = featurizer.width
        ngram = np.zeros((len(rows), 3), dtype=np.float32)
        ngram[: self.n_base] = data.ngram_base(base_key, config)
        ngram[self.n_base :] = A.ngram_probs(data.fast, texts[self.n_base :], self.langs[self.n_base :])
        self.bundle = A.Bundle(
            featurizer.transform(texts, self.langs),
            np.vstack([data.embedding[t] for t in texts]),
            data.lex(texts, self.langs),
            ngram,
            self.langs,
        )
        self.dense = self.bundle.sentiment_dense(config)
        self.X = sp.hstack([self.bundle.text, sp.csr_matrix(self.dense)], format="csr")
        self.dev = {}
        for key, ds in data.dev.items():
            langs = [key[1]] * len(ds)
            bundle = A.Bundle(
                featurizer.transform(ds.texts, langs),
                np.vstack([data.embedding[t] for t in ds.texts]),
                data.lex(ds.texts, langs),
                A.ngram_probs(data.fast, ds.texts, langs),
                langs,
            )
            self.dev[key] = (bundle, bundle.sentiment_dense(config), np.array([LABELS.index(x) for x in ds.labels]))
        self.domain = np.arange(self.n_base, len(rows))
        self.fold = A._folds(data.examples, config.folds, config.seed)
        self.domain_langs = np.array([self.langs[i] for i in self.domain])


def base_weights(feats: Features, config: A.AccurateConfig, balance_to: float | None) -> np.ndarray:
    weights = np.array(
        [ex.weight * (1.0 if i < feats.n_base else config.in_domain_weight) for i, ex in enumerate(feats.rows)]
    )
    if balance_to:
        sources = [f"{ex.source}:{ex.lang}" for ex in feats.rows[: feats.n_base]]
        counts = {s: sources.count(s) for s in set(sources)}
        for i, source in enumerate(sources):
            weights[i] *= balance_to / counts[source]
    return weights


def linear_route(feats: Features, weights: np.ndarray, config: A.AccurateConfig):
    """Out-of-fold logits on the in-domain rows and dev-split logits of the model fitted on all."""
    oof = np.zeros((len(feats.domain), 3), dtype=np.float32)
    for f in range(int(feats.fold.max()) + 1):
        train_rows = np.concatenate([np.arange(feats.n_base), feats.domain[feats.fold != f]])
        coef, intercept = A._fit_lr(
            feats.X[train_rows],
            feats.y[train_rows],
            A._balanced_weights(feats.y[train_rows], weights[train_rows]),
            config.C,
            config.seed,
        )
        head = A.LinearHead(coef, intercept, feats.width)
        test_rows = feats.domain[feats.fold == f]
        oof[feats.fold == f] = head.decision(feats.bundle.text[test_rows], feats.dense[test_rows])
        say(f"  linear fold {f} done")
    coef, intercept = A._fit_lr(feats.X, feats.y, A._balanced_weights(feats.y, weights), config.C, config.seed)
    head = A.LinearHead(coef, intercept, feats.width)
    dev = {key: head.decision(bundle.text, dense) for key, (bundle, dense, _) in feats.dev.items()}
    return oof, dev


def mlp_dense(bundle: A.Bundle) -> np.ndarray:
    return np.hstack([bundle.embedding, bundle.lex, bundle.ngram, A.lang_onehot(bundle.langs)]).astype(np.float32)


def mlp_route(feats: Features, weights: np.ndarray, config: A.AccurateConfig):
    """The same folds with an MLP (128 hidden units) on embedding + lexicon + n-gram scores;
    log-probabilities stand in for logits."""

    def fit(rows):
        clf = MLPClassifier(
            hidden_layer_sizes=(128,), alpha=1e-3, max_iter=80, random_state=config.seed, learning_rate_init=1e-3
        )
        clf.fit(Xd[rows], feats.y[rows], sample_weight=A._balanced_weights(feats.y[rows], weights[rows]))
        return clf

    Xd = mlp_dense(feats.bundle)
    oof = np.zeros((len(feats.domain), 3), dtype=np.float32)
    for f in range(int(feats.fold.max()) + 1):
        train_rows = np.concatenate([np.arange(feats.n_base), feats.domain[feats.fold != f]])
        clf = fit(train_rows)
        oof[feats.fold == f] = np.log(np.clip(clf.predict_proba(Xd[feats.domain[feats.fold == f]]), 1e-6, 1))
        say(f"  mlp fold {f} done")
    clf = fit(np.arange(len(feats.rows)))
    dev = {
        key: np.log(np.clip(clf.predict_proba(mlp_dense(bundle)), 1e-6, 1)) for key, (bundle, _, _) in feats.dev.items()
    }
    return oof, dev


def scores(name: str, feats: Features, oof: np.ndarray, dev: dict, calibrate: bool) -> dict:
    y_domain = feats.y[feats.domain]
    bias = {
        lang: A.calibrate_bias(oof[feats.domain_langs == lang], y_domain[feats.domain_langs == lang])
        if calibrate
        else np.zeros(3, np.float32)
        for lang in A.LANGS
    }
    out = {"route": name + (" + neutral band" if calibrate else "")}
    for lang in A.LANGS:
        mask = feats.domain_langs == lang
        out[f"lowo-{lang}"] = f1_score(y_domain[mask], (oof[mask] + bias[lang]).argmax(1), average="macro")
    for (set_name, lang), (_, _, gold) in feats.dev.items():
        predicted = (dev[(set_name, lang)] + bias[lang]).argmax(1)
        out[f"{set_name}-{lang} dev"] = f1_score(gold, predicted, labels=sorted(set(gold)), average="macro")
    return out


def log_softmax(z: np.ndarray) -> np.ndarray:
    return np.log(np.clip(A._softmax(z), 1e-6, 1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=os.environ.get("SENTIMENT_DATA_DIR", str(ROOT.parent / "shared" / "data")))
    parser.add_argument("--routes", default="shipped,all,all-balanced,mlp")
    parser.add_argument("--mlp-base", default="shipped", help="The route whose rows and linear head the MLP joins.")
    args = parser.parse_args()
    if not os.environ.get("VOZ_EMBED_CACHE"):
        say("VOZ_EMBED_CACHE is not set: every text is embedded again")
    config = A.AccurateConfig()
    routes = args.routes.split(",")
    settings = {"shipped": ("1000", None), "all": ("all", None), "all-balanced": ("all", 1000.0)}
    chosen = [r for r in routes if r in settings] + ([args.mlp_base] if "mlp" in routes else [])
    data = Data(args.data, sorted({settings[r][0] for r in chosen}))
    results, outputs, features = [], {}, {}
    for route in [r for r in routes if r in settings]:
        base_key, balance_to = settings[route]
        say(f"route {route}")
        if base_key not in features:
            features[base_key] = Features(data, base_key, config)
        feats = features[base_key]
        outputs[route] = linear_route(feats, base_weights(feats, config, balance_to), config)
        for calibrate in (False, True):
            results.append(scores(route, feats, *outputs[route], calibrate))
            say(str(results[-1]))
    if "mlp" in routes:
        base_key, balance_to = settings[args.mlp_base]
        say(f"route mlp (rows of {args.mlp_base})")
        if base_key not in features:
            features[base_key] = Features(data, base_key, config)
        feats = features[base_key]
        weights = base_weights(feats, config, balance_to)
        oof, dev = mlp_route(feats, weights, config)
        for calibrate in (False, True):
            results.append(scores("mlp alone", feats, oof, dev, calibrate))
            say(str(results[-1]))
        if args.mlp_base not in outputs:
            outputs[args.mlp_base] = linear_route(feats, weights, config)
        lin_oof, lin_dev = outputs[args.mlp_base]
        avg_oof = np.log((np.exp(oof) + A._softmax(lin_oof)) / 2)
        avg_dev = {key: np.log((np.exp(dev[key]) + A._softmax(lin_dev[key])) / 2) for key in dev}
        for calibrate in (False, True):
            results.append(scores(f"mlp + linear ({args.mlp_base}) averaged", feats, avg_oof, avg_dev, calibrate))
            say(str(results[-1]))

    columns = ["lowo-es", "lowo-en"] + [f"{name}-{lang} dev" for name, lang in PUBLIC_DEV]
    print()
    print("| route | " + " | ".join(columns) + " |")
    print("|---|" + "---|" * len(columns))
    for row in results:
        print(f"| {row['route']} | " + " | ".join(f"{row[c]:.3f}" for c in columns) + " |")
    say("done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
