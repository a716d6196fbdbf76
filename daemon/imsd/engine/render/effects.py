"""Name tables for the colour filters IMS names and ffmpeg lacks.

The Filter presets (m1, pf3, warm, ...) are LUTs in IMS; here each ID has an eq/curves/colorbalance
look of its own, read from the name the filter examples page gives it, and is always reported as
approximated. (Transitions: transitions.py.)
"""

from __future__ import annotations

from imsd.engine.render.graph import Filter, f

__all__ = ["filter_look", "filter_table"]


def _eq(brightness: float = 0.0, contrast: float = 1.0, saturation: float = 1.0) -> Filter:
    return f("eq", brightness=brightness, contrast=contrast, saturation=saturation)


def _tint(r: float, g: float, b: float) -> Filter:
    """Shift shadows, midtones and highlights alike towards red, green and blue (-1..1 each), as a
    colour cast over the whole picture."""
    return f("colorbalance", rs=r, gs=g, bs=b, rm=r, gm=g, bm=b, rh=r, gh=g, bh=b)


_GREY = f("hue", s=0)
_VINTAGE = f("curves", preset="vintage")

# One look per Filter ID, with the name the filter examples page gives it and read from it
# (https://www.alibabacloud.com/help/ja/ims/developer-reference/filter-effect-example; the page
# shows each look only as a sample picture, so the values are inferred and always reported as
# approximated). The names, in the page's groups: 90s modern film m1-m8, film pf1-pfc, cool blue
# pi1-pi4, fresh pl1-pl4, dreamy glow pj1-pj4, Unsplash delta..warm, 80s negative f1-f7,
# holiday pv1-pv4.
_LOOKS: dict[str, tuple[str, tuple[Filter, ...]]] = {
    "m1": ("vintage", (_VINTAGE,)),
    "m2": ("grey", (_GREY, _eq(contrast=0.9))),
    "m3": ("cyan", (_tint(-0.15, 0.05, 0.1),)),
    "m4": ("blue", (_tint(-0.1, 0.0, 0.2),)),
    "m5": ("maroon", (_tint(0.15, -0.05, -0.05), _eq(saturation=0.9))),
    "m6": ("dim", (_eq(brightness=-0.08, saturation=0.85),)),
    "m7": ("orange grey", (_tint(0.12, 0.04, -0.1), _eq(saturation=0.6))),
    "m8": ("clear", (_eq(contrast=1.1, saturation=1.1),)),
    "pf1": ("high contrast", (f("curves", preset="strong_contrast"),)),
    "pf2": ("Fuji", (_tint(0.0, 0.06, 0.04), _eq(saturation=1.1))),
    "pf3": ("warm", (_tint(0.12, 0.03, -0.12),)),
    "pf4": ("Kodak", (_tint(0.08, 0.04, -0.06), _eq(contrast=1.1, saturation=1.15))),
    "pf5": ("vintage", (_VINTAGE,)),
    "pf6": ("invert", (f("negate"),)),
    "pf7": ("cool blue", (_tint(-0.1, 0.0, 0.15),)),
    "pf8": ("Polaroid", (_tint(0.05, 0.0, -0.03), _eq(brightness=0.04, contrast=0.9, saturation=0.85))),
    "pf9": ("Rolleiflex", (_eq(contrast=1.15, saturation=0.8),)),
    "pfa": ("industrial", (_tint(0.0, 0.0, 0.05), _eq(contrast=1.2, saturation=0.5))),
    "pfb": ("greyscale", (_GREY,)),
    "pfc": ("white gamut", (f("curves", preset="lighter"), _eq(saturation=0.8))),
    "pi1": ("clear", (_eq(contrast=1.08, saturation=1.1),)),
    "pi2": ("twilight", (_tint(0.08, -0.05, 0.1), _eq(brightness=-0.05))),
    "pi3": ("autumn", (_tint(0.15, 0.05, -0.15), _eq(saturation=1.1))),
    "pi4": ("dim", (_eq(brightness=-0.08, saturation=0.85),)),
    "pl1": ("movie", (f("curves", preset="medium_contrast"), _tint(-0.05, 0.0, 0.05))),
    "pl2": ("soft", (_eq(brightness=0.03, contrast=0.88),)),
    "pl3": ("spring", (_tint(0.0, 0.08, 0.0), _eq(saturation=1.15))),
    "pl4": ("sunny", (_tint(0.08, 0.05, -0.08), _eq(brightness=0.05, saturation=1.15))),
    "pj1": ("forest", (_tint(0.0, 0.1, -0.03), _eq(saturation=0.9))),
    "pj2": ("nostalgic", (_VINTAGE, _eq(saturation=0.8))),
    "pj3": ("sunny afternoon", (_tint(0.1, 0.06, -0.1), _eq(brightness=0.04))),
    "pj4": ("warm fog", (_tint(0.08, 0.0, -0.05), _eq(brightness=0.05, contrast=0.85))),
    "delta": ("sweet peach", (_tint(0.1, 0.0, 0.04), _eq(brightness=0.03))),
    "electric": ("woodland", (_tint(0.03, 0.08, -0.05),)),
    "faded": ("elegant", (_eq(brightness=0.04, contrast=0.85, saturation=0.7),)),
    "slowlived": ("blue fog", (_tint(0.0, 0.0, 0.1), _eq(brightness=0.04, contrast=0.85))),
    "tokoyo": ("Tokyo", (_tint(-0.05, 0.0, 0.1), _eq(contrast=1.05, saturation=0.9))),
    "urbex": ("clean", (_eq(brightness=0.03, contrast=1.05, saturation=0.9),)),
    "warm": ("warm", (_tint(0.12, 0.03, -0.12),)),
    "f1": ("Jeju", (_tint(0.0, 0.05, 0.08), _eq(saturation=1.1))),
    "f2": ("snow mountain", (_tint(0.0, 0.0, 0.08), _eq(brightness=0.06, saturation=0.8))),
    "f3": ("Budapest", (_tint(0.1, 0.0, 0.05), _eq(saturation=0.9))),
    "f4": ("blue", (_tint(-0.08, 0.0, 0.15),)),
    "f5": ("delight", (_eq(brightness=0.05, saturation=1.2),)),
    "f6": ("old street", (_VINTAGE, _eq(saturation=0.7))),
    "f7": ("coffee", (_tint(0.1, 0.02, -0.12), _eq(contrast=1.05, saturation=0.7))),
    "pv1": ("texture", (_eq(contrast=1.15, saturation=0.9),)),
    "pv2": ("bright sky", (_tint(0.0, 0.0, 0.1), _eq(brightness=0.05))),
    "pv3": ("fresh", (_tint(0.0, 0.05, 0.05), _eq(saturation=1.1))),
    "pv4": ("foggy", (_eq(brightness=0.06, contrast=0.8, saturation=0.8),)),
}  # fmt: skip
# IDs IMS lists whose name the stored page does not give (pv5, pv6, a1-a6): a mild look of
# their group, so they still render as a colour filter.
_UNNAMED = {"pv": (_eq(brightness=0.03, saturation=1.1),), "a": (_eq(contrast=1.05, saturation=1.05),)}
_UNNAMED_IDS = ("pv5", "pv6", "a1", "a2", "a3", "a4", "a5", "a6")
# The page's groups, by ID prefix (the Unsplash group's IDs are words).
_GROUPS = (("pf", "film"), ("pi", "cool blue"), ("pl", "fresh"), ("pj", "dreamy glow"), ("pv", "holiday"),
           ("m", "90s modern film"), ("f", "80s negative"), ("a", "(no name on the page)"))  # fmt: skip


