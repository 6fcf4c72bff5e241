import csv
import json
import sys
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from reviews.api.serializers import ReviewInputSerializer
from reviews.services import reviews_upsert

BATCH_SIZE = 500


def read_rows(path: Path) -> Iterator[tuple[int, dict | None, str]]:
    """(line number, row or None, parse error) from a CSV file with a header or a JSON-lines file."""
    if path.suffix.lower() in (".jsonl", ".ndjson"):
        with path.open(encoding="utf-8") as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except ValueError as exc:
                    yield number, None, f"not valid JSON: {exc.msg}"
                    continue
                yield (number, row, "") if isinstance(row, dict) else (number, None, "not a JSON object")
    elif path.suffix.lower() == ".csv":
        # utf-8-sig drops the byte order mark spreadsheet programs put in front of UTF-8 files.
        with path.open(encoding="utf-8-sig", newline="") as stream:
            for row in csv.DictReader(stream):
                cleaned = {key: value for key, value in row.items() if key and value not in (None, "")}
                yield 0, cleaned, ""
    else:
        raise CommandError(f"{path}: use a .csv or .jsonl file")


class Command(BaseCommand):
    help = "Import reviews from a CSV (with a header row) or JSON-lines file; bad rows are reported, not fatal."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", default="", help="Source for rows that do not name one (e.g. amazon).")
        parser.add_argument("--errors-file", type=Path, help="Also write the rejected rows to this CSV.")

    def handle(self, *args, file: Path, source: str, errors_file: Path | None, verbosity: int, **options):
        if not file.exists():
            raise CommandError(f"Cannot read {file}: no such file")
        progress_stream = options.get("stderr") or sys.stderr
        errors: list[tuple[int, str, str]] = []
        counts = {"created": 0, "updated": 0}
        batch: list[tuple[int, object]] = []

        def flush() -> None:
            results = reviews_upsert(items=[data for _, data in batch])
            for (line, _), result in zip(batch, results, strict=True):
                if result.status == "error":
                    errors.extend((line, field, "; ".join(map(str, msgs))) for field, msgs in result.errors.items())
                else:
                    counts[result.status] += 1
            batch.clear()

        try:
            rows = list(read_rows(file))
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        for index, (line, row, problem) in enumerate(
            tqdm(rows, desc="Reviews", unit="review", file=progress_stream, disable=verbosity == 0), start=2
        ):
            line = line or index  # CSV: the header is line 1
            if row is None:
                errors.append((line, "", problem))
                continue
            if source and not row.get("source"):
                row["source"] = source
            serializer = ReviewInputSerializer(data=row)
            if not serializer.is_valid():
                errors.extend((line, field, "; ".join(map(str, msgs))) for field, msgs in serializer.errors.items())
                continue
            batch.append((line, serializer.to_data()))
            if len(batch) >= BATCH_SIZE:
                flush()
        if batch:
            flush()

        for line, field, message in errors[:50]:
            self.stderr.write(f"line {line}: {field + ': ' if field else ''}{message}")
        if len(errors) > 50:
            self.stderr.write(f"… and {len(errors) - 50} more errors")
        if errors_file:
            with errors_file.open("w", encoding="utf-8", newline="") as stream:
                writer = csv.writer(stream)
                writer.writerow(["line", "field", "message"])
                writer.writerows(errors)
        rejected_lines = len({line for line, _, _ in errors})
        self.stdout.write(
            self.style.SUCCESS(
                f"{counts['created']} reviews created, {counts['updated']} updated, {rejected_lines} rows rejected."
            )
        )
