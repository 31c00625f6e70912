"""Writes: recording a prediction and the feedback on it; pruning old ones; registering, activating and
rolling back the models the site serves."""

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from recognizer import decoding, limits, metrics, reading, registry
from recognizer.contract import DIGITS, model_version_of
from recognizer.errors import FeedbackNotAllowed, ModelUnavailable, NoEarlierModel
from recognizer.health import stored_safely
from recognizer.images import stored_png, thumbnail_png
from recognizer.inference import DigitClassifier
from recognizer.litert import read_model_file
from recognizer.models import MarkReading, ModelVersion, Prediction, hash_feedback_token
from recognizer.selectors import get_model_version


def record_prediction(*, image, source=Prediction.Source.API):
    """Read a drawing as a client sent it (recognizer.reading) and store drawing and reading together.

    `image` is what the request carried: a data URL or bare base64 text, the bytes of an image file,
    or an uploaded file. It is decoded (recognizer.decoding) and read, each mark normalised to its
    28×28 model input and all read in one batched call; then the drawing and its thumbnail (bounded by
    recognizer.limits) and each mark are stored in one transaction, committed only if the database file
    is still there (recognizer.health): the caller answers only once it is committed. The returned
    Prediction carries `reading` (recognizer.reading.Reading) and `feedback_token`, the plain token its
    client needs to give feedback: only its hash is stored, so this is the one time it can be read.

    Raises recognizer.errors.InvalidImage (or a subclass) for a drawing that cannot be read,
    ModelUnavailable when there is no model to serve, DatabaseUnavailable (or Django's
    OperationalError) when the database cannot store it; nothing is stored then.
    """
    decoded = decoding.decode(image)
    return store_reading(decoded=decoded, read=reading.read_image(decoded.image), source=source)


def store_reading(*, decoded, read, source=Prediction.Source.API):
    """Store a drawing (recognizer.decoding.DecodedImage) and its Reading, as record_prediction does."""
    representative = read.representative
    feedback_token = secrets.token_urlsafe(32)
    drawing, thumbnail = stored_png(decoded), thumbnail_png(decoded.image)  # before the write lock
    with stored_safely():
        prediction = Prediction.objects.create(
            source=source,
            drawing_png=drawing,
            thumbnail_png=thumbnail,
            drawing_width=decoded.image.width,
            drawing_height=decoded.image.height,
            verdict=read.verdict,
            number=read.number,
            digit_count=len(read.digits),
            model_input=representative.model_input.tobytes(),
            predicted_digit=representative.digit,
            probability=read.probability,
            probabilities=list(representative.probabilities),
            model_version=read.model_version,
            feedback_token_hash=hash_feedback_token(feedback_token),
        )
        marks = MarkReading.objects.bulk_create(
            MarkReading(
                prediction=prediction,
                position=position,
                box_x=mark.box[0],
                box_y=mark.box[1],
                box_width=mark.box[2],
                box_height=mark.box[3],
                is_digit=mark.is_digit,
                digit=mark.digit,
                probability=mark.probability,
                probabilities=list(mark.probabilities),
                not_a_digit_probability=mark.not_a_digit_probability,
                model_input=mark.model_input.tobytes(),
            )
            for position, mark in enumerate(read.marks)
        )
    metrics.prediction_recorded(prediction=prediction)
    prediction.marks_in_order = marks
    prediction.reading = read
    prediction.feedback_token = feedback_token
    return prediction


def record_feedback(*, prediction_id, token, label=None, number=None, not_a_digit=False):
    """Record what the drawing `prediction_id` really is, replacing any earlier answer: exactly one of
    `label` (the digit 0-9), `number` (its digits as text, 1 to limits.MAX_DIGITS of them) or
    `not_a_digit=True`. Returns the updated Prediction.

    Raises ValueError for anything else, Prediction.DoesNotExist for an unknown id, FeedbackNotAllowed
    when `token` is not the one given with that prediction.
    """
    given = [label is not None, number is not None, bool(not_a_digit)]
    if given.count(True) != 1:
        raise ValueError("give exactly one of label, number and not_a_digit")
    if label is not None:
        if label not in DIGITS:
            raise ValueError(f"label must be a digit 0-9, not {label!r}")
        number = str(label)
    if number is not None and not is_number_text(number):
        raise ValueError(f"number must be 1 to {limits.MAX_DIGITS} digits 0-9, not {number!r}")
    prediction = Prediction.objects.only(
        "id",
        "verdict",
        "number",
        "predicted_digit",
        "model_version",
        "feedback_token_hash",
        "true_number",
        "true_label",
        "true_not_a_digit",
        "feedback_at",
    ).get(pk=prediction_id)
    if not prediction.feedback_token_matches(token):
        raise FeedbackNotAllowed()
    prediction.true_number = number
    prediction.true_label = int(number) if number is not None and len(number) == 1 else None
    prediction.true_not_a_digit = bool(not_a_digit)
    prediction.feedback_at = timezone.now()
    prediction.save(update_fields=["true_number", "true_label", "true_not_a_digit", "feedback_at"])
    metrics.feedback_recorded(prediction=prediction)
    return prediction


def is_number_text(text):
    """Whether `text` is a number as feedback gives it: 1 to MAX_DIGITS ASCII digits."""
    return isinstance(text, str) and 1 <= len(text) <= limits.MAX_DIGITS and text.isascii() and text.isdigit()


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
                _, deleted_per_model = Prediction.objects.filter(id__in=ids).delete()  # and their marks
                count = deleted_per_model.get(Prediction._meta.label, 0)
        if not ids:
            break
        deleted += count
        batches += 1
        if on_batch is not None:
            on_batch(batches, count, deleted)
    return PruneResult(cutoff=cutoff, matched=matched, deleted=deleted, batches=batches)


# Models --------------------------------------------------------------------------------------------


def register_model(*, content, source_path, metadata=None, activate=False, activate_if_new=False):
    """Keep the .tflite `content` in the registry (once per version), with `metadata` (digit_cnn.json,
    kept when it describes this model), and with `activate`, make it the model every worker serves;
    with `activate_if_new`, only when this version was not registered before (a new release's model is
    served, and a model staff rolled back from stays rolled back). Returns the ModelVersion.

    Raises ModelUnavailable when LiteRT cannot load the bytes or they do not fit the contract."""
    content = bytes(content)
    DigitClassifier(source_path, content=content)  # refuse what could not be served, saying why
    version = model_version_of(content)
    metadata = metadata if metadata and metadata.get("model_version") == version else {}
    try:
        with transaction.atomic():
            model, created = ModelVersion.objects.get_or_create(
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
        model, created = ModelVersion.objects.get(version=version), False
    return activate_model(version=version) if activate or (activate_if_new and created) else model


def register_model_file(*, path, activate=False, activate_if_new=False):
    """register_model for the .tflite at `path` and the digit_cnn.json beside it (if any).
    Raises ModelUnavailable when the file is missing, unreadable or not a model."""
    path = Path(path)
    content = read_model_file(path)
    try:
        metadata = json.loads(path.with_suffix(".json").read_text())
    except (OSError, ValueError):
        metadata = {}
    return register_model(
        content=content,
        source_path=path,
        metadata=metadata,
        activate=activate,
        activate_if_new=activate_if_new,
    )


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
