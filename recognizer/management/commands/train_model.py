"""`python manage.py train_model`: data → model → fit → evaluate → export.

TensorFlow is imported here, inside the command, and never by the web process.
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from training.data import DatasetError, load_mnist
from training.metrics import evaluate_predictions, format_evaluation


class Command(BaseCommand):
    help = "Train the digit CNN on MNIST and write digit_cnn.keras, .tflite and .json."

    def add_arguments(self, parser):
        parser.add_argument("--recipe", choices=["seed", "default"], default="default",
                            help="'seed': the seed document's network and settings; "
                                 "'default': the model the site ships (default)")
        parser.add_argument("--epochs", type=int, help="epochs (default: the recipe's)")
        parser.add_argument("--batch-size", type=int, help="batch size (default: the recipe's)")
        parser.add_argument("--data-dir", help="folder of MNIST's IDX files, gzipped or not "
                                                "(default: $MNIST_DIR, else Keras' download)")
        parser.add_argument("--output-dir", default=str(Path(settings.BASE_DIR) / "ml_models"),
                            help="where to write the model (default: ml_models/)")
        parser.add_argument("--limit", type=int, help="train on the first N training images only")
        parser.add_argument("--seed", type=int, default=1, help="random seed (default: 1)")

    def handle(self, *args, **options):
        for name in ("epochs", "batch_size", "limit"):
            if options[name] is not None and options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1")

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

        # 2-3. Model and fit
        model, seconds = train(x_train, y_train, recipe=recipe, epochs=epochs, batch_size=batch_size,
                               seed=options["seed"], write=self.stdout.write)
        self.stdout.write(f"Trained in {seconds:.0f} s.")

        # 4. Evaluate on the 10,000 test images
        predictions = predict_probabilities(model, mnist.x_test).argmax(axis=1)
        evaluation = evaluate_predictions(mnist.y_test, predictions)
        self.stdout.write(format_evaluation(evaluation, title="Test accuracy"))

        # 5. Export
        metadata = export_model(model, output_dir=options["output_dir"], metadata={
            "recipe": recipe.name,
            "epochs": epochs,
            "batch_size": batch_size,
            "seed": options["seed"],
            "training_images": len(x_train),
            "parameters": model.count_params(),
            "test_accuracy": evaluation.accuracy,
            "per_digit_accuracy": evaluation.per_digit_accuracy,
            "confusion_matrix": evaluation.confusion_matrix,
            "training_seconds": round(seconds, 1),
            "dataset": {"source": mnist.source, "sha256": mnist.checksums},
        })
        self.stdout.write(self.style.SUCCESS(
            f"Wrote model {metadata['model_version']} to {options['output_dir']} "
            f"(digit_cnn.keras, digit_cnn.tflite, digit_cnn.json)."
        ))
