"""The one place that reads IMS's dual-mode lengths (docs/ims-api.md §10.2).

X/Y/Width/Height of clips, text and effects, and TextWidth, are fractions of the output size
when |v| <= 1 and pixels otherwise. IMS documents [0, 0.9999] as fractions and >= 2 as pixels;
we read 1 as "the whole side" (the natural meaning of Width=1) and (1, 2) as pixels, so no value
is left undefined. Pixel values were designed on FECanvas when it is given, so they scale with
the output.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Axis", "even"]


@dataclass(frozen=True)
class Axis:
    """One output dimension and the size it was designed at."""

    size: int
    design: int | None = None

    def length(self, value: float) -> float:
        if abs(value) <= 1:
            return value * self.size
        return value * self.size / self.design if self.design else value

    def px(self, value: float | None, default: float = 0.0) -> int:
        return round(self.length(value)) if value is not None else round(default)


def even(value: float) -> int:
    """Nearest even integer >= 2: yuv420p needs even sizes."""
    return max(2, 2 * round(value / 2))
