"""IMS visual effects (`Type: VFX`) as filter data, over a time window.

The IMS effects page (alibabacloud.com/help/en/ims/developer-reference/example-of-common-effects;
VOD's special-effect-examples page lists the same SubTypes) names each effect and shows an
animated preview; it states no parameters. So every rendering here is inferred from the name and the
preview, and each is reported as approximated, saying what it does. The basic effects are drawn,
and the star fields of the atmosphere group as twinkling dots (the reveal shapes and the star
recipe came from a parallel implementation); those whose look is shaped artwork (fireworks,
meteors, moons) or a second picture (image_in_image) are listed as not drawn rather than faked.

An effect applies over a window [start, end) of its stream's time (a clip's own, from 0 at its
first frame, or the output's for an EffectTracks item); `p` is the progress through the window.
Each filter carries `enable` for the window, or is written so that it leaves the picture as it
is outside it. docs/effects.md is generated from `CATALOGUE`, the Filter looks (effects.py) and
the transition names (transitions.py) by `effects_table()` (a test keeps it current).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from fractions import Fraction

from imsd.engine.render.effects import filter_table
from imsd.engine.render.graph import Filter, f, format_value
from imsd.engine.render.transitions import transition_table

__all__ = ["CATALOGUE", "NOT_DRAWN", "Vfx", "Window", "effects_table", "vfx_filters"]


@dataclass(frozen=True)
class Window:
    """Where an effect applies, in seconds of its stream, on a picture of w x h at fps."""

    start: float
    end: float
    w: int
    h: int
    fps: str

    @property
    def enable(self) -> str:
        return f"between(t,{format_value(self.start)},{format_value(self.end)})"

    def only(self, filters: Iterable[Filter]) -> tuple[Filter, ...]:
        """`filters` enabled in this window only (timeline editing)."""
        return tuple(Filter(x.name, (*x.args, ("enable", self.enable))) for x in filters)

    def progress(self, clock: str = "t") -> str:
        """0 -> 1 through the window, by the time variable `clock` of the filter's expressions."""
        span = max(self.end - self.start, 1e-3)
        return f"clip(({clock}-{format_value(self.start)})/{format_value(span)},0,1)"

    def part(self, begin: float, stop: float) -> Window:
        """The fraction [begin, stop) of this window."""
        span = self.end - self.start
        return Window(self.start + begin * span, self.start + stop * span, self.w, self.h, self.fps)


@dataclass(frozen=True)
class Vfx:
    title: str  # what the effects page calls it
    draw: Callable[[Window], tuple[Filter, ...]]
    drawn_as: str  # what the engine draws, for the approximated note and the docs table


def _on(window: Window, *filters: Filter) -> tuple[Filter, ...]:
    return window.only(filters)


def _fade(kind: str, window: Window, color: str = "black") -> tuple[Filter, ...]:
    """A fade over the window, the picture untouched outside it."""
    duration = max(window.end - window.start, 1e-3)
    return _on(window, f("fade", t=kind, st=window.start, d=duration, color=color))


def _zoompan(window: Window, zoom: str, dx: str = "0", dy: str = "0") -> tuple[Filter, ...]:
    """Zoom `zoom` (>= 1) with the picture's centre moved by dx, dy of its size, in the window."""
    inside = f"between(it,{format_value(window.start)},{format_value(window.end)})"
    z = f"if({inside},{zoom},1)"
    x = f"iw/2-iw/zoom/2+if({inside},({dx})*iw,0)"
    y = f"ih/2-ih/zoom/2+if({inside},({dy})*ih,0)"
    return (f("zoompan", z=z, x=x, y=y, d=1, s=f"{window.w}x{window.h}", fps=window.fps),)


def _shake(amplitude: float, zoom: float) -> Callable[[Window], tuple[Filter, ...]]:
    def draw(window: Window) -> tuple[Filter, ...]:
        a = format_value(amplitude)
        return _zoompan(window, format_value(zoom), f"{a}*sin(2*PI*7*it)", f"{a}*cos(2*PI*5*it)")

    return draw


