import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core.exceptions import ApplicationError
from sentiment import learning
from sentiment.models import SentimentModel


class Command(BaseCommand):
    help = (
        "Retrain the sentiment model from the base data plus the shop's own labels (staff corrections, "
        "survey scores, review stars), in this process, with a progress bar. The new model goes live only "
        "if it beats the active one on the shop's held-out items and keeps within 0.02 on Voz's held-out split."
    )

    def add_arguments(self, parser):
        parser.add_argument("--kind", choices=SentimentModel.Kind.values, default=None)

    def handle(self, *args, **options):
        try:
            model = learning.model_retrain_start(kind=options["kind"], queue=False)
        except ApplicationError as error:
            raise CommandError(error.message) from error
        # tqdm redraws in place with "\r", which the newline-adding OutputWrapper of self.stderr would break.
        stream = options.get("stderr") or sys.stderr
        with tqdm(total=100, desc="Retraining", unit="%", file=stream, disable=options["verbosity"] == 0) as bar:

            def progress(fraction: float, stage: str) -> None:
                bar.set_postfix_str(stage)
                bar.update(max(0, round(100 * fraction) - bar.n))

            model = learning.model_retrain(model_id=model.pk, progress=progress)
        figures = model.figures
        for name, key in (("shop's held-out items", "shop_holdout"), ("Voz's held-out split", "base_holdout")):
            if key in figures:
                new, old = figures[key]["candidate"], figures[key]["active"]
                self.stdout.write(
                    f"macro-F1 on the {name} ({new['n']} items): {new['macro_f1']} (was {old['macro_f1']})"
                )
        if model.status == SentimentModel.Status.ACCEPTED:
            self.stdout.write(self.style.SUCCESS(f"{model.version} is active; stored feedback is being re-analysed."))
        elif model.status == SentimentModel.Status.REJECTED:
            self.stdout.write(
                self.style.WARNING(
                    f"{model.version} was kept but not activated: {model.get_rejection_reason_display()}."
                )
            )
        else:
            raise CommandError(f"Retraining failed: {model.error}")
