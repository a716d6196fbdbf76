"""IMS visual effects (`Type: VFX`) as filter data, over a time window.

The IMS effects page (alibabacloud.com/help/en/ims/developer-reference/example-of-common-effects;
VOD's special effect examples page, alibabacloud.com/help/en/vod/developer-reference/special-effect-examples,
lists the same SubTypes and the groups after Atmosphere: dynamic, light, retro, dreamy, nature,
split screen, colour, deform) names each effect and shows an animated preview; it states no
parameters. So every rendering here is inferred from the name and the preview, and each is
reported as approximated, saying what it does. The English names after Atmosphere are our
translations of the console's Chinese names (the stored copy of the page could not be read past
Atmosphere); the SubTypes are the page's. Effects built from the picture itself are drawn: split
screens (tiled copies), retro (grey, noise, scanlines, night-vision green), deforms (v360,
pixelize), colour (hue, eq, colour fields), motion (zoom, shake, rotate, trails), and
procedural particles (stars, snow, rain, bubbles) and ripples; those whose look is shaped
artwork (hearts, fireworks, suns, moons, projected images, a TV frame) or a second picture
(image_in_image) are listed as not drawn rather than faked.

Effects that compose the picture with itself are a `Branch` (graph.py): a copy drawn by its own
steps and joined back (overlay, blend, mix, displace), still data in one list of steps. Costs
(bench/vfx.py, 1080x1920): procedural layers (particles, colour fields, ripple maps) are drawn
small and scaled up, so no expression runs per pixel of the frame; a copy laid over the picture
is trimmed to its window.

An effect applies over a window [start, end) of its stream's time (a clip's own, from 0 at its
first frame, or the output's for an EffectTracks item); `p` is the progress through the window.
Each filter carries `enable` for the window, or is written so that it leaves the picture as it
is outside it. docs/effects.md is generated from `CATALOGUE`, the Filter looks (effects.py) and
the transition names (transitions.py) by `effects_table()` (a test keeps it current).
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction

from imsd.engine.render.effects import filter_table
from imsd.engine.render.geometry import Axis
from imsd.engine.render.graph import Branch, Filter, Step, Value, f, format_value
from imsd.engine.render.transitions import transition_table

__all__ = [
    "CATALOGUE",
    "NOT_DRAWN",
    "Region",
    "Vfx",
    "Window",
    "effects_table",
    "not_drawn",
    "region_of",
    "vfx_filters",
]

Region = tuple[int, int, int, int]  # x, y, w, h in even pixels of the picture


def region_of(x: float | None, y: float | None, w: float | None, h: float | None, xs: Axis, ys: Axis) -> Region | None:
    """An effect's X/Y/Width/Height (a region effect's box, ims-api.md §2.7: fractions of the
    picture or pixels, as everywhere) in even pixels inside the picture; None without a size."""
    if not w or not h:
        return None
    left, top = min(max(0, xs.px(x)), xs.size - 2), min(max(0, ys.px(y)), ys.size - 2)
    left, top = left - left % 2, top - top % 2
    width = min(2 * max(1, round(xs.length(w) / 2)), xs.size - left)
    height = min(2 * max(1, round(ys.length(h) / 2)), ys.size - top)
    return left, top, width - width % 2, height - height % 2


@dataclass(frozen=True)
class Window:
    """Where an effect applies, in seconds of its stream, on a picture of w x h at fps."""

    start: float
    end: float
    w: int
    h: int
    fps: str
    region: Region | None = None  # a region effect's box (mosaic_rect), if the effect gives one

    @property
    def enable(self) -> str:
        return self.holds("t")

    def holds(self, clock: str) -> str:
        """Whether the time variable `clock` is in the window: the frame at its end is after it."""
        return f"gte({clock},{format_value(self.start)})*lt({clock},{format_value(self.end)})"

    @property
    def local(self) -> str:
        """Seconds since the window's start, as an expression of `t`."""
        return f"(t-{format_value(self.start)})"

    @property
    def frames(self) -> int:
        return max(1, round((self.end - self.start) * float(Fraction(self.fps))))

    def only(self, filters: Iterable[Filter], when: str | None = None) -> tuple[Filter, ...]:
        """`filters` enabled in this window only (timeline editing), and while `when` holds."""
        enable = self.enable if when is None else f"{self.enable}*{when}"
        return tuple(Filter(x.name, (*x.args, ("enable", enable))) for x in filters)

    def progress(self, clock: str = "t") -> str:
        """0 -> 1 through the window, by the time variable `clock` of the filter's expressions."""
        span = max(self.end - self.start, 1e-3)
        return f"clip(({clock}-{format_value(self.start)})/{format_value(span)},0,1)"

    def part(self, begin: float, stop: float) -> Window:
        """The fraction [begin, stop) of this window."""
        span = self.end - self.start
        return Window(self.start + begin * span, self.start + stop * span, self.w, self.h, self.fps, self.region)


Draw = Callable[[Window], tuple[Step, ...]]


