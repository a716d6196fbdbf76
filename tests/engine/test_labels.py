"""ImageNet labels of a picture, in English and Chinese (planning/labels.py, issue 17).

The real classifier is converted at setup (scripts/export-models) and measured in bench/vision.py;
here a tiny ONNX model with the same interface (pixels [N, 3, 224, 224] -> 1000 logits) runs for
real through onnxruntime: its logits are the picture's mean colour, after the classifier's own
normalisation, times a table that makes red a fire engine and green broccoli. So a test passes
only if the picture reaches the model prepared as the classifier expects and its answer comes
back as names.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np
import onnx
import pytest
from imsd.engine.planning.labels import INPUT_SIZE, Labeller, label_names
from onnx import TensorProto, helper, numpy_helper

FIRE_ENGINE, BROCCOLI = 555, 937
REPO = Path(__file__).resolve().parents[2]


def colour_classifier(path: Path) -> Path:
    """An ONNX 'classifier' whose logits are 4 x (mean normalised red) for the fire engine and
    4 x (mean normalised green) for broccoli, 0 for every other class."""
    table = np.zeros((3, 1000), np.float32)
    table[0, FIRE_ENGINE] = table[1, BROCCOLI] = 4.0
    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["image"], ["colour"], axes=[2, 3], keepdims=0),
            helper.make_node("MatMul", ["colour", "table"], ["logits"]),
        ],
        "colours",
        [helper.make_tensor_value_info("image", TensorProto.FLOAT, ["n", 3, INPUT_SIZE, INPUT_SIZE])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["n", 1000])],
        [numpy_helper.from_array(table, "table")],
    )
    # IR version 8 (opset 17): what onnxruntime releases of the last years all load.
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path


@pytest.fixture(scope="module")
def labeller(tmp_path_factory: pytest.TempPathFactory) -> Labeller:
    return Labeller(colour_classifier(tmp_path_factory.mktemp("labels") / "colours.onnx"))


def plain(rgb: tuple[int, int, int], size: tuple[int, int] = (360, 640)) -> np.ndarray:
    return np.full((*size, 3), rgb, np.uint8)


def test_every_class_has_an_english_and_a_chinese_name() -> None:
    names = label_names()
    assert len(names) == 1000 and all(english and chinese for english, chinese in names)
    assert names[FIRE_ENGINE] == ("fire engine, fire truck", "消防车")


def test_a_picture_is_named_in_english_and_chinese(labeller: Labeller) -> None:
    assert labeller.words(plain((230, 20, 20))) == "fire engine fire truck 消防车"
    assert labeller.words(plain((20, 230, 20), (300, 300))) == "broccoli 西兰花"
    assert labeller.classes(plain((230, 20, 20)))[0][0] == FIRE_ENGINE


def test_a_picture_the_classifier_is_unsure_of_gets_no_name(labeller: Labeller) -> None:
    # mid-grey is near 0 after normalisation: every class about 1/1000
    assert labeller.classes(plain((124, 116, 104))) == []
    assert labeller.words(plain((124, 116, 104))) == ""


def test_without_its_model_the_labeller_is_unavailable(tmp_path: Path, labeller: Labeller) -> None:
    assert labeller.available()
    assert not Labeller(tmp_path / "absent.onnx").available()


def test_a_model_export_that_fails_is_skipped_without_failing_setup(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHON": str(tmp_path / "no-python")}
    run = subprocess.run([str(REPO / "scripts" / "export-models"), str(tmp_path / "models")], env=env,
                         capture_output=True, text=True, timeout=60)  # fmt: skip
    assert run.returncode == 0 and "skipped" in run.stderr and not (tmp_path / "models").exists()


def test_a_model_that_does_not_load_names_nothing_and_becomes_unavailable(tmp_path: Path, labeller: Labeller) -> None:
    garbage = tmp_path / "truncated.onnx"
    garbage.write_bytes(colour_classifier(tmp_path / "whole.onnx").read_bytes()[:100])
    broken = Labeller(garbage)
    assert broken.available()  # nothing tells a truncated file until it is loaded
    assert broken.words(plain((230, 20, 20))) == ""
    assert not broken.available()