def _zoom(expr: Callable[[str], str]) -> Callable[[Window], tuple[Filter, ...]]:
    return lambda window: _zoompan(window, expr(window.progress("it")))


def _saturation(expr: Callable[[str], str]) -> Callable[[Window], tuple[Filter, ...]]:
    return lambda window: _on(window, f("hue", s=expr(window.progress())))


def _vignette(angle: Callable[[str], str]) -> Callable[[Window], tuple[Filter, ...]]:
    return lambda window: _on(window, f("vignette", angle=angle(window.progress()), eval="frame"))


def _reveal(inside: str, closing: bool = False) -> Callable[[Window], tuple[Filter, ...]]:
    """Black outside a shape that grows with the progress (shrinks when `closing`).

    `inside` is a geq condition in X, Y, W, H and `{p}`; geq works per plane in the plane's own
    coordinates, so the same condition cuts the chroma planes alike.
    """

    def draw(window: Window) -> tuple[Filter, ...]:
        p = window.progress("T")
        cond = inside.format(p=f"({'1-' if closing else ''}{p})")
        return _on(window, f("geq", lum=f"if({cond},lum(X,Y),16)", cb=f"if({cond},cb(X,Y),128)",
                             cr=f"if({cond},cr(X,Y),128)"))  # fmt: skip

    return draw


_CIRCLE = "lte(hypot(X-W/2,Y-H/2),{p}*hypot(W/2,H/2))"

Box = tuple[float, float, float, float]  # x, y, w, h in pixels
Shape = Callable[[float, int, int], list[Box]]  # progress, width, height -> the black boxes


def _band(p: float, w: int, h: int) -> list[Box]:
    """Black above and below a band of the middle p of the height."""
    hidden = (1 - p) * h / 2
    return [(0, 0, w, hidden), (0, h - hidden, w, hidden)]


def _rect(p: float, w: int, h: int) -> list[Box]:
    """Black around a centred rectangle p of the frame's size."""
    dx, dy = (1 - p) * w / 2, (1 - p) * h / 2
    return [(0, 0, w, dy), (0, h - dy, w, dy), (0, 0, dx, h), (w - dx, 0, dx, h)]


def _cross(p: float, w: int, h: int) -> list[Box]:
    """Black in the four corners outside a centred cross of arms p of the frame wide."""
    dx, dy = (1 - p) * w / 2, (1 - p) * h / 2
    return [(0, 0, dx, dy), (w - dx, 0, dx, dy), (0, h - dy, dx, dy), (w - dx, h - dy, dx, dy)]


def _wipe(p: float, w: int, h: int) -> list[Box]:
    """Black over the left p of the frame."""
    return [(0, 0, p * w, h)]


def _boxes(shape: Shape, closing: bool = False) -> Callable[[Window], tuple[Filter, ...]]:
    """Black boxes moved frame by frame: a `sendcmd` gives the drawboxes after it their place and
    size for each frame of the window (progress p, or 1-p when `closing`), which costs a box fill
    where geq would evaluate an expression at every pixel (about 1 s against 23 s of CPU for a 3 s
    window at 1080x1920, measured by the VFX helper). A box less than a pixel wide or high is moved
    off the frame (drawbox reads a size of 0 as the whole frame). The drawboxes' instance names,
    which the commands address, come from the window and the shape, so the boxes of two effects in
    one graph never take each other's commands."""

    def draw(window: Window) -> tuple[Filter, ...]:
        tag = hashlib.sha1(repr((window, shape.__name__, closing)).encode()).hexdigest()[:8]
        names = [f"drawbox@vfx{i}_{tag}" for i in range(len(shape(0, window.w, window.h)))]
        fps = float(Fraction(window.fps))
        frames = max(1, round((window.end - window.start) * fps))
        commands = []
        for k in range(frames + 1):
            p = k / frames
            sets = []
            for name, (x, y, bw, bh) in zip(names, shape(1 - p if closing else p, window.w, window.h), strict=True):
                place = (round(x), round(y), round(bw), round(bh)) if bw >= 1 and bh >= 1 else (-4, -4, 1, 1)
                sets += [f"{name} {key} {value}" for key, value in zip("xywh", place, strict=True)]
            commands.append(f"{format_value(window.start + k / fps)} {', '.join(sets)}")
        hidden = (("x", -4), ("y", -4), ("w", 1), ("h", 1), ("color", "black"), ("t", "fill"))
        boxes = [Filter(name, hidden) for name in names]
        return (f("sendcmd", c=";".join(commands)), *window.only(boxes))

    return draw