@dataclass(frozen=True)
class Vfx:
    title: str  # what the effects page calls it
    draw: Draw
    drawn_as: str  # what the engine draws, for the approximated note and the docs table


def _on(window: Window, *filters: Filter) -> tuple[Filter, ...]:
    return window.only(filters)


def _fade(kind: str, window: Window, color: str = "black") -> tuple[Filter, ...]:
    """A fade over the window, the picture untouched outside it."""
    duration = max(window.end - window.start, 1e-3)
    return _on(window, f("fade", t=kind, st=window.start, d=duration, color=color))


def _zoompan(window: Window, zoom: str, dx: str = "0", dy: str = "0") -> tuple[Filter, ...]:
    """Zoom `zoom` (>= 1) with the picture's centre moved by dx, dy of its size, in the window."""
    inside = window.holds("it")
    z = f"if({inside},{zoom},1)"
    x = f"iw/2-iw/zoom/2+if({inside},({dx})*iw,0)"
    y = f"ih/2-ih/zoom/2+if({inside},({dy})*ih,0)"
    return (f("zoompan", z=z, x=x, y=y, d=1, s=f"{window.w}x{window.h}", fps=window.fps),)


def _shake(amplitude: float, zoom: float, hz: tuple[float, float] = (7, 5)) -> Draw:
    """Zoomed by `zoom` and shaken by `amplitude` of the picture, across at hz[0], down at hz[1]."""

    def draw(window: Window) -> tuple[Filter, ...]:
        a, fx, fy = format_value(amplitude), format_value(hz[0]), format_value(hz[1])
        return _zoompan(window, format_value(zoom), f"{a}*sin(2*PI*{fx}*it)", f"{a}*cos(2*PI*{fy}*it)")

    return draw


def _zoom(expr: Callable[[str], str]) -> Draw:
    return lambda window: _zoompan(window, expr(window.progress("it")))


def _saturation(expr: Callable[[str], str]) -> Draw:
    return lambda window: _on(window, f("hue", s=expr(window.progress())))


def _vignette(angle: Callable[[str], str]) -> Draw:
    return lambda window: _on(window, f("vignette", angle=angle(window.progress()), eval="frame"))


def _reveal(inside: str, closing: bool = False) -> Draw:
    """Black outside a shape that grows with the progress (shrinks when `closing`): a layer
    whose alpha is the outside (`_layer`). `inside` is a geq condition in X, Y, W, H and `{p}`."""

    def draw(window: Window) -> tuple[Step, ...]:
        p = window.progress("T")
        cond = inside.format(p=f"({'1-' if closing else ''}{p})")
        return _layer(window, "16", "128", "128", f"255*not({cond})")

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


def _boxes(shape: Shape, closing: bool = False, color: str = "black") -> Draw:
    """Boxes of `color` (black unless said) moved frame by frame: a `sendcmd` gives the drawboxes
    after it their place and size for each frame of the window (progress p, or 1-p when
    `closing`), which costs a box fill where geq would evaluate an expression at every pixel
    (about 1 s against 23 s of CPU for a 3 s window at 1080x1920, measured by the VFX helper).
    A box less than a pixel wide or high is moved off the frame (drawbox reads a size of 0 as the
    whole frame). The drawboxes' instance names, which the commands address, come from the
    window, the shape and the colour, so the boxes of two effects in one graph never take each
    other's commands."""

    def draw(window: Window) -> tuple[Filter, ...]:
        tag = hashlib.sha1(repr((window, shape.__name__, closing, color)).encode()).hexdigest()[:8]
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
        hidden = (("x", -4), ("y", -4), ("w", 1), ("h", 1), ("color", color), ("t", "fill"))
        boxes = [Filter(name, hidden) for name in names]
        return (f("sendcmd", c=";".join(commands)), *window.only(boxes))

    return draw


@dataclass(frozen=True)
class Particles:
    """Points over the picture, drawn on a layer (`_layer`): the frame is a grid of 40 cells a
    column, one cell in `per` (picked by a sine hash, so no diagonals show) holds a particle at
    its centre, of `size` of a cell (its height `tall` times its width), whose size pulses at
    `twinkle` rad/s (0: steady) and which moves down `fall` cells a second (up when negative).
    `cb`/`cr` (expressions of the cell, `{cx}` and `{cy}`) colour it. Cells are counted in each
    plane's own size, so the planes agree."""

    cb: str = "128"
    cr: str = "128"
    per: int = 7
    size: float = 0.3
    twinkle: float = 6.0
    fall: float = 0.0
    tall: float = 1.0

    def __call__(self, window: Window) -> tuple[Step, ...]:
        cell = "(H/40)"
        row = f"(Y-({format_value(self.fall)})*T*{cell})"
        cx, cy = f"floor(X/{cell})", f"floor({row}/{cell})"
        pulse = f"(0.5+0.5*sin({format_value(self.twinkle)}*T+{cx}*1.7+{cy}))" if self.twinkle else "1"
        across, down = f"(X-({cx}+0.5)*{cell})", f"({row}-({cy}+0.5)*{cell})/{format_value(self.tall)}"
        dot = (
            f"lt(mod(abs(sin({cx}*12.9898+{cy}*78.233))*43758.5453,1),1/{self.per})"
            f"*lt(hypot({across},{down}),{cell}*{format_value(self.size)}*{pulse})"
        )
        blue, red = self.cb.format(cx=cx, cy=cy), self.cr.format(cx=cx, cy=cy)
        return _layer(window, "235", blue, red, f"255*{dot}")


