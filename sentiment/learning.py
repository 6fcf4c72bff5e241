"""Learning from the shop: the model registry, retraining with a better-only gate, switching
models and re-analysing what was already analysed.

- Every model is a `SentimentModel` row with its artifact under VOZ_MODEL_DIR; the one shipped
  with Voz is registered on first use. Exactly one is active, and the workers read which one
  before every batch (sentiment.runtime), so a switch needs no restart.
- A retrain learns from the shared base data plus the shop's own labels (selectors.shop_labels:
  staff corrections, survey scores, stars). It goes live only if it beats the active model on a
  held-out fifth of those labels, the same items every time, and loses at most 0.02 on Voz's own
  held-out split (one per kind, data that kind never trains on: training.BASE_HOLDOUTS). A
  rejected model is kept, with its figures and the reason.
- Activating a model (a retrain that passed, or staff choosing one, or rolling back) re-analyses
  stored feedback in the background, batch by batch from a cursor, so a redelivered task carries
  on where the last one stopped. Each batch records its days in the change log, so the dashboard
  rollups follow.
"""

from __future__ import annotations

import logging
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit
from core.exceptions import ApplicationError
from feedback.models import FeedbackItem
from sentiment import selectors
from sentiment.models import SentimentModel

# sentiment.ml.training brings scikit-learn and SciPy (0.9 s to import, tens of MB): every web process
# imports this module (the admin's retrain page, the tasks) and never trains, so the functions that
# train or judge a model import it themselves.
if TYPE_CHECKING:
    from sentiment.ml import training

logger = logging.getLogger(__name__)

# Fewer held-out items than this and a difference in macro-F1 is mostly luck.
MIN_SHOP_HOLDOUT = 20
# How much a retrained model may lose on Voz's own held-out split for what it gains on the shop's.
MAX_BASE_LOSS = 0.02
# A re-analysis task hands over to a fresh one after this long, so no single task runs for hours.
REANALYSIS_SECONDS = 60
STALE_TRAINING = timedelta(hours=6)


class ModelNotUsable(ApplicationError):
    code = "model_not_usable"
    status_code = 400


class RetrainAlreadyRunning(ApplicationError):
    code = "retrain_running"
    status_code = 409


def _load(path: Path):
    from sentiment.ml.model import load_model

    return load_model(path)


def artifact_path(model: SentimentModel) -> Path:
    if model.status == SentimentModel.Status.SHIPPED:
        return Path(settings.BASE_DIR) / model.artifact
    return Path(settings.VOZ_MODEL_DIR) / model.artifact


TIERS = ("fast", "accurate")


def tier_model_path() -> str:
    """SENTIMENT_MODEL_PATH when set, else the artifact of the tier VOZ_NLP_TIER names."""
    if settings.SENTIMENT_MODEL_PATH:
        return str(settings.SENTIMENT_MODEL_PATH)
    tier = settings.VOZ_NLP_TIER
    if tier not in TIERS:
        raise ValueError(f"VOZ_NLP_TIER must be one of {', '.join(TIERS)}, not {tier!r}")
    return str(settings.SENTIMENT_ACCURATE_MODEL_PATH if tier == "accurate" else settings.SENTIMENT_FAST_MODEL_PATH)


def shipped_model_path() -> Path:
    """The model this release ships for the configured tier."""
    return Path(tier_model_path())


# ---------------------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------------------
def model_shipped_register() -> SentimentModel:
    """Register the model this release ships, and make it active if none is — or if the active one is
    an older shipped model (a release brought a better one; a shop's own retrained model stays)."""
    from sentiment.ml import training

    path = shipped_model_path()
    loaded = _load(path)
    try:
        artifact = str(path.resolve().relative_to(Path(settings.BASE_DIR).resolve()))
    except ValueError:
        artifact = str(path)
    try:
        with transaction.atomic():
            model, _ = SentimentModel.objects.get_or_create(
                version=loaded.version,
                defaults={
                    "kind": training.model_kind(loaded),
                    "status": SentimentModel.Status.SHIPPED,
                    "artifact": artifact,
                    "trained_from": getattr(loaded, "meta", {}).get("train", {}),
                    "progress": 100,
                },
            )
            active = SentimentModel.objects.select_for_update().filter(is_active=True).first()
            if active is None:
                _activate(model, reanalyse=False)
            elif active.pk != model.pk and active.status == SentimentModel.Status.SHIPPED:
                _activate(model, reanalyse=True)
    except IntegrityError:
        # another process registered or activated it at the same moment
        model = SentimentModel.objects.get(version=loaded.version)
    return model


