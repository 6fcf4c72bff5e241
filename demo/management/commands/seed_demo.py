import sys
import time
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from core.exceptions import ApplicationError
from demo.seed import SeedSummary, demo_data_exists, seed_demo


class _ProgressBars:
    """One tqdm bar per stage of the seed, shown only on a terminal where redrawing a line reads well."""

    LABELS = {"orders": "Orders", "invitations": "Invitations", "responses": "Survey answers"}

    def __init__(self, *, enabled: bool):
        self.enabled = enabled
        self.bars: dict[str, tqdm] = {}

    def update(self, stage: str, done: int, total: int) -> None:
        bar = self.bars.get(stage)
        if bar is None:
            bar = self.bars[stage] = tqdm(
                total=total,
                desc=self.LABELS.get(stage, stage).ljust(14),
                unit="",
                file=sys.stderr,
                # None lets tqdm switch itself off when stderr is not a terminal (logs, CI, pipes).
                disable=None if self.enabled else True,
                dynamic_ncols=True,
            )
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    def close(self) -> None:
        for bar in self.bars.values():
            bar.close()


class Command(BaseCommand):
    help = (
        "Fill an empty database with a realistic demo shop: a catalogue, customers, a year of orders, "
        "survey invitations and answers. The same --seed and --today always give the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--seed", type=int, default=7, help="Random seed (default 7).")
        parser.add_argument("--customers", type=int, default=320, help="Number of customers (default 320).")
        parser.add_argument("--orders", type=int, default=1500, help="Number of orders (default 1500).")
        parser.add_argument(
            "--today",
            default=None,
            metavar="YYYY-MM-DD",
            help="The demo's today: everything happens in the year before it (default: the real today).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing and succeed when the database already has customers (for start-up scripts).",
        )

    def handle(self, *args, **options) -> None:
        verbosity = options["verbosity"]
        if options["if_empty"] and demo_data_exists():
            if verbosity >= 2:
                self.stdout.write("The database already has customers; no demo data loaded.")
            return
        today = self._parse_today(options["today"])
        bars = _ProgressBars(enabled=verbosity >= 1)
        started = time.monotonic()
        try:
            summary = seed_demo(
                seed=options["seed"],
                customers=options["customers"],
                orders=options["orders"],
                today=today,
                progress=bars.update,
            )
        except ApplicationError as error:
            raise CommandError(error.message) from error
        finally:
            bars.close()
        if verbosity >= 1:
            self._print_summary(summary, seed=options["seed"], today=today, seconds=time.monotonic() - started)

    @staticmethod
    def _parse_today(value: str | date | None) -> date | None:
        if value is None or isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError as error:
            raise CommandError(f"--today must be a date as YYYY-MM-DD, not {value!r}.") from error

    def _print_summary(self, summary: SeedSummary, *, seed: int, today: date | None, seconds: float) -> None:
        when = f", up to {today.isoformat()}" if today else ""
        languages = ", ".join(f"{code} {count}" for code, count in summary.customers_by_language.items())
        statuses = ", ".join(f"{status} {count}" for status, count in summary.invitations_by_status.items() if count)
        nps = "n/a" if summary.nps is None else f"{summary.nps:+d}"
        lines = [
            self.style.SUCCESS(f"Demo shop ready (seed {seed}{when}) in {seconds:.1f} s"),
            f"  Customers       {summary.customers} ({languages})",
            f"  Products        {summary.products}",
            f"  Orders          {summary.orders} ({summary.delivered_orders} delivered)",
            f"  Invitations     {summary.invitations} ({statuses})",
            f"  Responses       {summary.responses}",
            f"  Reviews         {summary.reviews}",
            f"  Mentions        {summary.mentions}",
            f"  Feedback items  {summary.feedback_items} (survey comments, reviews and mentions)",
            f"  NPS             {nps} (promoters {summary.promoters}, passives {summary.passives}, "
            f"detractors {summary.detractors})",
        ]
        lines.append("Staff logins (at /support/): agente / agente (support agent), manager / manager (manager)")
        if summary.live_survey_urls:
            lines.append("Live survey links:")
            lines.extend(f"  {url}" for url in summary.live_survey_urls)
        self.stdout.write("\n".join(lines))
