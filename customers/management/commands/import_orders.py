import csv
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations
from tqdm import tqdm

from customers.importing import ImportFileInvalid, ImportReport, dataset_import, dataset_read
from customers.resources import OrderResource


class Command(BaseCommand):
    help = (
        "Import orders from a CSV (UTF-8, comma or semicolon separated) or XLSX file with one row per order "
        "item. Each order is created or updated on its own; rows with errors are reported and skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV or XLSX file to import")
        parser.add_argument(
            "--errors-file",
            type=Path,
            help="Also write the rejected rows' errors to this CSV file (line,column,message)",
        )

    # The import's messages are translated for the admin's pages; the command speaks English.
    @no_translations
    def handle(self, *args, file: Path, errors_file: Path | None, verbosity: int, **options):
        # tqdm redraws in place with "\r", which the newline-adding OutputWrapper of self.stderr would break.
        progress_stream = options.get("stderr") or sys.stderr

        def progress(total: int):
            return tqdm(total=total, desc="Orders", unit="order", file=progress_stream, disable=verbosity == 0)

        try:
            report = dataset_import(OrderResource(progress=progress), dataset_read(file))
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        except ImportFileInvalid as exc:
            raise CommandError(f"{file}: {exc.message} Nothing was imported.") from exc

        self._print_report(report)
        if errors_file is not None:
            self._write_errors_file(report, errors_file)
        if report.every_row_failed:
            raise CommandError(f"None of the {report.rows_total} rows could be imported.")

    def _print_report(self, report: ImportReport) -> None:
        if report.rows_total == 0:
            self.stdout.write(self.style.WARNING("The file has no order rows."))
        self.stdout.write(f"Orders created: {report.counts['created']}")
        self.stdout.write(f"Orders updated: {report.counts['updated']}")
        self.stdout.write(f"Orders rejected: {report.counts['rejected']}")
        self.stdout.write(f"Rows rejected: {report.rejected} of {report.rows_total}")
        if report.issues:
            self.stdout.write(self.style.WARNING("Errors:"))
            for issue in report.issues_by_line():
                column = f" {issue.column}:" if issue.column else ""
                self.stdout.write(f"  line {issue.line}:{column} {issue.message}")

    def _write_errors_file(self, report: ImportReport, path: Path) -> None:
        try:
            with path.open("w", encoding="utf-8", newline="") as stream:
                writer = csv.writer(stream)
                writer.writerow(["line", "column", "message"])
                writer.writerows([issue.line, issue.column, issue.message] for issue in report.issues_by_line())
        except OSError as exc:
            raise CommandError(f"Cannot write {path}: {exc.strerror or exc}") from exc
        self.stdout.write(f"Errors written to {path}")