def _activate(model: SentimentModel, *, reanalyse: bool, user=None) -> SentimentModel:
    """Make `model` the active one; with `reanalyse`, stored feedback follows it in the background."""
    from sentiment.tasks import reanalyse_for_model

    previous = SentimentModel.objects.filter(is_active=True).exclude(pk=model.pk).first()
    SentimentModel.objects.filter(is_active=True).exclude(pk=model.pk).update(is_active=False)
    model.is_active = True
    model.activated_at = timezone.now()
    model.reanalysis_total = (
        FeedbackItem.objects.filter(erased_at__isnull=True).exclude(model_version=model.version).count()
        if reanalyse
        else 0
    )
    model.reanalysis_done = 0
    model.reanalysis_cursor = 0
    model.reanalysis_finished_at = None if reanalyse else timezone.now()
    model.save(
        update_fields=[
            "is_active",
            "activated_at",
            "reanalysis_total",
            "reanalysis_done",
            "reanalysis_cursor",
            "reanalysis_finished_at",
        ]
    )
    audit(
        "sentiment.model_activate",
        model,
        actor=user,
        details={"version": model.version, "previous": previous.version if previous else None},
    )
    if reanalyse:
        transaction.on_commit(lambda: reanalyse_for_model.delay(model.pk))
    return model


@transaction.atomic
def model_activate(*, model_id: int, user=None) -> SentimentModel:
    """Staff choose a model; stored feedback is re-analysed with it in the background."""
    model = SentimentModel.objects.select_for_update().filter(pk=model_id).first()
    if model is None:
        raise ModelNotUsable(_("This model does not exist."))
    usable = (SentimentModel.Status.ACCEPTED, SentimentModel.Status.SHIPPED)
    if model.status not in usable:
        raise ModelNotUsable(
            _("Only a model that passed the check can be activated; this one is “%(status)s”.")
            % {"status": model.get_status_display()}
        )
    if model.is_active:
        return model
    if not artifact_path(model).exists():
        raise ModelNotUsable(_("The model's file is missing: %(file)s.") % {"file": model.artifact})
    return _activate(model, reanalyse=True, user=user)


def model_rollback(*, user=None) -> SentimentModel:
    """Back to the model that was active before the active one, in one click."""
    previous = selectors.model_previous()
    if previous is None:
        raise ModelNotUsable(_("No model was active before this one."))
    return model_activate(model_id=previous.pk, user=user)


# ---------------------------------------------------------------------------------------
# Retraining
# ---------------------------------------------------------------------------------------
def model_retrain_start(*, user=None, kind: str | None = None, queue: bool = True) -> SentimentModel:
    """Queue a retrain (or, with `queue=False`, leave it to the caller to run); the row shows its
    progress while it runs."""
    with transaction.atomic():
        # a retrain whose worker died never finishes; after this long it no longer blocks the next one
        SentimentModel.objects.filter(
            status=SentimentModel.Status.TRAINING, created_at__lt=timezone.now() - STALE_TRAINING
        ).update(status=SentimentModel.Status.FAILED, error="interrupted", progress_stage="")
        if SentimentModel.objects.select_for_update().filter(status=SentimentModel.Status.TRAINING).exists():
            raise RetrainAlreadyRunning(_("A retrain is already running."))
        active = selectors.model_active()
        model = SentimentModel.objects.create(
            version=f"training-{uuid.uuid4().hex[:12]}",
            kind=kind or (active.kind if active else SentimentModel.Kind.FAST),
            status=SentimentModel.Status.TRAINING,
            progress_stage="queued",
            created_by=user,
        )
        audit("sentiment.model_retrain", model, actor=user)
        if queue:
            from sentiment.tasks import retrain_model

            transaction.on_commit(lambda: retrain_model.delay(model.pk))
    return model


def _progress(model_id: int, also=None):
    def report(fraction: float, stage: str) -> None:
        SentimentModel.objects.filter(pk=model_id).update(progress=round(100 * fraction), progress_stage=stage[:80])
        if also:
            also(fraction, stage)

    return report


def shop_examples_split(labels) -> tuple[list[training.Example], list[training.Example]]:
    """The shop's labels as training examples, and the held-out fifth the gate judges on."""
    from sentiment.ml import training

    train, held_out = [], []
    for label in labels:
        if training.is_shop_held_out(label.item_id):
            held_out.append(training.Example(label.text, label.language, label.label))
        else:
            train.append(training.Example(label.text, label.language, label.label, label.weight))
    return train, held_out


def gate(candidate, active, shop_held_out, base_held_out) -> tuple[str, dict]:
    """("" if the candidate may go live, else the rejection reason), and the figures behind it."""
    from sentiment.ml import training

    figures = {
        "shop_holdout": {
            "candidate": training.macro_f1(candidate, shop_held_out),
            "active": training.macro_f1(active, shop_held_out),
        },
        "base_holdout": {
            "candidate": training.macro_f1(candidate, base_held_out),
            "active": training.macro_f1(active, base_held_out),
        },
        "max_base_loss": MAX_BASE_LOSS,
    }
    shop, base = figures["shop_holdout"], figures["base_holdout"]
    if len(shop_held_out) < MIN_SHOP_HOLDOUT:
        return SentimentModel.RejectionReason.TOO_FEW_LABELS, figures
    if shop["candidate"]["macro_f1"] <= shop["active"]["macro_f1"]:
        return SentimentModel.RejectionReason.NOT_BETTER, figures
    if base["candidate"]["macro_f1"] < base["active"]["macro_f1"] - MAX_BASE_LOSS:
        return SentimentModel.RejectionReason.WORSE_ON_BASE, figures
    return "", figures


