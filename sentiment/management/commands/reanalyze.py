import sys
from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from tqdm import tqdm

from feedback.models import FeedbackItem
from sentiment import services
from sentiment.runtime import get_analyzer


def parse_since(value: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since wants a date or date-time (2026-01-31 or 2026-01-31T08:00), not {value!r}")
        moment = datetime(day.year, day.month, day.day)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Command(BaseCommand):
    help = "Re-run sentiment and topic analysis over stored feedback, in batches, with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument("--since", help="Only items received on or after this date (YYYY-MM-DD[THH:MM]).")
        parser.add_argument("--channel", choices=FeedbackItem.Channel.values)
        parser.add_argument("--model-version", help="Only items whose current analysis was made by this model version.")
        parser.add_argument(
            "--force", action="store_true", help="Also re-run items already analysed by the current model and taxonomy."
        )
        parser.add_argument("--batch-size", type=int, default=None)

    def handle(self, *args, **options):
        items = FeedbackItem.objects.all()
        if options["since"]:
            items = items.filter(received_at__gte=parse_since(options["since"]))
        if options["channel"]:
            items = items.filter(channel=options["channel"])
        if options["model_version"]:
            items = items.filter(model_version=options["model_version"])
        analyzer = get_analyzer()
        if not options["force"]:
            items = items.exclude(
                model_version=analyzer.model_version,
                taxonomy_version=analyzer.taxonomy_version,
                analysis_status=FeedbackItem.AnalysisStatus.DONE,
            )
        ids = list(items.order_by("pk").values_list("pk", flat=True))
        self.stdout.write(
            f"{len(ids)} items to analyse with model {analyzer.model_version}, taxonomy {analyzer.taxonomy_version}."
        )
        # tqdm redraws in place with "\r", which the newline-adding OutputWrapper of self.stderr would break.
        progress_stream = options.get("stderr") or sys.stderr
        with tqdm(
            total=len(ids), desc="Analysing", unit="item", file=progress_stream, disable=options["verbosity"] == 0
        ) as bar:
            written = services.feedback_reanalyse(
                ids=ids, batch_size=options["batch_size"], force=options["force"], progress=bar.update
            )
        self.stdout.write(self.style.SUCCESS(f"Analysed {written} items."))
