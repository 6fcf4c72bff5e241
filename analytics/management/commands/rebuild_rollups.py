from datetime import timedelta

from django.core.management.base import BaseCommand
from tqdm import tqdm

from analytics import rollups
from core.models import ChangedDay
from customers.segments import segments_refresh


class Command(BaseCommand):
    help = (
        "Recompute the dashboard rollups from the raw tables: every day (--all, after an upgrade or a bulk load "
        "that bypassed the services) or only the days marked as changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Recompute every day that has data.")

    def handle(self, *args, **options):
        if options["all"]:
            segments_refresh()  # the segment-scoped rows need today's segments
            rollups.mark_all_dirty()
        days = ChangedDay.objects.exclude(source=ChangedDay.Source.ORDERS).count()
        # the stream itself: Django's wrapper would end each redraw with a newline (and colour it red)
        stream = getattr(self.stderr, "_out", self.stderr)
        with tqdm(total=days, unit="day", disable=options["verbosity"] < 1, file=stream) as bar:

            def progress(source, first, last):
                bar.set_postfix_str(source)
                bar.update((last - first).days + 1)

            # consecutive days only (not across gaps): the bar counts the marked days
            done = rollups.refresh(progress=progress, rebuild=options["all"])
        rollups.retention_snapshot(max_age=timedelta(0))
        if options["verbosity"] >= 1:
            summary = ", ".join(f"{source}: {count} days" for source, count in sorted(done.items())) or "nothing to do"
            self.stdout.write(f"Rollups refreshed ({summary}).")
