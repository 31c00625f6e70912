"""`python manage.py evaluate_model`: the served model measured through the serving path (decoding,
normalisation, LiteRT, as a request runs them): MNIST's test set, its digits redrawn on canvases, the
pendigits test writers' own strokes, validation non-digits by family, calibration, and the worst pen
misreads as an image (training.evaluation does the work; this parses the options and prints)."""

import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recognizer.errors import ModelUnavailable
from recognizer.litert import LiteRTModel
from training.data import DatasetError, load_split, resolve_data_dir
from training.evaluation import evaluate_serving_path, misreads_grid
from training.metrics import REFUSAL_THRESHOLD, format_calibration, format_evaluation
from training.mixture import NONDIGIT_VALIDATION, VALIDATION_SEED
from training.nondigits import nondigit_jobs
from training.numbers import evaluate_numbers, format_numbers
from training.pendigits import PendigitsError, load_pendigits, split_by_writer

DEFAULT_GRID = Path(settings.BASE_DIR) / "bench-results" / "worst-pen-misreads.png"


class Command(BaseCommand):
    help = (
        "Measure the served model (decoding, normalisation and LiteRT, as a request runs them) on the "
        "MNIST test set, the same digits redrawn as pen strokes on a 280 px canvas (white, black and "
        "transparent), the pendigits test writers' digits, and validation non-digits; with calibration "
        "(expected calibration error, reliability table) and the 20 worst pen misreads as an image."
    )

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", help="folder of MNIST's IDX files (default: $MNIST_DIR)")
        parser.add_argument(
            "--pendigits-dir",
            help="folder of pendigits-train-writers.json.gz (default: $PENDIGITS_DIR, else "
            "../shared/datasets/pendigits)",
        )
        parser.add_argument(
            "--limit", type=int, help="use the first N images of each set (default: all of them)"
        )
        parser.add_argument("--seed", type=int, default=0, help="seed for the canvas drawings (default: 0)")
        parser.add_argument(
            "--worst-grid",
            default=str(DEFAULT_GRID),
            help="where to save the worst pen misreads as a PNG "
            "(default: bench-results/worst-pen-misreads.png)",
        )
        parser.add_argument(
            "--numbers",
            type=int,
            default=0,
            metavar="N",
            help="also read N numbers of 2–8 digits per set, separated and touching (default: 0, none)",
        )

    def handle(self, *args, data_dir, pendigits_dir, limit, seed, worst_grid, **options):
        data_dir = resolve_data_dir(data_dir or settings.MNIST_DIR)
        if data_dir is None:
            raise CommandError("Give MNIST's folder with --data-dir or MNIST_DIR.")
        if limit is not None and limit < 1:
            raise CommandError("--limit must be at least 1")
        if options["numbers"] < 0:
            raise CommandError("--numbers must be 0 or more")
        try:
            images, labels, _ = load_split(data_dir, "test")
            writers = split_by_writer(load_pendigits(pendigits_dir))
            model = LiteRTModel.from_file(settings.MODEL_PATH)
        except (DatasetError, PendigitsError, ModelUnavailable) as error:
            raise CommandError(str(error)) from None
        images, labels = images[:limit], labels[:limit]
        pen_digits = writers["test"][:limit]
        nondigits = nondigit_jobs(
            min(NONDIGIT_VALIDATION, limit or NONDIGIT_VALIDATION),
            part="validation",
            seed=VALIDATION_SEED,
            pen_digits=writers["validation"],
        )
        self.stdout.write(
            f"Model {model.version} ({model.num_classes} outputs); {len(images):,} MNIST test digits from "
            f"{data_dir}, {len(pen_digits):,} digits of the pen test writers, {len(nondigits):,} non-digits."
        )

        set_started = [time.perf_counter()]  # the sets are read one after the other

        def progress(what, count, total):
            seconds = time.perf_counter() - set_started[0]
            if count is None:
                self.stdout.write(f"  {what}: {total:,} in {seconds:.0f} s")
                set_started[0] = time.perf_counter()
            else:
                self.stdout.write(f"  {what}: {count:,}/{total:,} read ({seconds:.0f} s)")

        report = evaluate_serving_path(
            model,
            images,
            labels,
            seed=seed,
            pen_digits=pen_digits,
            nondigit_jobs=nondigits,
            progress=progress,
        )
        write = self.stdout.write
        write(format_evaluation(report.mnist, title="MNIST test set through the serving path"))
        write(format_evaluation(report.canvas, title="Canvas drawings through the serving path"))
        for background, accuracy, count in report.canvas_by_background:
            write(f"  on {background}: {accuracy:.2%} of {count:,}")
        write(format_evaluation(report.pen, title="Pen test writers through the serving path"))
        for background, accuracy, count in report.pen_by_background:
            write(f"  on {background}: {accuracy:.2%} of {count:,}")

        everything = report.nondigits_by_family[-1]
        write(
            f"Non-digits refused (p(not a digit) ≥ {REFUSAL_THRESHOLD}): "
            f"{everything[1]:.2%} of {everything[2]:,}"
        )
        for family, share, count in report.nondigits_by_family[:-1]:
            write(f"  {family:<14} {share:7.2%} of {count:,}  " + "█" * round(share * 20))
        write(
            "Real digits wrongly refused: "
            + ", ".join(f"{name} {share:.2%}" for name, share in report.wrongly_refused.items())
        )
        for name, calibration in report.calibration.items():
            write(format_calibration(calibration, title=f"Calibration, {name}"))

        grid_path = Path(worst_grid)
        grid_path.parent.mkdir(parents=True, exist_ok=True)
        misreads_grid(report.worst_pen).save(grid_path)
        write(f"The {len(report.worst_pen)} worst pen misreads (surest first): {grid_path}")

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
