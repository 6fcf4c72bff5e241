"""Does Voz learn from a shop's own ratings?

Simulates a pet-insurance shop: about 2,000 reviews in Spanish and English whose texts are plain
domain facts with a polarity a general model cannot know ("me aplicaron una carencia de 6
meses", "pago directo al veterinario", "the deductible was taken off the claim"), each with the
stars its customer gave (4–5 for good news, 1–2 for bad, 3 for a neutral remark, and one rating
in ten contradicting the text, as real customers do). Then, in a database of its own:

1. analyses every item with the shipped model and scores it on the shop's held-out fifth;
2. retrains from the base data plus the shop's labels through the registry (the admin's
   "Retrain" runs the same service), with the better-only gate;
3. prints macro-F1 on that held-out slice before and after, per language, and the gate's figures.

Usage: .venv/bin/python bench/learning.py [--items 2000] [--quick] [--database voz_bench_learning]
  --quick  a small base set (the demo shop's sentences) instead of the public datasets: seconds, not
           minutes for the fast kind (the accurate kind still trains on Voz's in-domain texts)
The model kind retrained is the active one's, so VOZ_NLP_TIER picks it. Each stage of the retrain
is printed to stderr with the seconds since it started.
Needs PostgreSQL on 127.0.0.1; touches only the database named (created if missing) and a temporary folder.
"""

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PETS = {"es": ["Toby", "Luna", "mi perro", "mi gata", "Coco", "Nala"], "en": ["Max", "Bella", "my dog", "my cat"]}
PROCEDURES = {
    "es": ["cirugía de rodilla", "limpieza dental", "ecografía", "vacuna", "radiografía", "consulta de urgencias"],
    "en": ["knee surgery", "dental cleaning", "ultrasound", "vaccine", "x-ray", "emergency visit"],
}
# Good and bad news in this trade, as customers write it: facts more than feelings.
TEMPLATES = {
    ("es", "positive"): [
        "Me reembolsaron el {pct} % de la factura de la {proc} de {pet} en {days} días.",
        "Cubrieron la {proc} de {pet} sin copago.",
        "La póliza cubrió la {proc} de {pet} completa.",
        "Aprobaron el siniestro de {pet} el mismo día.",
        "Sin carencia para accidentes, {pet} estaba cubierto desde el primer día.",
        "El perito aprobó la {proc} sin pedir más papeles.",
        "Pago directo al veterinario, no adelanté nada por la {proc}.",
        "Renové la póliza de {pet} y la prima no subió.",
        "Ingresaron el reembolso de la {proc} antes de {days} días.",
    ],
    ("es", "negative"): [
        "Me aplicaron una carencia de {months} meses para la {proc} de {pet}.",
        "La {proc} de {pet} quedó excluida por preexistencia.",
        "Me descontaron una franquicia de {amount} € en la {proc}.",
        "Siguen pidiendo el informe clínico para el siniestro de {pet}.",
        "La prima subió un {pct} % al renovar por la edad de {pet}.",
        "El reembolso de la {proc} lleva {days} días en revisión.",
        "Solo reembolsaron el {low} % de la {proc} de {pet}.",
        "Consideran la {proc} de {pet} un tratamiento estético.",
        "El tope anual de {amount} € se agotó con la {proc}.",
    ],
    ("es", "neutral"): [
        "Cambié la cuenta de domiciliación de la póliza de {pet}.",
        "Añadí a {pet} como segunda mascota en la póliza.",
        "Pedí el certificado de la póliza para el viaje con {pet}.",
    ],
    ("en", "positive"): [
        "They reimbursed {pct}% of the {proc} bill for {pet} within {days} days.",
        "The {proc} for {pet} was covered with no copay.",
        "The policy covered the whole {proc} for {pet}.",
        "Claim for {pet} approved the same day.",
        "No waiting period for accidents, {pet} was covered from day one.",
        "The adjuster signed off on the {proc} without more paperwork.",
        "Direct billing to the vet, I paid nothing upfront for the {proc}.",
        "Renewed the policy for {pet} and the premium stayed the same.",
        "The {proc} reimbursement landed within {days} days.",
    ],
    ("en", "negative"): [
        "They applied a {months}-month waiting period to the {proc} for {pet}.",
        "The {proc} for {pet} was excluded as a pre-existing condition.",
        "A {amount} deductible was taken off the {proc} claim.",
        "Still asking for the clinical history for the claim for {pet}.",
        "Premium went up {pct}% at renewal because of the age of {pet}.",
        "The {proc} reimbursement has been under review for {days} days.",
        "Only {low}% of the {proc} for {pet} was reimbursed.",
        "They classed the {proc} for {pet} as cosmetic.",
        "The {amount} annual limit ran out with the {proc}.",
    ],
    ("en", "neutral"): [
        "Changed the bank account for the policy of {pet}.",
        "Added {pet} as a second pet on the policy.",
        "Asked for the policy certificate to travel with {pet}.",
    ],
}
STARS = {"positive": (4, 5), "negative": (1, 2), "neutral": (3,)}