def model_retrain(*, model_id: int, progress=None, **train_options) -> SentimentModel | None:
    """Train the queued model, judge it against the active one, and activate it if it is better.

    Runs once per queued row: a redelivered task finds it no longer training and does nothing.
    `progress(fraction, stage)` hears how far it got (the row is updated either way); `train_options`
    go to the trainer (tests and the benchmark pass a smaller base set).
    """
    from sentiment.ml import training

    model = SentimentModel.objects.filter(pk=model_id, status=SentimentModel.Status.TRAINING).first()
    if model is None:
        return None
    report = _progress(model.pk, progress)
    try:
        report(0.02, "reading the shop's labels")
        labels = selectors.shop_labels()
        train, held_out = shop_examples_split(labels)
        if len(held_out) < MIN_SHOP_HOLDOUT:
            # the gate could not judge it: minutes of training for nothing
            return _reject_untrained(model, labels, train, held_out)
        train_options.setdefault("data_path", settings.SENTIMENT_DATA_DIR)
        candidate = training.train_model(
            model.kind, train, progress=lambda f, stage: report(0.05 + 0.75 * f, stage), **train_options
        )
        version = f"shop{model.pk}-{candidate.version}"[:64]
        training.set_version(candidate, version)
        artifact = training.artifact_name(candidate)
        candidate.save(Path(settings.VOZ_MODEL_DIR) / artifact)

        report(0.85, "comparing with the active model")
        active_row = selectors.model_active() or model_shipped_register()
        active = _load(artifact_path(active_row))
        base_held_out = training.base_holdout(model.kind, train_options["data_path"])
        reason, figures = gate(candidate, active, held_out, base_held_out)
        figures["base_holdout_set"] = training.base_holdout_name(model.kind)
        figures["compared_with"] = active_row.version
    except Exception as error:
        logger.exception("Retraining model %s failed", model.pk)
        SentimentModel.objects.filter(pk=model.pk).update(
            status=SentimentModel.Status.FAILED, error=f"{type(error).__name__}: {error}"[:2000], progress_stage=""
        )
        return SentimentModel.objects.get(pk=model.pk)

    with transaction.atomic():
        model = SentimentModel.objects.select_for_update().get(pk=model.pk)
        model.version = version
        model.artifact = artifact
        model.figures = figures
        model.trained_from = {
            **_label_counts(labels, train, held_out),
            "base": getattr(candidate, "meta", {}).get("train", {}),
        }
        model.status = SentimentModel.Status.REJECTED if reason else SentimentModel.Status.ACCEPTED
        model.rejection_reason = reason
        model.progress, model.progress_stage = 100, ""
        model.save()
        if not reason:
            _activate(model, reanalyse=True)
    report(1.0, "done")
    return model


def _label_counts(labels, train, held_out) -> dict:
    sources: dict[str, int] = {}
    for label in labels:
        sources[label.source] = sources.get(label.source, 0) + 1
    return {"shop_labels": len(labels), "shop_train": len(train), "shop_held_out": len(held_out), "by_source": sources}


def _reject_untrained(model: SentimentModel, labels, train, held_out) -> SentimentModel:
    model.status = SentimentModel.Status.REJECTED
    model.rejection_reason = SentimentModel.RejectionReason.TOO_FEW_LABELS
    model.version = f"shop{model.pk}-untrained"
    model.trained_from = _label_counts(labels, train, held_out)
    model.progress, model.progress_stage = 100, ""
    model.save()
    return model


# ---------------------------------------------------------------------------------------
# Re-analysis after a switch
# ---------------------------------------------------------------------------------------
def model_reanalyse(*, model_id: int, seconds: float = REANALYSIS_SECONDS, batch_size: int | None = None) -> bool:
    """Re-analyse stored feedback with this model for up to `seconds`; True while some is left.

    Stops by itself when another model has been activated meanwhile (that one re-analyses).
    """
    from sentiment.services import feedback_analyse_batch

    deadline = time.monotonic() + seconds
    batch_size = batch_size or settings.SENTIMENT_BATCH_SIZE
    while True:
        model = SentimentModel.objects.filter(pk=model_id, is_active=True, reanalysis_finished_at__isnull=True).first()
        if model is None:
            return False
        ids = list(
            FeedbackItem.objects.filter(pk__gt=model.reanalysis_cursor, erased_at__isnull=True)
            .exclude(model_version=model.version)
            .order_by("pk")
            .values_list("pk", flat=True)[:batch_size]
        )
        if not ids:
            SentimentModel.objects.filter(pk=model_id).update(reanalysis_finished_at=timezone.now())
            return False
        feedback_analyse_batch(ids=ids)
        SentimentModel.objects.filter(pk=model_id).update(
            reanalysis_cursor=ids[-1], reanalysis_done=F("reanalysis_done") + len(ids)
        )
        if time.monotonic() > deadline:
            return True
