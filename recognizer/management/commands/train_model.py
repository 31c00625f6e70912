"""`python manage.py train_model`: data → model → fit → evaluate → export (training.pipeline does the
work; this parses the options, reads the labelled drawings for --include-feedback, and prints), then
registers the model it wrote and activates it (recognizer.services), unless told not to.

TensorFlow is imported when the run starts, never when this module is imported: the web process and
`manage.py --help` never load it.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from recognizer import selectors, services
from recognizer.contract import MODEL_FILE
from training import feedback as feedback_training
from training import pipeline
from training.data import DatasetError
from training.mixture import PEN_COPIES
from training.pendigits import PendigitsError


class Command(BaseCommand):
    help = (
        "Train the digit CNN and write digit_cnn.keras, .tflite and .json: the default recipe on MNIST, "
        "real pen digits (pendigits' training writers) and generated non-digits, calibrated and measured "
        "on held-out writers; the seed recipe on MNIST alone."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--recipe",
            choices=["seed", "default"],
            default="default",
            help="'seed': the seed document's network and settings; "
            "'default': the model the site ships (default)",
        )
        parser.add_argument("--epochs", type=int, help="epochs (default: the recipe's)")
        parser.add_argument("--batch-size", type=int, help="batch size (default: the recipe's)")
        parser.add_argument(
            "--data-dir",
            help="folder of MNIST's IDX files, gzipped or not (default: $MNIST_DIR, else Keras' download)",
        )
        parser.add_argument(
            "--pendigits-dir",
            help="folder of pendigits-train-writers.json.gz (default: $PENDIGITS_DIR, else "
            "../shared/datasets/pendigits); the default recipe only",
        )
        parser.add_argument(
            "--pen-copies",
            type=int,
            help=f"times each training writer's digit is drawn (default: {PEN_COPIES})",
        )
        parser.add_argument(
            "--output-dir",
            default=str(Path(settings.BASE_DIR) / "ml_models"),
            help="where to write the model (default: ml_models/)",
        )
        parser.add_argument(
            "--limit",
            type=int,
            help="train on the first N MNIST training images (and at most N pen digits per writer part)",
        )
        parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
        # argparse %-formats help: the share's "%" is written "%%".
        held_out = f"{feedback_training.HELD_OUT_SHARE:.0%}".replace("%", "%%")
        parser.add_argument(
            "--include-feedback",
            action="store_true",
            help=f"also train on the drawings people labelled on the site, holding {held_out} of them "
            "out to measure the served model and the new one; the new model is written only if it "
            "reads the MNIST test set at least as well as the served one",
        )

        registering = parser.add_mutually_exclusive_group()
        registering.add_argument(
            "--no-activate",
            action="store_true",
            help="register the new model without serving it (activate it later with activate_model)",
        )
        registering.add_argument(
            "--no-register",
            action="store_true",
            help="only write the files: the database is not touched",
        )

    def handle(self, *args, **options):
        for name in ("epochs", "batch_size", "limit", "pen_copies"):
            if options[name] is not None and options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1")
        labelled = selectors.labelled_drawings() if options["include_feedback"] else None
        try:
            metadata = pipeline.train_model(
                recipe=options["recipe"],
                output_dir=options["output_dir"],
                epochs=options["epochs"],
                batch_size=options["batch_size"],
                data_dir=options["data_dir"] or settings.MNIST_DIR or None,
                pendigits_dir=options["pendigits_dir"],
                pen_copies=options["pen_copies"],
                limit=options["limit"],
                seed=options["seed"],
                labelled=labelled,
                served_model_path=settings.MODEL_PATH,
                write=self.stdout.write,
            )
        except DatasetError as error:
            raise CommandError(f"Cannot load MNIST: {error}") from None
        except PendigitsError as error:
            raise CommandError(f"Cannot load the pen digits: {error}") from None
        except feedback_training.FeedbackError as error:
            raise CommandError(str(error)) from None
        except ModuleNotFoundError as error:
            if error.name not in ("tensorflow", "keras"):
                raise
            raise CommandError(
                f"Training needs {error.name}, which the web install leaves out: "
                "`make install-training` (or `.venv/bin/pip install -r requirements/training.txt`)."
            ) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote model {metadata['model_version']} to {options['output_dir']} "
                f"(digit_cnn.keras, digit_cnn.tflite, digit_cnn.json)."
            )
        )
        if options["no_register"]:
            return
        written = Path(options["output_dir"]) / MODEL_FILE
        try:
            model = services.register_model_file(path=written, activate=not options["no_activate"])
        except DatabaseError as error:
            raise CommandError(
                f"The model files are written, but the model could not be registered ({error}): "
                f"migrate the database, then `manage.py register_model {written} --activate`."
            ) from None
        self.stdout.write(
            f"Registered model {model.version}"
            + (": every worker serves it within a second." if model.is_active else " (not active).")
        )