def _stars(cb: str, cr: str, per: int) -> Draw:
    """Twinkling points at fixed places (the atmosphere group's star fields)."""
    return Particles(cb, cr, per)


_PARTICLES = "twinkling dots at fixed places stand in for the preset's animated particles"


def _bars(window: Window) -> tuple[Filter, ...]:
    bar = max(2, round(window.h * 0.12))
    return _on(
        window,
        f("drawbox", x=0, y=0, w="iw", h=bar, color="black", t="fill"),
        f("drawbox", x=0, y=f"ih-{bar}", w="iw", h=bar, color="black", t="fill"),
    )


# The groups after Atmosphere: drawn from the picture itself (copies, colour, distortion) or as
# procedural particles; shaped artwork (hearts, fireworks, suns, moons, projected images) is not.

_GREY = f("hue", s=0)
_SEPIA = f("colorchannelmixer", rr=0.393, rg=0.769, rb=0.189, gr=0.349, gg=0.686, gb=0.168, br=0.272, bg=0.534,
           bb=0.131)  # fmt: skip
# Horizontal lines every 3 rows; the grid's one column line is put off the picture.
_SCANLINES = f("drawgrid", x=-5, y=0, w="iw+10", h=3, t=1, c="black@0.45")


def _cell(length: float) -> int:
    """The even number of pixels >= `length` (cells of a tiling cover the picture)."""
    return 2 * math.ceil(length / 2)


def _over(window: Window, copy: Iterable[Step], x: str | int = 0, y: str | int = 0,
          main: Iterable[Step] = ()) -> Branch:  # fmt: skip
    """A copy of the picture, drawn by `copy`, laid over it at x, y in the window. The copy is
    trimmed to the window, so it costs nothing outside it: overlay passes the picture through
    before the copy's first frame and, by eof_action=pass, after its last."""
    trim = f("trim", start=window.start, end=window.end)
    return Branch((trim, *copy), window.only([f("overlay", x=x, y=y, eof_action="pass")])[0], tuple(main))


def _layer(window: Window, lum: str, cb: str, cr: str, alpha: str) -> tuple[Step, ...]:
    """A drawn layer (geq expressions of X, Y, W, H and T for each plane, alpha giving its
    shape) laid over the picture in the window. It is drawn about 360 pixels high at most and
    scaled up: geq evaluates an expression per pixel, so on a 1080x1920 frame it runs on a 25th
    of the pixels, and its edges come out soft rather than stepped."""
    k = max(1, round(window.h / 360))
    drawn = (
        f("scale", _cell(window.w / k), _cell(window.h / k)),
        f("format", "yuva420p"),
        f("geq", lum=lum, cb=cb, cr=cr, a=alpha),
        f("scale", window.w, window.h),
    )
    return (_over(window, drawn),)


def _tiled(w: int, h: int, cols: int, rows: int) -> tuple[Filter, ...]:
    """The picture as cols x rows copies, each scaled to cover its cell and centre-cropped:
    fillborders' wrap mode copies the first cell into the padding, one cell at a time (each copy
    a plain memcpy); the last row and column are cut at the picture's edge."""
    cw, ch = _cell(w / cols), _cell(h / rows)
    out = [f("scale", cw, ch, force_original_aspect_ratio="increase"), f("crop", cw, ch), f("setsar", 1)]
    for i in range(2, cols + 1):
        out += [f("pad", i * cw, ch, 0, 0), f("fillborders", right=cw, mode="wrap")]
    for j in range(2, rows + 1):
        out += [f("pad", cols * cw, j * ch, 0, 0), f("fillborders", bottom=ch, mode="wrap")]
    return (*out, f("crop", w, h, 0, 0))


def _split(cols: int, rows: int) -> Draw:
    return lambda w: (_over(w, _tiled(w.w, w.h, cols, rows)),)


def _panels(*look: Filter) -> Draw:
    """Three copies stacked, the middle one as it is, the outer two through `look`."""

    def draw(window: Window) -> tuple[Step, ...]:
        ch = _cell(window.h / 3)
        outer = [_over(window, (f("crop", window.w, min(ch, window.h - y), 0, y), *look), 0, y) for y in (0, 2 * ch)]
        return (_over(window, _tiled(window.w, window.h, 1, 3)), *outer)

    return draw


def _livesplit(window: Window) -> tuple[Step, ...]:
    grids = ((1, 2), (2, 2), (3, 3))
    return tuple(
        _over(window.part(i / 3, (i + 1) / 3), _tiled(window.w, window.h, c, r)) for i, (c, r) in enumerate(grids)
    )


