"""What a render leaves out or only approximates, for `Plan.ignored` and `Plan.approximated`.

IMS accepts more than this engine can render exactly. A render goes ahead with what it can do
and says what differs, so the caller reads it in the result instead of finding it in the video.
Every part of the composer writes to the one `Notes` of its render as it reads the timeline, so
the lists keep the order the timeline was read in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel

__all__ = ["Notes"]

# Fields not reported as unknown: those the engine reads from `model_extra` itself, and
# `Comment`, the free-text annotation the documentation's example clips carry (document_detail/
# 447495), which renders nothing by nature (inferred: no page defines it).
_CONSUMED_EXTRAS = frozenset({"AaiMotionInEffect", "AaiMotionIn", "AaiMotionOutEffect", "AaiMotionOut", "Comment"})


@dataclass
class Notes:
    """The render's two lists of differences from IMS, filled as the timeline is read."""

    ignored: list[str] = field(default_factory=list)
    approximated: list[str] = field(default_factory=list)

    def unknown_fields(self, loc: str, model: BaseModel, known: tuple[str, ...] = ()) -> None:
        """List the fields of `model` the timeline parser kept as extras and nothing reads."""
        for key in model.model_extra or {}:
            if key not in known and key not in _CONSUMED_EXTRAS:
                self.ignored.append(f"{loc}.{key}: not supported")

    def unsupported_effect(self, loc: str, effect: BaseModel) -> None:
        sub = getattr(effect, "SubType", None)
        kind = f"effect Type {getattr(effect, 'Type', '')!r}" + (f" SubType {sub!r}" if sub else "")
        self.ignored.append(f"{loc}: {kind} is not supported")
