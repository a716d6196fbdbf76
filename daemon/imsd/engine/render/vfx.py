"""IMS visual effects (`Type: VFX`) as filter data, over a time window.

The IMS effects page (alibabacloud.com/help/en/ims/developer-reference/example-of-common-effects;
VOD's special effect examples page, alibabacloud.com/help/en/vod/developer-reference/special-effect-examples,
lists the same SubTypes and the groups after Atmosphere: dynamic, light, retro, dreamy, nature,
split screen, colour, deform) names each effect and shows an animated preview; it states no
parameters. So every rendering here is inferred from the name and the preview, and each is
reported as approximated, saying what it does. The English names after Atmosphere are our
translations of the console's Chinese names (the stored copy of the page could not be read past
Atmosphere); the SubTypes are the page's. Every SubType is drawn. Effects built from the picture itself:
split screens (tiled copies), retro (grey, noise, scanlines, night-vision green), deforms (v360,
pixelize), colour (hue, eq, colour fields), motion (zoom, shake, rotate, trails), insets (a TV
set's body, or a blurred copy for image_in_image, which names no second picture, round the
picture shrunk). Artwork is drawn procedurally, the closest the engine comes to the previews'
pictures: particles (stars, snow, rain, bubbles, hearts, meteor streaks), fireworks (particles
flying out along rays from a burst's centre), suns (a disk in a glow), moons (a disk and a
shadow disk), light rays (by angle), rings coloured by hue (rainbow, ripples), and projections
(the picture dimmed under such a light pattern). Each note says what differs.

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
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from fractions import Fraction

from imsd.engine.render.effects import filter_table
from imsd.engine.render.geometry import Axis
from imsd.engine.render.graph import Branch, Filter, Step, Value, f, format_value
from imsd.engine.render.transitions import transition_table

__all__ = [
    "CATALOGUE",
    "Region",
    "Vfx",
    "Window",
    "effects_table",
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


#: Particle shapes: geq conditions on a point {a} across and {b} down from a particle's centre,
#: for a particle of radius {r} (no division, so a particle shrunk to 0 is simply not drawn).
_DISK = "lt(hypot({a},{b}),{r})"
#: The heart curve (x^2+y^2-1)^3 <= x^2 y^3 with x = a/r, y = -b/r (y up), times r^6.
_HEART = "lte(pow({a}*{a}+{b}*{b}-{r}*{r},3)+{a}*{a}*pow({b},3)*{r},0)"


def _shaped(shape: str) -> str:
    """`shape` at the point held in geq's variables 3 and 4 (across, down), of the radius held
    in 5: expressions store what they use more than once (st/ld), as geq does not."""
    return shape.format(a="ld(3)", b="ld(4)", r="ld(5)")


@dataclass(frozen=True)
class Particles:
    """Points over the picture, drawn on a layer (`_layer`): the frame is a grid of `cells`
    cells a column, one cell in `per` (picked by a sine hash, so no diagonals show) holds a
    particle at its centre, of `size` of a cell (its height `tall` times its width) and of
    `shape` (a disk or a heart), whose size pulses at `twinkle` rad/s (0: steady) and which
    moves down `fall` cells a second (up when negative), bounces up to `bounce` cells (each
    column in its own phase) and, with `slant`, moves that much across a row down (its
    columns are sheared, so streaks fall slantwise). `cb`/`cr` (expressions of the cell, `{cx}`
    and `{cy}`) colour it; `where` (a geq condition of X, Y, W, H) keeps it to part of the
    picture. Cells are counted in each plane's own size, so the planes agree. Only a cell that
    holds a particle works out its shape (geq's `if` evaluates one branch), and what is used
    more than once is stored (st/ld), which keeps a heart about as cheap as a dot. The layer
    gives a cell 20 pixels, at most 360 high: coarse cells (hearts) need fewer."""

    cb: str = "128"
    cr: str = "128"
    per: int = 7
    size: float = 0.3
    twinkle: float = 6.0
    fall: float = 0.0
    tall: float = 1.0
    shape: str = _DISK
    cells: int = 40
    bounce: float = 0.0
    slant: float = 0.0
    where: str = "1"

    def __call__(self, window: Window) -> tuple[Step, ...]:
        cell = f"(H/{self.cells})"
        across = f"(X+{format_value(self.slant)}*Y)" if self.slant else "X"
        hop = f"+{format_value(self.bounce)}*abs(sin(4*T+ld(0)))*{cell}" if self.bounce else ""
        row = f"Y-({format_value(self.fall)})*T*{cell}{hop}"
        pulse = f"(0.5+0.5*sin({format_value(self.twinkle)}*T+ld(0)*1.7+ld(2)))" if self.twinkle else "1"
        held = f"lt(mod(abs(sin(ld(0)*12.9898+ld(2)*78.233))*43758.5453,1),1/{self.per})"
        if self.where != "1":
            held += f"*{self.where}"
        place = (
            f"st(3,{across}-(ld(0)+0.5)*{cell});st(4,(ld(1)-(ld(2)+0.5)*{cell})/{format_value(self.tall)});"
            f"st(5,{cell}*{format_value(self.size)}*{pulse})"
        )
        # 0: the cell's column; 1: the row moved; 2: the cell's row; 3, 4, 5: its particle
        cells = f"st(0,floor({across}/{cell}));st(1,{row});st(2,floor(ld(1)/{cell}));"
        blue, red = (cells + c.format(cx="ld(0)", cy="ld(2)") if "{" in c else c for c in (self.cb, self.cr))
        dots = f"{cells}255*if({held},{place};{_shaped(self.shape)},0)"
        return _layer(window, "235", blue, red, dots, high=min(360, 20 * self.cells))


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
# procedural artwork (particles, bursts, glows, rays, rings; see "Artwork" below).

_GREY = f("hue", s=0)
_SEPIA = f("colorchannelmixer", rr=0.393, rg=0.769, rb=0.189, gr=0.349, gg=0.686, gb=0.168, br=0.272, bg=0.534,
           bb=0.131)  # fmt: skip
# Horizontal lines every 3 rows; the grid's one column line is put off the picture.
_SCANLINES = f("drawgrid", x=-5, y=0, w="iw+10", h=3, t=1, c="black@0.45")


def _cell(length: float) -> int:
    """The even number of pixels >= `length` (cells of a tiling cover the picture)."""
    return 2 * math.ceil(length / 2)


def _over(window: Window, copy: Iterable[Step], x: str | int = 0, y: str | int = 0,
          main: Iterable[Step] = (), still: bool = False) -> Branch:  # fmt: skip
    """A copy of the picture, drawn by `copy`, laid over it at x, y in the window. The copy is
    trimmed to the window, so it costs nothing outside it: overlay passes the picture through
    before the copy's first frame and, by eof_action=pass, after its last. A `still` copy (one
    whose drawing does not change in time) is drawn once, on the window's first frame, and
    overlay repeats it through the window."""
    trim = f("trim", start=window.start, end=window.end)
    first = (f("trim", end_frame=1),) if still else ()
    over = f("overlay", x=x, y=y, eof_action="repeat" if still else "pass")
    return Branch((trim, *first, *copy), window.only([over])[0], tuple(main))


#: What makes a geq expression differ from frame to frame: the time, the frame's number, random
#: numbers, or a read of the picture it is drawn over.
_CHANGING = re.compile(r"\b(T|N|random\w*)\b|\b(p|lum|cb|cr|alpha|r|g|b)\(")


def _layer(window: Window, lum: str, cb: str, cr: str, alpha: str, high: int = 360) -> tuple[Step, ...]:
    """A drawn layer (geq expressions of X, Y, W, H and T for each plane, alpha giving its
    shape) laid over the picture in the window. It is drawn about `high` pixels high at most
    and scaled up: geq evaluates an expression per pixel, so on a 1080x1920 frame it runs on a
    25th of the pixels (at 360), and its edges come out soft rather than stepped. A layer whose
    expressions read neither the time, the frame's number, random numbers nor the picture is
    drawn once (`_over`'s still)."""
    k = max(1, round(window.h / high))
    drawn = (
        f("scale", _cell(window.w / k), _cell(window.h / k)),
        f("format", "yuva420p"),
        f("geq", lum=lum, cb=cb, cr=cr, a=alpha),
        f("scale", window.w, window.h),
    )
    still = not any(_CHANGING.search(e) for e in (lum, cb, cr, alpha))
    return (_over(window, drawn, still=still),)


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


# Artwork: shapes drawn procedurally on a small layer (`_layer`), in geq expressions of a point's
# place relative to a centre given in fractions of the picture: {dx} across and {dy} down, in
# picture heights (so circles stay round), {d} its distance and {ang} its angle (atan2), held in
# geq's variables (st/ld) as it would otherwise work each out again at every use. Shapes,
# colours and motions are inferred from the effects' names and the pages' previews.


def _yuv(rgb: int) -> tuple[int, int, int]:
    """Y, Cb, Cr (BT.601, limited range, as the pictures are) of a 0xRRGGBB colour."""
    r, g, b = ((rgb >> shift & 255) / 255 for shift in (16, 8, 0))
    return (
        round(16 + 65.481 * r + 128.553 * g + 24.966 * b),
        round(128 - 37.797 * r - 74.203 * g + 112.0 * b),
        round(128 + 112.0 * r - 93.786 * g - 18.214 * b),
    )


def _hue(turn: str) -> tuple[str, str]:
    """Cb, Cr of a saturated colour `turn` of the way round the chroma circle (expression): red
    is near 0.3, yellow 0.47, green 0.64, cyan 0.8, blue 0.97, magenta 0.14."""
    return f"128+110*cos(2*PI*({turn}))", f"128+110*sin(2*PI*({turn}))"


def _radial(window: Window, x: float, y: float, lum: str, cb: str, cr: str, alpha: str) -> tuple[Step, ...]:
    """A `_layer` whose expressions are written about the centre (x, y) (fractions of the
    picture's width and height): `{dx}`, `{dy}`, `{d}` and `{ang}` stand for the point's place.
    Its shapes are large and soft (glows, rings, rays, a moon), so it is drawn 240 pixels high,
    half the pixels of 360, where the cost is the expressions' (bench/vfx.py)."""
    at = {"dx": "ld(0)", "dy": "ld(1)", "d": "ld(2)", "ang": "atan2(ld(1),ld(0))", "p": window.progress("T")}
    place = f"st(0,(X-{format_value(x)}*W)/H);st(1,(Y-{format_value(y)}*H)/H);st(2,hypot(ld(0),ld(1)));"
    lum, cb, cr, alpha = ((place if "{" in e else "") + e.format(**at) for e in (lum, cb, cr, alpha))
    return _layer(window, lum, cb, cr, alpha, high=240)


def _glow(x: float, y: float, core: float, reach: float, strength: float, rgb: int, rings: float = 0) -> Draw:
    """A sun: a solid disk of radius `core` (picture heights) at (x, y) in a glow fading to
    nothing at `reach`, `strength` opaque at the disk; coloured `rgb`, or with `rings`, by hue
    rings (that many across the reach) moving outwards."""
    lum, cb, cr = (str(v) for v in _yuv(rgb))
    if rings:
        cb, cr = _hue(f"{format_value(rings / reach)}*{{d}}-0.5*T")
    fade = f"pow(clip(1-{{d}}/{format_value(reach)},0,1),2)"
    glow = f"255*min(1,lte({{d}},{format_value(core)})+{format_value(strength)}*{fade})"
    return lambda w: _radial(w, x, y, lum, cb, cr, glow)


def _moon(x: float, y: float, r: float, offset: Callable[[str], str], shadow: int | None) -> Draw:
    """A pale disk of radius r (picture heights) at (x, y) with a faint halo, and a shadow disk
    of its size whose centre is `offset(p)` radii to its right (p the window's progress): the
    shadowed part is left out (a crescent) when `shadow` is None, else drawn in that colour."""

    def draw(window: Window) -> tuple[Step, ...]:
        off = offset(window.progress("T"))
        shade = f"lt(hypot({{dx}}-({off})*{format_value(r)},{{dy}}),{format_value(r)})"
        disk = f"lte({{d}},{format_value(r)})"
        halo = f"90*gt({{d}},{format_value(r)})*clip(2-{{d}}/{format_value(r)},0,1)"
        lit = _yuv(0xF4F1DE)
        if shadow is None:
            return _radial(window, x, y, str(lit[0]), str(lit[1]), str(lit[2]), f"255*{disk}*not({shade})+{halo}")
        dark = _yuv(shadow)
        lum, cb, cr = (f"if({shade},{d},{v})" for d, v in zip(dark, lit, strict=True))
        return _radial(window, x, y, lum, cb, cr, f"255*{disk}+{halo}")

    return draw


def _rays(x: float, y: float, count: int, sharp: int, reach: float, strength: float, spin: float,
          rgb: int | None = None, clear: float = 0) -> Draw:  # fmt: skip
    """Light rays from (x, y): `count` round the full turn, each cos^`sharp` of the angle wide,
    fading out at `reach` (picture heights), turning `spin` rad/s; coloured `rgb`, or by the
    angle's hue; with `clear`, kept out of a disk of that radius (speed lines)."""
    lum, cb, cr = ("235", *_hue("{ang}/(2*PI)")) if rgb is None else (str(v) for v in _yuv(rgb))
    beam = f"pow(0.5+0.5*cos({count}*{{ang}}+{format_value(spin)}*T),{sharp})"
    fade = f"clip(1-{{d}}/{format_value(reach)},0,1)" + (f"*clip({{d}}/{format_value(clear)}-1,0,1)" if clear else "")
    return lambda w: _radial(w, x, y, lum, cb, cr, f"255*{format_value(strength)}*{beam}*{fade}")


def _rings(x: float, y: float, band: str, turn: str, strength: float) -> Draw:
    """Coloured rings about (x, y): `band` (a geq condition of {d}, T) is where they are,
    `turn` (an expression of {d}, T) their hue (`_hue`)."""
    cb, cr = _hue(turn)
    return lambda w: _radial(w, x, y, "160", cb, cr, f"255*{format_value(strength)}*{band}")


@dataclass(frozen=True)
class Burst:
    """Fireworks: a burst at each of `centres` (fractions of the picture) every `period` s, the
    bursts a `period` apart in turn: `rays` particles of `shape` fly out from its centre to
    `reach` (picture heights), shrinking from `size` and fading as they go. cb/cr colour them
    (expressions of X, Y, W, H, T). Each point tests every burst, so the layer is drawn 200
    pixels high (a 1080x1920 frame's 92nd): three bursts at 360 cost three times a star field."""

    centres: tuple[tuple[float, float], ...]
    cb: str
    cr: str
    rays: int = 12
    reach: float = 0.35
    size: float = 0.035
    period: float = 1.2
    shape: str = _DISK

    def __call__(self, window: Window) -> tuple[Step, ...]:
        sparks = []
        step = f"(2*PI/{self.rays})"
        for i, (x, y) in enumerate(self.centres):
            q = f"mod(T/{format_value(self.period)}+{format_value(i / len(self.centres))},1)"
            # 0, 1: the point about the centre; 2: the burst's progress; 7: how far its sparks
            # have flown; 5: their radius; 6: the angle of the ray nearest the point, worked out
            # only near the ring the sparks are on (geq's `if` evaluates one branch).
            place = (
                f"st(0,(X-{format_value(x)}*W)/H);st(1,(Y-{format_value(y)}*H)/H);st(2,{q});"
                f"st(7,ld(2)*{format_value(self.reach)});st(5,{format_value(self.size)}*(1.2-ld(2)))"
            )
            spark = (
                f"st(6,round(atan2(ld(1),ld(0))/{step})*{step});st(3,ld(0)-ld(7)*cos(ld(6)));"
                f"st(4,ld(1)-ld(7)*sin(ld(6)));{_shaped(self.shape)}*(1-ld(2))"
            )
            sparks.append(f"({place};if(lt(abs(hypot(ld(0),ld(1))-ld(7)),2*ld(5)),{spark},0))")
        return _layer(window, "235", self.cb, self.cr, f"255*min(1,{'+'.join(sparks)})", high=200)


def _dimmed(amount: float, *light: Draw) -> Draw:
    """The picture dimmed by `amount` (eq brightness) under `light`: a projector's light falls
    on a darkened scene, a night sky's rainbow on a dark picture."""
    return lambda w: (*_on(w, f("eq", brightness=-amount)), *(s for draw in light for s in draw(w)))


def _panes(p: float, w: int, h: int) -> list[Box]:
    """Two panes of a window, each 0.3 of the picture wide, crossing it from the left once."""
    pane, gap = 0.3 * w, 0.06 * w
    left = p * (w + 2 * pane + gap) - 2 * pane - gap
    spans = [(max(0.0, x), min(float(w), x + pane)) for x in (left, left + pane + gap)]
    return [(a, 0.15 * h, b - a, 0.6 * h) for a, b in spans]


def _inset(scale: float, rim: str, *backdrop: Filter) -> Draw:
    """The picture shrunk to `scale` in the middle, in a rim of colour `rim`, over the picture
    drawn by `backdrop` (a TV set's body, a blurred copy)."""

    def draw(window: Window) -> tuple[Step, ...]:
        w, h = _cell(window.w * scale), _cell(window.h * scale)
        x, y = (window.w - w) // 4 * 2, (window.h - h) // 4 * 2
        b = max(2, round(window.h / 60))
        around = f("drawbox", x=x - b, y=y - b, w=w + 2 * b, h=h + 2 * b, color=rim, t="fill")
        return (_over(window, (f("scale", w, h),), x, y, main=_on(window, *backdrop, around)),)

    return draw


def _chroma(rgb: int) -> tuple[str, str]:
    """Cb, Cr of a 0xRRGGBB colour, as a layer's constant expressions."""
    return str(_yuv(rgb)[1]), str(_yuv(rgb)[2])


_PINK, _GOLD = _chroma(0xFF5C8A), _chroma(0xFFD36B)
_HEARTS = Particles(*_PINK, per=4, size=0.35, twinkle=0, shape=_HEART, cells=12)
_HUES = _hue("X/W+Y/H")
_NEAR_EDGE = "gt(max(abs(2*X/W-1),abs(2*Y/H-1)),0.65)"
_FIREWORKS = ((0.25, 0.3), (0.72, 0.22), (0.5, 0.6))


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
    "image_in_image": Vfx("Image in image", _inset(0.7, "white", f("gblur", sigma=20)),
                          "the picture shrunk to 70% in a white rim over a blurred copy of itself (the effect "
                          "names no second picture)"),
    # Atmosphere's artwork
    "colorfulradial": Vfx("Rainbow speed line", _rays(0.5, 0.5, 28, 24, 2, 0.9, 8, None, 0.3),
                          "thin rays coloured by their angle round a clear middle, turning fast"),
    "heartfireworks": Vfx("Heart-shaped fireworks", Burst(_FIREWORKS, *_PINK, size=0.045, shape=_HEART),
                          "bursts of pink hearts flying out from three places in turn (no rockets or trails)"),
    "meteorshower": Vfx("Meteor shower", Particles(per=6, size=0.08, twinkle=0, fall=20, tall=6, slant=0.6),
                        "thin white streaks falling slantwise fast (no glowing heads)"),
    "moons_and_stars": Vfx("Stars and moon", lambda w: (*_moon(0.78, 0.18, 0.1, lambda p: "0.55", None)(w),
                                                       *_stars("128", "128", 9)(w)),
                           "a pale crescent moon high on the right among twinkling dots"),
    "starexplosion": Vfx("Star bomb", Burst(((0.5, 0.45),), "128", "128", rays=16, reach=0.45, period=1.0),
                         "a burst of white sparks flying out from the middle every second"),
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
    "moon_projection": Vfx("Moon projection", _dimmed(0.2, _glow(0.5, 0.35, 0.18, 0.55, 0.5, 0xDDE6FF)),
                           "the picture dimmed under a pale round moon of light with a soft glow"),
    "star_projection": Vfx("Star projection", _dimmed(0.2, Particles(*_GOLD, per=4, size=0.3, twinkle=3, fall=0.3)),
                           "the picture dimmed under warm twinkling points of light drifting down"),
    "heart_projection": Vfx("Heart projection", _dimmed(0.2, replace(_HEARTS, fall=0.3, twinkle=2)),
                            "the picture dimmed under pink hearts of light drifting down"),
    "sunset_projection": Vfx("Sunset projection", _dimmed(0.1, _glow(0.5, 0.95, 0.12, 1.1, 0.75, 0xFF7A3C)),
                             "the picture dimmed under an orange sun's glow rising from the bottom"),
    "carwindow_projection": Vfx("Car window projection", _dimmed(0.2, _boxes(_panes, color="0xFFE6B0@0.4")),
                                "the picture dimmed, two warm window panes of light passing across once "
                                "(hard-edged, no perspective)"),
    "anglelight": Vfx("Angel light", _rays(0.5, -0.15, 24, 6, 1.4, 0.6, 0.3, 0xFFF2D0),
                      "warm soft light rays fanning down from above the top, slowly turning"),
    "darknight_rainbow": Vfx("Night rainbow", _dimmed(0.2, _rings(0.5, 0.9, "gte({d},0.45)*lte({d},0.6)",
                                                                  "0.3+0.65*(0.6-{d})/0.15", 0.55)),
                             "a translucent rainbow arc (red outside, violet inside) over the darkened picture"),
    "moon": Vfx("Lunar eclipse", _moon(0.5, 0.3, 0.16, lambda p: f"4*{p}-2", 0x7A2A1C),
                "a pale moon crossed by a dark red shadow over the window"),
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
    "tvshow": Vfx("TV show", _inset(0.78, "0x0A0A0A", f("drawbox", x=0, y=0, w="iw", h="ih", color="0x4A3B2E",
                                                      t="fill")),
                  "the picture shrunk to 78% in a black rim on a brown TV set's body (no knobs, flat glass)"),
    # Dreamy
    "starfieldshinee": Vfx("Twinkling stars", Particles("128", "128", 5, 0.3, 10), "white " + _PARTICLES),
    "starfieldshinee2": Vfx("Wildly twinkling stars", Particles("128", "128", 3, 0.3, 25), "dense fast " + _PARTICLES),
    "starsparkle": Vfx("Star sparks", Particles("128+90*sin({cx})", "128+90*cos({cy})", 5, 0.3, 15),
                       "coloured " + _PARTICLES),
    "colorfulsun": Vfx("Colourful sun", _glow(0.2, 0.15, 0.07, 0.8, 0.7, 0xFFFFFF, rings=3),
                       "a white sun high on the left in a glow of rainbow rings moving outwards"),
    "bigsun": Vfx("Big sun", _glow(0.82, 0.12, 0.1, 0.9, 0.85, 0xFFE08A),
                  "a large warm sun high on the right, its glow fading across the picture (no lens flare)"),
    "fallingheart": Vfx("Heart rain", replace(_HEARTS, fall=1.5), "pink hearts falling"),
    "colorfulfireworks": Vfx("Colourful fireworks", Burst(_FIREWORKS, *_HUES),
                             "bursts of sparks flying out from three places in turn, coloured by a hue field "
                             "(no rockets or trails)"),
    "heartshot": Vfx("Bouncing hearts", replace(_HEARTS, bounce=1.5), "pink hearts bouncing in place"),
    "fireworks": Vfx("Fireworks", Burst(_FIREWORKS, *_GOLD),
                     "bursts of gold sparks flying out from three places in turn (no rockets or trails)"),
    "heartsurround": Vfx("Surrounding hearts", replace(_HEARTS, per=2, twinkle=4, where=_NEAR_EDGE),
                         "pink hearts pulsing in a border round the picture, its middle clear"),
    "risingheartbubble": Vfx("Heart bubbles", replace(_HEARTS, fall=-1.5, size=0.3),
                             "pink hearts rising (no bubbles round them)"),
    "colorfulripples": Vfx("Colourful ripples", _rings(0.5, 0.5, "lt(mod({d}-0.15*T,0.12),0.035)*clip(1.2-{d},0,1)",
                                                       "floor(({d}-0.15*T)/0.12)/5", 0.6),
                           "thin rings of changing colours spreading from the middle"),
    "heartbubbleshinee": Vfx("Twinkling hearts", replace(_HEARTS, twinkle=6), "pink hearts pulsing in place"),
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
    "against its formula in numpy by tests/engine/test_transitions.py). A drawing that departs from its",
    "GLSL, reads a picture IMS does not name, or has no GLSL of its own is listed under `Approximated`,",
    "saying why. `random` and comma lists pick one name per transition.",
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
        "drawing is inferred and reported under `Approximated`; a name the pages do not list is reported",
        "under `Ignored`.",
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
        "is listed under `Approximated` with what it draws; a SubType not listed here under `Ignored`.",
        "",
        "| SubType | IMS name | drawn as | ffmpeg filters | exact |",
        "|---|---|---|---|---|",
    ]
    sample = Window(0.0, 1.0, 1080, 1920, "30", (0, 0, 540, 960))
    lines += [
        f"| `{name}` | {vfx.title} | {vfx.drawn_as} | {_filters_of(vfx.draw(sample))} | approximate |"
        for name, vfx in CATALOGUE.items()
    ]
    lines += ["", *_TRANSITIONS[:-1]]
    return "\n".join(lines) + "\n"
