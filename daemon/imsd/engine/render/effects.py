"""Name tables for the colour filters IMS names and ffmpeg lacks.

The Filter presets (m1, pf3, warm, ...) are LUTs in IMS; here each ID has an eq/curves/colorbalance
look of its own, read from the name the filter examples page gives it, and is always reported as
approximated. (Transitions: transitions.py.)
"""

from __future__ import annotations

import re

from imsd.engine.render.graph import Filter, f

__all__ = ["filter_look"]


def _eq(brightness: float = 0.0, contrast: float = 1.0, saturation: float = 1.0) -> Filter:
    return f("eq", brightness=brightness, contrast=contrast, saturation=saturation)


def _tint(r: float, g: float, b: float) -> Filter:
    """Shift shadows, midtones and highlights alike towards red, green and blue (-1..1 each), as a
    colour cast over the whole picture."""
    return f("colorbalance", rs=r, gs=g, bs=b, rm=r, gm=g, bm=b, rh=r, gh=g, bh=b)


_GREY = f("hue", s=0)
_VINTAGE = f("curves", preset="vintage")

# One look per Filter ID, read from the name the filter examples page gives it
# (https://www.alibabacloud.com/help/ja/ims/developer-reference/filter-effect-example; the page
# shows each look only as a sample picture, so the values are inferred and always reported as
# approximated). The names, in the page's groups: 90s modern film m1-m8, film pf1-pfc, cool blue
# pi1-pi4, fresh pl1-pl4, dreamy glow pj1-pj4, Unsplash delta..warm, 80s negative f1-f7,
# holiday pv1-pv4.
_LOOKS: dict[str, tuple[Filter, ...]] = {
    "m1": (_VINTAGE,),  # vintage
    "m2": (_GREY, _eq(contrast=0.9)),  # grey
    "m3": (_tint(-0.15, 0.05, 0.1),),  # cyan
    "m4": (_tint(-0.1, 0.0, 0.2),),  # blue
    "m5": (_tint(0.15, -0.05, -0.05), _eq(saturation=0.9)),  # maroon
    "m6": (_eq(brightness=-0.08, saturation=0.85),),  # dim
    "m7": (_tint(0.12, 0.04, -0.1), _eq(saturation=0.6)),  # orange grey
    "m8": (_eq(contrast=1.1, saturation=1.1),),  # clear
    "pf1": (f("curves", preset="strong_contrast"),),  # high contrast
    "pf2": (_tint(0.0, 0.06, 0.04), _eq(saturation=1.1)),  # Fuji
    "pf3": (_tint(0.12, 0.03, -0.12),),  # warm
    "pf4": (_tint(0.08, 0.04, -0.06), _eq(contrast=1.1, saturation=1.15)),  # Kodak
    "pf5": (_VINTAGE,),  # vintage
    "pf6": (f("negate"),),  # invert
    "pf7": (_tint(-0.1, 0.0, 0.15),),  # cool blue
    "pf8": (_tint(0.05, 0.0, -0.03), _eq(brightness=0.04, contrast=0.9, saturation=0.85)),  # Polaroid
    "pf9": (_eq(contrast=1.15, saturation=0.8),),  # Rolleiflex
    "pfa": (_tint(0.0, 0.0, 0.05), _eq(contrast=1.2, saturation=0.5)),  # industrial
    "pfb": (_GREY,),  # greyscale
    "pfc": (f("curves", preset="lighter"), _eq(saturation=0.8)),  # white gamut
    "pi1": (_eq(contrast=1.08, saturation=1.1),),  # clear
    "pi2": (_tint(0.08, -0.05, 0.1), _eq(brightness=-0.05)),  # twilight
    "pi3": (_tint(0.15, 0.05, -0.15), _eq(saturation=1.1)),  # autumn
    "pi4": (_eq(brightness=-0.08, saturation=0.85),),  # dim
    "pl1": (f("curves", preset="medium_contrast"), _tint(-0.05, 0.0, 0.05)),  # movie
    "pl2": (_eq(brightness=0.03, contrast=0.88),),  # soft
    "pl3": (_tint(0.0, 0.08, 0.0), _eq(saturation=1.15)),  # spring
    "pl4": (_tint(0.08, 0.05, -0.08), _eq(brightness=0.05, saturation=1.15)),  # sunny
    "pj1": (_tint(0.0, 0.1, -0.03), _eq(saturation=0.9)),  # forest
    "pj2": (_VINTAGE, _eq(saturation=0.8)),  # nostalgic
    "pj3": (_tint(0.1, 0.06, -0.1), _eq(brightness=0.04)),  # sunny afternoon
    "pj4": (_tint(0.08, 0.0, -0.05), _eq(brightness=0.05, contrast=0.85)),  # warm fog
    "delta": (_tint(0.1, 0.0, 0.04), _eq(brightness=0.03)),  # sweet peach
    "electric": (_tint(0.03, 0.08, -0.05),),  # woodland
    "faded": (_eq(brightness=0.04, contrast=0.85, saturation=0.7),),  # elegant
    "slowlived": (_tint(0.0, 0.0, 0.1), _eq(brightness=0.04, contrast=0.85)),  # blue fog
    "tokoyo": (_tint(-0.05, 0.0, 0.1), _eq(contrast=1.05, saturation=0.9)),  # Tokyo
    "urbex": (_eq(brightness=0.03, contrast=1.05, saturation=0.9),),  # clean
    "warm": (_tint(0.12, 0.03, -0.12),),  # warm
    "f1": (_tint(0.0, 0.05, 0.08), _eq(saturation=1.1)),  # Jeju
    "f2": (_tint(0.0, 0.0, 0.08), _eq(brightness=0.06, saturation=0.8)),  # snow mountain
    "f3": (_tint(0.1, 0.0, 0.05), _eq(saturation=0.9)),  # Budapest
    "f4": (_tint(-0.08, 0.0, 0.15),),  # blue
    "f5": (_eq(brightness=0.05, saturation=1.2),),  # delight
    "f6": (_VINTAGE, _eq(saturation=0.7)),  # old street
    "f7": (_tint(0.1, 0.02, -0.12), _eq(contrast=1.05, saturation=0.7)),  # coffee
    "pv1": (_eq(contrast=1.15, saturation=0.9),),  # texture
    "pv2": (_tint(0.0, 0.0, 0.1), _eq(brightness=0.05)),  # bright sky
    "pv3": (_tint(0.0, 0.05, 0.05), _eq(saturation=1.1)),  # fresh
    "pv4": (_eq(brightness=0.06, contrast=0.8, saturation=0.8),),  # foggy
}
# IDs IMS lists whose name the stored page does not give (pv5, pv6, a1-a6): a mild look of
# their group, so they still render as a colour filter.
_UNNAMED = {"pv": (_eq(brightness=0.03, saturation=1.1),), "a": (_eq(contrast=1.05, saturation=1.05),)}


def filter_look(sub_type: str) -> tuple[Filter, ...] | None:
    """The colour look of an IMS Filter ID (always approximated); None for IDs IMS does not have."""
    name = sub_type.lower()
    if name in _LOOKS:
        return _LOOKS[name]
    if re.fullmatch(r"pv[56]|a[1-6]", name):
        return _UNNAMED[name.rstrip("0123456789")]
    return None
