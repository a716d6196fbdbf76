"""Name tables for the effects IMS names and ffmpeg lacks: transitions and colour filters.

IMS Transition SubTypes are gl-transitions names; ffmpeg 5.1's xfade has 46 built-ins. Each name
maps to the closest xfade transition, with `approximated` set whenever the look differs, so the
result can say so. The Filter presets (m1, pf3, warm, ...) are LUTs in IMS; here each maps to one
of a few eq/curves/colorbalance looks and is always reported as approximated.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from imsd.engine.render.graph import Filter, f

__all__ = ["XfadeChoice", "filter_look", "xfade_transition"]


@dataclass(frozen=True)
class XfadeChoice:
    name: str
    approximated: bool


_EXACT = {
    "fade": "fade", "wipeleft": "wipeleft", "wiperight": "wiperight", "wipeup": "wipeup",
    "wipedown": "wipedown", "circlecrop": "circlecrop", "circleopen": "circleopen",
    "radial": "radial", "pixelize": "pixelize", "fadegrayscale": "fadegrays",
    "dissolve": "dissolve", "fadeblack": "fadeblack", "fadewhite": "fadewhite",
    "slideleft": "slideleft", "slideright": "slideright", "slideup": "slideup",
    "slidedown": "slidedown", "circleclose": "circleclose", "distance": "distance",
}  # fmt: skip
_APPROXIMATE = {
    "directional": "slideleft", "displacement": "dissolve", "windowslice": "hlslice",
    "bowtievertical": "vertopen", "bowtiehorizontal": "horzopen", "simplezoom": "zoomin",
    "linearblur": "hblur", "waterdrop": "circleopen", "glitchmemories": "pixelize",
    "polka": "dissolve", "perlin": "dissolve", "directionalwarp": "smoothleft",
    "bounce_up": "slideup", "bounce_down": "slidedown", "morph": "fade",
    "colordistance": "distance", "swirl": "radial", "dreamy": "fadeslow", "gridflip": "pixelize",
    "zoomincircles": "circleopen", "mosaic": "pixelize", "undulatingburnout": "fadewhite",
    "crosshatch": "dissolve", "crazyparametricfun": "radial", "kaleidoscope": "radial",
    "windowblinds": "hrslice", "hexagonalize": "pixelize", "glitchdisplace": "pixelize",
    "dreamyzoom": "zoomin", "doomscreentransition_up": "vuslice",
    "doomscreentransition_down": "vdslice", "ripple": "circleopen", "pinwheel": "radial",
    "angular": "radial", "burn": "fadewhite", "circle": "circleopen", "colorphase": "fade",
    "crosswarp": "smoothleft", "cube": "slideleft", "directionalwipe": "wipetl",
    "doorway": "horzopen", "fadecolor": "fadeblack", "flyeye": "dissolve", "heart": "circleopen",
    "luma": "fade", "multiplyblend": "fade", "polarfunction": "radial",
    "randomsquares": "dissolve", "rotatescalefade": "zoomin", "squareswire": "pixelize",
    "squeeze": "squeezeh", "swap": "slideright", "wind": "smoothright",
}  # fmt: skip


def xfade_transition(sub_type: str, seed: str) -> XfadeChoice | None:
    """The xfade transition for an IMS SubType; None when the name is unknown.

    `random` and comma lists pick one deterministically from `seed`, so a re-run of the same
    job renders the same video.
    """
    names = [n.strip().lower() for n in sub_type.split(",") if n.strip()]
    if names == ["random"]:
        names = sorted(_EXACT)
    if not names:
        return None
    picked = names[int(hashlib.sha256(seed.encode()).hexdigest(), 16) % len(names)]
    if picked in _EXACT:
        return XfadeChoice(_EXACT[picked], approximated=False)
    if picked in _APPROXIMATE:
        return XfadeChoice(_APPROXIMATE[picked], approximated=True)
    return None


_LOOKS: dict[str, tuple[Filter, ...]] = {
    "warm": (f("colorbalance", rs=0.12, gs=0.03, bs=-0.12),),
    "cool": (f("colorbalance", rs=-0.1, bs=0.12),),
    "faded": (f("eq", contrast=0.85, saturation=0.7, brightness=0.04),),
    "vivid": (f("eq", contrast=1.1, saturation=1.45),),
    "mono": (f("hue", s=0),),
    "vintage": (f("curves", preset="vintage"),),
    "bright": (f("eq", brightness=0.06, saturation=1.1),),
    "moody": (f("eq", contrast=1.15, brightness=-0.04, saturation=0.8),),
}
_NAMED_LOOKS = {
    "warm": "warm", "faded": "faded", "electric": "vivid", "delta": "cool",
    "slowlived": "vintage", "tokoyo": "cool", "urbex": "moody",
}  # fmt: skip
_FAMILIES = ("pf", "pi", "pl", "pj", "pv", "m", "a", "f")  # longest prefixes first


def filter_look(sub_type: str) -> tuple[Filter, ...] | None:
    """eq/curves approximation of an IMS Filter preset; None for names IMS does not have."""
    name = sub_type.lower()
    if name in _NAMED_LOOKS:
        return _LOOKS[_NAMED_LOOKS[name]]
    family = next((fam for fam in _FAMILIES if name.startswith(fam)), "")
    suffix = name[len(family) :]
    if not family or not re.fullmatch(r"[0-9a-f]{1,2}", suffix):
        return None
    looks = sorted(_LOOKS)
    return _LOOKS[looks[(_FAMILIES.index(family) + int(suffix, 16)) % len(looks)]]
