"""The words every scorer and its callers share: what a shot offers, and what a scorer does.

Kept apart from the scorers themselves (matching.py for text, imagetext.py for pictures) so that
each of them, and the selection that calls them, depends on these types and not on another scorer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

import numpy as np
from numpy.typing import NDArray

__all__ = ["Footage", "Passage", "Scorer", "ScorerKind"]

ScorerKind = Literal["text", "image-text"]


@dataclass(frozen=True)
class Footage:
    """Where a shot's pictures are: a file and a time range (any range of a still)."""

    path: Path
    start: float
    end: float
    still: bool = False


@dataclass(frozen=True)
class Passage:
    """What a shot offers a scorer: the text describing it and, for image-text scoring, its footage."""

    text: str
    footage: Footage | None = None


class Scorer(Protocol):
    """Cosine similarity of each sentence (row) with each passage (column).

    A "text" scorer reads each passage's text; an "image-text" scorer looks at its footage.
    """

    name: str
    kind: ScorerKind

    async def score(self, sentences: list[str], passages: Sequence[Passage]) -> NDArray[np.float32]: ...
