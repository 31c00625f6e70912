"""The training run, step by step: data → (feedback) → model → fit → calibrate → evaluate → export.

`manage.py train_model` parses its options and calls `train_model`; TensorFlow is imported here, when a
run starts, never when a module is imported, so the web process and `manage.py --help` never load it.
"""

import time

import numpy as np

from recognizer.contract import NOT_A_DIGIT
from training import feedback as feedback_training
from training.data import load_mnist
from training.metrics import (
    REFUSAL_THRESHOLD,
    calibration_of,
    digit_predictions,
    evaluate_predictions,
    format_calibration,
    format_evaluation,
    refusal_by_family,
    refused,
)

CANVAS_REDRAWS = 1000  # MNIST test digits redrawn as pen strokes (evaluate_model reads all 10,000)


def train_model(
    *,
    recipe,
    output_dir,
    epochs=None,
    batch_size=None,
    data_dir=None,
    pendigits_dir=None,
    pen_copies=None,
    limit=None,
    seed=1,
    labelled=None,
    served_model_path=None,
    write=print,
):
    """Train `recipe` ("default" or "seed") and write digit_cnn.keras, .tflite and .json into
    `output_dir`; returns the metadata written.

    The seed recipe learns MNIST alone. The default recipe learns MNIST, the training writers' pen
    digits and generated non-digits (training.mixture), is calibrated on validation data, and is
    measured on MNIST's test set, the test writers' pen digits, MNIST digits redrawn on a canvas and
    validation non-digits.

    With `labelled` (recognizer.selectors.LabelledDrawings), also train on those drawings and write the
    new model only if it reads MNIST's test set at least as well as the one at `served_model_path`.
    Raises training.data.DatasetError, training.pendigits.PendigitsError, training.feedback.FeedbackError.
    """
    if labelled is not None:
        feedback_training.require_feedback(labelled, served_model_path=served_model_path)

    from training.export import export_model
    from training.train import RECIPES, calibrate, predict_probabilities, train

    recipe = RECIPES[recipe]
    epochs = epochs or recipe.epochs
    batch_size = batch_size or recipe.batch_size
    started = time.perf_counter()

    # 1. Data
    mnist = load_mnist(data_dir)
    data = None
    if recipe.mixture:
        from training.mixture import PEN_COPIES, recipe_data

        data = recipe_data(
            mnist,
            limit=limit,
            seed=seed,
            pendigits_dir=pendigits_dir,
            pen_copies=pen_copies or PEN_COPIES,
            write=write,
        )
        x_train, y_train = data.x_train, data.y_train
        sources = ", ".join(f"{count:,} {source.replace('_', ' ')}" for source, count in data.counts.items())
        write(
            f"MNIST from {mnist.source}: training on {len(x_train):,} images ({sources}), testing on "
            f"{len(mnist.x_test):,}. Recipe '{recipe.name}': {epochs} epochs, batch {batch_size}, "
            f"seed {seed}."
        )
    else:
        x_train, y_train = mnist.x_train[:limit], mnist.y_train[:limit]
        write(
            f"MNIST from {mnist.source}: training on {len(x_train):,} images, testing on "
            f"{len(mnist.x_test):,}. Recipe '{recipe.name}': {epochs} epochs, batch {batch_size}, "
            f"seed {seed}."
        )
    data_seconds = time.perf_counter() - started
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
    augment_mask = None
    if data is not None:  # feedback drawings (mixed in last) are augmented like MNIST
        augment_mask = np.ones(len(x_train), dtype=bool)
        augment_mask[: len(data.augment_mask)] = data.augment_mask
    model, seconds = train(
        x_train,
        y_train,
        recipe=recipe,
        epochs=epochs,
        batch_size=batch_size,
        seed=seed,
        augment_mask=augment_mask,
        write=write,
    )
    write(f"Trained in {seconds:.0f} s (data drawn in {data_seconds:.0f} s).")

    # 3b. Calibrate: a temperature fitted on validation data, baked into the model
    temperature = None
    if data is not None:
        model, temperature = calibrate(model, data.x_validation, data.y_validation)
        write(f"Temperature {temperature:.3f}, fitted on {len(data.x_validation):,} validation images.")

    # 4. Evaluate on the 10,000 test images (and, for the default recipe, pen writers, canvases, non-digits)
    mnist_outputs = predict_probabilities(model, mnist.x_test)
    evaluation = evaluate_predictions(mnist.y_test, digit_predictions(mnist_outputs))
    write(format_evaluation(evaluation, title="Test accuracy"))

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
    if data is not None:
        metadata |= measure_default_recipe(
            model, mnist, mnist_outputs, data, limit=limit, predict=predict_probabilities, write=write
        )
        metadata |= {
            "training_sources": data.counts,
            "temperature": round(temperature, 4),
            "data_seconds": round(data_seconds, 1),
            "total_seconds": round(time.perf_counter() - started, 1),
            "writer_split": data.writer_split,
        }
        metadata["dataset"]["pendigits"] = "UCI pendigits, 30 writers (CC BY 4.0): training.pendigits"

    # 5. Export (with feedback: only a model that reads MNIST at least as well as the served one)
    check = None
    if plan is not None:

        def check(tflite_path):
            return feedback_training.check_against_served(plan, mnist, tflite_path, write=write)

    return export_model(model, output_dir=output_dir, metadata=metadata, check=check)


