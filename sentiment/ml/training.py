"""The one seam between "learn from the shop" and whichever model tier is trained (no Django here).

`train_model(kind, examples, progress=...)` takes labelled examples and returns a model that
predicts and saves itself (`.save(path)`, `.version`), whatever its kind; the registry
(sentiment.learning) knows nothing else about it. A new tier plugs in as one entry of TRAINERS.

`base_holdout_examples()` is Voz's own held-out split, the second half of the better-only gate:
a retrained model must not lose more than a little on it. It lives here alone so that switching
it to another split is a one-line change.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sentiment.ml import datasets as D
from sentiment.ml import model as ngram
from sentiment.ml.evaluate import scores

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Example:
    text: str
    language: str
    label: str
    # how many times it counts in training: a staff correction outweighs a rating
    weight: int = 1


def _no_progress(fraction: float, stage: str) -> None:
    pass


def _by_language(examples: Sequence[Example]) -> dict[str, tuple[list[str], list[str]]]:
    extra: dict[str, tuple[list[str], list[str]]] = {}
    for example in examples:
        if example.language not in D.LANGS or example.label not in D.LABELS:
            continue
        texts, labels = extra.setdefault(example.language, ([], []))
        texts.extend([example.text] * max(1, example.weight))
        labels.extend([example.label] * max(1, example.weight))
    return extra


def train_fast(
    examples: Sequence[Example],
    *,
    progress: Progress = _no_progress,
    data_path=None,
    base_sets: dict[str, tuple[str, ...]] | None = None,
    seed: int = 13,
):
    """The n-gram model on the base data it ships with, plus the shop's examples."""
    progress(0.1, "training")
    model = ngram.train(data_path=data_path, train_sets=base_sets, seed=seed, extra=_by_language(examples))
    progress(1.0, "trained")
    return model


TRAINERS: dict[str, Callable] = {"fast": train_fast}


def train_model(kind: str, examples: Sequence[Example], *, progress: Progress | None = None, **options):
    """Train a model of this kind on its base data plus `examples`; deterministic for the same input."""
    if kind not in TRAINERS:
        raise ValueError(f"unknown model kind {kind!r}; known: {', '.join(sorted(TRAINERS))}")
    return TRAINERS[kind](examples, progress=progress or _no_progress, **options)


def model_kind(model) -> str:
    return getattr(model, "kind", "fast")


def set_version(model, version: str) -> None:
    """Name a trained model as the registry knows it (the name is saved inside its artifact)."""
    if isinstance(getattr(model, "meta", None), dict):
        model.meta["version"] = version
    else:
        model.version = version


def artifact_name(model) -> str:
    """The file (or folder) name its `.save()` expects, after the version."""
    return model.version + getattr(model, "artifact_suffix", ".npz")


# ---------------------------------------------------------------------------------------
# Held-out slices and the figures the gate compares
# ---------------------------------------------------------------------------------------
BASE_HOLDOUT_PERCENT = 25


def _stable_percent(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest(), 16) % 100


def base_holdout_examples(data_path=None) -> list[Example]:
    """A fixed quarter of voz_ecommerce_train (picked by id, so it never moves), which no model trains on.

    Until Voz's own written held-out split exists, this is the in-domain data nobody tuned on.
    """
    path = D.data_dir(data_path) / "voz_ecommerce_train" / "feedback.jsonl"
    examples = []
    with open(path, encoding="utf-8") as stream:
        for line in stream:
            if line.strip():
                record = json.loads(line)
                if _stable_percent(f"base:{record['id']}") < BASE_HOLDOUT_PERCENT:
                    examples.append(Example(record["text"], record["lang"], record["sentiment"]))
    return examples


SHOP_HOLDOUT_PERCENT = 20


def is_shop_held_out(item_id: int) -> bool:
    """A stable fifth of the shop's labelled items never trains, so every retrain is judged on the same items."""
    return _stable_percent(str(item_id)) < SHOP_HOLDOUT_PERCENT


def macro_f1(model, examples: Sequence[Example]) -> dict:
    """Macro-F1 over the gold labels present, overall and per language (a "neutral" guess on a
    two-class slice counts as an error)."""
    gold: list[str] = []
    predicted: list[str] = []
    per_language = {}
    for language in sorted({e.language for e in examples if e.language in getattr(model, "languages", D.LANGS)}):
        rows = [e for e in examples if e.language == language]
        guesses = [label for label, _score, _confidence in model.predict([e.text for e in rows], language)]
        per_language[language] = scores([e.label for e in rows], guesses)
        gold += [e.label for e in rows]
        predicted += guesses
    if not gold:
        return {"macro_f1": None, "n": 0}
    return {**scores(gold, predicted), "languages": per_language}
