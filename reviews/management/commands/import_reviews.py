import csv
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations
from tqdm import tqdm

from customers.importing import ImportFileInvalid, dataset_import
from reviews.importing import reviews_dataset_read
from reviews.resources import ReviewResource

ERRORS_SHOWN = 50


class Command(BaseCommand):
    help = "Import reviews from a CSV or XLSX (with a header row) or JSON-lines file; bad rows are reported, not fatal."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", default="", help="Source for rows that do not name one (e.g. amazon).")
        parser.add_argument("--errors-file", type=Path, help="Also write the rejected rows to this CSV.")

    # The import's messages are translated for the admin's pages; the command speaks English.
    @no_translations
    def handle(self, *args, file: Path, source: str, errors_file: Path | None, verbosity: int, **options):
        if not file.exists():
            raise CommandError(f"Cannot read {file}: no such file")
        progress_stream = options.get("stderr") or sys.stderr

        def progress(total: int):
            return tqdm(total=total, desc="Reviews", unit="review", file=progress_stream, disable=verbosity == 0)

        resource = ReviewResource(default_source=source, progress=progress)
        try:
            dataset = reviews_dataset_read(file)
            # A JSON-lines file has no header: its first row is its first line.
            header_lines = 0 if file.suffix.lower() in (".jsonl", ".ndjson") else 1
            report = dataset_import(resource, dataset, header_lines=header_lines)
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc}") from exc
        except ImportFileInvalid as exc:
            raise CommandError(f"{file}: {exc.message}") from exc

        issues = report.issues_by_line()
        for issue in issues[:ERRORS_SHOWN]:
            self.stderr.write(f"line {issue.line}: {issue.column + ': ' if issue.column else ''}{issue.message}")
        if len(issues) > ERRORS_SHOWN:
            self.stderr.write(f"… and {len(issues) - ERRORS_SHOWN} more errors")
        if errors_file:
            with errors_file.open("w", encoding="utf-8", newline="") as stream:
                writer = csv.writer(stream)
                writer.writerow(["line", "field", "message"])
                writer.writerows((issue.line, issue.column, issue.message) for issue in issues)
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.counts['created']} reviews created, {report.counts['updated']} updated, "
                f"{report.rejected} rows rejected."
            )
        )