def _stars(cb: str, cr: str, per: int) -> Callable[[Window], tuple[Filter, ...]]:
    """Twinkling points over the picture: the frame is a grid of 40 cells a column, one cell in
    `per` holds a dot at its centre whose size pulses; `cb`/`cr` (expressions of the cell, `{cx}`
    and `{cy}`) colour it. Cells are counted in each plane's own size, so the planes agree."""

    def draw(window: Window) -> tuple[Filter, ...]:
        cell = "(H/40)"
        cx, cy = f"floor(X/{cell})", f"floor(Y/{cell})"
        pulse = f"(0.5+0.5*sin(6*T+{cx}*1.7+{cy}))"
        dot = (
            f"eq(mod({cx}*7919+{cy}*104729,{per}),0)"
            f"*lt(hypot(X-({cx}+0.5)*{cell},Y-({cy}+0.5)*{cell}),{cell}*0.3*{pulse})"
        )
        blue, red = cb.format(cx=cx, cy=cy), cr.format(cx=cx, cy=cy)
        return _on(window, f("geq", lum=f"if({dot},235,lum(X,Y))", cb=f"if({dot},{blue},cb(X,Y))",
                             cr=f"if({dot},{red},cr(X,Y))"))  # fmt: skip

    return draw


_PARTICLES = "twinkling dots at fixed places stand in for the preset's animated particles"


def _bars(window: Window) -> tuple[Filter, ...]:
    bar = max(2, round(window.h * 0.12))
    return _on(
        window,
        f("drawbox", x=0, y=0, w="iw", h=bar, color="black", t="fill"),
        f("drawbox", x=0, y=f"ih-{bar}", w="iw", h=bar, color="black", t="fill"),
    )


