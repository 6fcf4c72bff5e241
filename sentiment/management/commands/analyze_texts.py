import json
import sys

from django.core.management.base import BaseCommand

from sentiment.runtime import get_analyzer


class Command(BaseCommand):
    help = (
        'Analyse JSON lines {"id": …, "text": …, "lang": optional} from stdin and write one JSON line per '
        "input to stdout. Nothing is written to the database."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=256)

    def handle(self, *args, **options):
        analyzer = get_analyzer()
        # Unreadable lines wait in the batch as ready-made error records, so output keeps input order.
        batch: list[tuple[object, str, str | None] | dict] = []
        errors = 0
        for line_number, line in enumerate(sys.stdin, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                    raise ValueError('each line must be an object with a string "text"')
                lang = record.get("lang")
                if lang is not None and not isinstance(lang, str):
                    raise ValueError('"lang" must be a string')
            except ValueError as error:
                errors += 1
                self.stderr.write(f"line {line_number}: {error}")
                batch.append({"id": None, "line": line_number, "error": str(error)})
                continue
            batch.append((record.get("id"), record["text"], lang))
            if len(batch) >= options["batch_size"]:
                self._flush(analyzer, batch)
                batch = []
        self._flush(analyzer, batch)
        if errors:
            self.stderr.write(f"{errors} line(s) could not be read.")

    def _flush(self, analyzer, batch) -> None:
        if not batch:
            return
        readable = [entry for entry in batch if not isinstance(entry, dict)]
        results = iter(analyzer.analyze([text for _, text, _ in readable], [lang for _, _, lang in readable]))
        for entry in batch:
            if isinstance(entry, dict):
                self._emit(entry)
            else:
                self._emit({"id": entry[0], **next(results).as_dict()})
        self.stdout.flush()

    def _emit(self, data: dict) -> None:
        self.stdout.write(json.dumps(data, ensure_ascii=False))
