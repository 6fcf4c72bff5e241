"""Topic tagging and aspect sentiment measured on the e-commerce dev set (voz_ecommerce_dev)."""

from __future__ import annotations

from collections import Counter

from . import datasets as D


def evaluate_topics(analyzer, data_path=None, records: list[dict] | None = None, hint: bool = True) -> dict:
    """Micro-F1 of topics (overall and per language), per-topic precision/recall, accuracy of
    the aspect sentiment on correctly found topics, and overall sentiment accuracy and macro-F1.

    `records` (default: voz_ecommerce_dev) in its format; `hint=False` lets Voz detect the
    language, as `analyze_texts` does for the hidden sets."""
    from sklearn.metrics import f1_score

    per_lang = {}
    topic_counts: dict[str, Counter] = {}
    aspect_hits = aspect_total = 0
    aspect_by_lang: dict[str, list[int]] = {}
    for lang in D.LANGS:
        if records is None:
            _, rows = D.load_voz_ecommerce(lang, data_path, with_meta=True)
        else:
            rows = [row for row in records if row["lang"] == lang]
        if not rows:
            continue
        texts = [row["text"] for row in rows]
        results = analyzer.analyze(texts, [lang if hint else None] * len(texts))
        tp = fp = fn = 0
        sentiment_hits = 0
        lang_aspects = aspect_by_lang.setdefault(lang, [0, 0])
        for row, result in zip(rows, results, strict=True):
            gold = set(row["topics"])
            found = {topic.slug: topic for topic in result.topics}
            predicted = set(found)
            tp += len(gold & predicted)
            fp += len(predicted - gold)
            fn += len(gold - predicted)
            sentiment_hits += result.label == row["sentiment"]
            for slug in gold | predicted:
                counts = topic_counts.setdefault(slug, Counter())
                counts["tp" if slug in gold and slug in predicted else "fp" if slug in predicted else "fn"] += 1
            for slug in gold & predicted:
                aspect_total += 1
                hit = found[slug].label == row["aspects"][slug]
                aspect_hits += hit
                lang_aspects[0] += hit
                lang_aspects[1] += 1
        per_lang[lang] = {
            **_prf(tp, fp, fn),
            "n": len(rows),
            "sentiment_accuracy": round(sentiment_hits / len(rows), 4),
            "sentiment_macro_f1": round(
                float(
                    f1_score(
                        [row["sentiment"] for row in rows],
                        [result.label for result in results],
                        labels=list(D.LABELS),
                        average="macro",
                        zero_division=0,
                    )
                ),
                4,
            ),
            "aspect_accuracy": round(lang_aspects[0] / lang_aspects[1], 4) if lang_aspects[1] else None,
        }
    tp = sum(c["tp"] for c in topic_counts.values())
    fp = sum(c["fp"] for c in topic_counts.values())
    fn = sum(c["fn"] for c in topic_counts.values())
    return {
        "overall": _prf(tp, fp, fn),
        "languages": per_lang,
        "topics": {slug: _prf(c["tp"], c["fp"], c["fn"]) for slug, c in sorted(topic_counts.items())},
        "aspect_accuracy": round(aspect_hits / aspect_total, 4) if aspect_total else None,
        "aspects_scored": aspect_total,
    }


def _prf(tp: int, fp: int, fn: int) -> dict:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def to_markdown(result: dict) -> str:
    lines = [
        "## Topics and aspect sentiment (voz_ecommerce_dev, 200 texts)",
        "",
        f"Topic micro-F1 **{result['overall']['f1']:.3f}** (precision {result['overall']['precision']:.3f}, "
        f"recall {result['overall']['recall']:.3f}; target ≥ 0.80). Aspect sentiment accuracy on correctly "
        f"found topics: {result['aspect_accuracy'] or 0:.3f} ({result['aspects_scored']} aspects).",
        "",
        "| language | topic micro-F1 | precision | recall | overall sentiment accuracy |",
        "|---|---|---|---|---|",
    ]
    for lang, row in result["languages"].items():
        lines.append(
            f"| {lang} | {row['f1']:.3f} | {row['precision']:.3f} | {row['recall']:.3f} "
            f"| {row['sentiment_accuracy']:.3f} |"
        )
    lines += ["", "| topic | F1 | precision | recall |", "|---|---|---|---|"]
    for slug, row in result["topics"].items():
        lines.append(f"| {slug} | {row['f1']:.3f} | {row['precision']:.3f} | {row['recall']:.3f} |")
    return "\n".join(lines) + "\n"