CATALOGUE: dict[str, Vfx] = {
    "open": Vfx("Opening", _boxes(_band), "a black band parting from the middle"),
    "close": Vfx("Closing", _boxes(_band, closing=True), "black closing in towards the middle"),
    "h_blur": Vfx(
        "Horizontal blur", lambda w: _on(w, f("avgblur", sizeX=12, sizeY=1)), "a 25-pixel horizontal box blur"
    ),
    "v_blur": Vfx("Vertical blur", lambda w: _on(w, f("avgblur", sizeX=1, sizeY=12)), "a 25-pixel vertical box blur"),
    "blur": Vfx("Blur", lambda w: _on(w, f("gblur", sigma=12)), "a Gaussian blur, sigma 12 px"),
    "slightshake": Vfx("Slight shake", _shake(0.01, 1.05), "a 5% zoom shaken by 1% of the picture at 5-7 Hz"),
    "zoominout": Vfx("Zoom in", _zoom(lambda p: f"1+0.2*sin(PI*{p})"), "a zoom to 120% and back"),
    "movie": Vfx("Slim down", _bars, "cinema bars of 12% of the height, top and bottom"),
    "zoomslight": Vfx("Slight close-in", _zoom(lambda p: f"1+0.1*{p}"), "a zoom to 110% over the window"),
    "zoom": Vfx("Gradual close-in", _zoom(lambda p: f"1+0.3*{p}"), "a zoom to 130% over the window"),
    "withcircleopen": Vfx("Circle open", _reveal(_CIRCLE), "a hard-edged circle opening from the centre"),
    "withcircleclose": Vfx("Circle close", _reveal(_CIRCLE, closing=True), "a hard-edged circle closing to the centre"),
    "withcircleshake": Vfx("Spotlight shake", _shake(0.015, 1.05), "a shake (no spotlight)"),
    "withcircleflashlight": Vfx("Flashlight", _vignette(lambda p: "PI/2.2"), "a strong still vignette"),
    "disappear": Vfx("Wipe", _boxes(_wipe), "wiped to black from left to right"),
    "shock": Vfx("Shock", _shake(0.03, 1.1), "a 10% zoom shaken by 3% of the picture"),
    "bluropen": Vfx(
        "Blur open", lambda w: _on(w.part(0, 0.5), f("gblur", sigma=12)), "blurred for the first half, then sharp"
    ),
    "blurclose": Vfx(
        "Blur close", lambda w: _on(w.part(0.5, 1), f("gblur", sigma=12)), "sharp, then blurred for the second half"
    ),
    "photograph": Vfx(
        "Click", lambda w: _fade("in", w.part(0, min(1.0, 0.3 / max(w.end - w.start, 0.3))), "white"),
        "a 0.3 s white flash",
    ),
    "black": Vfx(
        "Fade", lambda w: (*_fade("out", w.part(0, 0.5)), *_fade("in", w.part(0.5, 1))),
        "a fade to black and back",
    ),
    "blurring": Vfx(
        "Circle blur", lambda w: _on(w, f("gblur", sigma=6)), "the whole picture blurred (not only outside a circle)"
    ),
    "color_to_grey": Vfx("Black and white fade in", _saturation(lambda p: f"1-{p}"), "colour fading to grey"),
    "grey_to_color": Vfx("Black and white fade out", _saturation(lambda p: p), "grey gaining its colour"),
    "slightrectshow": Vfx("Square open", _boxes(_rect), "a rectangle of the frame's shape opening from the centre"),
    "slightshow": Vfx("Slowly fade in", lambda w: _fade("in", w), "a fade in from black"),
    "wipecross": Vfx("Four box wipe", _boxes(_cross), "a cross opening from the centre in place of four boxes"),
    "whiteshow": Vfx("White open", lambda w: _fade("in", w, "white"), "a fade in from white"),
    "starry": Vfx("Starlight", _stars("128", "128", 7), "white " + _PARTICLES),
    "colorfulstarry": Vfx("Starry sky", _stars("128+90*sin({cx})", "128+90*cos({cy})", 7), "coloured " + _PARTICLES),
    "sparklestarfield": Vfx("Star spikes", _stars("128", "128", 4), "dense white " + _PARTICLES),
    "flyfire": Vfx("Fireflies", _stars("70", "150", 11), "yellow " + _PARTICLES + " (fireflies do not fly)"),
    "color_difference": Vfx(
        "Color dissolve", lambda w: _on(w, f("chromashift", cbh=6, crh=-6)), "colour fringes: chroma shifted 6 px"
    ),
}  # fmt: skip

#: Effects the page lists that overlay shaped artwork or compose the picture with itself: not drawn.
NOT_DRAWN: dict[str, str] = {
    "image_in_image": "Image in image",
    "colorfulradial": "Rainbow speed line",
    "heartfireworks": "Heart-shaped fireworks",
    "meteorshower": "Meteor shower",
    "moons_and_stars": "Stars and moon",
    "spotfall": "Falling spots",
    "starexplosion": "Star bomb",
}


def vfx_filters(sub_type: str, window: Window) -> tuple[tuple[Filter, ...], str] | None:
    """The filters drawing VFX `sub_type` in `window` and what they draw; None if not drawn."""
    vfx = CATALOGUE.get(sub_type.lower())
    return None if vfx is None else (vfx.draw(window), vfx.drawn_as)


