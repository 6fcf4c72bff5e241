from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from privacy.retention import COUNTED, inactive_customers_anonymise


class Command(BaseCommand):
    help = (
        "Anonymise the customers inactive for longer than the retention period (VOZ_DATA_RETENTION_DAYS): "
        "their personal data and free text go, orders, scores and labels stay, so the dashboards do not change. "
        "The nightly task does the same; --dry-run reports what would change, per table, and changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would change; change nothing.")
        parser.add_argument(
            "--days", type=int, default=None, help="Inactive for this many days (default: VOZ_DATA_RETENTION_DAYS)."
        )
        parser.add_argument("--limit", type=int, default=None, help="At most this many customers.")

    def handle(self, *args, **options):
        days = options["days"] if options["days"] is not None else settings.VOZ_DATA_RETENTION_DAYS
        if days <= 0:
            raise CommandError("Retention is off: set VOZ_DATA_RETENTION_DAYS, or pass --days.")
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1.")
        with tqdm(total=0, unit="customer", disable=options["verbosity"] < 1, file=self.stderr) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            report = inactive_customers_anonymise(
                days=days, dry_run=options["dry_run"], limit=options["limit"], progress=progress
            )
        verb = "Would anonymise" if report.dry_run else "Anonymised"
        self.stdout.write(f"{verb} {report.customers} customer(s) inactive since {report.cutoff:%Y-%m-%d}.")
        for key, label in COUNTED.items():
            self.stdout.write(f"  {label}: {report.rows.get(key, 0)}")
        if report.dry_run:
            self.stdout.write("Dry run: nothing was changed.")