def _group(key: str) -> str:
    """The page's group of an ID: a prefix and one character, else a word of the Unsplash group."""
    named = (name for prefix, name in _GROUPS if key.startswith(prefix) and len(key) == len(prefix) + 1)
    return next(named, "Unsplash")


def filter_look(sub_type: str) -> tuple[Filter, ...] | None:
    """The colour look of an IMS Filter ID (always approximated); None for IDs IMS does not have."""
    name = sub_type.lower()
    if name in _LOOKS:
        return _LOOKS[name][1]
    if name in _UNNAMED_IDS:
        return _UNNAMED[name.rstrip("0123456789")]
    return None


def filter_table() -> list[str]:
    """docs/effects.md's table of Filter IDs: each ID the engine knows, the page's name for it,
    the ffmpeg filters it renders as, and where the look comes from."""
    lines = ["| ID | group | the page's name | rendered as (ffmpeg filters) | as documented? |", "|" + "---|" * 5]
    for key, (name, filters) in _LOOKS.items():
        drawn = ", ".join(f"`{x.render()}`" for x in filters)
        lines.append(f"| `{key}` | {_group(key)} | {name} | {drawn} | inferred from the name (approximated) |")
    for key in _UNNAMED_IDS:
        drawn = ", ".join(f"`{x.render()}`" for x in _UNNAMED[key.rstrip("0123456789")])
        unnamed = "inferred: a mild look of its group, the page names no look (approximated)"
        lines.append(f"| `{key}` | {_group(key)} | (none) | {drawn} | {unnamed} |")
    return lines
