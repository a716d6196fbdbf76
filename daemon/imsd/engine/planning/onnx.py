"""One ONNX model run on onnxruntime's CPU provider, loaded at first use (labels.py, shots.py).

The models are optional signals: a missing file, a missing onnxruntime, or a file that does not
load or run (truncated, exported with other input names) must skip the signal, not fail the job.
So a model is available until it fails once; the failure is logged once and the caller falls
back (labels leave `visualSignals`, shots come from scdet) and records what it actually used.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["OnnxModel"]

_log = logging.getLogger(__name__)


class OnnxModel:
    """The ONNX model at `path`; `threads` caps onnxruntime's threads a call (None: its default, every core)."""

    def __init__(self, path: Path, threads: int | None = None) -> None:
        self.path = path
        self.threads = threads
        self._lock = threading.Lock()  # one session, one call at a time: a call already uses its threads
        self._session: Any = None
        self._broken = False

    def available(self) -> bool:
        """Whether the file and onnxruntime are there and the model has not failed to load or run."""
        return not self._broken and self.path.is_file() and importlib.util.find_spec("onnxruntime") is not None

    def run(self, feeds: Mapping[str | None, NDArray[Any]], output: str | None = None) -> NDArray[np.float32] | None:
        """The output named `output` (None: the first) for `feeds` (a None name: the first input); None if it fails."""
        with self._lock:
            if self._broken:
                return None
            try:
                session = self._session or self._load()
                first = session.get_inputs()[0].name
                inputs = {first if name is None else name: value for name, value in feeds.items()}
                result: NDArray[np.float32] = session.run(None if output is None else [output], inputs)[0]
            except Exception as error:  # onnxruntime raises its own, unexported exception types
                self._broken = True
                _log.warning("%s: the model does not run, its signal is skipped: %s", self.path.name, error)
                return None
        return result

    def _load(self) -> Any:
        import onnxruntime  # type: ignore[import-untyped]  # ships no type information

        options = onnxruntime.SessionOptions()
        if self.threads is not None:
            options.intra_op_num_threads = self.threads
        self._session = onnxruntime.InferenceSession(str(self.path), options, providers=["CPUExecutionProvider"])
        return self._session