#: docs/effects.md's account of the looks that are not VFX (effects.py, flowertext.py).
_OTHER_LOOKS = (
    "## Filter (`Type: Filter`)",
    "",
    "Each ID on the filter examples page",
    "(https://www.alibabacloud.com/help/ja/ims/developer-reference/filter-effect-example: m1-m8, pf1-pfc,",
    "pi1-pi4, pl1-pl4, pj1-pj4, delta, electric, faded, slowlived, tokoyo, urbex, warm, f1-f7, pv1-pv6,",
    "a1-a6) has a look of its own in `render/effects.py` (`_LOOKS`), made of eq, colorbalance, curves,",
    "hue or negate and read from the name the page gives the ID (m3 cyan, pf3 warm, pf6 invert, pfb",
    "greyscale, pl4 sunny, ...). The page shows each look only as a sample picture, so every Filter is",
    "listed under `Approximated`; IDs the page names nothing for (pv5, pv6, a1-a6) get a mild look of",
    "their group. On a clip, TimelineIn/TimelineOut limit the filter to that part of the clip; on",
    "EffectTracks, to that part of the output. Another ID is listed under `Ignored`.",
    "",
    *filter_table(),
    "",
    "## Flower text (`EffectColorStyle`)",
    "",
    "A Text clip's `EffectColorStyle` ID (`CS0001-000001`, ..., https://help.aliyun.com/document_detail/449561.html)",
    "replaces the clip's FontColor, Outline, OutlineColour, Shadow and BackColour with one of eight",
    "fill/outline/shadow styles (`render/flowertext.py`), outline and shadow sized by the font size,",
    "since the page says the presets bring their own outline. The page shows the presets only as",
    "pictures: the colours are inferred, the multi-layer outline is one ASS outline and gradients are",
    "flat, so each use is listed under `Approximated`; an ID not of the `CSnnnn-nnnnnn` form is listed",
    "under `Ignored`.",
    "",
)


#: docs/effects.md's account of the transitions (transitions.py).
_TRANSITIONS = (
    "## Transitions (`Type: Transition`)",
    "",
    "IMS Transition SubTypes are gl-transitions names (https://github.com/gl-transitions/gl-transitions,",
    "the IMS transition examples page: https://www.alibabacloud.com/help/en/vod/developer-reference/transition-effect-examples).",
    "A name is drawn by the ffmpeg xfade built-in that draws what its GLSL draws, or by its GLSL with",
    "the default uniforms as native filters (`render/transitions.py`, `render/remapped.py`; each checked",
    "against its formula in numpy by tests/engine/test_transitions.py); the other names by the nearest",
    "built-in, listed under `Approximated`. `random` and comma lists pick one name per transition.",
    "",
    *transition_table(),
    "",
)


def effects_table() -> str:
    """docs/effects.md: every Filter ID, VFX SubType and transition name, how the engine draws it,
    exact or approximate."""
    lines = [
        "# Filters, visual effects and transitions on the local engine",
        "",
        "Generated from `daemon/imsd/engine/render/vfx.py` (`effects_table()`, with `filter_table()` of",
        "effects.py and `transition_table()` of transitions.py); tests/engine/test_vfx.py keeps it",
        "current. The IMS effects and filter pages show each look only as a preview, so every such",
        "drawing is inferred and reported under `Approximated`; effects not drawn are reported under",
        "`Ignored`.",
        "",
        *_OTHER_LOOKS,
        "## VFX (`Type: VFX`)",
        "",
        "| SubType | IMS name | drawn as | exact |",
        "|---|---|---|---|",
    ]
    lines += [f"| `{name}` | {vfx.title} | {vfx.drawn_as} | approximate |" for name, vfx in CATALOGUE.items()]
    not_drawn = "not drawn (artwork the engine lacks)"
    lines += [f"| `{name}` | {title} | {not_drawn} | no |" for name, title in NOT_DRAWN.items()]
    lines += ["", *_TRANSITIONS[:-1]]
    return "\n".join(lines) + "\n"
