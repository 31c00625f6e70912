"""Which model this process serves: the registry's active one (ModelVersion), switched without a restart.

Each process keeps the classifier it loaded. At most every CHECK_SECONDS it asks the database which
version is active (one indexed query; in between, no query at all); when that changed, it loads the new
model from the row's bytes and swaps one reference. A request holds the classifier it was given for its
whole life, so a switch never fails a request or mixes two models in one, and each stored prediction
names the model that read it. Every worker on every app server sharing the database follows within
about CHECK_SECONDS of an activation.

An empty registry (a fresh database) registers and activates the file at settings.MODEL_PATH. When the
database cannot be asked, the process keeps serving what it has (or, with nothing loaded yet, that file).
"""

import logging
import threading
import time

from django.conf import settings
from django.db import DatabaseError

from recognizer import inference, metrics, selectors
from recognizer.errors import ModelUnavailable

logger = logging.getLogger(__name__)

CHECK_SECONDS = 1.0


class ActiveModel:
    def __init__(self):
        self.classifier = None  # what this process serves
        self.previous = None  # what it served before: a roll back swaps back without loading
        self.checked_at = float("-inf")
        self.lock = threading.Lock()

    def get(self):
        """The classifier to read a drawing with. Raises ModelUnavailable."""
        if time.monotonic() - self.checked_at < CHECK_SECONDS:
            return self.classifier  # the fast path: no query
        with self.lock:
            if time.monotonic() - self.checked_at >= CHECK_SECONDS:  # no other thread just checked
                self.refresh()
                self.checked_at = time.monotonic()
        return self.classifier

    def refresh(self):
        try:
            version = selectors.active_model_version()
            if version is None:
                from recognizer import services  # services read through this module: import when needed

                version = services.ensure_active_model(fallback_path=settings.MODEL_PATH).version
        except DatabaseError as error:
            if self.classifier is None:
                logger.error("Cannot ask the database which model is active, serving the file: %s", error)
                self.swap(inference.DigitClassifier(settings.MODEL_PATH))  # raises ModelUnavailable
            else:
                logger.error(
                    "Cannot ask the database which model is active, keeping %s: %s", self.version, error
                )
            return
        if version == self.version:
            return
        if self.previous is not None and self.previous.version == version:
            self.swap(self.previous)
            return
        started = time.perf_counter()
        try:
            row = selectors.get_model_version(version=version)
            classifier = inference.DigitClassifier(row.source_path, content=row.content, metadata=row.metrics)
        except (DatabaseError, ModelUnavailable) as error:
            if self.classifier is None:
                raise ModelUnavailable(f"The active model {version} cannot be loaded: {error}") from None
            logger.error("Cannot load the active model %s, keeping %s: %s", version, self.version, error)
            return
        self.swap(classifier)
        logger.info(
            "Now serving model %s (loaded in %.0f ms)", version, 1000 * (time.perf_counter() - started)
        )

    @property
    def version(self):
        return self.classifier.version if self.classifier is not None else None

    def swap(self, classifier):
        previous, self.previous, self.classifier = self.classifier, self.classifier, classifier
        metrics.model_served(previous=previous.version if previous else None, current=classifier.version)


_active = ActiveModel()


def active_classifier():
    """The classifier of the model this process serves now. Raises ModelUnavailable."""
    classifier = _active.get()
    if classifier is None:  # another thread's refresh failed just now
        raise ModelUnavailable("No model is loaded.")
    return classifier


def check_now():
    """Ask the registry again on next use, keeping what is loaded (tests; after activating in-process)."""
    _active.checked_at = float("-inf")


def forget():
    """Forget every loaded model (tests)."""
    global _active
    _active = ActiveModel()
