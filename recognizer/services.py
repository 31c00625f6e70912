"""Writes: recording a prediction and the feedback on it; pruning old ones; registering, activating and
rolling back the models the site serves."""

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from recognizer import decoding, limits, metrics, preprocessing, registry
from recognizer.contract import DIGITS, model_version_of, scaled, split_outputs
from recognizer.errors import FeedbackNotAllowed, ModelUnavailable, NoEarlierModel
from recognizer.health import stored_safely
from recognizer.images import stored_png, thumbnail_png
from recognizer.inference import DigitClassifier, get_classifier
from recognizer.litert import read_model_file
from recognizer.models import ModelVersion, Prediction, hash_feedback_token
from recognizer.selectors import get_model_version


def record_prediction(*, image, source=Prediction.Source.API):
    """Read the digit in a drawing as a client sent it and store drawing and answer together.

    `image` is what the request carried: a data URL or bare base64 text, the bytes of an image file,
    or an uploaded file. It is decoded (recognizer.decoding), normalised to the 28×28 model input
    (recognizer.preprocessing) and classified; then one INSERT stores it all — the drawing and its
    thumbnail bounded by recognizer.limits — in one transaction, committed only if the database file is
    still there (recognizer.health): the caller answers only once it is committed. The returned
    Prediction carries `feedback_token`, the plain token its client needs to give feedback: only its
    hash is stored, so this is the one time it can be read.

    Raises recognizer.errors.InvalidImage (or a subclass) for a drawing that cannot be read,
    ModelUnavailable when there is no model to serve, DatabaseUnavailable (or Django's
    OperationalError) when the database cannot store it; nothing is stored then.
    """
    decoded = decoding.decode(image)
    model_input = preprocessing.normalise_image(decoded.image)
    classifier = get_classifier()
    digit_probabilities, _ = split_outputs(classifier.probabilities(scaled(model_input)))
    probabilities = digit_probabilities[0]
    digit = int(np.argmax(probabilities))
    feedback_token = secrets.token_urlsafe(32)
    drawing, thumbnail = stored_png(decoded), thumbnail_png(decoded.image)  # before the write lock
    with stored_safely():
        prediction = Prediction.objects.create(
            source=source,
            drawing_png=drawing,
            thumbnail_png=thumbnail,
            drawing_width=decoded.image.width,
            drawing_height=decoded.image.height,
            model_input=model_input.tobytes(),
            predicted_digit=digit,
            probability=float(probabilities[digit]),
            probabilities=[float(value) for value in probabilities],
            model_version=classifier.version,
            feedback_token_hash=hash_feedback_token(feedback_token),
        )
    metrics.prediction_recorded(prediction=prediction)
    prediction.feedback_token = feedback_token
    return prediction


def record_feedback(*, prediction_id, label, token):
    """Record that the drawing `prediction_id` is of the digit `label` (0-9), replacing any earlier
    answer. Returns the updated Prediction.

    Raises Prediction.DoesNotExist for an unknown id, FeedbackNotAllowed when `token` is not the one
    given with that prediction.
    """
    if label not in DIGITS:
        raise ValueError(f"label must be a digit 0-9, not {label!r}")
    prediction = Prediction.objects.only(
        "id", "predicted_digit", "model_version", "feedback_token_hash", "true_label", "feedback_at"
    ).get(pk=prediction_id)
    if not prediction.feedback_token_matches(token):
        raise FeedbackNotAllowed()
    prediction.true_label = label
    prediction.feedback_at = timezone.now()
    prediction.save(update_fields=["true_label", "feedback_at"])
    metrics.feedback_recorded(prediction=prediction)
    return prediction


@dataclass(frozen=True)
class PruneResult:
    cutoff: datetime  # drawings created before this were (or, in a dry run, would be) deleted
    matched: int  # how many there were when pruning began
    deleted: int
    batches: int