def _marquee(window: Window) -> tuple[Step, ...]:
    """Three stacked copies scrolled across once in the window (scroll wraps round)."""
    return (_over(window, _tiled(window.w, window.h, 1, 3)), *_on(window, f("scroll", h=1 / window.frames)))


def _kaleidoscope(window: Window) -> tuple[Step, ...]:
    """The middle quarter of the picture, turning half a radian a second (its corners stay in
    the turned picture's circle), as the top-left quarter mirrored into the other three by
    fillborders' mirror mode."""
    hw, hh = _cell(window.w / 2), _cell(window.h / 2)
    mirrored = (
        f("rotate", a=f"0.5*{window.local}"),
        f("crop", hw, hh, (window.w - hw) // 4 * 2, (window.h - hh) // 4 * 2),
        f("pad", 2 * hw, 2 * hh, 0, 0),
        f("fillborders", right=hw, bottom=hh, mode="mirror"),
        f("crop", window.w, window.h, 0, 0),
    )
    return (_over(window, mirrored),)


def _mosaic(window: Window) -> tuple[Step, ...]:
    """The region (the whole picture without one) in blocks of 1/30 of the picture's short side."""
    x, y, w, h = window.region or (0, 0, window.w, window.h)
    block = max(4, round(min(window.w, window.h) / 30))
    return (_over(window, (f("crop", w, h, x, y), f("pixelize", w=block, h=block)), x, y),)


def _fisheye(window: Window) -> tuple[Step, ...]:
    """The picture (taken as 100 degrees wide) in an equidistant fisheye of the same field, over
    black: v360, whose output outside the lens is transparent."""
    vfov = math.degrees(2 * math.atan(math.tan(math.radians(50)) * window.h / window.w))
    lens = f("v360", input="flat", ih_fov=100, iv_fov=round(vfov, 2), output="fisheye", h_fov=100,
             v_fov=round(vfov, 2), w=window.w, h=window.h, alpha_mask=1)  # fmt: skip
    return (_over(window, (lens,), main=_on(window, f("drawbox", x=0, y=0, w="iw", h="ih", color="black", t="fill"))),)


def _planet(window: Window) -> tuple[Step, ...]:
    """The picture read as a panorama and looked at straight down, stereographically (v360)."""
    vfov = min(300.0, 200 * window.h / window.w)
    view = f("v360", input="e", output="sg", pitch=-90, h_fov=200, v_fov=round(vfov, 2), w=window.w, h=window.h)
    return (_over(window, (view,)),)


def _ghost(window: Window) -> tuple[Step, ...]:
    """A copy at 40% opacity growing from the picture's size to 130% every 0.8 s. zoompan
    numbers its frames from 0 whatever their time, so they are put back at the window's."""
    start = format_value(window.start)
    ghost = (
        f("zoompan", z=f"1+0.3*mod((it-{start})/0.8,1)", x="iw/2-iw/zoom/2", y="ih/2-ih/zoom/2", d=1,
          s=f"{window.w}x{window.h}", fps=window.fps),
        f("setpts", f"PTS+{start}/TB"),
        f("format", "yuva420p"),
        f("lutyuv", a="val*0.4"),
    )  # fmt: skip
    return (_over(window, ghost),)


def _window_blur(window: Window) -> tuple[Step, ...]:
    """Blurred round a sharp centred window half the picture's size."""
    w, h = _cell(window.w / 2), _cell(window.h / 2)
    x, y = (window.w - w) // 4 * 2, (window.h - h) // 4 * 2
    return (_over(window, (f("crop", w, h, x, y),), x, y, main=_on(window, f("gblur", sigma=20))),)


def _segments(window: Window) -> tuple[Step, ...]:
    """The middle third of the picture cut out and sliding up and down over it, once a second."""
    w = _cell(window.w / 3)
    x = (window.w - w) // 4 * 2
    slide = f"{format_value(window.h * 0.08)}*sin(2*PI*{window.local})"
    return (_over(window, (f("crop", w, window.h, x, 0),), x, slide),)


def _tint(cb: str, cr: str, amount: float) -> Draw:
    """The picture's colour moved `amount` of the way to a colour field (cb/cr, geq expressions
    of X, Y, W, H and T) drawn at 64x64 and scaled up: geq on a few thousand pixels, not on the
    frame. Brightness stays the picture's (blend takes its luma whole)."""

    def draw(window: Window) -> tuple[Step, ...]:
        field = (
            f("scale", 64, 64),
            f("geq", lum="lum(X,Y)", cb=cb, cr=cr),
            f("scale", window.w, window.h),
        )
        keep = format_value(1 - amount)
        join = f("blend", c0_mode="normal", c0_opacity=1, c1_mode="normal", c1_opacity=keep, c2_mode="normal",
                 c2_opacity=keep)  # fmt: skip
        return (Branch(field, window.only([join])[0]),)

    return draw


_HUE = "2*PI*X/W"
_RAINBOW = (f"128+110*cos({_HUE})", f"128+110*sin({_HUE})")
_MOVING = (f"128+110*cos({_HUE}-3*T)", f"128+110*sin({_HUE}-3*T)")
_DISCO = (
    "128+120*sin(2*PI*(2*X/W+T))*cos(2*PI*(2*Y/H-1.3*T))",
    "128+120*cos(2*PI*(2*X/W-0.7*T))*sin(2*PI*(2*Y/H+T))",
)


def _eq(window: Window, **values: Callable[[str, str], str]) -> tuple[Filter, ...]:
    """eq re-evaluated every frame, each of brightness/contrast/saturation an expression of the
    progress p and of the seconds since the window's start."""
    options: dict[str, Value | None] = {k: v(window.progress(), window.local) for k, v in values.items()}
    return _on(window, f("eq", **options, eval="frame"))


def _flash(**values: Callable[[str, str], str]) -> Draw:
    return lambda w: _eq(w, **values)


def _ripple(amplitude: float, *before: Filter) -> Draw:
    """Each row shifted across by a sine of its height and of time: displace, whose maps are
    drawn 16 pixels wide (the shift depends on the row only) and scaled up, so no expression
    runs per pixel of the frame. A map's value is 128 plus the shift in its plane's pixels."""

    def draw(window: Window) -> tuple[Step, ...]:
        wave = "sin(2*PI*Y/(H/10)+5*T)"
        shift = format_value(window.w * amplitude)
        small, full = f("scale", 16, _cell(window.h / 4)), f("scale", window.w, window.h)
        xmap = (
            small,
            f("geq", lum=f"128+{shift}*{wave}", cb=f"128+{shift}/2*{wave}", cr=f"128+{shift}/2*{wave}"),
            full,
        )
        ymap = (small, f("lutyuv", y=128, u=128, v=128), full)
        displace = window.only([f("displace", edge="smear")])[0]
        return (*_on(window, *before), Branch(xmap, displace, (), (ymap,)))

    return draw


def _sweep(cells: int, across: bool, band: float) -> Shape:
    """A band `band` of the picture wide (or high) crossing it `cells` times over the window."""

    def shape(p: float, w: int, h: int) -> list[Box]:
        side = w if across else h
        size = band * side
        at = (p * cells) % 1 * (side + size) - size
        start, length = max(0.0, at), min(at + size, side) - max(0.0, at)
        return [(start, 0, length, h)] if across else [(0, start, w, length)]

    shape.__name__ = f"sweep{cells}{int(across)}{band}"
    return shape


def _tv(*filters: Filter) -> Draw:
    return lambda w: _on(w, *filters, _SCANLINES)


# White edges on black; grey out, so only ever on a copy (it would turn the whole chain grey).
_EDGES = f("edgedetect", mode="wires", low=0.05, high=0.15)


def _neon(window: Window) -> tuple[Step, ...]:
    """The picture's edges glowing white over it dimmed, saturated and turning hue: blend keeps
    the lighter luma and the picture's colour."""
    dim = _on(window, f("eq", brightness=-0.25, saturation=1.6), f("hue", h=f"120*{window.local}"))
    join = f("blend", c0_mode="lighten", c1_mode="normal", c1_opacity=1, c2_mode="normal", c2_opacity=1)
    return (Branch((_EDGES, f("gblur", sigma=1)), window.only([join])[0], dim),)


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
    "withcircleopen": Vfx("Circle open", _reveal(_CIRCLE), "a circle opening from the centre"),
    "withcircleclose": Vfx("Circle close", _reveal(_CIRCLE, closing=True), "a circle closing to the centre"),
    "withcircleshake": Vfx("Spotlight shake", _shake(0.015, 1.05), "a shake (no spotlight)"),
    "withcircleflashlight": Vfx(
        "Flashlight", lambda w: _on(w, f("vignette", angle="PI/2.2")), "a strong still vignette"
    ),  # still: its factors are computed once, not every frame
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
    "spotfall": Vfx("Falling spots", Particles("100", "150", 11, 0.45, 2, 1.5), "warm round spots falling slowly"),
    "flyfire": Vfx("Fireflies", _stars("70", "150", 11), "yellow " + _PARTICLES + " (fireflies do not fly)"),
    "color_difference": Vfx(
        "Color dissolve", lambda w: _on(w, f("chromashift", cbh=6, crh=-6)), "colour fringes: chroma shifted 6 px"
    ),
    # Dynamic
    "white": Vfx("White flash", _flash(brightness=lambda p, s: f"0.8*pow(1-mod({s}*2,1),4)"),
                 "white flashes twice a second, each fading out (eq brightness)"),
    "minus_glitter": Vfx("Negative flicker", lambda w: w.only([f("negate")], f"lt(mod({w.local}*4+0.5,1),0.5)"),
                         "the negative, on and off four times a second"),
    "jitter": Vfx("Jitter", _shake(0.02, 1.06, (11, 9)), "a 6% zoom shaken by 2% of the picture at 9-11 Hz"),
    "soulout": Vfx("Soul out", _ghost, "a 40% ghost of the picture growing to 130% every 0.8 s"),
    "scanlight": Vfx("Scan stripes", _boxes(_sweep(2, False, 0.08), color="white@0.35"),
                     "a light bar an 8th of the height sweeping down twice"),
    "swing": Vfx("Swing", lambda w: (*_zoompan(w, "1.15"), *_on(w, f("rotate", a=f"0.1*sin(2*PI*{w.local})"))),
                 "a 15% zoom rocking 0.1 rad either way once a second"),
    "heartbeat": Vfx("Heartbeat", lambda w: _zoompan(w, f"1+0.12*pow(abs(sin(PI*1.5*(it-{format_value(w.start)}))),6)"),
                     "zoom pulses to 112%, 1.5 a second"),
    "flashingscreen": Vfx("Flashing screen", _flash(brightness=lambda p, s: f"0.3*sin(2*PI*4*{s})",
                                                   contrast=lambda p, s: f"1+0.3*sin(2*PI*4*{s}+1)"),
                          "brightness and contrast flickering at 4 Hz"),
    # tmix on a copy: an enabled tmix still mixed frames outside its window.
    "illusion": Vfx("Illusion", lambda w: (_over(w, (f("tmix", frames=6),)),),
                    "trails: each frame mixed with the 5 before"),
    "segmentation": Vfx("Video segmentation", _segments, "the middle third sliding up and down over the picture"),
    "neolighting": Vfx("Neon lights", _neon, "white edges glowing over the picture dimmed, hue turning"),
    "curl": Vfx("Roll", lambda w: _on(w, f("scroll", v=1 / w.frames)), "the picture rolled up once, wrapping round"),
    "shine": Vfx("Shine", _flash(saturation=lambda p, s: f"1+0.8*abs(sin(2*PI*2*{s}))",
                                 contrast=lambda p, s: f"1+0.25*abs(sin(2*PI*2*{s}))",
                                 brightness=lambda p, s: f"0.1*abs(sin(2*PI*2*{s}))"),
                 "colour, contrast and light pulsing 4 times a second"),
    "smalljitter": Vfx("Glitch", lambda w: w.only([f("rgbashift", rh=-6, bh=6, gv=2)], f"lt(mod({w.local}*6,1),0.5)"),
                       "red and blue split 6 px apart, on and off 6 times a second"),
    "flashinglight": Vfx("Strobe", _flash(brightness=lambda p, s: f"0.7*lt(mod({s}*3,1),0.3)"),
                         "a strobe: bright 0.1 s three times a second"),
    "windowblur": Vfx("Window filter", _window_blur, "blurred round a sharp centred window half the picture's size"),
    "windowblur2": Vfx("Window panes", lambda w: _on(w, f("gblur", sigma=2), f("drawgrid", w="iw/2", h="ih/2",
                                                      t=max(4, round(w.h / 40)), c="white@0.85")),
                       "a slightly blurred picture behind a 2x2 window frame"),
    "kaleidoscope": Vfx("Kaleidoscope", _kaleidoscope, "the picture's middle, turning, mirrored into four quarters"),
    # Light
    "lightcenter": Vfx("Centre light", lambda w: _on(w, f("vignette", angle="PI/3"), f("eq", brightness=0.08)),
                       "a brightened centre in a strong vignette"),
    "lightsweep": Vfx("Sunlight passing", _boxes(_sweep(1, True, 0.25), color="0xFFD27F@0.3"),
                      "a hard-edged warm band a quarter wide crossing once"),
    "rotationspotlight": Vfx(
        "Screen spotlight",
        lambda w: _on(w, f("vignette", angle="PI/3.5", x0=f"w/2+w/4*cos(PI*{w.local})",
                           y0=f"h/2+h/4*sin(PI*{w.local})", eval="frame")),
        "a spotlight (vignette) circling the centre every 2 s"),
    "fallingcircle": Vfx("Looming light spots", Particles("128", "128", 9, 0.45, 2.5),
                         "white round spots swelling and fading in place (no soft glow)"),
    "shinningstar_light": Vfx("Twinkling cross stars", Particles("128", "128", 9, 0.35, 12),
                              "white dots twinkling in place of cross-shaped stars"),
    # Retro
    "blackwhitetv": Vfx("TV noise", _tv(_GREY, f("noise", alls=45, allf="t+u")), "grey, moving noise, scanlines"),
    "edgescan": Vfx("Edge scan",
                    lambda w: (_over(w, (_EDGES,)), *_boxes(_sweep(2, False, 0.05), color="0x40FF80@0.5")(w)),
                    "the picture's edges in white on black, a green bar sweeping down twice"),
    "oldtv": Vfx("Snow glitch", _tv(f("noise", alls=70, allf="t+u"), f("rgbashift", rh=4, bh=-4)),
                 "heavy moving noise, red/blue split, scanlines"),
    "oldtvshine": Vfx("Old TV flicker", lambda w: (*_on(w, _SEPIA, _SCANLINES, f("vignette", angle="PI/4")),
                                                  *_eq(w, brightness=lambda p, s: f"0.12*sin(2*PI*9*{s})")),
                      "sepia, scanlines, vignette, brightness flickering at 9 Hz"),
    "nightvision": Vfx("Night vision", lambda w: _on(w, _GREY, f("lutyuv", u=100, v=92),
                                                    f("noise", alls=20, allf="t+u"), f("vignette", angle="PI/4")),
                       "green monochrome, moving grain, vignette"),
    # Dreamy
    "starfieldshinee": Vfx("Twinkling stars", Particles("128", "128", 5, 0.3, 10), "white " + _PARTICLES),
    "starfieldshinee2": Vfx("Wildly twinkling stars", Particles("128", "128", 3, 0.3, 25), "dense fast " + _PARTICLES),
    "starsparkle": Vfx("Star sparks", Particles("128+90*sin({cx})", "128+90*cos({cy})", 5, 0.3, 15),
                       "coloured " + _PARTICLES),
    "starfield": Vfx("Star river", Particles("128", "128", 6, 0.25, 6, -3), "white twinkling dots rising"),
    "colorfulbubbles": Vfx("Colourful bubbles", Particles("128+90*sin({cx})", "128+90*cos({cy})", 9, 0.45, 2, -1.5),
                           "coloured solid dots rising (no bubble outline or shine)"),
    # Nature
    "rainy": Vfx("Drizzle", Particles("140", "124", 5, 0.1, 0, 12, 4.5), "thin light streaks falling fast"),
    "meteor": Vfx("It's raining", lambda w: (*_on(w, f("eq", brightness=-0.08, saturation=0.8)),
                                            *Particles("140", "124", 3, 0.1, 0, 16, 4.5)(w)),
                  "dense light streaks falling fast over a dimmed picture"),
    "snow": Vfx("Snow", Particles("128", "128", 5, 0.25, 0, 2), "white round dots falling"),
    "foggy": Vfx("Fog", _flash(contrast=lambda p, s: f"1-0.65*{p}", brightness=lambda p, s: f"0.25*{p}",
                               saturation=lambda p, s: f"1-0.5*{p}"),
                 "a flat pale haze thickening over the window (eq; no drifting fog)"),
    "waterripple": Vfx("Water ripples", _ripple(0.01), "rows swaying sideways in a travelling sine"),
    # The cast by a LUT on the chroma planes: colorbalance would convert to RGB and back.
    "simpleripple": Vfx("Under water", _ripple(0.005, f("lutyuv", u="val+12", v="val-16")),
                        "a blue-green cast and a gentle sway"),
    "stormlaser": Vfx("Lightning",
                      _flash(brightness=lambda p, s: f"0.8*(lt(mod({s},1.1),0.08)+lt(mod({s}+0.4,0.9),0.06))",
                             saturation=lambda p, s: "0.7"),
                      "a paler picture with irregular white flashes (no bolts)"),
    "fadeshadow": Vfx("Black smoke", lambda w: (*_vignette(lambda p: f"PI/6+PI/3*{p}")(w),
                                               *_eq(w, brightness=lambda p, s: f"-0.2*{p}")),
                      "darkness closing in from the edges (vignette; no smoke shapes)"),
    # Split screen
    "marquee": Vfx("Marquee", _marquee, "three stacked copies scrolling across once, wrapping round"),
    "livesplit": Vfx("Dynamic split", _livesplit, "2, then 4, then 9 copies, a third of the window each"),
    "splitstill2": Vfx("Two-way split", _split(1, 2), "2 stacked copies, each cropped to its cell"),
    "splitstill3": Vfx("Three-way split", _split(1, 3), "3 stacked copies, each cropped to its cell"),
    "splitstill4": Vfx("Four-way split", _split(2, 2), "2x2 scaled copies"),
    "splitstill6": Vfx("Six-way split", _split(2, 3), "2x3 copies, each cropped to its cell"),
    "splitstill9": Vfx("Nine-way split", _split(3, 3), "3x3 scaled copies"),
    "blackwhitesplit": Vfx("Black and white triptych", _panels(_GREY), "3 stacked copies, the outer two grey"),
    "blurthreesplit": Vfx("Blurred split", _panels(f("gblur", sigma=8)), "3 stacked copies, the outer two blurred"),
    # Colour
    "colorful": Vfx("Dazzle", lambda w: _on(w, f("hue", h=f"360*{w.local}", s=1.5)),
                    "hue turning once a second, saturation x1.5"),
    "blackfade": Vfx("Colour swallowed", lambda w: (*_saturation(lambda p: f"1-{p}")(w),
                                                   *_eq(w, brightness=lambda p, s: f"-0.5*{p}")),
                     "colour and light draining to a dark grey"),
    "rainbowfilter": Vfx("Rainbow filter", _tint(*_RAINBOW, 0.5), "colour half-way to a rainbow across the picture"),
    "movingrainbow": Vfx("Moving rainbow", _tint(*_MOVING, 0.5), "colour half-way to a rainbow moving across"),
    "discolights": Vfx("Disco", _tint(*_DISCO, 0.6), "colour moved towards drifting colour patches (no light beams)"),
    # Deform
    "fisheye": Vfx("Fisheye", _fisheye, "a fisheye lens view of the picture over black (v360)"),
    "mosaic_rect": Vfx("Mosaic", _mosaic, "pixelated blocks in X/Y/Width/Height (the whole picture without them)"),
    "glass": Vfx("Frosted glass", lambda w: _on(w, f("gblur", sigma=4), f("noise", alls=18)),
                 "a blur with a fixed grain (no refraction)"),
    "planet": Vfx("Little planet", _planet, "the picture as a panorama seen straight down (v360 stereographic)"),
}  # fmt: skip

