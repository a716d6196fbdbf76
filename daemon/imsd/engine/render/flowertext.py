"""EffectColorStyle (花字, "flower text") presets as the fill, outline and shadow of a Text clip.

The IDs (`CS0001-000001` ... ) are listed on the flower text examples page,
https://help.aliyun.com/document_detail/449561.html, each only as a sample picture; what the page
says in words is that the presets carry their own multi-layer outline, so a clip using one needs
no Outline or Shadow of its own ("本期花字默认已预设多层描边,您无需再添加描边和阴影参数"). So a
preset here replaces the clip's FontColor, Outline, OutlineColour, Shadow and BackColour with one
of a small set of fill/outline/shadow styles, picked by the ID's number. The colours are inferred
(not read from the pictures), the multi-layer outline is one ASS outline, and gradient fills are
drawn flat: a render using a preset always lists it under Approximated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ColourStyle", "colour_style"]

_ID = re.compile(r"CS(\d{4})-(\d{6})")


@dataclass(frozen=True)
class ColourStyle:
    """A preset's look: `#RRGGBB` colours, outline and shadow as fractions of the font size."""

    fill: str
    outline_colour: str
    outline: float
    shadow_colour: str
    shadow: float


_STYLES = (
    ColourStyle("#FFFFFF", "#000000", 0.08, "#000000", 0.04),
    ColourStyle("#FFE100", "#000000", 0.08, "#5A3A00", 0.05),
    ColourStyle("#FFFFFF", "#E0241B", 0.09, "#5A0A06", 0.05),
    ColourStyle("#FFFFFF", "#1E6FFF", 0.09, "#0A1F44", 0.05),
    ColourStyle("#FF6FA8", "#FFFFFF", 0.08, "#7A1240", 0.05),
    ColourStyle("#202020", "#FFD400", 0.09, "#000000", 0.04),
    ColourStyle("#FF8A00", "#FFFFFF", 0.08, "#6A2A00", 0.05),
    ColourStyle("#3CE6FF", "#0A1F44", 0.09, "#000000", 0.05),
)


def colour_style(style_id: str) -> ColourStyle | None:
    """The style drawn for an EffectColorStyle ID; None when it is not of the documented form."""
    m = _ID.fullmatch(style_id.strip())
    if m is None:
        return None
    series, number = int(m.group(1)), int(m.group(2))
    return _STYLES[(series * 16 + number) % len(_STYLES)]
