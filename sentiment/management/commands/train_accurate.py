import shutil
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from sentiment.ml import accurate
from sentiment.ml import evaluate_accurate as evaluation


class Command(BaseCommand):
    help = (
        "Train the accurate tier's model (sentence embeddings + TF-IDF + lexicon + n-gram scores, linear heads for "
        "sentiment, topics and aspects) reproducibly, write it as sentiment/artifacts/accurate-<version>-<hash>.npz "
        "and print its figures."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data", default=settings.SENTIMENT_DATA_DIR, help="Folder of the public datasets.")
        parser.add_argument(
            "--written", default=None, help="Folder of the written set (default: sentiment/data/written)."
        )
        parser.add_argument(
            "--output-dir",
            default=str(Path(settings.SENTIMENT_FAST_MODEL_PATH).parent),
            help="Where to write the model.",
        )
        parser.add_argument("--seed", type=int, default=13)
        parser.add_argument("--in-domain-weight", type=float, default=None)
        parser.add_argument("--no-eval", action="store_true", help="Skip the figures (public, held-out, dev).")
        parser.add_argument("--report", default=None, help="Also write the figures to this Markdown file.")
        parser.add_argument(
            "--evaluate", default=None, metavar="ARTIFACT", help="Do not train: print the figures of this artifact."
        )

    def handle(self, *args, **options):
        data_path = Path(options["data"])
        if not data_path.is_dir():
            raise CommandError(f"No dataset folder at {data_path}")
        if options["evaluate"]:
            self._evaluate(Path(options["evaluate"]), data_path, options)
            return
        started = time.perf_counter()
        config = accurate.AccurateConfig(seed=options["seed"])
        if options["in_domain_weight"] is not None:
            config.in_domain_weight = options["in_domain_weight"]
        examples = accurate.default_examples(data_path, options["written"])
        self.stdout.write(f"{len(examples)} in-domain training texts; public sets {dict(accurate.BASE_SETS)}")
        last = {"stage": None, "shown": 0.0}

        def progress(stage: str, done: int, total: int) -> None:
            now = time.perf_counter()
            if stage != last["stage"] or done >= total or now - last["shown"] > 5:
                self.stdout.write(f"  [{now - started:6.0f}s] {stage}: {done}/{total}")
                sys.stdout.flush()
                last.update(stage=stage, shown=now)

        model = accurate.train_accurate(examples, progress=progress, config=config, data_path=data_path)
        output_dir = Path(options["output_dir"])
        with tempfile.TemporaryDirectory() as tmp:
            staged = model.save(Path(tmp) / "model.npz")
            name = f"{model.version}-{accurate.content_hash(staged)}.npz"
            output_dir.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(staged, output_dir / name)
        path = output_dir / name
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote {path} ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.0f} s"
            )
        )
        self.stdout.write(f"Out-of-fold (leave-one-writer-out) figures: {model.meta['metrics']}")
        if not options["no_eval"]:
            self._evaluate(path, data_path, options)

    def _evaluate(self, path: Path, data_path: Path, options) -> None:
        from sentiment.engine import TopicSpec
        from sentiment.engine_accurate import AccurateAnalyzer
        from sentiment.taxonomy_default import DEFAULT_TOPICS

        specs = [TopicSpec(t["slug"], {"es": t["patterns_es"], "en": t["patterns_en"]}) for t in DEFAULT_TOPICS]
        analyzer = AccurateAnalyzer(accurate.AccurateModel.load(path), specs, "default")
        result = evaluation.evaluate_all(analyzer, data_path, options["written"])
        text = evaluation.to_markdown(result, f"Model {path.name}")
        self.stdout.write(text)
        if options["report"]:
            Path(options["report"]).write_text(text, encoding="utf-8")
