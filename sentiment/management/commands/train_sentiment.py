import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sentiment import selectors
from sentiment.engine import Analyzer
from sentiment.ml import evaluate as evaluation
from sentiment.ml import model as ml
from sentiment.ml import topics_eval
from sentiment.ml.training import is_shop_held_out
from sentiment.runtime import topic_specs


class Command(BaseCommand):
    help = (
        "Train the sentiment model reproducibly from the shared datasets (and optionally the shop's own "
        "labelled feedback), write the versioned artifact and print + save the evaluation report."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", default=settings.SENTIMENT_DATA_DIR, help="Folder of the labelled datasets.")
        parser.add_argument("--output", default=settings.SENTIMENT_FAST_MODEL_PATH, help="Where to write the model.")
        parser.add_argument(
            "--report", default=None, help="Where to write the report (default: REPORT.md beside the model)."
        )
        parser.add_argument("--seed", type=int, default=13)
        parser.add_argument(
            "--include-shop-data",
            action="store_true",
            help="Also learn from the shop's rated feedback and staff corrections (80 %%; 20 %% held out).",
        )
        parser.add_argument("--no-baselines", action="store_true", help="Skip the baselines (faster).")

    def handle(self, *args, **options):
        data_path = Path(options["data"])
        if not data_path.is_dir():
            raise CommandError(f"No dataset folder at {data_path}")
        output = Path(options["output"])
        report_path = Path(options["report"]) if options["report"] else output.with_name("REPORT.md")
        started = time.perf_counter()

        extra, held_out = None, []
        if options["include_shop_data"]:
            extra, held_out = self._shop_data()

        self.stdout.write(f"[1/3] Training on the shared datasets (fixed seed {options['seed']})…")
        model = ml.train(data_path=data_path, seed=options["seed"], extra=extra)
        output.parent.mkdir(parents=True, exist_ok=True)
        model.save(output)
        self.stdout.write(f"      wrote {output} ({output.stat().st_size / 1e6:.2f} MB), version {model.version}")

        self.stdout.write("[2/3] Evaluating on the test splits, with baselines trained in this run…")
        result = evaluation.evaluate(model, data_path=data_path, baselines=not options["no_baselines"])
        report = [f"# Sentiment model {model.version}", "", "## Sentiment", "", evaluation.to_markdown(result)]
        if (data_path / "voz_ecommerce_dev" / "feedback.jsonl").exists():
            analyzer = Analyzer(model, topic_specs(selectors.taxonomy_active()), "report")
            report += [topics_eval.to_markdown(topics_eval.evaluate_topics(analyzer, data_path))]

        if options["include_shop_data"]:
            self.stdout.write("[3/3] Before/after on the shop's held-out slice…")
            baseline = ml.train(data_path=data_path, seed=options["seed"])
            report += ["", self._before_after(baseline, model, held_out)]
        else:
            self.stdout.write("[3/3] No shop data requested (--include-shop-data adds it).")

        report += ["", f"Trained and evaluated in {time.perf_counter() - started:.0f} s."]
        text = "\n".join(report) + "\n"
        report_path.write_text(text, encoding="utf-8")
        self.stdout.write(text)
        self.stdout.write(self.style.SUCCESS(f"Report saved to {report_path}"))

    def _shop_data(self):
        rows = selectors.shop_labels()
        extra: dict[str, tuple[list[str], list[str]]] = {}
        held_out = []
        for row in rows:
            if is_shop_held_out(row.item_id):
                held_out.append((row.language, row.text, row.label))
            else:
                texts, labels = extra.setdefault(row.language, ([], []))
                texts.extend([row.text] * row.weight)
                labels.extend([row.label] * row.weight)
        counts = ", ".join(f"{lang}: {len(texts)}" for lang, (texts, _) in sorted(extra.items()))
        self.stdout.write(
            f"      shop data: {len(rows)} labelled items ({counts or 'none'} to train, {len(held_out)} held out)"
        )
        if not rows:
            raise CommandError("The shop has no rated or corrected feedback yet; nothing to add.")
        return extra, held_out

    def _before_after(self, before, after, held_out) -> str:
        lines = [
            "## The shop's own feedback (held-out slice)",
            "",
            "| model | language | items | accuracy | macro-F1 |",
            "|---|---|---|---|---|",
        ]
        for lang in ("es", "en"):
            rows = [(text, label) for language, text, label in held_out if language == lang]
            if not rows:
                continue
            texts, gold = [r[0] for r in rows], [r[1] for r in rows]
            for name, model in (("shared data only", before), ("with shop data", after)):
                scores = evaluation.scores(gold, [p[0] for p in model.predict(texts, lang)])
                lines.append(f"| {name} | {lang} | {len(rows)} | {scores['accuracy']:.3f} | {scores['macro_f1']:.3f} |")
        return "\n".join(lines)