def measure_default_recipe(model, mnist, mnist_outputs, data, *, limit, predict, write):
    """The default recipe's figures, printed and returned for digit_cnn.json."""
    from training.evaluation import canvas_pngs, model_input_of

    x_pen, y_pen = data.pen_test
    pen_outputs = predict(model, x_pen)
    pen = evaluate_predictions(y_pen, digit_predictions(pen_outputs))
    write(format_evaluation(pen, title="Held-out pen writers (test writers)"))

    canvas_count = CANVAS_REDRAWS if not limit else min(CANVAS_REDRAWS, max(30, limit // 10))
    write(f"Drawing {canvas_count:,} MNIST test digits on canvases...")
    canvas_images = np.asarray(
        [model_input_of(png) for png in canvas_pngs(mnist.x_test[:canvas_count], seed=0)]
    )
    canvas_outputs = predict(model, canvas_images)
    canvas = evaluate_predictions(mnist.y_test[:canvas_count], digit_predictions(canvas_outputs))
    write(f"Canvas redraws: {canvas.accuracy:.2%} of {canvas.count:,} images")

    x_nondigit, families = data.nondigit_test
    by_family = refusal_by_family(predict(model, x_nondigit), families)
    wrongly = {
        "pen_test": float(refused(pen_outputs).mean()),
        "mnist_test": float(refused(mnist_outputs).mean()),
        "canvas": float(refused(canvas_outputs).mean()),
    }
    write(
        f"Not a digit (p ≥ {REFUSAL_THRESHOLD}): {by_family[-1][1]:.2%} of {by_family[-1][2]:,} validation "
        "non-digits refused; "
        + ", ".join(f"{share:.2%} of {name.replace('_', ' ')} digits" for name, share in wrongly.items())
        + " wrongly refused"
    )
    for family, share, count in by_family[:-1]:
        write(f"  {family:<14} {share:7.2%} of {count:,}  " + "█" * round(share * 20))

    calibration = {
        "pen_test": calibration_of(pen_outputs, y_pen),
        "canvas": calibration_of(canvas_outputs, mnist.y_test[:canvas_count]),
        "mnist_test": calibration_of(mnist_outputs, mnist.y_test),
    }
    for name, result in calibration.items():
        write(format_calibration(result, title=f"Calibration, {name.replace('_', ' ')}"))
    return {
        "pen_test": pen.as_dict() | {"wrongly_refused": wrongly["pen_test"]},
        "canvas": canvas.as_dict() | {"wrongly_refused": wrongly["canvas"]},
        "mnist_wrongly_refused": wrongly["mnist_test"],
        "not_a_digit": {
            "class": NOT_A_DIGIT,
            "threshold": REFUSAL_THRESHOLD,
            "validation_refused": by_family[-1][1],
            "validation_count": by_family[-1][2],
            "refused_by_family": {family: round(share, 4) for family, share, _ in by_family[:-1]},
            "digits_wrongly_refused": wrongly,
        },
        "calibration": {name: result.as_dict() for name, result in calibration.items()},
    }
