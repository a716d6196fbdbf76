"""The output's frame clock: every time in the graph is counted in output frames.

Seconds from the timeline are turned into frames once, here, so that transitions, gaps and the
output length are exact and "within one frame" is a property of the data, not of ffmpeg luck;
sound is counted in samples of the one rate every clip is resampled to.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from imsd.engine.render.graph import Filter, f

__all__ = ["SAMPLE_RATE", "Clock"]

SAMPLE_RATE = 48000


@dataclass(frozen=True)
class Clock:
    """Output frames per second, as an exact fraction (29.97 is 30000/1001)."""

    fps: Fraction

    @classmethod
    def at(cls, fps: float) -> Clock:
        return cls(Fraction(fps).limit_denominator(1001))

    def frames(self, seconds: float) -> int:
        return round(seconds * self.fps)

    def seconds(self, frames: int) -> float:
        return float(frames / self.fps)

    def samples(self, frames: int) -> int:
        return round(frames / self.fps * SAMPLE_RATE)

    def settb(self) -> Filter:
        """Puts a stream on this clock: one time base tick per output frame."""
        return f("settb", str(1 / self.fps))

    def rate(self) -> Filter:
        """Resamples a stream to one frame per output frame, and says so on the link."""
        return f("fps", str(self.fps))
