"""`python manage.py evaluate_model`: the served model's accuracy through the serving path."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recognizer.evaluation import accuracy_by_background, canvas_pngs, mnist_pngs, read_digits
from recognizer.inference import ModelUnavailable, get_classifier
from training.data import DatasetError, load_split, resolve_data_dir
from training.metrics import evaluate_predictions, format_evaluation


class Command(BaseCommand):
    help = (
        "Measure the served model (preprocessing + LiteRT) on the MNIST test set and on the same "
        "digits redrawn as pen strokes on a 280 px canvas (white, black and transparent)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", help="folder of MNIST's IDX files (default: $MNIST_DIR)")
        parser.add_argument("--limit", type=int, help="use the first N test images (default: all 10,000)")
        parser.add_argument("--seed", type=int, default=0, help="seed for the canvas drawings (default: 0)")

    def handle(self, *args, **options):
        data_dir = resolve_data_dir(options["data_dir"] or settings.MNIST_DIR)
        if data_dir is None:
            raise CommandError("Give MNIST's folder with --data-dir or MNIST_DIR.")
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        try:
            images, labels, _ = load_split(data_dir, "test")
            classifier = get_classifier()
        except (DatasetError, ModelUnavailable) as error:
            raise CommandError(str(error)) from None
        images, labels = images[: options["limit"]], labels[: options["limit"]]
        self.stdout.write(f"Model {classifier.version}; {len(images):,} MNIST test digits from {data_dir}.")

        predicted = self.read("MNIST test images", mnist_pngs(images), total=len(images))
        self.stdout.write(
            format_evaluation(
                evaluate_predictions(labels, predicted), title="MNIST test set through the serving path"
            )
        )

        predicted = self.read("canvas drawings", canvas_pngs(images, seed=options["seed"]), total=len(images))
        self.stdout.write(
            format_evaluation(
                evaluate_predictions(labels, predicted), title="Canvas drawings through the serving path"
            )
        )
        for background, accuracy, count in accuracy_by_background(labels, predicted):
            self.stdout.write(f"  on {background}: {accuracy:.2%} of {count:,}")

    def read(self, what, pngs, *, total):
        started = time.perf_counter()

        def progress(count):
            self.stdout.write(f"  {what}: {count:,}/{total:,} read ({time.perf_counter() - started:.0f} s)")

        predicted = read_digits(pngs, progress=progress)
        self.stdout.write(f"  {what}: {total:,} in {time.perf_counter() - started:.0f} s")
        return predicted
