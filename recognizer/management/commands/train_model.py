"""`python manage.py train_model`: data → model → fit → evaluate → export.

TensorFlow is imported here, inside the command, and never by the web process.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from recognizer import selectors
from training import feedback as feedback_training
from training.data import DatasetError, load_mnist
from training.metrics import evaluate_predictions, format_evaluation


class Command(BaseCommand):
    help = "Train the digit CNN on MNIST and write digit_cnn.keras, .tflite and .json."

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
            "--output-dir",
            default=str(Path(settings.BASE_DIR) / "ml_models"),
            help="where to write the model (default: ml_models/)",
        )
        parser.add_argument("--limit", type=int, help="train on the first N training images only")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")
        parser.add_argument(
            "--include-feedback",
            action="store_true",
            help="also train on the drawings people labelled on the site, holding "
            f"{feedback_training.HELD_OUT_SHARE:.0%} of them out to measure the served "
            "model and the new one; the new model is written only if it reads the "
            "MNIST test set at least as well as the served one",
        )

    def handle(self, *args, **options):
        for name in ("epochs", "batch_size", "limit"):
            if options[name] is not None and options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1")

        labelled = self.labelled_drawings() if options["include_feedback"] else None

        from training.export import export_model
        from training.train import RECIPES, predict_probabilities, train

        recipe = RECIPES[options["recipe"]]
        epochs = options["epochs"] or recipe.epochs
        batch_size = options["batch_size"] or recipe.batch_size

        # 1. Data
        try:
            mnist = load_mnist(options["data_dir"] or settings.MNIST_DIR or None)
        except DatasetError as error:
            raise CommandError(f"Cannot load MNIST: {error}") from None
        x_train, y_train = mnist.x_train[: options["limit"]], mnist.y_train[: options["limit"]]
        self.stdout.write(
            f"MNIST from {mnist.source}: training on {len(x_train):,} images, testing on "
            f"{len(mnist.x_test):,}. Recipe '{recipe.name}': {epochs} epochs, batch {batch_size}, "
            f"seed {options['seed']}."
        )

        feedback = None
        if labelled is not None:
            feedback = self.prepare_feedback(labelled, mnist, mnist_count=len(x_train), seed=options["seed"])
            x_train, y_train = feedback_training.mix_in_feedback(
                x_train,
                y_train,
                feedback["split"].train_images,
                feedback["split"].train_labels,
                repeats=feedback["repeats"],
            )

        # 2-3. Model and fit
        model, seconds = train(
            x_train,
            y_train,
            recipe=recipe,
            epochs=epochs,
            batch_size=batch_size,
            seed=options["seed"],
            write=self.stdout.write,
        )
        self.stdout.write(f"Trained in {seconds:.0f} s.")

        # 4. Evaluate on the 10,000 test images
        predictions = predict_probabilities(model, mnist.x_test).argmax(axis=1)
        evaluation = evaluate_predictions(mnist.y_test, predictions)
        self.stdout.write(format_evaluation(evaluation, title="Test accuracy"))

        # 5. Export
        metadata = {
            "recipe": recipe.name,
            "epochs": epochs,
            "batch_size": batch_size,
            "seed": options["seed"],
            "training_images": len(x_train) - (feedback["repeated"] if feedback else 0),
            "parameters": model.count_params(),
            "test_accuracy": evaluation.accuracy,
            "per_digit_accuracy": evaluation.per_digit_accuracy,
            "confusion_matrix": evaluation.confusion_matrix,
            "training_seconds": round(seconds, 1),
            "dataset": {"source": mnist.source, "sha256": mnist.checksums},
        }
        check = None
        if feedback is not None:

            def check(tflite_path):
                return self.compare_with_served(tflite_path, feedback, mnist)

        metadata = export_model(model, output_dir=options["output_dir"], metadata=metadata, check=check)
        self.stdout.write(
            self.style.SUCCESS(
                f"Wrote model {metadata['model_version']} to {options['output_dir']} "
                f"(digit_cnn.keras, digit_cnn.tflite, digit_cnn.json)."
            )
        )

    # --include-feedback ------------------------------------------------------------------------------

    def labelled_drawings(self):
        """The drawings with feedback, checking first that there are some and a served model to beat."""
        if not Path(settings.MODEL_PATH).is_file():
            raise CommandError(
                f"--include-feedback compares the new model with the served one, but there "
                f"is no model at {settings.MODEL_PATH}: train one without --include-feedback "
                "first."
            )
        labelled = selectors.labelled_drawings()
        if not len(labelled):
            raise CommandError(
                "--include-feedback: no drawing has feedback yet (nobody has said which digit "
                "they drew), so there is nothing to add. Train without --include-feedback."
            )
        return labelled

    def prepare_feedback(self, labelled, mnist, *, mnist_count, seed):
        """Split the labelled drawings, decide their weight, and measure the served model on them."""
        model_path = Path(settings.MODEL_PATH)
        split = feedback_training.split_feedback(labelled.ids, labelled.images, labelled.labels, seed=seed)
        repeats = feedback_training.oversampling_repeats(mnist_count, len(split.train_ids))
        repeated = repeats * len(split.train_ids)
        corrected = int((labelled.labels != labelled.predicted).sum())
        self.stdout.write(
            f"Feedback: {len(labelled):,} labelled drawings ({corrected:,} corrected, "
            f"{len(labelled) - corrected:,} confirmed). Holding out {len(split.held_out_ids):,} to measure; "
            f"training on {len(split.train_ids):,}, each repeated {repeats}× "
            f"({repeated:,} images, {repeated / (mnist_count + repeated):.1%} of training) so they weigh "
            f"beside MNIST's {mnist_count:,}."
        )
        before = feedback_training.measure(model_path, mnist, split)
        self.stdout.write(
            f"Served model {before['model_version']} (before): MNIST test "
            f"{before['mnist_test_accuracy']:.2%}, held-out feedback "
            f"{before['held_out_accuracy']:.2%}."
        )
        return {
            "split": split,
            "repeats": repeats,
            "repeated": repeated,
            "before": before,
            "drawings": len(labelled),
            "corrected": corrected,
        }

    def compare_with_served(self, tflite_path, feedback, mnist):
        """Measure the new .tflite as the served one was measured; refuse it if it reads MNIST's test
        set worse. Returns the "feedback" section of the new model's metadata."""
        split, before = feedback["split"], feedback["before"]
        after = feedback_training.measure(tflite_path, mnist, split)
        self.stdout.write(
            feedback_training.before_after_table(
                before, after, held_out=len(split.held_out_ids), tested=len(mnist.y_test)
            )
        )
        if after["mnist_test_accuracy"] < before["mnist_test_accuracy"]:
            raise CommandError(
                f"Not written: the new model reads {after['mnist_test_accuracy']:.2%} of the MNIST test "
                f"set, below the served model's {before['mnist_test_accuracy']:.2%}. The output folder is "
                "unchanged; train longer (--epochs) or on all of MNIST (no --limit)."
            )
        return {
            "feedback": {
                "drawings": feedback["drawings"],
                "corrected": feedback["corrected"],
                "trained_on": len(split.train_ids),
                "repeats": feedback["repeats"],
                "held_out": len(split.held_out_ids),
                "held_out_share": feedback_training.HELD_OUT_SHARE,  # by a hash of (seed, id)
                "before": before,
                "after": {key: value for key, value in after.items() if key != "model_version"},
            }
        }
