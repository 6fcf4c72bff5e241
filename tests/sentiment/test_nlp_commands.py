"""The NLP management commands: analyze_texts (JSON lines, no writes) and train_sentiment."""

import json
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from feedback.models import FeedbackItem
from sentiment.models import FeedbackAnalysis

pytestmark = pytest.mark.django_db


def run_analyze_texts(monkeypatch, lines: list[str]) -> tuple[list[dict], str]:
    monkeypatch.setattr(sys, "stdin", StringIO("\n".join(lines) + "\n"))
    out, err = StringIO(), StringIO()
    call_command("analyze_texts", stdout=out, stderr=err)
    return [json.loads(line) for line in out.getvalue().splitlines()], err.getvalue()


def test_analyze_texts_writes_one_json_line_per_input_and_nothing_to_the_database(monkeypatch):
    lines = [
        json.dumps({"id": 1, "text": "La entrega fue rapidísima y el producto es de gran calidad."}),
        json.dumps({"id": "b", "text": "The refund took a month and support never answered.", "lang": "en"}),
        json.dumps({"id": 3, "text": "ok"}),
    ]

    rows, _ = run_analyze_texts(monkeypatch, lines)

    assert [row["id"] for row in rows] == [1, "b", 3]
    first, second, _ = rows
    assert set(first) >= {"id", "language", "sentiment", "topics", "sentences", "model_version"}
    assert first["language"] == "es"
    assert set(first["sentiment"]) == {"label", "score", "confidence"}
    assert first["sentiment"]["label"] == "positive"
    assert {"delivery", "product_quality"} <= {topic["slug"] for topic in first["topics"]}
    assert all(set(topic) >= {"slug", "sentiment", "matches"} for topic in first["topics"])
    assert second["sentiment"]["label"] == "negative"
    assert {"returns_refunds", "customer_service"} <= {topic["slug"] for topic in second["topics"]}
    assert FeedbackItem.objects.count() == 0 and FeedbackAnalysis.objects.count() == 0


def test_analyze_texts_reports_unreadable_lines_and_goes_on(monkeypatch):
    rows, err = run_analyze_texts(monkeypatch, ["{not json", json.dumps({"id": 2, "text": "Perfecto"}), "[1, 2]"])

    assert [row.get("error") is not None for row in rows] == [True, False, True]
    assert rows[1]["id"] == 2
    assert "line 1" in err and "line 3" in err


def write_tiny_datasets(root) -> None:
    """The shared datasets' layout, filled with the demo shop's sentences (a few dozen per file)."""
    import csv

    from sentiment.ml.shop_comments import COMMENTS

    def rows(language: str, offset: int) -> list[tuple[str, str]]:
        picked = []
        for (lang, _topic, polarity), sentences in sorted(COMMENTS.items()):
            if lang == language:
                picked += [(sentence, polarity) for sentence in sentences[offset::3]]
        return picked

    def write(path, header, records):
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as stream:
            writer = csv.writer(stream, delimiter="\t")
            writer.writerow(header)
            writer.writerows(records)

    for language in ("es", "en"):
        for offset, split in enumerate(("train", "dev", "test")):
            data = rows(language, offset)
            write(root / "umsab_tweets_es_en" / f"{language}_{split}.tsv", ["text", "label"], data)
            write(
                root / "opener_hotel_reviews_es_en" / f"{language}_{split}_sentences.tsv",
                ["text", "label", "n_pos", "n_neg"],
                [(text, label, 0, 0) for text, label in data],
            )
    (root / "voz_ecommerce_dev").mkdir()
    with (root / "voz_ecommerce_dev" / "feedback.jsonl").open("w", encoding="utf-8") as stream:
        for n, (language, text, label) in enumerate(
            [("es", text, label) for text, label in rows("es", 2)]
            + [("en", text, label) for text, label in rows("en", 2)]
        ):
            record = {
                "id": f"dev-{language}-{n}",
                "lang": language,
                "text": text,
                "sentiment": label,
                "topics": [],
                "aspects": {},
            }
            stream.write(json.dumps(record, ensure_ascii=False) + "\n")
    binary = [(text, "1" if label == "positive" else "0") for text, label in rows("en", 0) if label != "neutral"]
    for name in ("amazon_cells_labelled.tsv", "yelp_labelled.tsv", "imdb_labelled.tsv"):
        write(root / "uci_sentiment_labelled_sentences_en" / name, ["text", "label"], binary)


def test_train_sentiment_is_reproducible_and_reports_on_the_test_splits(tmp_path):
    data = tmp_path / "data"
    write_tiny_datasets(data)
    first, second = tmp_path / "one" / "model.npz", tmp_path / "two" / "model.npz"
    out = StringIO()

    call_command("train_sentiment", "--data", str(data), "--output", str(first), stdout=out)
    call_command("train_sentiment", "--data", str(data), "--output", str(second), stdout=StringIO())

    assert first.read_bytes() == second.read_bytes()
    report = (first.parent / "REPORT.md").read_text()
    assert report in out.getvalue()
    for row in ("| model |", "| majority |", "| tfidf_lr |", "| vader |"):
        assert row in report
    assert "umsab-es" in report and "opener-en" in report


def test_train_sentiment_learns_from_the_shop_and_shows_before_and_after(tmp_path):
    from tests.sentiment.test_feedback_analysis import submit_comment

    data = tmp_path / "data"
    write_tiny_datasets(data)
    for n in range(30):
        submit_comment(f"Pedido número {n}: el repartidor lo tiró por encima de la valla.", nps=n % 3)
        submit_comment(f"Pedido número {n}: perfecto, como siempre, repetiré.", nps=9 + n % 2)
    out = StringIO()

    call_command(
        "train_sentiment",
        "--data",
        str(data),
        "--output",
        str(tmp_path / "m.npz"),
        "--include-shop-data",
        "--no-baselines",
        stdout=out,
    )

    report = (tmp_path / "REPORT.md").read_text()
    assert "shop data: 60 labelled items" in out.getvalue()
    assert "## The shop's own feedback (held-out slice)" in report
    assert "| shared data only | es |" in report and "| with shop data | es |" in report


def test_train_sentiment_without_shop_data_says_so(tmp_path):
    data = tmp_path / "data"
    write_tiny_datasets(data)

    with pytest.raises(CommandError, match="no rated or corrected feedback"):
        call_command(
            "train_sentiment",
            "--data",
            str(data),
            "--output",
            str(tmp_path / "m.npz"),
            "--include-shop-data",
            stdout=StringIO(),
        )


def test_training_gives_the_same_model_bytes_whatever_blas_kernels_the_cpu_would_pick(tmp_path):
    """OpenBLAS chooses its kernels by CPU and they round differently; manage.py pins them."""
    from django.db import connection

    data = tmp_path / "data"
    write_tiny_datasets(data)
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
    }
    models = []
    for coretype in ("Prescott", "Haswell"):  # SSE3 and AVX2 kernels: they train different bytes unpinned
        output = tmp_path / coretype / "model.npz"
        done = subprocess.run(
            [sys.executable, "manage.py", "train_sentiment", "--data", str(data), "--output", str(output)]
            + ["--no-baselines"],
            env={**env, "OPENBLAS_CORETYPE": coretype},
            cwd=settings.BASE_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        models.append(output.read_bytes())

    assert models[0] == models[1]