def pet_insurance_reviews(count: int = 2000, seed: int = 11, noise: float = 0.1) -> list[tuple[str, str, int]]:
    """(language, text, stars) for `count` simulated reviews; one in ten ratings contradicts its text."""
    rng = random.Random(seed)
    reviews = []
    for _ in range(count):
        language = rng.choice(("es", "en"))
        polarity = rng.choices(("positive", "negative", "neutral"), weights=(45, 45, 10))[0]
        text = rng.choice(TEMPLATES[(language, polarity)]).format(
            pet=rng.choice(PETS[language]),
            proc=rng.choice(PROCEDURES[language]),
            pct=rng.choice((80, 90, 100)),
            low=rng.choice((10, 20, 30)),
            days=rng.randint(2, 40),
            months=rng.choice((3, 6, 12)),
            amount=rng.choice((150, 300, 500)),
        )
        stars = rng.choice(STARS[polarity])
        if polarity != "neutral" and rng.random() < noise:
            stars = rng.choice(STARS["negative" if polarity == "positive" else "positive"])
        reviews.append((language, text, stars))
    return reviews


def store_reviews(reviews) -> list[int]:
    from feedback.models import FeedbackItem
    from reviews.models import Review

    batch = uuid.uuid4().hex[:8]
    stored = Review.objects.bulk_create(
        [
            Review(source="own_site", external_id=f"pet-{batch}-{i}", rating=stars, body=text, language=language)
            for i, (language, text, stars) in enumerate(reviews)
        ]
    )
    items = FeedbackItem.objects.bulk_create(
        [
            FeedbackItem(channel=FeedbackItem.Channel.REVIEW, review=review, text=review.body, language=review.language)
            for review in stored
        ]
    )
    return [item.pk for item in items]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--database", default="voz_bench_learning")
    args = parser.parse_args()

    from bench.servers import ensure_database

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    os.environ["CELERY_BROKER_URL"] = ""  # every task runs in this process
    os.environ["VOZ_MODEL_DIR"] = tempfile.mkdtemp(prefix="voz-bench-models-")
    ensure_database(args.database)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from feedback.models import FeedbackItem
    from reviews.models import Review
    from sentiment import learning, selectors, services
    from sentiment.ml import training
    from sentiment.models import SentimentModel

    FeedbackItem.objects.all().delete()
    Review.objects.all().delete()
    SentimentModel.objects.all().delete()

    started = time.perf_counter()
    ids = store_reviews(pet_insurance_reviews(args.items))
    services.feedback_reanalyse(ids=ids)
    shipped = selectors.model_active()
    labels = selectors.shop_labels()
    train, held_out = learning.shop_examples_split(labels)
    print(f"{len(ids)} reviews, {len(labels)} labelled by their stars: {len(train)} train, {len(held_out)} held out")

    options = {"base_sets": {"es": ("voz_demo",), "en": ("voz_demo",)}} if args.quick else {}
    candidate = learning.model_retrain_start(queue=False)
    t0 = time.perf_counter()
    shown = {"stage": None}

    def progress(fraction: float, stage: str) -> None:
        if stage != shown["stage"]:
            shown["stage"] = stage
            elapsed = time.perf_counter() - t0
            print(f"  [{elapsed:6.0f} s] {round(100 * fraction):3d} % {stage}", file=sys.stderr, flush=True)

    candidate = learning.model_retrain(model_id=candidate.pk, progress=progress, **options)
    train_seconds = time.perf_counter() - t0
    if candidate.status == SentimentModel.Status.FAILED:
        print(candidate.error)
        return 1
    shop, base = candidate.figures["shop_holdout"], candidate.figures["base_holdout"]

    print()
    print(f"| slice | language | items | before ({shipped.version}) | after ({candidate.version}) |")
    print("|---|---|---|---|---|")
    for language in ("es", "en"):
        before, after = shop["active"]["languages"][language], shop["candidate"]["languages"][language]
        print(f"| shop held-out | {language} | {before['n']} | {before['macro_f1']:.3f} | {after['macro_f1']:.3f} |")
    print(
        f"| shop held-out | all | {shop['active']['n']} | {shop['active']['macro_f1']:.3f} "
        f"| {shop['candidate']['macro_f1']:.3f} |"
    )
    base_name = {
        "voz_ecommerce_train_quarter": f"Voz held-out ({training.BASE_HOLDOUT_PERCENT} % of voz_ecommerce_train)",
        "written_heldout": "Voz held-out (written set's held-out 20 %)",
    }[candidate.figures["base_holdout_set"]]
    for language in ("es", "en"):
        before, after = base["active"]["languages"][language], base["candidate"]["languages"][language]
        print(f"| {base_name} | {language} | {before['n']} | {before['macro_f1']:.3f} | {after['macro_f1']:.3f} |")
    print(
        f"| {base_name} | all | {base['active']['n']} "
        f"| {base['active']['macro_f1']:.3f} | {base['candidate']['macro_f1']:.3f} |"
    )
    verdict = "activated" if candidate.is_active else f"rejected: {candidate.get_rejection_reason_display()}"
    relabelled = FeedbackItem.objects.filter(model_version=candidate.version).count()
    print()
    print(f"Gate: {verdict}. Retrained in {train_seconds:.0f} s; {relabelled} items now carry the new model's labels.")
    print(f"Total {time.perf_counter() - started:.0f} s ({'--quick base' if args.quick else 'full base data'}).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