def prune_predictions(*, older_than, batch_size=limits.PRUNE_BATCH_SIZE, dry_run=False, on_batch=None):
    """Delete the drawings older than `older_than` (a timedelta), oldest first, `batch_size` rows per
    transaction, so the write lock (all of SQLite) is never held long and requests keep being stored.

    `on_batch(batch_number, deleted_in_batch, deleted_so_far)` is called after each batch. A dry run only
    counts. Returns a PruneResult.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    cutoff = timezone.now() - older_than
    old = Prediction.objects.filter(created_at__lt=cutoff)
    matched = old.count()
    if dry_run:
        return PruneResult(cutoff=cutoff, matched=matched, deleted=0, batches=0)
    deleted = batches = 0
    while True:
        with transaction.atomic():
            ids = list(old.order_by("created_at", "id").values_list("id", flat=True)[:batch_size])
            if ids:
                count, _ = Prediction.objects.filter(id__in=ids).delete()
        if not ids:
            break
        deleted += count
        batches += 1
        if on_batch is not None:
            on_batch(batches, count, deleted)
    return PruneResult(cutoff=cutoff, matched=matched, deleted=deleted, batches=batches)


# Models --------------------------------------------------------------------------------------------


def register_model(*, content, source_path, metadata=None, activate=False):
    """Keep the .tflite `content` in the registry (once per version), with `metadata` (digit_cnn.json,
    kept when it describes this model), and with `activate`, make it the model every worker serves.
    Returns the ModelVersion.

    Raises ModelUnavailable when LiteRT cannot load the bytes or they do not fit the contract."""
    content = bytes(content)
    DigitClassifier(source_path, content=content)  # refuse what could not be served, saying why
    version = model_version_of(content)
    metadata = metadata if metadata and metadata.get("model_version") == version else {}
    try:
        with transaction.atomic():
            model, _ = ModelVersion.objects.get_or_create(
                version=version,
                defaults={
                    "recipe": metadata.get("recipe") or "",
                    "metrics": metadata,
                    "source_path": str(source_path),
                    "content": content,
                    "size_bytes": len(content),
                },
            )
    except IntegrityError:  # registered by another process at the same moment
        model = ModelVersion.objects.get(version=version)
    return activate_model(version=version) if activate else model


def register_model_file(*, path, activate=False):
    """register_model for the .tflite at `path` and the digit_cnn.json beside it (if any).
    Raises ModelUnavailable when the file is missing, unreadable or not a model."""
    path = Path(path)
    content = read_model_file(path)
    try:
        metadata = json.loads(path.with_suffix(".json").read_text())
    except (OSError, ValueError):
        metadata = {}
    return register_model(content=content, source_path=path, metadata=metadata, activate=activate)


def activate_model(*, version):
    """Make the registered model `version` the one every worker serves (within about a second, with no
    restart); the model active until now is remembered as its `previous`, for a roll back. Returns it.

    Raises ModelNotRegistered, and ModelUnavailable when its stored bytes are corrupt or cannot be
    loaded (then nothing changes)."""
    with transaction.atomic():
        model = get_model_version(version=version)
        # Lock the active row and this one: two activations at once are applied one after the other.
        locked = list(ModelVersion.objects.select_for_update().filter(Q(is_active=True) | Q(pk=model.pk)))
        model = next(row for row in locked if row.pk == model.pk)
        content = bytes(model.content)
        if model_version_of(content) != model.version:
            raise ModelUnavailable(f"The stored model {model.version} is corrupt: its bytes do not match it.")
        DigitClassifier(model.source_path, content=content)  # raises ModelUnavailable
        active = ModelVersion.objects.filter(is_active=True).exclude(pk=model.pk).first()
        if active is not None:
            active.is_active = False
            active.save(update_fields=["is_active"])
            model.previous = active
        model.is_active = True
        model.activated_at = timezone.now()
        model.save(update_fields=["is_active", "activated_at", "previous"])
    registry.check_now()  # this process follows at once; the others within a second
    return model


def roll_back_model():
    """Activate the model that was active before the active one. Returns it.
    Raises NoEarlierModel when there is none."""
    active = ModelVersion.objects.filter(is_active=True).select_related("previous").first()
    if active is None or active.previous is None:
        raise NoEarlierModel()
    return activate_model(version=active.previous.version)


def ensure_active_model(*, fallback_path):
    """The active model; when none is (a fresh database), the .tflite at `fallback_path` registered
    and activated. Raises ModelUnavailable when that file cannot be served."""
    active = ModelVersion.objects.filter(is_active=True).first()
    if active is not None:
        return active
    try:
        return register_model_file(path=fallback_path, activate=True)
    except IntegrityError:  # another process activated one at the same moment
        return ModelVersion.objects.get(is_active=True)
