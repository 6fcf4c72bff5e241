"""Figures of an analyzer (either tier) as Voz runs it: public test splits, the written set's
held-out fifth and voz_ecommerce_dev, per language.

The held-out fifth and the dev set were used for no choice; choices were made on
leave-one-writer-out folds of the training texts (the `oof_*` metrics of the model).
"""

from __future__ import annotations

from sklearn.metrics import f1_score

from . import datasets as D
from . import topics_eval

PUBLIC = (("umsab", "es"), ("opener", "es"), ("umsab", "en"), ("opener", "en"))
PUBLIC_TODAY = {"umsab-es": 0.577, "opener-es": 0.668, "opener-en": 0.715}
PUBLIC_AIM = {"umsab-es": 0.65, "opener-es": 0.72, "opener-en": 0.82}


def public_scores(analyzer, data_path=None) -> dict:
    out = {}
    for name, lang in PUBLIC:
        ds = D.load(name, lang, "test", data_path)
        predicted = [result.label for result in analyzer.analyze(ds.texts, [lang] * len(ds))]
        out[f"{name}-{lang}"] = {
            "macro_f1": round(float(f1_score(ds.labels, predicted, labels=sorted(set(ds.labels)), average="macro")), 4),
            "n": len(ds),
        }
    return out


def evaluate_all(analyzer, data_path=None, written_dir=None, public: bool = True) -> dict:
    result = {
        "heldout": topics_eval.evaluate_topics(analyzer, records=D.load_written("heldout", written_dir), hint=False),
        "dev": topics_eval.evaluate_topics(analyzer, data_path, hint=False),
    }
    if public:
        result["public"] = public_scores(analyzer, data_path)
    return result


def to_markdown(result: dict, title: str) -> str:
    lines = [f"### {title}", ""]
    if "public" in result:
        lines += ["| public test split | macro-F1 | today's Voz | aim |", "|---|---|---|---|"]
        for key, row in result["public"].items():
            lines.append(
                f"| {key} | **{row['macro_f1']:.3f}** | {PUBLIC_TODAY.get(key, '–')} | {PUBLIC_AIM.get(key, '–')} |"
            )
        lines.append("")
    lines += [
        "| set | lang | n | sentiment macro-F1 | topic micro-F1 (P / R) | aspect accuracy |",
        "|---|---|---|---|---|---|",
    ]
    for name, label in (("heldout", "written held-out 20 %"), ("dev", "voz_ecommerce_dev (not used for choices)")):
        for lang, row in result[name]["languages"].items():
            aspect = "–" if row["aspect_accuracy"] is None else f"{row['aspect_accuracy']:.3f}"
            lines.append(
                f"| {label} | {lang} | {row['n']} | **{row['sentiment_macro_f1']:.3f}** | **{row['f1']:.3f}** "
                f"({row['precision']:.2f} / {row['recall']:.2f}) | **{aspect}** |"
            )
    return "\n".join(lines) + "\n"
