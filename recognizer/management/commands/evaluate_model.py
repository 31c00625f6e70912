"""`python manage.py evaluate_model`: the served model's accuracy through the serving path
(training.evaluation does the work; this parses the options and prints)."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recognizer.errors import ModelUnavailable
from recognizer.litert import LiteRTModel
from training.data import DatasetError, load_split, resolve_data_dir
from training.evaluation import evaluate_serving_path
from training.metrics import format_evaluation
from training.numbers import evaluate_numbers, format_numbers


class Command(BaseCommand):
    help = (
        "Measure the served model (decoding, normalisation and LiteRT, as a request runs them) on the "
        "MNIST test set and on the same digits redrawn as pen strokes on a 280 px canvas (white, black "
        "and transparent)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", help="folder of MNIST's IDX files (default: $MNIST_DIR)")
        parser.add_argument("--limit", type=int, help="use the first N test images (default: all 10,000)")
        parser.add_argument("--seed", type=int, default=0, help="seed for the canvas drawings (default: 0)")
        parser.add_argument(
            "--numbers",
            type=int,
            default=0,
            metavar="N",
            help="also read N numbers of 2–8 digits per set, separated and touching (default: 0, none)",
        )

    def handle(self, *args, data_dir, limit, seed, **options):
        data_dir = resolve_data_dir(data_dir or settings.MNIST_DIR)
        if data_dir is None:
            raise CommandError("Give MNIST's folder with --data-dir or MNIST_DIR.")
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")
        if options["numbers"] < 0:
            raise CommandError("--numbers must be 0 or more")
        try:
            images, labels, _ = load_split(data_dir, "test")
            model = LiteRTModel.from_file(settings.MODEL_PATH)
        except (DatasetError, ModelUnavailable) as error:
            raise CommandError(str(error)) from None
        images, labels = images[:limit], labels[:limit]
        self.stdout.write(f"Model {model.version}; {len(images):,} MNIST test digits from {data_dir}.")

        set_started = [time.perf_counter()]  # the sets are read one after the other

        def progress(what, count):
            seconds = time.perf_counter() - set_started[0]
            if count is None:
                self.stdout.write(f"  {what}: {len(images):,} in {seconds:.0f} s")
                set_started[0] = time.perf_counter()
            else:
                self.stdout.write(f"  {what}: {count:,}/{len(images):,} read ({seconds:.0f} s)")

        report = evaluate_serving_path(model, images, labels, seed=seed, progress=progress)
        self.stdout.write(format_evaluation(report.mnist, title="MNIST test set through the serving path"))
        self.stdout.write(format_evaluation(report.canvas, title="Canvas drawings through the serving path"))
        for background, accuracy, count in report.canvas_by_background:
            self.stdout.write(f"  on {background}: {accuracy:.2%} of {count:,}")

        # Numbers (issue 15): training.numbers composes and reads them.
        if options["numbers"]:
            self.write_numbers(model, images, labels, count=options["numbers"], seed=seed)

    def write_numbers(self, model, images, labels, *, count, seed):
        self.stdout.write(f"Numbers: {count:,} per set, drawn from {len(images):,} MNIST test digits.")
        started = time.perf_counter()

        def progress(name, done):
            self.stdout.write(f"  {name}: {done:,}/{count:,} read ({time.perf_counter() - started:.0f} s)")

        reports = evaluate_numbers(model.predict, images, labels, count=count, seed=seed, progress=progress)
        self.stdout.write(format_numbers(reports))