#: Effects the pages list whose look is shaped artwork or a second picture: not drawn rather than
#: faked. SubType -> (the page's name, what it would need).
NOT_DRAWN: dict[str, tuple[str, str]] = {
    "image_in_image": ("Image in image", "a second picture, which the effect does not name"),
    "colorfulradial": ("Rainbow speed line", "drawn rainbow rays"),
    "heartfireworks": ("Heart-shaped fireworks", "drawn heart-shaped fireworks"),
    "meteorshower": ("Meteor shower", "drawn meteors with tails"),
    "moons_and_stars": ("Stars and moon", "a drawn moon and stars"),
    "starexplosion": ("Star bomb", "a drawn star burst"),
    "moon_projection": ("Moon projection", "a projected picture of a moon"),
    "star_projection": ("Star projection", "a projected picture of stars"),
    "heart_projection": ("Heart projection", "a projected picture of hearts"),
    "sunset_projection": ("Sunset projection", "a projected picture of a sunset"),
    "carwindow_projection": ("Car window projection", "a projected picture of a car window"),
    "anglelight": ("Angel light", "drawn light rays"),
    "darknight_rainbow": ("Night rainbow", "a drawn rainbow arc"),
    "moon": ("Lunar eclipse", "a drawn moon"),
    "tvshow": ("TV show", "a drawn TV set round the picture"),
    "colorfulsun": ("Colourful sun", "a drawn sun"),
    "bigsun": ("Big sun", "a drawn sun"),
    "fallingheart": ("Heart rain", "drawn hearts"),
    "colorfulfireworks": ("Colourful fireworks", "drawn fireworks"),
    "heartshot": ("Bouncing hearts", "drawn hearts"),
    "fireworks": ("Fireworks", "drawn fireworks"),
    "heartsurround": ("Surrounding hearts", "drawn hearts"),
    "risingheartbubble": ("Heart bubbles", "drawn hearts"),
    "colorfulripples": ("Colourful ripples", "drawn coloured rings"),
    "heartbubbleshinee": ("Twinkling hearts", "drawn hearts"),
}


