"""Name tables for the colour filters IMS names and ffmpeg lacks.

The Filter presets (m1, pf3, warm, ...) are LUTs in IMS; here each maps to one of a few
eq/curves/colorbalance looks and is always reported as approximated. (Transitions: transitions.py.)
"""

from __future__ import annotations

import re

from imsd.engine.render.graph import Filter, f

__all__ = ["filter_look"]


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
