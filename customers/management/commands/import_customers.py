import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, no_translations
from tqdm import tqdm

from customers.importing import ImportFileInvalid, dataset_import, dataset_read
from customers.resources import CustomerResource


class Command(BaseCommand):
    help = (
        "Create or update customer profiles from a CSV or XLSX file: external_id, email, name, language, and "
        "any other column as an attribute (age_band, gender, city, loyalty_tier, …). Empty cells change nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="CSV (UTF-8, comma or semicolon separated) or XLSX file")

    # The import's messages are translated for the admin's pages; the command speaks English.
    @no_translations
    def handle(self, *args, file: Path, verbosity: int, **options):
        progress_stream = options.get("stderr") or sys.stderr

        def progress(total: int):
            return tqdm(total=total, desc="Customers", unit="customer", file=progress_stream, disable=verbosity == 0)

        try:
            report = dataset_import(CustomerResource(progress=progress), dataset_read(file))
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror or exc}") from exc
        except ImportFileInvalid as exc:
            raise CommandError(f"{file}: {exc.message} Nothing was imported.") from exc
        self.stdout.write(f"Customers created: {report.counts['created']}")
        self.stdout.write(f"Customers updated: {report.counts['updated']}")
        self.stdout.write(f"Customers unchanged: {report.counts['unchanged']}")
        self.stdout.write(f"Rows rejected: {report.rejected} of {report.rows_total}")
        for issue in report.issues:
            column = f" {issue.column}:" if issue.column else ""
            self.stdout.write(self.style.WARNING(f"  line {issue.line}:{column} {issue.message}"))
        if report.every_row_failed:
            raise CommandError(f"None of the {report.rows_total} rows could be imported.")
