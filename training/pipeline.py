"""The training run, step by step: data → (feedback) → model → fit → evaluate → export.

`manage.py train_model` parses its options and calls `train_model`; TensorFlow is imported here, when a
run starts, never when a module is imported, so the web process and `manage.py --help` never load it.
"""

from training import feedback as feedback_training
from training.data import load_mnist
from training.metrics import evaluate_predictions, format_evaluation


def train_model(
    *,
    recipe,
    output_dir,
    epochs=None,
    batch_size=None,
    data_dir=None,
    limit=None,
    seed=1,
    labelled=None,
    served_model_path=None,
    write=print,
):
    """Train `recipe` ("default" or "seed") on MNIST and write digit_cnn.keras, .tflite and .json into
    `output_dir`; returns the metadata written.

    With `labelled` (recognizer.selectors.LabelledDrawings), also train on those drawings and write the
    new model only if it reads MNIST's test set at least as well as the one at `served_model_path`.
    Raises training.data.DatasetError, training.feedback.FeedbackError.
    """
    if labelled is not None:
        feedback_training.require_feedback(labelled, served_model_path=served_model_path)

    from training.export import export_model
    from training.train import RECIPES, predict_probabilities, train

    recipe = RECIPES[recipe]
    epochs = epochs or recipe.epochs
    batch_size = batch_size or recipe.batch_size

    # 1. Data
    mnist = load_mnist(data_dir)
    x_train, y_train = mnist.x_train[:limit], mnist.y_train[:limit]
    write(
        f"MNIST from {mnist.source}: training on {len(x_train):,} images, testing on "
        f"{len(mnist.x_test):,}. Recipe '{recipe.name}': {epochs} epochs, batch {batch_size}, "
        f"seed {seed}."
    )
    plan = None
    if labelled is not None:
        plan = feedback_training.plan_feedback(
            labelled,
            mnist,
            mnist_count=len(x_train),
            seed=seed,
            served_model_path=served_model_path,
            num_classes=recipe.build_model().output_shape[-1],  # "not a digit" only if it has that class
            write=write,
        )
        x_train, y_train = feedback_training.mix_in_feedback(
            x_train, y_train, plan.split.train_images, plan.split.train_labels, repeats=plan.repeats
        )

    # 2-3. Model and fit
    model, seconds = train(
        x_train, y_train, recipe=recipe, epochs=epochs, batch_size=batch_size, seed=seed, write=write
    )
    write(f"Trained in {seconds:.0f} s.")

    # 4. Evaluate on the 10,000 test images
    evaluation = evaluate_predictions(mnist.y_test, predict_probabilities(model, mnist.x_test).argmax(axis=1))
    write(format_evaluation(evaluation, title="Test accuracy"))

    # 5. Export (with feedback: only a model that reads MNIST at least as well as the served one)
    metadata = {
        "recipe": recipe.name,
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": seed,
        "training_images": len(x_train) - (plan.repeated if plan else 0),
        "parameters": model.count_params(),
        "test_accuracy": evaluation.accuracy,
        "per_digit_accuracy": evaluation.per_digit_accuracy,
        "confusion_matrix": evaluation.confusion_matrix,
        "training_seconds": round(seconds, 1),
        "dataset": {"source": mnist.source, "sha256": mnist.checksums},
    }
    check = None
    if plan is not None:

        def check(tflite_path):
            return feedback_training.check_against_served(plan, mnist, tflite_path, write=write)

    return export_model(model, output_dir=output_dir, metadata=metadata, check=check)