def not_drawn(sub_type: str) -> str:
    """Why VFX `sub_type` is not drawn, for the Ignored note."""
    known = NOT_DRAWN.get(sub_type.lower())
    return f"artwork the engine lacks: {known[1]}" if known else "not an effect the IMS pages list"


def vfx_filters(sub_type: str, window: Window) -> tuple[tuple[Step, ...], str] | None:
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


def _names(steps: Iterable[Step]) -> Iterator[str]:
    for step in steps:
        if isinstance(step, Filter):
            yield step.name.split("@")[0]  # drawbox@vfx0_...: an instance name for sendcmd
        else:
            yield from _names((*step.main, *step.copy, *(s for more in step.more for s in more), step.join))


def _filters_of(steps: Iterable[Step]) -> str:
    """The filters `steps` use, each once, in order (a branch's copy and join included)."""
    return ", ".join(f"`{name}`" for name in dict.fromkeys(_names(steps)))


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
        "Every SubType of the IMS/VOD effects pages, in the pages' order and groups (basics,",
        "atmosphere, dynamic, light, retro, dreamy, nature, split screen, colour, deform). A clip's",
        "VFX runs over TimelineIn..TimelineOut of the clip (the whole clip without them), an",
        "EffectTracks item's over that part of the output (to its end without TimelineOut or",
        "Duration); `mosaic_rect` takes X/Y/Width/Height (fractions or pixels, as every box). The",
        "names after Atmosphere are translated from the console's Chinese names. Each drawn effect",
        "is listed under `Approximated` with what it draws; the others under `Ignored`.",
        "",
        "| SubType | IMS name | drawn as | ffmpeg filters | exact |",
        "|---|---|---|---|---|",
    ]
    sample = Window(0.0, 1.0, 1080, 1920, "30", (0, 0, 540, 960))
    lines += [
        f"| `{name}` | {vfx.title} | {vfx.drawn_as} | {_filters_of(vfx.draw(sample))} | approximate |"
        for name, vfx in CATALOGUE.items()
    ]
    lines += [f"| `{name}` | {title} | not drawn: {why} | | no |" for name, (title, why) in NOT_DRAWN.items()]
    lines += ["", *_TRANSITIONS[:-1]]
    return "\n".join(lines) + "\n"
