"""The layout holds: one definition of each fact of the model contract, one LiteRT runner, and a web app
that imports neither the training code nor TensorFlow (README, Layout). Read from the source itself."""

import ast
import io
import tokenize
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CODE = ("recognizer", "training", "digitsite", "benchmarks")
DJANGO_FREE = ("contract", "limits", "errors", "decoding", "preprocessing", "litert", "idx", "segmentation")


def sources(*folders):
    return sorted(path for folder in folders for path in (ROOT / folder).rglob("*.py"))


def imported_modules(path):
    tree = ast.parse(path.read_text())
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def where(predicate, folders=CODE):
    return sorted(str(path.relative_to(ROOT)) for path in sources(*folders) if predicate(path))


def test_the_image_size_is_written_once():
    def writes_28(path):
        tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
        return any(token.type == tokenize.NUMBER and token.string == "28" for token in tokens)

    assert where(writes_28) == ["recognizer/contract.py"]


def test_one_model_version_hash_and_one_litert_runner():
    assert where(lambda path: "hexdigest()[:12]" in path.read_text()) == ["recognizer/contract.py"]
    assert where(
        lambda path: (
            "ai_edge_litert" in imported_modules(path)
            or any(name.startswith("ai_edge_litert") for name in imported_modules(path))
        )
    ) == ["recognizer/litert.py"]


@pytest.mark.parametrize("folder", ["recognizer", "digitsite"])
def test_the_web_app_imports_no_training_code_and_no_tensorflow(folder):
    """Only the management commands (entry points for offline jobs) reach into training/."""

    def offending(path):
        if "management" in path.parts:
            return False
        return any(
            name.split(".")[0] in ("training", "tensorflow", "keras") for name in imported_modules(path)
        )

    assert where(offending, folders=(folder,)) == []


@pytest.mark.parametrize("module", DJANGO_FREE)
def test_the_shared_modules_are_django_free(module):
    names = imported_modules(ROOT / "recognizer" / f"{module}.py")
    assert not [name for name in names if name.split(".")[0] in ("django", "rest_framework")]


def test_training_uses_only_the_django_free_part_of_the_web_app():
    allowed = {f"recognizer.{module}" for module in DJANGO_FREE}

    def offending(path):
        names = imported_modules(path)
        return any(name.split(".")[0] in ("django", "rest_framework") for name in names) or any(
            name.startswith("recognizer") and name not in allowed for name in names
        )

    assert where(offending, folders=("training",)) == []
