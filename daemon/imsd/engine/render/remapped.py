"""Transitions drawn from 16-bit fields by native filters: those that read a picture elsewhere,
through per-frame maps (remap) built of still fields drawn once, then mix it with the other (a
`Ripple`, WaterDrop.glsl; a `Zoom`, SimpleZoom.glsl and ripple.glsl; a `Sway`, Dreamy.glsl; a
`Warp`, directionalwarp.glsl and crosswarp.glsl; a `Drop`, DoomScreenTransition.glsl; a
`Bounce`, Bounce.glsl; a `Turn`, rotate_scale_fade.glsl, Swirl.glsl and DreamyZoom.glsl; a
`Doorway`, a `Cards` (GridFlip.glsl), a `Blur` (LinearBlur.glsl), a `Morph`, a `Fold`
(kaleidoscope.glsl), a `Parametric` (CrazyParametricFun.glsl), a `Perspective` (swap.glsl,
cube.glsl), `Hexagons` (hexagonalize.glsl), `Tiles` (Mosaic.glsl)...), and a `Sweep` (BowTie*.glsl)
whose soft edge is finer than an 8-bit field's step. Every plane is drawn on its own, by fields of
its own size (4:2:0 chroma: half-size ones). Transitions whose GLSL treats red, green and blue
apart (`Channels`, `Rows`, `Burnout`, `Squeeze`, `Lens`, `Morph`, `Displace`) are drawn on RGB
planes, converted once each way.

Maps that are functions of the column alone and the frame (or of the row) are one geq row (or
column) a frame, spread (`_across`, `_columns`); of the column, a band of rows and the frame, one
geq row a band, spread by remap (`_banded`); a function of a still quantity (the distance to the
centre) and the progress is looked up each frame by remap in a table of both drawn once
(`_tables`). A map affine in the row with coefficients of the column (a picture in perspective,
each column's rows stretched by its own amount) is a `_map` whose g is a geq row spread down. A
map that is, pixel by pixel, one of a few such functions (the nearer hexagonal lattice's centre, a
mosaic tile's turn) is picked by `threshold` (in < threshold ? min : max) of a still or per-frame
16-bit field against another.

WaterDrop reads `from` at uv + dir * g, dir = uv - (.5, .5), g = sin(dist * amplitude - progress *
speed) inside the circle dist <= progress, else 0; in pixels of a plane of w x h, column
X + DX * g and row Y + DY * g, DX = X + .5 - w / 2, DY = Y + .5 - h / 2. An xfade expression
evaluates that at every pixel of every frame (737 ms a frame at 1080x1920). Here:

- g is a sum of still fields weighted per frame: sin(a - b) = cos b * sin a - sin b * cos a with
  a = amplitude * dist (still) and b = speed * progress (one number a frame). A product of a still
  field and a frame's number is a maskedmerge of two still fields (`-f` and `+f`) by a uniform
  mask frame holding the number (a geq of two rows, spread down); the two products are averaged
  by another maskedmerge, and `threshold` (dist against the progress, both 16-bit) keeps g to the
  circle;
- the map X + DX * g is a maskedmerge of two still ramps by g, and one 16-bit lut takes it to
  whole pixels, clamped to the plane as xfade's a0() is (truncating, as a0() does);
- every plane is remapped by the maps of its own size (the chroma planes of 4:2:0 by half-size
  ones), and mixed with `to` by xfade's fade, plane by plane.

Numbers are 16-bit: g has 32766 steps, a map 1/F of a pixel (F = 4 at 1920 rows), so a column
read may differ from the exact formula's by one where the exact one falls within 1/F of a
pixel's edge. Per frame, each plane size takes five maskedmerges, a threshold and two luts over
16-bit fields: about what a dissolve costs.

A zoom reads `from` at .5 + (uv - .5) * (1 - z): column X - z * DX, the same map with a uniform
frame holding -z in place of g; it is mixed with `to` by a weight of the progress, a uniform mask
(maskedmerge) plane by plane. A sway (Dreamy.glsl) moves rows only, by a * q * cos(f * (q + uv.x))
= a * (q cos fq * cos f uv.x - q sin fq * sin f uv.x): still fields of the column weighted per
frame as the ripple's are, `from` with q = progress and `to` with q = 1 - progress. A warp
(directionalwarp.glsl, crosswarp.glsl) zooms each pixel by m, a soft step of a still field (its
place along the direction) less the progress: that difference is one 16-bit blend (subtract) a
frame, m and 1 - m two 16-bit luts of it, and the zoom's maps follow. A drop's and a bounce's
maps and masks are functions of the column (drop) or the row (bounce) and the progress: drawn each
frame on one row or column (a few hundred geq values) and spread.

A 16-bit blend addition is the cheapest full-plane step; a 16-bit maskedmerge and a blend
multiply cost several of them, and which of the two is dearer has differed between measurements
(ad hoc: 4 and 1.5 ms against an addition's 0.37 at 540x960; in chains of six at 1080x1920,
5.0 and 7.4 ms against 1.35): bench/transitions.py decides, per transition. Where many
products a frame are needed (kaleidoscope's turns after the first, morph's and displacement's
reaches), a product of a field and a number is a blend multiply (truncating) by a uniform frame, a
sign is taken out (blend difference with a uniform 0 or 65535 turns x into 1 - x), and sums are
blend additions and subtractions, which stop at 65535 and 0: a map that saturates there is off the
plane, and clamped as a read is. A signed field times a still and added to a place
(CrazyParametricFun's pushes) is one multiply128 and one grainmerge, blends of values about K that
saturate the same way. Still fields are drawn once a window, but a geq over every pixel of
1080x1920 is over a second of CPU: over a 1 s window that is tens of ms a frame, so a still is
drawn once and derived by luts, or drawn on a quarter and unfolded (`_mirrored`, `_unfolded`: a
field that changes sign across the middle takes a lut on that side), or on one row or column and
spread (`_row`, `_column`).

The 16-bit pictures keep their format pinned around each lut (left to negotiate, ffmpeg cut one
to the 8 bits of a later filter before the lut read it). A 16-bit lut's values stop at `_TOP`,
255 << 8 (ffmpeg clips a gray16 lut as it clips an 8-bit one, scaled): a lut's result meant as a
whole (1, or "off the plane") is `_TOP`, and read as a fraction of it. An 8-bit mask is
257 round(255 w) in 16 bits (255 w = 1: `_TOP`), which swscale without dithering shifts to 8 bits
exactly (its default dither took `_TOP` to 254).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from typing import Any

from imsd.engine.render.clock import Clock
from imsd.engine.render.graph import Filter, FilterGraph, f
from imsd.engine.render.transitions import (
    TEXTURES,
    Blur,
    Bounce,
    Burnout,
    Cards,
    Channels,
    Circles,
    Displace,
    DisplacementMap,
    Doorway,
    Drawn,
    Drop,
    Fold,
    Heart,
    Hexagons,
    Lens,
    Luma,
    Morph,
    Parametric,
    Perspective,
    Pixels,
    Ripple,
    Rows,
    Squeeze,
    Sway,
    Sweep,
    Tiles,
    Turn,
    Warp,
    Zoom,
)

__all__ = ["drawn_window"]

_K = 32768  # 16-bit fields hold signed values around K
_G = 16383  # sin a and cos a are K +- G * ...: the difference of two fields stays under 2^15
_SQ = 131070  # the squared distance to the centre (at most 1/2) in 16 bits
_TOP = 65280  # the largest value a 16-bit lut gives
_CORNER = 0.5**0.5  # the distance from the centre to a corner, in uv
_DIST = "hypot((X+0.5)/W-0.5,(Y+0.5)/H-0.5)"  # a pixel's distance to the centre, in uv (geq)
_PUSH_GAIN = 32767  # CrazyParametricFun's sine: K +- this, as much of 16 bits as a signed value has
_BLACK = {"y": 16, "u": 128, "v": 128, "a": 255}  # each plane's black (opaque)


def drawn_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, drawn: Drawn, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """The window of `frames` frames where `a` turns into `b` by `drawn`, on a canvas of `size`."""
    if isinstance(drawn, Circles | Heart):  # drawn by their formula alone: nothing to pass on
        plain = circles_window if isinstance(drawn, Circles) else heart_window
        return plain(graph, clock, a, b, frames, size, alpha)
    return _WINDOWS[type(drawn)](graph, clock, a, b, drawn, frames, size, alpha)


def ripple_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, ripple: Ripple, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """The window of `frames` frames where `a` turns into `b` by `ripple`, on a w x h canvas."""
    w, h = size
    amplitude, speed = ripple.amplitude, ripple.speed
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    luma = _maps(graph, clock, amplitude, speed, frames, w, h, 2 if alpha else 1)
    chroma = _maps(graph, clock, amplitude, speed, frames, (w + 1) // 2, (h + 1) // 2, 2)
    seconds = clock.seconds(frames)
    mixed = []
    for name, pa, pb in zip(names, planes_a, planes_b, strict=True):
        xmap, ymap = (chroma if name in "uv" else luma).pop()
        moved = _read(graph, clock, pa, xmap, ymap, "rippled")
        mixed.append(graph.one([moved, pb], [f("xfade", transition="fade", duration=seconds, offset=0)], "xf"))
    return _merged(graph, mixed, alpha)


def zoom_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, zoom: Zoom, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """The window of `frames` frames where `a`, pushed from the centre by `zoom`'s g, turns into
    `b`: a g of the progress alone is a uniform frame each frame; one of the distance as well is
    looked up in a table of both (`_tables`)."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    progress = f"(T*({clock.fps})/{frames})"
    weight = f"255*({zoom.mix.replace('{p}', progress)})"
    pushed = f"round({_K}+{_G / 2}*({zoom.g}))"
    # The maps and the mask of each plane size, as many copies as planes of that size.
    drawn: dict[str, list[tuple[str, str, str]]] = {}
    for kind, (pw, ph), uses in _sizes(w, h, alpha):
        if "{d}" in zoom.g:
            (g,) = _tables(graph, clock, frames, pw, ph, _distance(graph, clock, frames, pw, ph), _CORNER, [pushed])
        else:
            g = _uniform(graph, clock, frames, pw, ph, pushed.replace("{p}", progress))
        xg, yg = graph.chain([g], [f("split", 2)], 2, "g")
        xmaps = _map(graph, clock, frames, xg, pw, ph, "X", "W", uses)
        ymaps = _map(graph, clock, frames, yg, pw, ph, "Y", "H", uses)
        mask = _uniform(graph, clock, frames, pw, ph, weight, "gray")
        masks = graph.chain([mask], [f("split", uses)], uses, "mask") if uses > 1 else [mask]
        drawn[kind] = list(zip(xmaps, ymaps, masks, strict=True))
    return _merged(graph, _moved_mix(graph, clock, names, planes_a, planes_b, drawn, "zoomed"), alpha)


def circles_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """ZoomInCircles.glsl over the window of `frames` frames: rings round the centre (|r|, r = 2 (uv
    - .5) * (1, H / W), against thresholds that grow with the progress) read both pictures zoomed
    by their own amount each frame and mix them by their own weight. Each frame, `threshold` of a
    still 16-bit |r| against the frame's radii marks the rings; the rings' maps (a zoom's) and
    weights (uniform) are laid ring over ring into one map pair and one weight, so each picture
    is remapped once and the two mixed once."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    p = f"(T*({clock.fps})/{frames})"
    pro = f"({p}/0.8)"
    z = f"if(gt({pro},1),0.2+({pro}-1)*5,{pro}*0.2)"
    t = f"if(gt({pro},1),clip(({p}-0.8)/0.07,0,1),0)"
    scale = 65535 / 4  # |r| in 16 bits, up to 4 (beyond, every ring holds the whole picture)
    radii = [f"(0.5+{z})", f"(0.8+{z}*1.5)", f"(1.2+{z}*2.5)"]
    zooms = [0.15, 0.2, 0.25]  # rings 2-4: zoom(uv, 1 - c * pro)
    weights = [t, f"{t}*0.5", f"{t}*0.2", t]
    drawn: dict[str, list[tuple[str, ...]]] = {}
    for kind, (pw, ph), uses in _sizes(w, h, alpha):
        r = _mirrored(graph, clock, pw, ph, f"round(clip(2*hypot((X+0.5)/W-0.5,(0.5-(Y+0.5)/H)*H/W)*{scale},0,65535))")
        rs = _copies(graph, _still(graph, clock, frames, r), 3)
        full = _copies(graph, _still(graph, clock, frames, _row(graph, clock, pw, ph, "65535")), 3)
        zero = _copies(graph, _still(graph, clock, frames, _row(graph, clock, pw, ph, "0")), 3)
        inside = []  # per ring 1-3: [|r| < radius], 16-bit for the maps (twice) and 8-bit for the weight
        for i, radius in enumerate(radii):
            reach = _uniform(graph, clock, frames, pw, ph, f"{radius}*{scale}")
            disk = graph.one([rs[i], reach, full[i], zero[i]], [f("threshold"), f("format", "gray16le")], "ring")
            x16, y16, w8 = _copies(graph, disk, 3)
            inside.append((x16, y16, graph.one([w8], [f("format", "gray")], "ring")))
        # Each ring's maps: ring 1 reads in place, rings 2-4 zoom.
        xs = [_still(graph, clock, frames, _row(graph, clock, pw, ph, "X"))]
        ys = [_still(graph, clock, frames, _column(graph, clock, pw, ph, "Y"))]
        for c in zooms:
            g = _uniform(graph, clock, frames, pw, ph, f"{_K}-{_G / 2}*{c}*{pro}")
            xg, yg = graph.chain([g], [f("split", 2)], 2, "g")
            xs += _map(graph, clock, frames, xg, pw, ph, "X", "W", 1)
            ys += _map(graph, clock, frames, yg, pw, ph, "Y", "H", 1)
        mixes = [_uniform(graph, clock, frames, pw, ph, f"255*{wt}", "gray") for wt in weights]
        xmap, ymap, weight = xs[3], ys[3], mixes[3]
        for k in (2, 1, 0):  # each ring laid over the ones outside it
            x16, y16, w8 = inside[k]
            xmap = graph.one([xmap, xs[k], x16], [f("maskedmerge")], "map")
            ymap = graph.one([ymap, ys[k], y16], [f("maskedmerge")], "map")
            weight = graph.one([weight, mixes[k], w8], [f("maskedmerge")], "mask")
        xcopies, ycopies = _copies(graph, xmap, 2 * uses), _copies(graph, ymap, 2 * uses)
        weights_ = _copies(graph, weight, uses)
        drawn[kind] = [(xcopies[2 * j], ycopies[2 * j], xcopies[2 * j + 1], ycopies[2 * j + 1], weights_[j])
                       for j in range(uses)]  # fmt: skip
    return _merged(graph, _remapped_mix(graph, clock, frames, names, planes_a, planes_b, drawn, "zoomed"), alpha)


def turn_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, turn: Turn, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """A turn over the window of `frames` frames: both pictures read at centre + R(angle) (uv -
    centre) / scale, mixed by the progress; where that falls off the picture the back colour, or
    the edge (no back colour). The source column is X0 + w/2 (u X' + v Y') and row Y0 + h/2 (u Y' -
    v X'), X', Y' the offsets from the centre in half-widths (still fields), u = cos(angle) / scale
    and v = sin(angle) / scale: each frame's numbers (rotate_scale_fade.glsl), or, where the angle
    varies with the distance to the centre (Swirl.glsl), fields looked up in a table of distance
    and progress (`_tables`); products as the ripple's. With a back colour, a map off the picture
    is `_TOP`, and those of both axes mark where the back colour shows."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    p = f"(T*({clock.fps})/{frames})"
    u, v = (f"({fn}({turn.angle})/({turn.scale}))" for fn in ("cos", "sin"))
    # v across and down: a turn in pixels (aspect) reads v Y' in half-heights across, v X' in
    # half-widths down.
    v_x, v_y = (f"{v}*{h / w}", f"{v}*{w / h}") if turn.aspect else (v, v)
    outside = turn.back is not None
    drawn: dict[str, list[tuple[str, str, str, str, str, str | None]]] = {}
    for kind, (pw, ph), uses in _sizes(w, h, alpha):
        across = {sign: _row(graph, clock, pw, ph, f"round({_K}{sign}{_G}*(X+0.5-W/2)/(W/2))") for sign in "+-"}
        down = {sign: _column(graph, clock, pw, ph, f"round({_K}{sign}{_G}*(Y+0.5-H/2)/(H/2))") for sign in "+-"}
        fields = {(axis, sign): _copies(graph, _still(graph, clock, frames, field), 2)
                  for axis, by_sign in (("x", across), ("y", down)) for sign, field in by_sign.items()}  # fmt: skip
        halves = _copies(graph, _still(graph, clock, frames, _row(graph, clock, pw, ph, str(_K))), 2)
        if "{d}" in turn.angle:
            wanted = [u, u, v_x, v_y]  # one table for each expression, copied for each use
            distinct = list(dict.fromkeys(wanted))
            dist = _distance(graph, clock, frames, pw, ph)
            found = _tables(graph, clock, frames, pw, ph, dist, _CORNER, [f"{_K}*(1+{e})" for e in distinct])
            looked = {e: _copies(graph, t, wanted.count(e)) for e, t in zip(distinct, found, strict=True)}
            factors = [(looked[u].pop(), looked[v_x].pop()), (looked[u].pop(), looked[v_y].pop())]
        else:
            factors = [_factors(graph, clock, frames, pw, ph, u.replace("{p}", p), vv.replace("{p}", p))
                       for vv in (v_x, v_y)]  # fmt: skip
        # K + G/2 (u X' + v Y') and K + G/2 (u Y' - v X')
        gx = _weighted(graph, (fields["x", "+"][0], fields["x", "-"][0]), (fields["y", "-"][0], fields["y", "+"][0]),
                       halves[0], *factors[0])  # fmt: skip
        gy = _weighted(graph, (fields["y", "+"][1], fields["y", "-"][1]), (fields["x", "+"][1], fields["x", "-"][1]),
                       halves[1], *factors[1])  # fmt: skip
        n = 2 * uses + outside
        xs = _map(graph, clock, frames, gx, pw, ph, "X", "W", n, d="(W/2)", base="(W/2-0.5)", outside=outside)
        ys = _map(graph, clock, frames, gy, pw, ph, "Y", "H", n, d="(H/2)", base="(H/2-0.5)", outside=outside)
        masks: list[str | None] = [None] * uses
        if outside:
            off = [graph.one([m], _lut16(f"{_TOP}*gte(val,{_TOP})"), "off") for m in (xs[-1], ys[-1])]
            either = graph.one(off, [f("blend", all_mode="lighten")], "off")
            masks = list(_copies(graph, _mask(graph, either, f"val/{_TOP}"), uses))
        mixes = _copies(graph, _uniform(graph, clock, frames, pw, ph, f"255*({turn.mix.replace('{p}', p)})", "gray"),
                        uses)  # fmt: skip
        drawn[kind] = [(xs[2 * j], ys[2 * j], xs[2 * j + 1], ys[2 * j + 1], mixes[j], masks[j]) for j in range(uses)]
    out = []
    for name, pa, pb in zip(names, planes_a, planes_b, strict=True):
        pw, ph = ((w + 1) // 2, (h + 1) // 2) if name in "uv" else (w, h)
        xa, ya, xb, yb, mix, mask = drawn["chroma" if name in "uv" else "luma"].pop()
        moved_a = _read(graph, clock, pa, xa, ya, "turned")
        moved_b = _read(graph, clock, pb, xb, yb, "turned")
        mixed = graph.one([moved_a, moved_b, mix], [f("maskedmerge"), clock.settb()], "xf")
        if mask is None or turn.back is None:
            out.append(mixed)
            continue
        back = {"y": round(16 + 219 * turn.back), "u": 128, "v": 128, "a": 255}
        plain = _plain(graph, clock, frames, pw, ph, back[name])
        out.append(graph.one([mixed, plain, mask], [f("maskedmerge"), clock.settb()], "xf"))
    if turn.brighter is None:
        return _merged(graph, out, alpha)
    rgb = graph.one([_merged(graph, out, alpha)], [f("format", "gbrap" if alpha else "gbrp")], "rgb")
    brighter = _added(graph, clock, frames, size, alpha, rgb, (turn.brighter,) * 3)
    return graph.one([brighter], [f("format", "yuva420p" if alpha else "yuv420p")], "xf")


def heart_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """heart.glsl over the window of `frames` frames: `to` inside a heart round (.5, .4) of size
    progress, o = (uv - c) / (1.6 progress) inside where (|o|^2 - .3)^3 <= o.x^2 o.y^3. The heart
    is star-shaped round c (along a ray from c, (rho^2 - .3)^3 / rho^5 rises with rho), so a pixel
    is inside once |uv - c| / 1.6 <= progress * rho(angle), rho the heart's radius in o on the
    pixel's ray: still fields |uv - c| / 1.6 and rho(angle) (a 16-bit lut of the angle, each entry
    found by bisection), each frame a maskedmerge product of rho and the progress and `threshold`
    of the distance against it."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    p = f"(T*({clock.fps})/{frames})"
    # rho(angle): the root of (rho^2 - .3)^3 = k rho^5, k = cos^2 sin^3 of the angle, within 0-1
    rho = (
        "st(0,val/65535*2*PI-PI);st(1,pow(cos(ld(0)),2)*pow(sin(ld(0)),3));st(2,0);st(3,1);st(4,0);"
        "while(lt(ld(4),18),st(5,(ld(2)+ld(3))/2);"
        "if(lte(pow(ld(5)*ld(5)-0.3,3),ld(1)*pow(ld(5),5)),st(2,ld(5)),st(3,ld(5)));st(4,ld(4)+1));"
        "round(65535*(ld(2)+ld(3))/2)"
    )
    masks: dict[str, list[str]] = {}
    for kind, (pw, ph), uses in _sizes(w, h, alpha):
        dx, dy = "((X+0.5)/W-0.5)", "(1-(Y+0.5)/H-0.4)"
        angle = _drawn(graph, clock, pw, ph, f"round(65535*(atan2({dy},{dx})+PI)/(2*PI))")
        radius = _still(graph, clock, frames, graph.one([angle], _lut16(rho), "heart"))
        dist = _drawn(graph, clock, pw, ph, f"round(clip(65535*hypot({dx},{dy})/1.6,0,65535))")
        zeros = _copies(graph, _still(graph, clock, frames, _row(graph, clock, pw, ph, "0")), 2)
        progress = _uniform(graph, clock, frames, pw, ph, f"65535*{p}")
        grown = graph.one([zeros[0], radius, progress], [f("maskedmerge")], "heart")  # rho * progress
        full = _still(graph, clock, frames, _row(graph, clock, pw, ph, "65535"))
        inside = graph.one([_still(graph, clock, frames, dist), grown, full, zeros[1]], [
            f("threshold"), f("format", "gray16le"), f("format", "gray"),
        ], "heart")  # fmt: skip
        masks[kind] = _copies(graph, inside, uses)
    out = []
    for name, pa, pb in zip(names, planes_a, planes_b, strict=True):
        mask = masks["chroma" if name in "uv" else "luma"].pop()
        out.append(graph.one([pa, pb, mask], [f("maskedmerge"), clock.settb()], "xf"))
    return _merged(graph, out, alpha)


def pixelize_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, pixels: Pixels, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """pixelize.glsl over the window of `frames` frames: both pictures read at the centre of the
    square of side dist / (squares / 2) holding the point (dist = min(progress, 1 - progress) in
    `steps` steps), mixed by the progress. A column's source column is a function of the column
    and the frame alone, a row's of the row: each frame one geq row and one geq column, spread."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    p = f"(T*({clock.fps})/{frames})"
    dist = f"(ceil(min({p},1-{p})*{pixels.steps})/{pixels.steps})"
    side = f"(2*{dist}/{pixels.squares})"
    # The square's centre in uv, then the pixel there as a0() reads it (uv * n - .5, truncated).
    centre = "((floor({u}/{side})+0.5)*{side})"
    column = f"if(gt({dist},0),{centre.format(u='((X+0.5)/W)', side=side)},(X+0.5)/W)"
    row = f"if(gt({dist},0),{centre.format(u='(1-(Y+0.5)/H)', side=side)},1-(Y+0.5)/H)"
    drawn: dict[str, list[tuple[str, ...]]] = {}
    for kind, (pw, ph), uses in _sizes(w, h, alpha):
        ymaps = _columns(graph, clock, frames, pw, ph, 2 * uses, _read_row(row), "gray16le", ph - 1)
        xmaps = _across(graph, clock, frames, pw, ph, 2 * uses, _read_column(column), "gray16le", pw - 1)
        drawn[kind] = [(xmaps[2 * j], ymaps[2 * j], xmaps[2 * j + 1], ymaps[2 * j + 1]) for j in range(uses)]
    return _merged(graph, _remapped_mix(graph, clock, frames, names, planes_a, planes_b, drawn, "pixels"), alpha)


#: kaleidoscope's turned coordinates in 16 bits: x' (within -sqrt 2..sqrt 2) is _TOP / _FOLD_K *
#: (x' + _FOLD_LIFT).
_FOLD_K, _FOLD_LIFT = 3, 1.5


def fold_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, fold: Fold, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """kaleidoscope.glsl over the window of `frames` frames: both pictures read at p, uv turned and
    folded 7 times (`_folded`, drawn on the chroma planes' grid), faded by the progress, mixed with
    their fade at uv by 1 - 2 |progress - .5| (a uniform mask). p is continuous and, piece by
    piece, an isometry of uv (1-Lipschitz), so the luma planes' maps are the grid's scaled up
    (bilinear, centred as the grid is): exact within a piece, off near a fold's crease only (a
    numpy model at 1080x1920: by up to 1.4 pixels, 1-2% of the pixels read one over, a few two
    rows over; the folds on the luma planes' own grid would cost four times as much)."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    p = f"(T*({clock.fps})/{frames})"
    gw, gh = (w + 1) // 2, (h + 1) // 2
    folded = [_copies(graph, field, 2) for field in _folded(graph, clock, frames, gw, gh, fold, p)]
    drawn: dict[str, list[tuple[str, ...]]] = {}
    for kind, (pw, ph), uses in _sizes(w, h, alpha):
        x, y = (copies.pop() for copies in folded)
        if (pw, ph) != (gw, gh):
            x, y = (graph.one([field], [f("scale", pw, ph, flags="bilinear"), f("format", "gray16le")], "fold")
                    for field in (x, y))  # fmt: skip
        xmap = graph.one([x], _lut16(f"clip(floor(val/{_TOP}*{pw}-0.5+1e-9),0,{pw - 1})"), "map")
        ymap = graph.one([y], _lut16(f"clip(floor((1-val/{_TOP})*{ph}-0.5+1e-9),0,{ph - 1})"), "map")
        xs, ys = _copies(graph, xmap, 2 * uses), _copies(graph, ymap, 2 * uses)
        drawn[kind] = [(xs[2 * j], ys[2 * j], xs[2 * j + 1], ys[2 * j + 1]) for j in range(uses)]
    copies_a, copies_b = ([_copies(graph, plane, 2) for plane in planes] for planes in (planes_a, planes_b))
    moved = _remapped_mix(graph, clock, frames, names, [c[0] for c in copies_a], [c[0] for c in copies_b], drawn,
                          "folded")  # fmt: skip
    seconds = clock.seconds(frames)
    weights = {kind: _copies(graph, _uniform(graph, clock, frames, pw, ph, f"255*(1-2*abs({p}-0.5))", "gray"), uses)
               for kind, (pw, ph), uses in _sizes(w, h, alpha)}  # fmt: skip
    out = []
    for name, pa, pb, folded_ in zip(names, copies_a, copies_b, moved, strict=True):
        faded = graph.one([pa[1], pb[1]], [f("xfade", transition="fade", duration=seconds, offset=0)], "xf")
        weight = weights["chroma" if name in "uv" else "luma"].pop()
        out.append(graph.one([faded, folded_, weight], [f("maskedmerge"), clock.settb()], "xf"))
    return _merged(graph, out, alpha)


def _folded(graph: FilterGraph, clock: Clock, frames: int, w: int, h: int, fold: Fold, p: str) -> tuple[str, str]:
    """kaleidoscope.glsl's p on a w x h grid each frame, as _TOP p.x and _TOP p.y (y up: a fold is
    a lut, whose values stop at _TOP). Each of the 7 rounds turns p by the frame's sin t and cos t,
    then folds it (a 16-bit lut). The fold is even, so p' may be turned through e = the sign of
    sin t. The first round's p is uv - .5, so its turn is a function of the column plus one of the
    row, each drawn each frame on one row or column and spread (`_across`, `_columns`), added.
    Later rounds' signs are taken out of the products, which are blends (multiply, 16 bits,
    truncating) of a field and a uniform frame of the number: e cos t y is |c| y, or |c| (1 - y) -
    |c| (blend difference with a uniform _TOP); and each sum's constants (those |c|, the offset
    keeping it positive) are one uniform frame added (blend addition)."""
    factor, unit = 65535 / _FOLD_K, _TOP / _FOLD_K  # a blend multiply by `factor` s: `unit` s a whole
    folding = _lut16(f"st(0,val/{unit}-{_FOLD_LIFT});round({_TOP}*abs(ld(0)-2*floor(ld(0)/2)-1))")

    def uniform(expr: str) -> str:
        return _uniform(graph, clock, frames, w, h, expr)

    def turn(i: int) -> tuple[str, str, str]:
        t = f"(pow({p},{fold.power})*{fold.speed}+{i}*{fold.angle})"
        return f"abs(sin({t}))", f"abs(cos({t}))", f"(if(gte(sin({t}),0),1,-1)*cos({t}))"

    def spread(across: str, down: str) -> str:
        # e x' and e y' + _FOLD_LIFT: |s| (u - .5) + e c (v - .5) and |s| (v - .5) - e c (u - .5)
        parts = [_across(graph, clock, frames, w, h, 1, f"{unit}*({across})", "gray16le", 65535)[0],
                 _columns(graph, clock, frames, w, h, 1, f"{unit}*({down})", "gray16le", 65535)[0]]  # fmt: skip
        return graph.one(parts, [f("blend", all_mode="addition")], "turn")

    s, c, ec = turn(0)
    u, v = "(X+0.5)/W", "(1-(Y+0.5)/H)"
    x = graph.one([spread(f"{s}*{u}", f"{_FOLD_LIFT}-{s}/2+{ec}*({v}-0.5)")], folding, "fold")
    y = graph.one([spread(f"{_FOLD_LIFT}-{s}/2-{ec}*({u}-0.5)", f"{s}*{v}")], folding, "fold")
    for i in range(1, 7):
        s, c, ec = turn(i)
        sines, cosines = _copies(graph, uniform(f"{factor}*{s}"), 2), _copies(graph, uniform(f"{factor}*{c}"), 2)
        # e x' = |s| x + e c y and e y' = |s| y - e c x, + 1 for the two products' truncation
        x_lift = uniform(f"{unit}*({_FOLD_LIFT}-{c}*lt({ec},0))+1")
        y_lift = uniform(f"{unit}*({_FOLD_LIFT}-{c}*gt({ec},0))+1")
        xs, ys = _copies(graph, x, 2), _copies(graph, y, 2)
        turned_x = _turned(graph, xs[0], ys[0], uniform(f"{_TOP}*lt({ec},0)"), sines[0], cosines[0], x_lift)
        turned_y = _turned(graph, ys[1], xs[1], uniform(f"{_TOP}*gt({ec},0)"), sines[1], cosines[1], y_lift)
        x, y = graph.one([turned_x], folding, "fold"), graph.one([turned_y], folding, "fold")
    return x, y


def _turned(graph: FilterGraph, own: str, other: str, flip: str, s: str, c: str, lift: str) -> str:
    """own s + (other, or _TOP - other where `flip` is _TOP) c + lift, in 16 bits: blends."""
    own_s = graph.one([own, s], [f("blend", all_mode="multiply")], "turn")
    flipped = graph.one([other, flip], [f("blend", all_mode="difference")], "turn")
    other_c = graph.one([flipped, c], [f("blend", all_mode="multiply")], "turn")
    both = graph.one([own_s, other_c], [f("blend", all_mode="addition")], "turn")
    return graph.one([both, lift], [f("blend", all_mode="addition")], "turn")


def parametric_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, fun: Parametric, frames: int, size: tuple[int, int],
    alpha: bool,
) -> str:  # fmt: skip
    """CrazyParametricFun.glsl over the window of `frames` frames: `from` read through the maps of
    `_pushed`, mixed with `to` by smoothstep(.2, 1, progress) (a uniform mask). Its sines, of the
    progress and the distance to the centre, are looked up in one table an axis for planes of
    both sizes."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    p = f"(T*({clock.fps})/{frames})"
    ratio = fun.a / fun.b - 1
    curve = {
        "X": f"({fun.a - fun.b}*cos({{p}})+{fun.b}*cos({{p}}*{ratio}))",
        "Y": f"({fun.a - fun.b}*sin({{p}})-{fun.b}*sin({{p}}*{ratio}))",
    }
    sizes = _sizes(w, h, alpha)
    # the sine is odd: sin(k |d|) toward D's side is sin(k d) of the distance signed by D's side
    sines = {axis: _copies(graph, _table(graph, clock, frames, 2 * _CORNER, (
        f"{_K}+{_PUSH_GAIN}*sin({{p}}*({{d}}-{_CORNER})*{fun.amplitude}*{curve[axis]})")), len(sizes))
        for axis in "XY"}  # fmt: skip
    weight = f"255*st(1,clip(({p}-0.2)/0.8,0,1))*ld(1)*(3-2*ld(1))"
    drawn: dict[str, list[tuple[str, str, str]]] = {}
    for kind, (pw, ph), uses in sizes:
        signed = _signed_distances(graph, clock, frames, pw, ph)
        looked = _looked_up(graph, clock, frames, pw, ph, [(sines[axis].pop(), signed[axis]) for axis in "XY"])
        xmaps, ymaps = (_pushed(graph, clock, frames, pw, ph, axis, sine, fun, uses)
                        for axis, sine in zip("XY", looked, strict=True))  # fmt: skip
        masks = _copies(graph, _uniform(graph, clock, frames, pw, ph, weight, "gray"), uses)
        drawn[kind] = list(zip(xmaps, ymaps, masks, strict=True))
    return _merged(graph, _moved_mix(graph, clock, names, planes_a, planes_b, drawn, "pushed"), alpha)


def _signed_distances(graph: FilterGraph, clock: Clock, frames: int, w: int, h: int) -> dict[str, str]:
    """Each pixel's distance to the centre (in uv) signed by its side of the middle column ("X")
    and of the middle row ("Y"), less left of and above it (and on an odd side's middle column
    or row, where the push it signs is 0), as stills of `_table` columns of
    -`_CORNER`..`_CORNER`: the top left quarter drawn once, unfolded twice (`_unfolded`)."""
    top = _TABLE - 1
    quarter = _quarter(graph, clock, w, h, f"st(9,0.5-{_DIST}/{2 * _CORNER});round(clip(ld(9),0,1)*{top})")
    by_x, by_y = _copies(graph, quarter, 2)
    return {
        "X": _still(graph, clock, frames, _unfolded(graph, by_x, w, h, right=f"{top}-val")),
        "Y": _still(graph, clock, frames, _unfolded(graph, by_y, w, h, below=f"{top}-val")),
    }


def _pushed(
    graph: FilterGraph, clock: Clock, frames: int, w: int, h: int, axis: str, sine: str, fun: Parametric, uses: int
) -> list[str]:
    """`uses` copies of CrazyParametricFun.glsl's map along `axis` (X or Y) for planes of w x h:
    axis + D g, D the distance to the centre along it in pixels and g = sin(progress dist
    amplitude curve) / smoothness (up to 10: |D g| reaches 5 planes), clamped to the plane.

    Made in F steps a pixel, from the still F (axis + 1), by two blends that take signed values
    around K and saturate: the `sine` toward larger `axis` (each frame's K + `_PUSH_GAIN` S, S the
    sine of the distance signed by D's side) times a still B = F |D| 8192 / (`_PUSH_GAIN`
    smoothness) by multiply128 (K + (sine - K) B / 8192, clipped to 16 bits, rounded down) is the
    shift K + F D g, and grainmerge adds it to the place (place + shift - K, clipped). F <= 32767 /
    (n + 2) makes a saturated shift move a read off the plane from anywhere, so a shift past 16
    bits reads the edge as the exact one does.

    The table's step of distance (1/11585) moves the sine's argument by up to .012 (late in the
    window, where progress amplitude curve nears 290): far from the centre, where D is large, a
    read moves by up to .06 of the picture. At 160 x 128 a pixel or two in a few of a thousand;
    at 1080 x 1920 (a numpy model of the steps) a fifth to a third of the pixels read elsewhere
    than the exact formula's place, a tenth to a fifth more than 2 pixels away: the same noise
    of reads, not the same pixels."""
    n = w if axis == "X" else h
    steps = 32767 // (n + 2)  # F
    gain = 8192 * steps / (_PUSH_GAIN * fun.smoothness)  # B = gain |D|, at most gain n / 2
    if gain * n / 2 > 65535:
        raise ValueError(f"CrazyParametricFun smoothness {fun.smoothness} pushes further than 16 bits hold")
    d = f"({axis}+0.5-{'W' if axis == 'X' else 'H'}/2)"
    drawn = _row if axis == "X" else _column
    span = _still(graph, clock, frames, drawn(graph, clock, w, h, f"round({gain}*abs({d}))"))
    shift = graph.one([sine, span], [f("blend", all_mode="multiply128")], "push")
    place = _place(graph, clock, frames, w, h, axis, steps)
    moved = graph.one([place, shift], [f("blend", all_mode="grainmerge")], "push")
    return _copies(graph, _whole(graph, moved, steps, n), uses)


def _place(graph: FilterGraph, clock: Clock, frames: int, w: int, h: int, axis: str, steps: int) -> str:
    """The still F (axis + 1) over a plane of w x h: each pixel's place along `axis` (X or Y) in F
    = `steps` steps a pixel, with room for a pixel off either edge, to be moved by 16-bit blends."""
    drawn = _row if axis == "X" else _column
    return _still(graph, clock, frames, drawn(graph, clock, w, h, f"{steps}*({axis}+1)"))


def _whole(graph: FilterGraph, place: str, steps: int, n: int, margin: float = 1) -> str:
    """A (moved) `_place` as the whole pixel it falls in, clamped to the plane's n pixels as a read
    is: floor(place / F - 1), so a move of m pixels reads floor(axis + m), as a0() does (a place
    drawn with room for `margin` pixels off either edge, F (axis + margin): floor(place / F -
    margin))."""
    return graph.one([place], _lut16(f"clip(floor(val/{steps}-{margin}),0,{n - 1})"), "map")


def luma_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, luma: Luma, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """luma.glsl over the window: each plane is `b`'s where the luma map (scaled to the plane) is
    below the progress, else `a`'s, by threshold (map < level ? b : a) against a uniform level
    ceil(255 progress): an 8-bit level v is below the progress exactly when v < ceil(255 progress)."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    level = f"ceil(255*T*({clock.fps})/{frames}-1e-9)"
    drawn = {
        kind: list(zip(
            _copies(graph, _still(graph, clock, frames, _texture(graph, clock, pw, ph, luma.texture)), uses),
            _copies(graph, _uniform(graph, clock, frames, pw, ph, level, "gray"), uses), strict=True,
        ))
        for kind, (pw, ph), uses in _sizes(w, h, alpha)
    }  # fmt: skip
    out = []
    for name, pa, pb in zip(names, planes_a, planes_b, strict=True):
        field, below = drawn["chroma" if name in "uv" else "luma"].pop()
        out.append(graph.one([field, below, pb, pa], [f("threshold"), clock.settb()], "xf"))
    return _merged(graph, out, alpha)


def displacement_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, shift: DisplacementMap, frames: int, size: tuple[int, int],
    alpha: bool,
) -> str:  # fmt: skip
    """displacement.glsl over the window: `a` read progress d to the right of each pixel, `b`
    (1 - progress) d to the left, d the map's level times the strength (in pixels of the plane),
    then faded by the progress.

    Column maps in F steps a pixel: from the still `_place`, add (saturating) the still reach F d
    times the progress, or take away (saturating at 0) F d times 1 - progress (blend multiplies by
    uniform frames), then `_whole`. F is also kept low enough that F d stays under 2^15: a 16-bit
    blend multiply computes the product of its two values in a C int."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    p = f"(T*({clock.fps})/{frames})"
    drawn: dict[str, list[tuple[str, ...]]] = {}
    for kind, (pw, ph), uses in _sizes(w, h, alpha):
        steps = min(65535 // (pw + 2), int(32767 // (shift.strength * pw)))
        texture = graph.one([_texture(graph, clock, pw, ph, shift.texture)], [f("format", "gray16le")], "texture")
        reach = graph.one([texture], _lut16(f"round(val/65535*{shift.strength * pw * steps})"), "shift")
        places = _copies(graph, _place(graph, clock, frames, pw, ph, "X", steps), 2)
        reaches = _copies(graph, _still(graph, clock, frames, reach), 2)
        moved = []
        for place, reach_copy, part, blend in zip(places, reaches, (p, f"(1-{p})"), ("addition", "subtract"),
                                                  strict=True):  # fmt: skip
            by = graph.one([reach_copy, _uniform(graph, clock, frames, pw, ph, f"65535*{part}")],
                           [f("blend", all_mode="multiply")], "shift")  # fmt: skip
            column = graph.one([place, by], [f("blend", all_mode=blend)], "shift")
            moved.append(_copies(graph, _whole(graph, column, steps, pw), uses))
        rows = _copies(graph, _still(graph, clock, frames, _column(graph, clock, pw, ph, "Y")), 2 * uses)
        drawn[kind] = list(zip(moved[0], rows[:uses], moved[1], rows[uses:], strict=True))
    return _merged(graph, _remapped_mix(graph, clock, frames, names, planes_a, planes_b, drawn, "displaced"), alpha)


def _texture(graph: FilterGraph, clock: Clock, w: int, h: int, name: str) -> str:
    """The picture `name` in TEXTURES (a PNG) as one grey w x h frame on the window's frame rate
    (added to a frame of 0 at that rate: a picture read from a file has a rate of its own).

    It is stretched by swscale's bilinear scaling: where the plane is at least the picture's size
    each way, that is a GPU's bilinear read; a smaller plane (the chroma of outputs under 1024
    pixels, any plane under 512) averages the texels each of its pixels covers, as the chroma of a
    picture drawn whole and then subsampled to 4:2:0 does, where a GPU's own read would alias."""
    picture = graph.one([], [
        f("movie", filename=str(TEXTURES / name), format_name="png_pipe"), f("format", "gray"),
        f("scale", w, h, flags="bilinear"), f("format", "gray"),
    ], "texture")  # fmt: skip
    return graph.one([_flat(graph, clock, w, h, 0), picture], [f("blend", all_mode="addition")], "texture")


def _read(graph: FilterGraph, clock: Clock, plane: str, xmap: str, ymap: str, label: str) -> str:
    """A plane read through its maps (remap), on the window's timebase."""
    return graph.one([plane, xmap, ymap], [f("remap", format="gray"), clock.settb()], label)


def _moved_mix(
    graph: FilterGraph, clock: Clock, names: list[str], planes_a: list[str], planes_b: list[str],
    drawn: dict[str, list[tuple[str, str, str]]], label: str,
) -> list[str]:  # fmt: skip
    """Each plane of `a` alone read through its maps, (x, y, weight) popped from drawn["luma"] or
    drawn["chroma"] by the plane, and mixed with `b`'s as it is by the weight (maskedmerge)."""
    out = []
    for name, pa, pb in zip(names, planes_a, planes_b, strict=True):
        xmap, ymap, mask = drawn["chroma" if name in "uv" else "luma"].pop()
        moved = _read(graph, clock, pa, xmap, ymap, label)
        out.append(graph.one([moved, pb, mask], [f("maskedmerge"), clock.settb()], "xf"))
    return out


def _remapped_mix(
    graph: FilterGraph, clock: Clock, frames: int, names: list[str], planes_a: list[str], planes_b: list[str],
    drawn: dict[str, list[tuple[str, ...]]], label: str,
) -> list[str]:  # fmt: skip
    """Each plane of both pictures read through its maps, (x, y of `a`, x, y of `b`[, weight])
    popped from drawn["luma"] or drawn["chroma"] by the plane, then mixed: by the weight where the
    drawing gives one (maskedmerge), else faded by the progress over the window."""
    seconds = clock.seconds(frames)
    out = []
    for name, pa, pb in zip(names, planes_a, planes_b, strict=True):
        xa, ya, xb, yb, *weight = drawn["chroma" if name in "uv" else "luma"].pop()
        moved = [_read(graph, clock, pa, xa, ya, label), _read(graph, clock, pb, xb, yb, label)]
        mix = [f("maskedmerge"), clock.settb()] if weight else [
            f("xfade", transition="fade", duration=seconds, offset=0)
        ]  # fmt: skip
        out.append(graph.one([*moved, *weight], mix, "xf"))
    return out


def hexagons_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, hexagons: Hexagons, frames: int, size: tuple[int, int],
    alpha: bool,
) -> str:  # fmt: skip
    """hexagonalize.glsl over the window of `frames` frames: both pictures read at the centre of
    the hexagon holding the point, mixed by the progress. The GLSL's point, ((uv.x - .5) / size,
    (uv.y / ratio - .5) / size), is the pixel's place less (W / 2, W / 2), over size W: the same
    scale across and down, so its cube rounding picks the nearest point of a regular hexagonal
    lattice, the union of two rectangular ones, L1 = (sqrt 3 i, 3 j) and L2 = L1 + (sqrt 3 / 2,
    3 / 2). The nearest point of each is a column's and a row's (as pixelize's squares), and L1's
    is nearer where f(column) = dx1^2 - dx2^2 is below g(row) = dy2^2 - dy1^2: each frame one geq
    row of each lattice's map and of f, one geq column of the maps and of g, spread, and
    `threshold` (f < g) picks each map from L1's or L2's. f and g are 16-bit, in steps of 1/40000
    of a squared radius (the point's place within 1/2000 of a pixel at 1080 columns): only a
    pixel that close to a hexagon's edge may take the other hexagon."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    p = f"(T*({clock.fps})/{frames})"
    dist = f"(ceil(2*min({p},1-{p})*{hexagons.steps})/{hexagons.steps})"
    side = f"(sqrt(3)/3*{dist}/{hexagons.across})"  # the GLSL's size: a hexagon's radius in uv
    ratio, scale = w / h, 40000
    # Along each axis: the point (in radii), L1's and L2's nearest coordinate, and uv there.
    px = f"(((X+0.5)/W-0.5)/{side})"
    xs = [f"(sqrt(3)*floor({px}/sqrt(3)+0.5))", f"(sqrt(3)*(floor({px}/sqrt(3))+0.5))"]
    py = f"(((1-(Y+0.5)/H)/{ratio}-0.5)/{side})"
    ys = [f"(3*floor({py}/3+0.5))", f"(3*(floor({py}/3)+0.5))"]
    nearer = {  # K + scale (dx1^2 - dx2^2), K + scale (dy2^2 - dy1^2); none while dist is 0
        "f": f"if(gt({dist},0),{_K}+{scale}*(({px}-{xs[0]})^2-({px}-{xs[1]})^2),0)",
        "g": f"if(gt({dist},0),{_K}+{scale}*(({py}-{ys[1]})^2-({py}-{ys[0]})^2),0)",
    }
    drawn: dict[str, list[tuple[str, ...]]] = {}
    for kind, (pw, ph), uses in _sizes(w, h, alpha):
        fs = _across(graph, clock, frames, pw, ph, 2, nearer["f"], "gray16le", 65535)
        gs = _columns(graph, clock, frames, pw, ph, 2, nearer["g"], "gray16le", 65535)
        columns = [_across(graph, clock, frames, pw, ph, 1, _read_column(
            f"if(gt({dist},0),{x}*{side}+0.5,(X+0.5)/W)"), "gray16le", pw - 1)[0] for x in xs]  # fmt: skip
        rows = [_columns(graph, clock, frames, pw, ph, 1, _read_row(
            f"if(gt({dist},0),({y}*{side}+0.5)*{ratio},1-(Y+0.5)/H)"), "gray16le", ph - 1)[0] for y in ys]  # fmt: skip
        maps = [_copies(graph, graph.one([fk, gk, *pair], [f("threshold"), f("format", "gray16le")], "map"), 2 * uses)
                for fk, gk, pair in zip(fs, gs, (columns, rows), strict=True)]  # fmt: skip
        xmaps, ymaps = maps
        drawn[kind] = [(xmaps[2 * j], ymaps[2 * j], xmaps[2 * j + 1], ymaps[2 * j + 1]) for j in range(uses)]
    return _merged(graph, _remapped_mix(graph, clock, frames, names, planes_a, planes_b, drawn, "hexagons"), alpha)


def tiles_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, tiles: Tiles, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """Mosaic.glsl over the window of `frames` frames: rp = (uv - .5) az + offset, az and offset
    of the progress, is a column's across and a row's down, so each frame a pixel's tile
    (floor(rp)) and its place in the tile (m = fract(rp)) are one geq row's and one geq column's,
    spread. A tile's quarter turn k = int(4 Rand(tile)) (none on the end tile) reads the picture
    at m (k 0), (m.y, 1 - m.x) (1), 1 - m (2) or (1 - m.y, m.x) (3): each map is a column's or a
    row's function, one of four, picked per pixel by the tile's class (16-bit `threshold`s
    against uniform frames). The class, and whether the tile shows `to` (Rand > .5, or the end
    tile), are still 16-bit luts of the tile's index (the column's part plus the row's): both
    pictures are read through the maps and the mask picks one. Rand is evaluated in doubles."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    p = f"(T*({clock.fps})/{frames})"
    zoom = f"abs(3-2*(2*{p}-1)^2)"
    pan = f"(0.5-cos({p}*PI)/2)^2"  # POW2(CosInterpolation(progress))
    across = f"(((X+0.5)/W-0.5)*{zoom}+0.5+{tiles.endx}*{pan})"  # rp.x
    down = f"(((1-(Y+0.5)/H)-0.5)*{zoom}+0.5+{tiles.endy}*{pan})"  # rp.y
    mx, my = f"({across}-floor({across}))", f"({down}-floor({down}))"
    # The tile's index: column part floor(rp.x) + 2, row part 8 (floor(rp.y) + 4), each in 0-7.
    tx, ty = "(mod(val,8)-2)", "(floor(val/8)-4)"
    end = f"eq({tx},{tiles.endx})*eq({ty},{tiles.endy})"
    rand = f"mod(sin({tx}*12.9898+{ty}*78.233)*43758.5453,1)"
    # The class: 0, 1, 2, 3 for quarter turns 0, 2, 1, 3 (the even turns' maps are the column's).
    turn = f"st(0,if({end},0,floor({rand}*4)));if(eq(ld(0),1),2,if(eq(ld(0),2),1,ld(0)))"
    shown = f"gt({end}+gt({rand},0.5),0)"
    drawn: dict[str, list[tuple[str, ...]]] = {}
    for kind, (pw, ph), uses in _sizes(w, h, alpha):
        part = [_columns(graph, clock, frames, pw, ph, 1, e, "gray16le", top, across=by_column)[0]
                for e, top, by_column in ((f"clip(floor({across})+2,0,7)", 7, True),
                                          (f"8*clip(floor({down})+4,0,7)", 56, False))]  # fmt: skip
        for_class, for_mask = _copies(graph, graph.one(part, [f("blend", all_mode="addition")], "tile"), 2)
        classes = _copies(graph, graph.one([for_class], _lut16(turn), "tile"), 6)
        masks = _copies(graph, _mask(graph, for_mask, shown), uses)
        # Each class's maps, the column (x) and the row (y) read at its turned place: (expression,
        # a function of the column?) for classes 0-3.
        places = (
            [(_read_column(mx), True), (_read_column(f"1-{mx}"), True),
             (_read_column(my, str(pw)), False), (_read_column(f"1-{my}", str(pw)), False)],
            [(_read_row(my), False), (_read_row(f"1-{my}"), False),
             (_read_row(f"1-{mx}", str(ph)), True), (_read_row(mx, str(ph)), True)],
        )  # fmt: skip
        # Class < 1 (else 1), < 3 (else 2), then < 2: of the two; uniform frames, one for each map.
        low, high, even = (_copies(graph, _still(graph, clock, frames, _row(graph, clock, pw, ph, str(c))), 2)
                           for c in (1, 3, 2))  # fmt: skip
        maps = []
        for k, (axis, top) in enumerate(zip(places, (pw - 1, ph - 1), strict=True)):
            choices = [_columns(graph, clock, frames, pw, ph, 1, e, "gray16le", top, across=by_column)[0]
                       for e, by_column in axis]  # fmt: skip
            evens = graph.one([classes[3 * k], low[k], *choices[:2]], [f("threshold")], "map")
            odds = graph.one([classes[3 * k + 1], high[k], *choices[2:]], [f("threshold")], "map")
            picked = [f("threshold"), f("format", "gray16le")]
            maps.append(_copies(graph, graph.one([classes[3 * k + 2], even[k], evens, odds], picked, "map"), 2 * uses))
        xmaps, ymaps = maps
        drawn[kind] = [(xmaps[2 * j], ymaps[2 * j], xmaps[2 * j + 1], ymaps[2 * j + 1], masks[j]) for j in range(uses)]
    return _merged(graph, _remapped_mix(graph, clock, frames, names, planes_a, planes_b, drawn, "tiles"), alpha)


def lens_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, lens: Lens, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """The window of `frames` frames where each RGB channel of `a` and `b` is read at its own
    offset (flyeye.glsl, GlitchMemories.glsl), mixed by the progress: an x offset is a function
    of uv.x alone and a y offset of uv.y, so each map is one geq row of columns or one geq column
    of rows a frame, spread."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha, rgb=True)
    p = f"(T*({clock.fps})/{frames})"
    x, y = "((X+0.5)/W)", "(1-(Y+0.5)/H)"
    k = dict(zip("rgba", (*lens.k, lens.k[1]), strict=True))

    def place(offset: str, u: str, name: str) -> str:
        return offset.replace("{k}", str(k[name])).replace("{p}", p).replace("{x}", u).replace("{y}", u)

    # Each plane's maps (the column and row read), as geq expressions: a map several planes share
    # (flyeye's `to`) is drawn once.
    reads = [
        [(_read_column(f"{x}+{place(dx, x, name)}"), _read_row(f"{y}+{place(dy, y, name)}"))
         for dx, dy in ((lens.from_x, lens.from_y), (lens.to_x, lens.to_y))]
        for name in names
    ]  # fmt: skip
    uses = Counter(read for plane in reads for read in plane)
    drawn = {(column, row): list(zip(
        _across(graph, clock, frames, w, h, n, column, "gray16le", w - 1),
        _columns(graph, clock, frames, w, h, n, row, "gray16le", h - 1), strict=True,
    )) for (column, row), n in uses.items()}  # fmt: skip
    seconds = clock.seconds(frames)
    out = []
    for (read_a, read_b), pa, pb in zip(reads, planes_a, planes_b, strict=True):
        (xa, ya), (xb, yb) = drawn[read_a].pop(), drawn[read_b].pop()
        moved_a = _read(graph, clock, pa, xa, ya, "lens")
        moved_b = _read(graph, clock, pb, xb, yb, "lens")
        out.append(graph.one([moved_a, moved_b], [f("xfade", transition="fade", duration=seconds, offset=0)], "xf"))
    return _merged(graph, out, alpha, rgb=True)


def doorway_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, door: Doorway, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """doorway.glsl over the window of `frames` frames. `from`'s doors: where they show (slit > 0
    and the slid column on the picture; their rows always are) and their columns are functions of
    the column and the progress; their rows, d (Y + .5) + S - .5 with d and S functions of the
    column (in pixels of a plane of height H, S = H (1 - d) (1 - d / 2)), are made in 16 bits as
    a maskedmerge of B = S and B + (Y + .5) (one blend addition) by d. `to`'s zoom, its reflection
    and where each shows are functions of the column or of the row alone: geq rows and columns
    each frame, spread; a mask of both is one blend multiply."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    p = f"(T*({clock.fps})/{frames})"
    x, y = "((X+0.5)/W)", "(1-(Y+0.5)/H)"
    slit = f"(2*abs({x}-0.5)-{p})"
    slid = f"({x}+if(gt({x},0.5),-0.5,0.5)*{p})"
    d = f"(1/(1+{door.perspective}*{p}*(1-{slit})))"
    scale = f"({door.depth}+(1-{door.depth})*{p})"  # mix(1, depth, 1 - progress)
    to_x, to_y = f"(0.5+({x}-0.5)*{scale})", f"(0.5+({y}-0.5)*{scale})"
    mirrored = f"(-1.2*{to_y}-0.02)"

    def inside(u: str) -> str:
        return f"255*gt({u},0)*lt({u},1)"

    drawn: dict[str, list[tuple[str, ...]]] = {}
    for kind, (pw, ph), uses in _sizes(w, h, alpha):
        steps = 65535 // (2 * ph + 2)  # a row's steps: S + Y + 1/2 stays within 2 H + 1 rows
        shift, shifted = _across(graph, clock, frames, pw, ph, 2, f"{steps}*(1+{ph}*(1-{d})*(1-{d}/2)-0.5)",
                                 "gray16le", 65535)  # fmt: skip
        ramp = _still(graph, clock, frames, _column(graph, clock, pw, ph, f"{steps}*(Y+0.5)"))
        both = graph.one([shifted, ramp], [f("blend", all_mode="addition")], "door")
        squeeze = _across(graph, clock, frames, pw, ph, 1, f"65535*{d}", "gray16le", 65535)[0]
        rows = graph.one([shift, both, squeeze], [
            f("maskedmerge"), *_lut16(f"clip(floor(val/{steps}-1),0,{ph - 1})"),
        ], "door")  # fmt: skip
        columns = _across(graph, clock, frames, pw, ph, uses, _read_column(slid), "gray16le", pw - 1)
        doors = _across(graph, clock, frames, pw, ph, uses, f"{inside(slid)}*gt({slit},0)", "gray", 255)
        to_columns = _across(graph, clock, frames, pw, ph, 2 * uses, _read_column(to_x), "gray16le", pw - 1)
        to_rows = _columns(graph, clock, frames, pw, ph, uses, _read_row(to_y), "gray16le", ph - 1)
        mirror_rows = _columns(graph, clock, frames, pw, ph, uses, _read_row(mirrored), "gray16le", ph - 1)
        across = _across(graph, clock, frames, pw, ph, 2, inside(to_x), "gray", 255)
        down = _columns(graph, clock, frames, pw, ph, 1, inside(to_y), "gray", 255)[0]
        shine = f"{inside(mirrored)}*{door.reflection}*(1-{mirrored})"
        lit = _columns(graph, clock, frames, pw, ph, 1, shine, "gray", 255)[0]
        shown = _copies(graph, graph.one([across[0], down], [f("blend", all_mode="multiply")], "shown"), uses)
        mirror = _copies(graph, graph.one([across[1], lit], [f("blend", all_mode="multiply")], "shine"), uses)
        drawn[kind] = [(columns[j], rows_j, doors[j], to_columns[2 * j], to_rows[j], to_columns[2 * j + 1],
                        mirror_rows[j], shown[j], mirror[j])
                       for j, rows_j in enumerate(_copies(graph, rows, uses))]  # fmt: skip
    out = []
    for name, pa, pb in zip(names, planes_a, planes_b, strict=True):
        pw, ph = ((w + 1) // 2, (h + 1) // 2) if name in "uv" else (w, h)
        xa, ya, doors_, xb, yb, xm, ym, shown_, mirror_ = drawn["chroma" if name in "uv" else "luma"].pop()
        pb, pm = _copies(graph, pb, 2)
        dark = _plain(graph, clock, frames, pw, ph, _BLACK[name])
        reflected = _read(graph, clock, pm, xm, ym, "mirror")
        back = graph.one([dark, reflected, mirror_], [f("maskedmerge"), clock.settb()], "mirror")
        moved_b = _read(graph, clock, pb, xb, yb, "door")
        behind = graph.one([back, moved_b, shown_], [f("maskedmerge"), clock.settb()], "door")
        moved_a = _read(graph, clock, pa, xa, ya, "door")
        out.append(graph.one([behind, moved_a, doors_], [f("maskedmerge"), clock.settb()], "xf"))
    return _merged(graph, out, alpha)


def cards_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, cards: Cards, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """GridFlip.glsl over the window of `frames` frames: a card's pace (cp), the column it reads,
    whether a pixel is on the card and which picture it shows are functions of the column, the
    cell's row and the progress: each frame one geq of a row per cell row, spread to the cells'
    rows by remap (`_banded`). The dividers are a still mask, black or fading by the progress (a
    uniform weight)."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    n, pause = cards.cells, cards.pause
    p = f"(T*({clock.fps})/{frames})"
    x, cx = "((X+0.5)/W)", f"floor({n}*(X+0.5)/W)"
    cp = f"({cards.pace.replace('{cx}', cx).replace('{cy}', f'({n - 1}-Y)').replace('{p}', p)})"  # Y: from the top
    offset = f"(({cx}+0.5)/{n})"
    column = f"(({x}-{offset})/abs({cp}-0.5)*0.5+{offset})"
    on_card = f"255*lte(abs({n}*({x}-{cx}/{n})-0.5),abs({cp}-0.5))"
    fading = f"255*if(lt({p},{pause}),1-{p}/{pause},if(gte({p},1-{pause}),({p}-1+{pause})/{pause},0))"

    def divider(u: str) -> str:  # within dividerWidth of a cell's edge, u in cells
        return f"65535*lt(min({u}-floor({u}),floor({u})+1-{u}),{cards.divider})"

    drawn: dict[str, list[tuple[str, str, str, str, str, str]]] = {}
    for kind, (pw, ph), uses in _sizes(w, h, alpha):
        band = _column(graph, clock, pw, ph, f"{n - 1}-floor({n}*(1-(Y+0.5)/H))")
        bands = _copies(graph, _still(graph, clock, frames, band), 3)
        xmap = _banded(graph, clock, frames, pw, ph, n, bands[0], _read_column(column), "gray16le", pw - 1)
        which = _banded(graph, clock, frames, pw, ph, n, bands[1], f"255*gt({cp},0.5)", "gray", 255)
        shown = _banded(graph, clock, frames, pw, ph, n, bands[2], on_card, "gray", 255)
        near = [
            _still(graph, clock, frames, _row(graph, clock, pw, ph, divider(f"({n}*(X+0.5)/W)"))),
            _still(graph, clock, frames, _column(graph, clock, pw, ph, divider(f"({n}*(1-(Y+0.5)/H))"))),
        ]
        dividers = graph.one(near, [f("blend", all_mode="lighten"), *_lut16("val"), *_TO_8_BITS], "divider")
        faded = _uniform(graph, clock, frames, pw, ph, fading, "gray")
        weight = graph.one([shown, faded, dividers], [f("maskedmerge")], "card")
        ymap = _still(graph, clock, frames, _column(graph, clock, pw, ph, "Y"))
        xmaps, ymaps = _copies(graph, xmap, 2 * uses), _copies(graph, ymap, 2 * uses)
        whiches, weights = _copies(graph, which, uses), _copies(graph, weight, uses)
        drawn[kind] = [(xmaps[2 * j], ymaps[2 * j], xmaps[2 * j + 1], ymaps[2 * j + 1], whiches[j], weights[j])
                       for j in range(uses)]  # fmt: skip
    out = []
    for name, pa, pb in zip(names, planes_a, planes_b, strict=True):
        pw, ph = ((w + 1) // 2, (h + 1) // 2) if name in "uv" else (w, h)
        xa, ya, xb, yb, which_, weight_ = drawn["chroma" if name in "uv" else "luma"].pop()
        moved_a = _read(graph, clock, pa, xa, ya, "card")
        moved_b = _read(graph, clock, pb, xb, yb, "card")
        card_ = graph.one([moved_a, moved_b, which_], [f("maskedmerge"), clock.settb()], "card")
        dark = _plain(graph, clock, frames, pw, ph, _BLACK[name])
        out.append(graph.one([dark, card_, weight_], [f("maskedmerge"), clock.settb()], "xf"))
    return _merged(graph, out, alpha)


def perspective_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, view: Perspective, frames: int, size: tuple[int, int],
    alpha: bool,
) -> str:  # fmt: skip
    """swap.glsl and cube.glsl over the window of `frames` frames: each picture's column is a
    function of the column and the progress, and its row c + (Y + .5 - h / 2) s, c = h / 2 - 1/2
    and s (the stretch) a function of the column: a `_map` of the row, by a g of the column drawn
    each frame (one geq row, spread) across the 16 bits of the stretch's range. Its reflection's
    row, (1.6 + floating) h - 1/2 - 1.2 (Y + .5 - h / 2) s, is another map by the same g; where
    either falls off the plane it is past it, so a lut of each map tells where the picture holds
    the point and how much its reflection shows, times where its column holds it (a geq row).
    Where neither picture does, both reflections add over black: wf (f - k) + wt (t - k), drawn
    as two mixes, the first by wf / (1 - wt) (a lut2 of both weights); then `to` and `from` laid
    over it, each by where it shows (`to` first, `from` hidden under `to` while `front` is not)."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    p = f"(T*({clock.fps})/{frames})"
    low, high = view.stretch
    middle, half = (low + high) / 2, (high - low) / 2
    centre = "(Y+0.5-H/2)"

    def at(expr: str) -> str:
        return f"({expr.replace('{x}', '((X+0.5)/W)').replace('{p}', p)})"

    drawn: dict[str, list[list[tuple[str, str, str]]]] = {}
    for kind, (pw, ph), uses in _sizes(w, h, alpha):
        pictures = []  # (columns, rows, mirrored rows, where it shows, how much its reflection shows)
        for column, stretch in ((view.from_x, view.from_s), (view.to_x, view.to_s)):
            columns = _across(graph, clock, frames, pw, ph, 2 * uses, _read_column(at(column)), "gray16le", pw - 1)
            held = _across(graph, clock, frames, pw, ph, 2, f"255*gt({at(column)},0)*lt({at(column)},1)", "gray", 255)
            g = f"32768+32767*clip(({at(stretch)}-{middle})/{half},-1,1)"
            gs = _across(graph, clock, frames, pw, ph, 2, g, "gray16le", 65535)
            rows = _map(graph, clock, frames, gs[0], pw, ph, "Y", "H", uses + 1, d=f"({half}*{centre})",
                        base=f"(H/2-0.5+{middle}*{centre})", outside=True, unit=32767)  # fmt: skip
            mirrored = _map(graph, clock, frames, gs[1], pw, ph, "Y", "H", uses + 1, d=f"({-1.2 * half:g}*{centre})",
                            base=f"({1.6 + view.floating:g}*H-0.5-{1.2 * middle:g}*{centre})", outside=True,
                            unit=32767)  # fmt: skip
            shows = graph.one([held[0], _mask(graph, rows.pop(), f"lt(val,{ph})")], [
                f("blend", all_mode="multiply"),
            ], "shows")  # fmt: skip
            shine = _mask(graph, mirrored.pop(), f"lt(val,{ph})*{view.reflection}*(val+1)/{ph}")
            shine = graph.one([held[1], shine], [f("blend", all_mode="multiply")], "shine")
            pictures.append((columns, rows, mirrored, shows, shine))
        (from_columns, from_rows, from_mirrored, from_shows, from_shine) = pictures[0]
        (to_columns, to_rows, to_mirrored, to_shows, to_shine) = pictures[1]
        to_shows, to_over = _copies(graph, to_shows, 2)
        behind = _uniform(graph, clock, frames, pw, ph, f"255*(1-({view.front.replace('{p}', p)}))", "gray")
        hidden = graph.one([to_over, behind], [f("blend", all_mode="multiply")], "hidden")
        from_shows = graph.one([from_shows, hidden], [f("blend", all_mode="subtract")], "shows")
        to_shine, to_share = _copies(graph, to_shine, 2)
        from_shine = graph.one([from_shine, to_share], [
            f("lut2", c0="min(255,round(255*x/max(255-y,1)))"), f("format", "gray"),
        ], "shine")  # fmt: skip
        masks = [_copies(graph, m, uses) for m in (from_shine, to_shine, to_shows, from_shows)]
        # Each plane's four layers, bottom up: (x map, y map, weight) of from's and to's reflections,
        # to, from.
        drawn[kind] = [[(from_columns[2 * j], from_mirrored[j], masks[0][j]),
                        (to_columns[2 * j], to_mirrored[j], masks[1][j]),
                        (to_columns[2 * j + 1], to_rows[j], masks[2][j]),
                        (from_columns[2 * j + 1], from_rows[j], masks[3][j])] for j in range(uses)]  # fmt: skip
    out = []
    for name, pa, pb in zip(names, planes_a, planes_b, strict=True):
        pw, ph = ((w + 1) // 2, (h + 1) // 2) if name in "uv" else (w, h)
        mixed = _plain(graph, clock, frames, pw, ph, _BLACK[name])
        (a_mirrored, a_seen), (b_mirrored, b_seen) = _copies(graph, pa, 2), _copies(graph, pb, 2)
        layers = drawn["chroma" if name in "uv" else "luma"].pop()
        for picture, (xmap, ymap, weight) in zip((a_mirrored, b_mirrored, b_seen, a_seen), layers, strict=True):
            read = _read(graph, clock, picture, xmap, ymap, "view")
            mixed = graph.one([mixed, read, weight], [f("maskedmerge"), clock.settb()], "view")
        out.append(mixed)
    return _merged(graph, out, alpha)


def _banded(
    graph: FilterGraph, clock: Clock, frames: int, w: int, h: int, n: int, band: str, expr: str, pix_fmt: str,
    top: int,
) -> str:  # fmt: skip
    """A w x h picture each frame of the window that is a function of the column, the band of
    rows (`band`: a still 16-bit field of each row's band, 0 to n - 1 from the top) and the frame:
    the geq `expr` (Y the band) drawn on n rows of w, each row read out to its band by remap."""
    drawn = graph.one([], [
        f("color", "black", s=f"{w}x{n}", r=str(clock.fps), d=clock.seconds(frames)), f("format", pix_fmt),
        f("geq", lum=f"round(clip({expr},0,{top}))"), f("trim", end_frame=frames),
    ], "band")  # fmt: skip
    columns = _still(graph, clock, frames, _row(graph, clock, w, h, "X"))
    return graph.one([drawn, columns, band], [f("remap", format="gray"), f("format", pix_fmt)], "band")


def blur_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, blur: Blur, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """LinearBlur.glsl over the window of `frames` frames: its reads sit on a grid, so the mean of
    its passes^2 reads is a mean of `passes` columns of a mean of `passes` rows; a read at uv +
    disp * v is the pixel a whole number of pixels over (clamped at the edges), the same for the
    whole plane each frame: a crop, at an offset of the frame number, of a copy padded by its
    edge pixels (fillborders smear), the copies averaged by mix; then mixed by the progress."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    disp = f"({blur.intensity}*(0.5-abs(0.5-n/{frames})))"
    taps = [i / blur.passes - 0.5 for i in range(blur.passes)]
    seconds = clock.seconds(frames)

    def spread(plane: str, pw: int, ph: int, across: bool) -> str:
        """The mean of the plane read at each tap's shift, across (columns) or down (rows)."""
        n = pw if across else ph
        pad = int(blur.intensity * 0.5 * n) + 2  # the largest shift, and more
        edges = {"left": pad, "right": pad} if across else {"top": pad, "bottom": pad}
        padded = graph.one([plane], [
            f("pad", pw + 2 * pad if across else pw, ph if across else ph + 2 * pad, pad if across else 0,
              0 if across else pad),
            f("fillborders", **edges, mode="smear"),
        ], "pad")  # fmt: skip
        shifted = []
        for tap, copy in zip(taps, _copies(graph, padded, len(taps)), strict=True):
            # a read at x + s in uv is column X + floor(s W); at y + s (up), row Y + floor(-s H)
            offset = f"{pad}+floor({'' if across else '-'}{n}*{disp}*{tap}+1e-9)"
            at = {"x": offset, "y": "0"} if across else {"x": "0", "y": offset}
            shifted.append(graph.one([copy], [f("crop", pw, ph, **at, exact=1)], "tap"))
        weights = " ".join("1" for _ in taps)
        return graph.one(shifted, [f("mix", inputs=len(taps), weights=weights), clock.settb()], "blur")

    out = []
    for name, pa, pb in zip(names, planes_a, planes_b, strict=True):
        pw, ph = ((w + 1) // 2, (h + 1) // 2) if name in "uv" else (w, h)
        blurred = [spread(spread(plane, pw, ph, True), pw, ph, False) for plane in (pa, pb)]
        out.append(graph.one(blurred, [f("xfade", transition="fade", duration=seconds, offset=0)], "xf"))
    return _merged(graph, out, alpha)


def morph_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, morph: Morph, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """morph.glsl over the window of `frames` frames, on RGB planes: oc = strength (S / 510 - 1),
    S the sum of r + b (across) or g + b (down) of both pictures (8-bit), per pixel and frame;
    `from` read at uv + oc progress and `to` at uv - oc (1 - progress), then faded.

    Maps in F steps a pixel, as displacement's: the reach R = F strength n S / 510 (n the plane's
    extent along the axis; a 16-bit lut2 of each picture's pair of planes, summed by a blend
    addition) times the progress (a blend multiply by a uniform frame), added to or taken from a
    ramp drawn each frame on one row (or column), F (axis + m) -+ C progress with C = F strength
    n, is `from`'s map; R taken from it (across) or added to it (down), `to`'s, C short of it or
    past it, which `_whole`'s margin puts right as it takes both to pixels. The margin m (room off
    either edge for twice the largest move, strength n pixels) keeps every step within 0..65535,
    and F keeps R under 2^15 (blend multiply's int)."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha, rgb=True)
    p = f"(T*({clock.fps})/{frames})"
    uses = len(names)
    r_a, g_a, b_a = (_copies(graph, plane, n) for plane, n in zip(planes_a[:3], (2, 2, 3), strict=True))
    r_b, g_b, b_b = (_copies(graph, plane, n) for plane, n in zip(planes_b[:3], (2, 2, 3), strict=True))
    moved_from = {"r": r_a.pop(), "g": g_a.pop(), "b": b_a.pop()}
    moved_to = {"r": r_b.pop(), "g": g_b.pop(), "b": b_b.pop()}
    pairs = {"X": ((r_a, b_a), (r_b, b_b)), "Y": ((g_a, b_a), (g_b, b_b))}
    weights = _copies(graph, _uniform(graph, clock, frames, w, h, f"65535*{p}"), 2)
    maps: dict[str, list[str]] = {}
    for axis, n in (("X", w), ("Y", h)):
        margin = math.ceil(2 * morph.strength * n) + 1
        steps = min(65535 // (n + 2 * margin), int(32767 // max(1.0, 2 * morph.strength * n)))
        reach = morph.strength * n * steps  # C
        halves = [graph.one([first.pop(), blue.pop()], [
            f("lut2", c0=f"round({reach / 510}*(x+y))", d=16), f("format", "gray16le"),
        ], "oc") for first, blue in pairs[axis]]  # fmt: skip
        reaches = _copies(graph, graph.one(halves, [f("blend", all_mode="addition")], "oc"), 2)
        # Rows run down, against uv.y: `from` reads at row Y - oc progress H, `to` at Y + oc (1 - progress) H.
        across = axis == "X"
        ramp = f"{steps}*({axis}+{margin}){'-' if across else '+'}{reach}*{p}"
        (place,) = (_across if across else _columns)(graph, clock, frames, w, h, 1, ramp, "gray16le", 65535)
        by = graph.one([reaches[0], weights.pop()], [f("blend", all_mode="multiply")], "oc")
        moved = graph.one([place, by], [f("blend", all_mode="addition" if across else "subtract")], "oc")
        from_map, other = _copies(graph, moved, 2)
        to_map = graph.one([other, reaches[1]], [f("blend", all_mode="subtract" if across else "addition")], "oc")
        shift = morph.strength * n * (-1 if across else 1)  # `to_map` is C short across, C past down
        maps["from" + axis] = _copies(graph, _whole(graph, from_map, steps, n, margin), uses)
        maps["to" + axis] = _copies(graph, _whole(graph, to_map, steps, n, margin + shift), uses)
    seconds = clock.seconds(frames)
    out = []
    for name, pa, pb in zip(names, planes_a, planes_b, strict=True):
        from_ = moved_from.get(name, pa)
        to = moved_to.get(name, pb)
        moved_a, moved_b = (
            _read(graph, clock, plane, maps[f"{key}X"].pop(), maps[f"{key}Y"].pop(), "morph")
            for plane, key in ((from_, "from"), (to, "to"))
        )  # fmt: skip
        out.append(graph.one([moved_a, moved_b], [f("xfade", transition="fade", duration=seconds, offset=0)], "xf"))
    return _merged(graph, out, alpha, rgb=True)


def channels_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, channels: Channels, frames: int, size: tuple[int, int],
    alpha: bool,
) -> str:  # fmt: skip
    """The window of `frames` frames where `a` turns into `b` colour by colour (`channels`), in
    planar RGB: their GLSL weighs red, green and blue on their own (colorphase) or makes colours
    no mix of YUV planes is (a product, a Rec. 709 grey, a distance in RGB), so both pictures are
    converted once each way. A weight per channel is a plane of a uniform frame (a geq of two
    rows a frame, spread down), every mix one maskedmerge of whole pictures, a product blend
    multiply, the grey colorchannelmixer, an added colour blend addition (clipping at 255 as a GPU
    writes)."""
    w, h = size
    rgb = "gbrap" if alpha else "gbrp"
    p = f"(T*({clock.fps})/{frames})"

    def weights(exprs: tuple[str, str, str], alpha_weight: str) -> str:
        return _rgb_weights(graph, clock, frames, size, alpha, exprs, alpha_weight)

    def grey(label: str) -> str:
        rows = {f"{out}{src}": k for out in "rgb" for src, k in zip("rgb", (0.2126, 0.7152, 0.0722), strict=True)}
        return graph.one([label], [f("colorchannelmixer", **rows)], "grey")

    from_, to = (graph.one([x], [f("format", rgb)], "rgb") for x in (a, b))
    if channels.toward == "near":
        from_, from_near = _copies(graph, from_, 2)
        to, to_near, to_shown = _copies(graph, to, 3)
        near = _near(graph, clock, frames, from_near, to_near, w, h, p, 4 if alpha else 3)
        from_ = graph.one([from_, to_shown, near], [f("maskedmerge"), clock.settb()], "near")
    elif channels.toward is not None and channels.lean is not None:
        from_, own = _copies(graph, from_, 2)
        if channels.toward == "product":
            to, to_own = _copies(graph, to, 2)
            toward = graph.one([own, to_own], [f("blend", all_mode="multiply")], "product")
        else:
            toward = grey(own)
        from_ = graph.one([from_, toward, weights(channels.lean, "0")], [f("maskedmerge"), clock.settb()], "lean")
    if channels.to_lean is not None:
        to, own = _copies(graph, to, 2)
        to = graph.one([to, grey(own), weights(channels.to_lean, "0")], [f("maskedmerge"), clock.settb()], "lean")
    out = graph.one([from_, to, weights(channels.mix, "{p}")], [f("maskedmerge"), clock.settb()], "xf")
    if channels.add is not None:
        out = _added(graph, clock, frames, size, alpha, out, channels.add)
    return graph.one([out], [f("format", "yuva420p" if alpha else "yuv420p")], "xf")


def _rgb_weights(
    graph: FilterGraph, clock: Clock, frames: int, size: tuple[int, int], alpha: bool, exprs: tuple[str, str, str],
    alpha_weight: str,
) -> str:  # fmt: skip
    """A planar RGB frame each frame of the window holding 255 times each channel's weight, a geq
    expression of the progress `{p}` (r, g, b; `alpha_weight` for alpha)."""
    p = f"(T*({clock.fps})/{frames})"
    planes = {k: f"round(255*clip({e.replace('{p}', p)},0,1))" for k, e in zip("rgb", exprs, strict=True)}
    planes |= {"a": f"round(255*clip({alpha_weight.replace('{p}', p)},0,1))"} if alpha else {}
    w, h = size
    return _uniform_planes(graph, clock, frames, w, h, "gbrap" if alpha else "gbrp", **planes)


def _added(
    graph: FilterGraph, clock: Clock, frames: int, size: tuple[int, int], alpha: bool, rgb: str,
    exprs: tuple[str, str, str],
) -> str:  # fmt: skip
    """A planar RGB picture with each channel's `exprs` (of the progress `{p}`, in 0-1) added,
    clipping at 255 as a GPU writes (blend addition)."""
    added = _rgb_weights(graph, clock, frames, size, alpha, exprs, "0")
    return graph.one([rgb, added], [f("blend", all_mode="addition"), clock.settb()], "added")


def _near(graph: FilterGraph, clock: Clock, frames: int, a: str, b: str, w: int, h: int, p: str, planes: int) -> str:
    """ColourDistance.glsl's step(distance(a, b), progress) as a mask of `planes` planes: the
    channels' squared differences in 16 bits (blend difference, a lut each, a quarter of the
    square to leave room for the sum), summed (mix), thresholded against the squared progress."""
    diff = graph.one([a, b], [f("blend", all_mode="difference")], "diff")
    channels = graph.chain([diff], [f("extractplanes", "r+g+b")], 3, "diff")
    squares = [graph.one([c], _lut16("round(pow(val/257,2)/4)"), "square") for c in channels]
    total = graph.one(squares, [f("mix", inputs=3, weights="1 1 1", scale=1), f("format", "gray16le")], "distance")
    reach = _uniform(graph, clock, frames, w, h, f"pow(255*{p},2)/4")
    zero, full = (_still(graph, clock, frames, _row(graph, clock, w, h, v)) for v in ("0", "65535"))
    inside = graph.one([reach, total, zero, full], [
        f("threshold"), f("format", "gray16le"), f("format", "gray"),
    ], "near")  # fmt: skip
    copies = _copies(graph, inside, planes)
    mapping = "0x" + "".join(f"{i}0" for i in range(planes))
    return graph.one(copies, [f("mergeplanes", mapping, "gbrap" if planes == 4 else "gbrp")], "near")


def rows_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, rows: Rows, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """The window of `frames` frames where `a` and `b` mix by a weight of the row and the progress
    that overshoots 1 (windowblinds.glsl): out = a + w (b - a), clipped, on RGB planes (where a
    GPU clips). An 8-bit mix cannot overshoot, so it is made in 16 bits about an offset: a, and
    the overshot end a + most (b - a) (a lut2 of both), maskedmerged by w / most, each frame's
    weights one geq column spread across."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha, rgb=True)
    p = f"(T*({clock.fps})/{frames})"
    weight = rows.weight.replace("{y}", "(1-(Y+0.5)/H)").replace("{p}", p)
    masks = _columns(graph, clock, frames, w, h, len(names), f"65535*({weight})/{rows.most}", "gray16le", 65535)
    base, scale = 8192, 64  # a pixel v is base + scale v: room for -most + 1 to most times 255
    out = []
    for pa, pb, mask in zip(planes_a, planes_b, masks, strict=True):
        pa, pa_end = _copies(graph, pa, 2)
        start = graph.one([pa], _lut16(f"{base}+{scale}*val/257"), "start")
        end = graph.one([pa_end, pb], [
            f("lut2", c0=f"{base}+{scale}*(x+{rows.most}*(y-x))", d=16), f("format", "gray16le"),
        ], "end")  # fmt: skip
        mixed = graph.one([start, end, mask], [f("maskedmerge"), clock.settb()], "xf")
        out.append(_mask(graph, mixed, f"(val-{base})/{scale}/255"))
    return _merged(graph, out, alpha, rgb=True)


def burnout_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, burnout: Burnout, frames: int, size: tuple[int, int],
    alpha: bool,
) -> str:  # fmt: skip
    """undulatingBurnOut.glsl over the window of `frames` frames, on RGB planes: d = progress +
    E c(progress) - dist, E (the eased sine of the angle about the centre) and dist still fields,
    c(progress) a frame's number, in 16 bits (S d about K): the product E c is a maskedmerge of
    two still fields (K -+ S C E, C = max |c|) by a uniform mask, the progress added (blend
    addition), and S dist and S (1 + smoothness) dist taken away (blend subtract). A still's geq
    runs over every pixel of the picture (1.3 s of CPU at 1080x1920 for the whole d, over a 1 s
    window more than 40 ms a frame), so the angle's sine and dist are drawn once each, a quarter
    of each (`_mirrored`), and the four stills are luts of them. Lut16s take the two d to
    8-bit masks: the smoothstep, the band -.005 <= d <= .01 and its burnt part d >= .005. The
    weight overshoots (m = -1) only in the band, so no 16-bit mix is needed: each plane is the 8-bit
    mix by the smoothstep, and in the band 2 `from` - `to` (a lut2, clipped as a GPU writes it) or,
    in its burnt part, `from` mixed with the colour by .75 (a lut), laid over by maskedmerges."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha, rgb=True)
    p = f"(T*({clock.fps})/{frames})"
    ease = f"({p}*{p}*(3-2*{p}))"  # smoothstep(0, 1, progress)
    c = f"((0.02+0.07*{ease})*sin({p}*(40-10*{ease})))"
    most, scale = 0.09, 16384  # |c| <= .09; d in 16 bits: K + scale d
    # sin((degrees(angle) + 180) 30 pi / 360) = -sin(15 angle), in G steps about K; the same
    # across (sin(15 (pi - angle)) = sin(15 angle)), negated below (sin(-15 angle))
    angle = "atan2(0.5-(Y+0.5)/H,(X+0.5)/W-0.5)"
    sine = _mirrored(graph, clock, w, h, f"round({_K}-{_G}*sin(15*{angle}))", f"{2 * _K}-val")
    eased = f"st(1,(val-{_K})/{_G});if(lt(ld(1),0.5),2*ld(1)*ld(1),4*ld(1)-2*ld(1)*ld(1)-1)"  # quadraticInOut
    ends = [
        _still(graph, clock, frames, graph.one([copy], _lut16(f"round({_K}{sign}{scale * most}*({eased}))"), "wave"))
        for copy, sign in zip(_copies(graph, sine, 2), "-+", strict=True)
    ]
    product = _uniform(graph, clock, frames, w, h, f"32768*(1+{c}/{most})")
    wave = graph.one([*ends, product], [f("maskedmerge")], "wave")
    reach = _uniform(graph, clock, frames, w, h, f"{scale}*{p}")
    r = graph.one([wave, reach], [f("blend", all_mode="addition"), f("format", "gray16le")], "wave")
    steps = 65535 / 0.5**0.5  # dist (under hypot(.5, .5) at pixel centres) in fine steps, scaled once per use
    dist = _mirrored(graph, clock, w, h, f"round({steps}*{_DIST})")
    d = [
        graph.one([r_copy, _still(graph, clock, frames, graph.one([dist_copy], _lut16(
            f"round({scale * k / steps}*val)"), "dist"))], [f("blend", all_mode="subtract"), f("format", "gray16le")],
            "wave")
        for r_copy, dist_copy, k in zip(_copies(graph, r, 2), _copies(graph, dist, 2), (1, 1 + burnout.smoothness),
                                        strict=True)
    ]  # fmt: skip
    s = burnout.smoothness
    d_of = f"((val-{_K})/{scale})"
    d_band, d_burnt = _copies(graph, d[0], 2)
    masks = [
        _mask(graph, d[1], f"st(1,clip(({d_of}+{s})/{s},0,1));ld(1)*ld(1)*(3-2*ld(1))"),  # m outside the band
        _mask(graph, d_band, f"gte({d_of},-0.005)*lte({d_of},0.01)"),  # the band
        _mask(graph, d_burnt, f"gte({d_of},0.005)"),  # its burnt part (within the band)
    ]
    smooth, band, burnt = (_copies(graph, mask, len(names)) for mask in masks)
    colour = dict(zip("rgba", (*burnout.color, 1), strict=True))
    out = []
    for name, pa, pb in zip(names, planes_a, planes_b, strict=True):
        pa, pa_over, pa_dark = _copies(graph, pa, 3)
        pb, pb_over = _copies(graph, pb, 2)
        mixed = graph.one([pa, pb, smooth.pop()], [f("maskedmerge"), clock.settb()], "xf")
        over = graph.one([pa_over, pb_over], [  # m = -1, clipped
            f("lut2", c0="clip(2*x-y,0,255)"), f("format", "gray"),
        ], "over")  # fmt: skip
        dark = graph.one([pa_dark], [
            f("format", "gray"), f("lut", c0=f"round(0.25*val+{0.75 * 255 * colour[name]})"), f("format", "gray"),
        ], "burnt")  # fmt: skip
        banded = graph.one([over, dark, burnt.pop()], [f("maskedmerge"), clock.settb()], "band")
        out.append(graph.one([mixed, banded, band.pop()], [f("maskedmerge"), clock.settb()], "xf"))
    return _merged(graph, out, alpha, rgb=True)


def displace_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, displace: Displace, frames: int, size: tuple[int, int],
    alpha: bool,
) -> str:  # fmt: skip
    """GlitchDisplace.glsl over the window of `frames` frames, on RGB planes: `b` read where `a`'s
    red (across) and green (down) say, `a` where `b`'s do. A read moves by n s (o + k v) pixels
    (n the plane's width or height, v a picture's plane, s a frame's number); a0() floors the
    place, and the pixel's own is whole, so the move is floored alone: for each of 256 values and
    each frame, a lut2 of the 8-bit plane and the frame's number (`_counted`), then added to the
    place (a 16-bit blend) and clamped (a lut), exact and cheaper than a map's 16-bit steps. The mix
    reaches past 1 (a doubled grey): it is made at half scale (maskedmerges by uniform masks of
    the progress, in 8 bits: with 16-bit ones the window cost 171.5 ms a frame at 1080x1920, with
    these 114.8, when its maps were still 16-bit maskedmerges), doubled and clipped by a lut."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha, rgb=True)
    p = f"(T*({clock.fps})/{frames})"
    ease1 = f"if(lt({p},0.5),0.5*pow(2,20*{p}-10),1-0.5*pow(2,10-20*{p}))*gt({p},0)"
    ease2 = f"(1-pow(2,-10*{p}))"
    uses = len(names)
    # from: mixed, read (not alpha, which dColor2 replaces), r and g the `to` maps' offsets; to likewise
    a_copies = [_copies(graph, plane, {"r": 3, "g": 3, "b": 2, "a": 1}[name])
                for name, plane in zip(names, planes_a, strict=True)]  # fmt: skip
    b_copies = [_copies(graph, plane, 3 if name in "rg" else 2) for name, plane in zip(names, planes_b, strict=True)]
    maps: dict[str, list[str]] = {}
    dot = displace.dot_depth
    count = _copies(graph, _counted(graph, clock, frames, w, h), 4)
    for key, copies, depth, s in (("to", a_copies, displace.from_depth, f"(1-({ease1}))"),
                                  ("from", b_copies, displace.to_depth, ease2)):  # fmt: skip
        o, k = depth * dot, dot - depth
        for axis, n, plane in (("X", w, copies[0].pop()), ("Y", h, copies[1].pop())):
            # whole pixels moved, n ahead: floor(n s (o + k v)) (rows run down, against uv.y) of the
            # plane's v and the frame's s, a lut2 of the plane and the frame's number
            shift = f"{'' if axis == 'X' else '-'}{n}*({s})*({o}+{k}*x/255)".replace(p, f"(y/{frames})")
            moved = graph.one([plane, count.pop()], [
                f("lut2", c0=f"{n}+floor({shift}+1e-9)", d=16), f("format", "gray16le"),
            ], "shift")  # fmt: skip
            moved = graph.one([moved, _place(graph, clock, frames, w, h, axis, 1)],
                              [f("blend", all_mode="addition")], "shift")  # fmt: skip
            # `to` reads every plane through its maps; `from` its colours only (not its alpha)
            maps[key + axis] = _copies(graph, graph.one([moved], _lut16(f"clip(val-{n + 1},0,{n - 1})"), "map"),
                                       uses if key == "to" else 3)  # fmt: skip
    weights = {
        name: _copies(graph, _uniform(graph, clock, frames, w, h, f"255*({e})", "gray"), uses)
        for name, e in (("grey", f"st(9,clip({p}/0.5,0,1));ld(9)*ld(9)*(3-2*ld(9))"),
                        ("read", f"st(9,clip((1-{p})/0.5,0,1));ld(9)*ld(9)*(3-2*ld(9))"), ("mix", ease1))
    }  # fmt: skip
    read_to, read_from = [], []
    for name, pa, pb in zip(names, a_copies, b_copies, strict=True):
        read_to.append(_read(graph, clock, pb.pop(), maps["toX"].pop(), maps["toY"].pop(), "glitch"))
        if name == "a":
            break
        read_from.append(_read(graph, clock, pa.pop(), maps["fromX"].pop(), maps["fromY"].pop(), "glitch"))
    to_reads = [_copies(graph, r, 2 if name != "a" else 1) for name, r in zip(names, read_to, strict=True)]
    darker = [graph.one([t.pop(), r], [f("blend", all_mode="darken")], "min")
              for t, r in zip(to_reads[:3], read_from, strict=True)]  # fmt: skip
    # 2 luma at half scale: luma
    grey_half = graph.one(darker, [f("mix", inputs=3, weights="0.299 0.587 0.114", scale=1)], "grey")
    greys = _copies(graph, grey_half, 3)
    if alpha:  # dColor2's alpha, 2: 1 at half scale
        greys.append(_still(graph, clock, frames, graph.one([], [
            f("color", "white", s=f"{w}x{h}", r=str(clock.fps), d=clock.seconds(1)), f("format", "gray"),
        ], "white")))  # fmt: skip
    half = [f("lut", c0="round(val/2)"), f("format", "gray")]
    out = []
    for pa, pb, to_read, grey in zip(a_copies, b_copies, to_reads, greys, strict=True):
        from_half = graph.one([pa.pop()], half, "half")
        first = graph.one([from_half, grey, weights["grey"].pop()], [f("maskedmerge")], "glitch")
        second = graph.one([pb.pop(), to_read.pop(), weights["read"].pop()], [f("maskedmerge"), *half], "glitch")
        mixed = graph.one([first, second, weights["mix"].pop()], [f("maskedmerge"), clock.settb()], "xf")
        out.append(graph.one([mixed], [f("lut", c0="min(2*val,255)"), f("format", "gray")], "xf"))
    return _merged(graph, out, alpha, rgb=True)


def squeeze_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, squeeze: Squeeze, frames: int, size: tuple[int, int],
    alpha: bool,
) -> str:  # fmt: skip
    """squeeze.glsl over the window of `frames` frames: each RGB plane of `a` read at its own row
    (red and blue apart from green), a function of the row and the progress alone: one geq
    column of maps a frame per plane, spread across; `b` where green's row falls off the picture."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha, rgb=True)
    p = f"(T*({clock.fps})/{frames})"
    y = f"(0.5+(0.5-(Y+0.5)/H)/(1-{p}))"
    shifts = {"r": f"-{squeeze.separation}*{p}", "b": f"{squeeze.separation}*{p}"}
    off = _columns(graph, clock, frames, w, h, len(names), f"255*(lt({y},0)+gt({y},1))", "gray", 255)
    xmaps = _copies(graph, _still(graph, clock, frames, _row(graph, clock, w, h, "X")), len(names))
    out = []
    for name, pa, pb, xmap, shown in zip(names, planes_a, planes_b, xmaps, off, strict=True):
        ymap = _columns(graph, clock, frames, w, h, 1, _read_row(f"{y}+{shifts.get(name, 0)}"), "gray16le", h - 1)[0]
        moved = _read(graph, clock, pa, xmap, ymap, "squeezed")
        out.append(graph.one([moved, pb, shown], [f("maskedmerge"), clock.settb()], "xf"))
    return _merged(graph, out, alpha, rgb=True)


#: The columns of a `_table`: its still quantity in this many steps.
_TABLE = 16384


def _tables(
    graph: FilterGraph, clock: Clock, frames: int, w: int, h: int, columns: str, top: float, exprs: list[str]
) -> list[str]:
    """Each frame's w x h 16-bit fields `exprs` of a still quantity `{d}` in 0..top (`columns`, a
    still of each pixel's `_table` column) and the progress `{p}`: per-pixel functions of both at
    the cost of one remap a frame each (`_looked_up`)."""
    tables = [_table(graph, clock, frames, top, expr) for expr in exprs]
    return _looked_up(graph, clock, frames, w, h, list(zip(tables, _copies(graph, columns, len(exprs)), strict=True)))


def _table(graph: FilterGraph, clock: Clock, frames: int, top: float, expr: str) -> str:
    """A still table of the 16-bit `expr` of `{d}` and `{p}`: `_TABLE` columns of `{d}` in 0..top,
    a row a frame of the window's progress. It depends on no plane size: planes of both sizes
    may look up one table. The geq keeps its value in a register before clip(), which
    evaluates its first argument twice."""
    values = expr.replace("{d}", f"(X/{_TABLE - 1}*{top})").replace("{p}", f"(Y/{frames})")
    table = graph.one([], [
        f("color", "black", s=f"{_TABLE}x{frames}", r=str(clock.fps), d=clock.seconds(1)),
        f("format", "gray16le"), f("geq", lum=f"st(9,{values});clip(ld(9),0,65535)"),
    ], "table")  # fmt: skip
    return _still(graph, clock, frames, table)


def _looked_up(
    graph: FilterGraph, clock: Clock, frames: int, w: int, h: int, lookups: list[tuple[str, str]]
) -> list[str]:
    """Each (table, columns) pair's w x h field each frame: the `_table` looked up by remap at each
    pixel's column (`columns`, a still) and the frame's row (a uniform map all lookups share)."""
    rows = _copies(graph, _uniform(graph, clock, frames, w, h, f"T*({clock.fps})"), len(lookups))
    return [
        graph.one([table, columns, row], [f("remap", format="gray"), f("format", "gray16le")], "table")
        for (table, columns), row in zip(lookups, rows, strict=True)
    ]


def _distance(graph: FilterGraph, clock: Clock, frames: int, w: int, h: int) -> str:
    """Each pixel's distance to the centre (in uv, 0..`_CORNER`) as a still of `_table` columns:
    the same in every quarter, drawn on one (`_mirrored`)."""
    return _still(graph, clock, frames, _mirrored(
        graph, clock, w, h, f"st(9,{_DIST}/{_CORNER});round(clip(ld(9),0,1)*{_TABLE - 1})"))  # fmt: skip


def _copies(graph: FilterGraph, label: str, n: int) -> list[str]:
    """`n` uses of one stream (split, when more than one)."""
    return graph.chain([label], [f("split", n)], n, "copy") if n > 1 else [label]


def _planes(
    graph: FilterGraph, a: str, b: str, alpha: bool, rgb: bool = False
) -> tuple[list[str], list[str], list[str]]:
    """The plane names of the window's pictures (y, u, v and a with alpha; `rgb`: r, g, b and a,
    converted to planar RGB) and each one's planes, in that order (extractplanes' own)."""
    names = ["r", "g", "b"] if rgb else ["y", "u", "v"]
    names += ["a"] if alpha else []
    converted = [f("format", "gbrap" if alpha else "gbrp")] if rgb else []
    planes_a = graph.chain([a], [*converted, f("extractplanes", "+".join(names))], len(names), "plane")
    planes_b = graph.chain([b], [*converted, f("extractplanes", "+".join(names))], len(names), "plane")
    return names, planes_a, planes_b


def _merged(graph: FilterGraph, planes: list[str], alpha: bool, rgb: bool = False) -> str:
    """The planes (y, u, v, a; `rgb`: r, g, b, a, converted back) as one picture."""
    yuv = "yuva420p" if alpha else "yuv420p"
    if not rgb:
        mapping = "0x" + "".join(f"{i}0" for i in range(len(planes)))
        return graph.one(planes, [f("mergeplanes", mapping, yuv)], "xf")
    mapping = "0x102000" + ("30" if alpha else "")  # gbrp's planes: g, b, r (a)
    return graph.one(planes, [f("mergeplanes", mapping, "gbrap" if alpha else "gbrp"), f("format", yuv)], "xf")


def _sizes(w: int, h: int, alpha: bool) -> list[tuple[str, tuple[int, int], int]]:
    """The plane sizes of a w x h 4:2:0 picture: ("luma", size, planes of it: y and a), ("chroma",
    size, 2)."""
    return [("luma", (w, h), 2 if alpha else 1), ("chroma", ((w + 1) // 2, (h + 1) // 2), 2)]


def _uniform(
    graph: FilterGraph, clock: Clock, frames: int, w: int, h: int, expr: str, pix_fmt: str = "gray16le"
) -> str:
    """A w x h picture each frame of the window, the geq `expr` of the frame's time T, drawn on two
    rows of w and spread down (so Y < 1 names the top half, X the column)."""
    top = 65535 if pix_fmt == "gray16le" else 255
    return _uniform_planes(graph, clock, frames, w, h, pix_fmt, lum=f"round(clip({expr},0,{top}))")


def _uniform_planes(graph: FilterGraph, clock: Clock, frames: int, w: int, h: int, pix_fmt: str, **planes: str) -> str:
    """A w x h picture of `pix_fmt` each frame of the window, each plane the geq expression
    `planes` names it by (lum, r, g, b, a...), drawn on two rows of w and spread down."""
    drawn = graph.one([], [
        f("color", "black", s=f"{w}x2", r=str(clock.fps), d=clock.seconds(frames)), f("format", pix_fmt),
        f("geq", **planes), f("trim", end_frame=frames),
    ], "field")  # fmt: skip
    return _down(graph, drawn, w, h, pix_fmt)


def _lut16(expr: str) -> list[Filter]:
    """A 16-bit lut of `val`, its formats pinned on both sides (left to negotiate, ffmpeg may cut
    the picture to the 8 bits a later filter takes before the lut sees it)."""
    return [f("format", "gray16le"), f("lut", c0=expr), f("format", "gray16le")]


def _mask(graph: FilterGraph, label: str, weight: str) -> str:
    """The 8-bit mask of a 16-bit picture: `weight`, a lut expression of its `val` in 0-1, as
    257 round(255 weight) (the lut stops 255 at `_TOP`), shifted to 8 bits exactly."""
    return graph.one([label], [*_lut16(f"257*round(255*clip({weight},0,1))"), *_TO_8_BITS], "mask")


#: A 16-bit picture's top bytes: swscale's default dither takes `_TOP` to 254, not 255.
_TO_8_BITS = (f("scale", sws_dither="none"), f("format", "gray"))


def _counted(graph: FilterGraph, clock: Clock, frames: int, w: int, h: int) -> str:
    """A w x h picture each frame of the window holding the frame's number, in the fewest bits
    that hold `frames` (8, 9, 10, 12, 14, 16): a lut2 of an 8-bit plane and it is a table of
    every value and frame (2^(8 + bits) entries), a per-frame lut."""
    bits = next(b for b in (8, 9, 10, 12, 14, 16) if frames <= 1 << b)
    pix_fmt = "gray" if bits == 8 else f"gray{bits}le"
    return _uniform_planes(graph, clock, frames, w, h, pix_fmt, lum=f"round(T*({clock.fps}))")


def _plain(graph: FilterGraph, clock: Clock, frames: int, w: int, h: int, value: int) -> str:
    """A w x h plane holding `value` (8 bits) over the window."""
    return _still(graph, clock, frames, _flat(graph, clock, w, h, value))


def _flat(graph: FilterGraph, clock: Clock, w: int, h: int, value: int) -> str:
    """One w x h grey frame holding `value` (8 bits) at the window's rate: a lut sets it, since the
    colour source draws grey black as limited-range 16."""
    return graph.one([], [
        f("color", "black", s=f"{w}x{h}", r=str(clock.fps), d=clock.seconds(1)), f("format", "gray"),
        f("lut", c0=value),
    ], "plain")  # fmt: skip


def _still(graph: FilterGraph, clock: Clock, frames: int, source: str) -> str:
    """The one frame of `source` repeated over the window."""
    return graph.one([source], [f("loop", loop=frames - 1, size=1), f("setpts", "round(N/FRAME_RATE/TB)")], "still")


def _drawn(graph: FilterGraph, clock: Clock, w: int, h: int, expr: str) -> str:
    """A gray16 picture of w x h drawn by geq `expr`, one frame."""
    return graph.one([], [
        f("color", "black", s=f"{w}x{h}", r=str(clock.fps), d=clock.seconds(1)), f("format", "gray16le"),
        f("geq", lum=expr),
    ], "field")  # fmt: skip


def _mirrored(graph: FilterGraph, clock: Clock, w: int, h: int, expr: str, below: str | None = None) -> str:
    """`_drawn` for a field the same either side of the picture's middle column and, below its
    middle row, the same or `below` (a lut of the value above, so under `_TOP`): geq draws the
    top left quarter (W and H in `expr` are the picture's), and `_unfolded` makes the rest. A
    still's geq costs 0.3-0.5 s of CPU at 1080x1920 (10-17 ms a frame over a 1 s window)."""
    return _unfolded(graph, _quarter(graph, clock, w, h, expr), w, h, below=below)


def _quarter(graph: FilterGraph, clock: Clock, w: int, h: int, expr: str) -> str:
    """The top left quarter of a w x h `_drawn` field (W and H in `expr` are the picture's), its
    middle column and row included."""
    return _drawn(graph, clock, (w + 1) // 2, (h + 1) // 2, expr.replace("W", str(w)).replace("H", str(h)))


def _unfolded(
    graph: FilterGraph, quarter: str, w: int, h: int, right: str | None = None, below: str | None = None
) -> str:
    """The w x h field of its top left `_quarter`, flipped (hflip, vflip) and stacked: right of the
    middle column the same or `right`, below the middle row the same or `below` (luts of the value
    mirrored, so under `_TOP`; an odd side's middle column or row is the quarter's). Flips and
    stacks of one frame cost next to nothing. Sides of 2 pixels or more (outputs are 128 or more)."""
    cw, ch = (w + 1) // 2, (h + 1) // 2
    left, mirrored = _copies(graph, quarter, 2)
    mirrored = graph.one([mirrored], [
        f("hflip"), f("crop", w=w // 2, h=ch, x=cw - w // 2, y=0), *(_lut16(right) if right else [f("null")]),
    ], "field")  # fmt: skip
    top, bottom = _copies(graph, graph.one([left, mirrored], [f("hstack")], "field"), 2)
    bottom = graph.one([bottom], [
        f("vflip"), f("crop", w=w, h=h // 2, x=0, y=ch - h // 2), *(_lut16(below) if below else [f("null")]),
    ], "field")  # fmt: skip
    return graph.one([top, bottom], [f("vstack"), f("format", "gray16le")], "field")


def _down(graph: FilterGraph, label: str, w: int, h: int, pix_fmt: str = "gray16le") -> str:
    """A picture of width w spread down to w x h, rows copied (neighbor), its format pinned."""
    return graph.one([label], [f("scale", w, h, flags="neighbor"), f("format", pix_fmt)], "field")


def _row(graph: FilterGraph, clock: Clock, w: int, h: int, expr: str) -> str:
    """A still w x h field of the column alone: geq `expr` (of X and W) drawn on one row, spread down."""
    return _down(graph, _drawn(graph, clock, w, 1, expr), w, h)


def _column(graph: FilterGraph, clock: Clock, w: int, h: int, expr: str) -> str:
    """A still w x h field of the row alone: geq `expr` (of Y and H) drawn on one row of h (as X and
    W), spread down to h x w and transposed."""
    turned = expr.translate(str.maketrans("XYWH", "YXHW"))
    row = _row(graph, clock, h, w, turned)
    return graph.one([row], [f("transpose", dir="cclock_flip"), f("format", "gray16le")], "field")


def _maps(
    graph: FilterGraph, clock: Clock, amplitude: float, speed: float, frames: int, w: int, h: int, uses: int
) -> list[tuple[str, str]]:
    """`uses` copies of the (xmap, ymap) pair of each frame, for planes of w x h."""
    progress = f"(T*({clock.fps})/{frames})"
    # Still: the squared distance to the centre (a row's share plus a column's), sin and cos of
    # amplitude * distance (+ and -), a constant.
    across = _row(graph, clock, w, h, f"round(((X+0.5)/W-0.5)^2*{_SQ})")
    down = _column(graph, clock, w, h, f"round(((Y+0.5)/H-0.5)^2*{_SQ})")
    dist = graph.one([across, down], [f("mix", inputs=2, weights="1 1", scale=1)], "dist")
    dists = graph.chain([dist], [f("split", 5)], 5, "dist")
    trig = {}
    for (name, fn, sign), source in zip(
        [("sin", "sin", 1), ("nsin", "sin", -1), ("cos", "cos", 1), ("ncos", "cos", -1)], dists[1:], strict=True
    ):
        expr = f"round({_K}{'+' if sign > 0 else '-'}{_G}*{fn}(sqrt(val/{_SQ})*{amplitude}))"
        trig[name] = _still(graph, clock, frames, graph.one([source], _lut16(expr), "trig"))
    k = _still(graph, clock, frames, _row(graph, clock, w, h, str(_K)))
    half, keep = graph.chain([k], [f("split", 2)], 2, "k")

    # Per frame: K + G/2 sin(a - b) = K + G/2 (cos b sin a - sin b cos a), and the progress as a
    # squared distance.
    factors = _factors(graph, clock, frames, w, h, f"cos({speed}*{progress})", f"sin({speed}*{progress})")
    g = _weighted(graph, (trig["sin"], trig["nsin"]), (trig["cos"], trig["ncos"]), half, *factors)
    reach = _uniform(graph, clock, frames, w, h, f"{progress}^2*{_SQ}")
    inside = graph.one([_still(graph, clock, frames, dists[0]), reach, g, keep], [f("threshold")], "g")
    spread = graph.chain([inside], [f("split", 2)], 2, "g")
    xmaps = _map(graph, clock, frames, spread[0], w, h, "X", "W", uses)
    ymaps = _map(graph, clock, frames, spread[1], w, h, "Y", "H", uses)
    return list(zip(xmaps, ymaps, strict=True))


def _weighted(graph: FilterGraph, a: tuple[str, str], b: tuple[str, str], half: str, u: str, v: str) -> str:
    """K + G/2 (u A - v B), A and B still fields given as (K + G A, K - G A) and (K + G B, K - G B),
    u and v (in -1..1) given as masks K (1 + u) and K (1 + v): uniform (`_factors`), or fields of
    their own: a product is a maskedmerge of a field's two sides by the other's mask; the two
    products are averaged by a third maskedmerge (`half` holds K)."""
    plus = graph.one([a[1], a[0], u], [f("maskedmerge")], "g")  # K + G u A
    minus = graph.one([b[0], b[1], v], [f("maskedmerge")], "g")  # K - G v B
    return graph.one([plus, minus, half], [f("maskedmerge")], "g")


def _factors(graph: FilterGraph, clock: Clock, frames: int, w: int, h: int, u: str, v: str) -> tuple[str, str]:
    """The uniform masks K (1 + u) and K (1 + v) of `_weighted` for u and v, geq expressions of the
    frame's time in -1..1."""
    return _uniform(graph, clock, frames, w, h, f"{_K}*(1+{u})"), _uniform(graph, clock, frames, w, h, f"{_K}*(1+{v})")


def sway_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, sway: Sway, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """The window of `frames` frames where `a` sways into `b`, on a w x h canvas."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    progress = f"(T*({clock.fps})/{frames})"
    drawn: dict[str, list[tuple[str, ...]]] = {}  # the maps of `a` and of `b`, each plane size
    for kind, (pw, ph), uses in _sizes(w, h, alpha):
        # Still: the columns, cos and sin of frequency * uv.x (+ and -), K.
        columns = _still(graph, clock, frames, _row(graph, clock, pw, ph, "X"))
        same = graph.chain([columns], [f("split", 2 * uses)], 2 * uses, "map")
        trig = {}
        for name, fn, sign in (("cos", "cos", "+"), ("ncos", "cos", "-"), ("sin", "sin", "+"), ("nsin", "sin", "-")):
            expr = f"round({_K}{sign}{_G}*{fn}({sway.frequency}*(X+0.5)/W))"
            field = _still(graph, clock, frames, _row(graph, clock, pw, ph, expr))
            trig[name] = graph.chain([field], [f("split", 2)], 2, "trig")
        k = _still(graph, clock, frames, _row(graph, clock, pw, ph, str(_K)))
        halves = graph.chain([k], [f("split", 2)], 2, "k")
        rows = []
        for i, q in enumerate((progress, f"(1-{progress})")):
            # a * q cos(f (q + x)) = a * (q cos fq * cos fx - q sin fq * sin fx)
            factors = _factors(graph, clock, frames, pw, ph, f"{q}*cos({sway.frequency}*{q})",
                               f"{q}*sin({sway.frequency}*{q})")  # fmt: skip
            g = _weighted(graph, (trig["cos"][i], trig["ncos"][i]), (trig["sin"][i], trig["nsin"][i]), halves[i],
                          *factors)  # fmt: skip
            rows.append(_map(graph, clock, frames, g, pw, ph, "Y", "H", uses, d=f"(-{sway.amplitude}*H)"))
        drawn[kind] = [(same[2 * j], rows[0][j], same[2 * j + 1], rows[1][j]) for j in range(uses)]
    return _merged(graph, _remapped_mix(graph, clock, frames, names, planes_a, planes_b, drawn, "swayed"), alpha)


def warp_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, warp: Warp, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """The window of `frames` frames where `a` warps into `b` by `warp`, on a w x h canvas."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    progress = f"(T*({clock.fps})/{frames})"
    # The step's argument d = place - reach as A - B (blend subtract, stopping at 0): A = S (place +
    # c + low), B = S (reach + c), c keeping B >= 0, `low` the depth below 0 where m stops changing.
    c = -min(0.0, warp.reach_range[0])
    scale = int(65535 * 0.99 / max(1 + c + warp.low, warp.reach_range[1] + c))
    arg = f"(val/{scale}-{warp.low})"
    step = warp.m.replace("{d}", arg)
    reach = warp.reach.replace("{p}", progress)
    drawn: dict[str, list[tuple[str, ...]]] = {}
    for kind, (pw, ph), uses in _sizes(w, h, alpha):
        place = _drawn(graph, clock, pw, ph, f"round({scale}*({warp.place}+{c + warp.low}))")
        place = _still(graph, clock, frames, place)
        moved = _uniform(graph, clock, frames, pw, ph, f"{scale}*({reach}+{c})")
        diff = graph.one([place, moved], [f("blend", all_mode="subtract")], "warp")
        from_g, to_g, mix_g = graph.chain([diff], [f("split", 3)], 3, "warp")
        # from: zoom by m; to: by 1 - m (g = -zoom, as a zoom's)
        gs = [
            graph.one([from_g], _lut16(f"round({_K}-{_G / 2}*({step}))"), "g"),
            graph.one([to_g], _lut16(f"round({_K}-{_G / 2}*(1-({step})))"), "g"),
        ]
        maps = []
        for g in gs:
            xg, yg = graph.chain([g], [f("split", 2)], 2, "g")
            maps.append((_map(graph, clock, frames, xg, pw, ph, "X", "W", uses),
                         _map(graph, clock, frames, yg, pw, ph, "Y", "H", uses)))  # fmt: skip
        # The mix's weight m as an 8-bit mask.
        mask = _mask(graph, mix_g, step)
        masks = graph.chain([mask], [f("split", uses)], uses, "mask") if uses > 1 else [mask]
        drawn[kind] = [(maps[0][0][j], maps[0][1][j], maps[1][0][j], maps[1][1][j], masks[j]) for j in range(uses)]
    return _merged(graph, _remapped_mix(graph, clock, frames, names, planes_a, planes_b, drawn, "warped"), alpha)


def sweep_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, sweep: Sweep, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """The window of `frames` frames where `b` shows over `a` by `sweep`'s weight: the still field
    and each frame's reach in 16 bits, their difference one blend (subtract, which stops at 0), a
    16-bit lut the weight, shifted down to the 8-bit mask of a maskedmerge, plane by plane."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    progress = f"(T*({clock.fps})/{frames})"
    first, second = (r.replace("{p}", progress) for r in sweep.reach)
    halves = f"if({'lt(Y,1)' if sweep.halves == 'rows' else 'lt(X+0.5,W/2)'},{first},{second})"
    soft = f"round({_TOP}*clip(val/65535/{sweep.width},0,1))"
    masks: dict[str, list[str]] = {}
    for kind, (pw, ph), uses in _sizes(w, h, alpha):
        field = _still(graph, clock, frames, _drawn(graph, clock, pw, ph, f"round(65535*clip({sweep.field},0,1))"))
        reach = _uniform(graph, clock, frames, pw, ph, f"65535*{halves}")
        reaches = graph.chain([reach], [f("split", 2)], 2, "reach") if sweep.whole else [reach]
        weight = graph.one([reaches[0], field], [f("blend", all_mode="subtract"), *_lut16(soft)], "weight")
        if sweep.whole:  # `to` whole where the reach has passed the second field: the larger weight
            whole = _drawn(graph, clock, pw, ph, f"round(65535*clip({sweep.whole},0,1))")
            passed = graph.one([reaches[1], _still(graph, clock, frames, whole)], [
                f("blend", all_mode="subtract"), *_lut16(f"{_TOP}*gt(val,0)"),
            ], "weight")  # fmt: skip
            weight = graph.one([weight, passed], [f("blend", all_mode="lighten")], "weight")
        mask = _mask(graph, weight, f"val/{_TOP}")
        masks[kind] = graph.chain([mask], [f("split", uses)], uses, "mask") if uses > 1 else [mask]
    mixed = []
    for name, pa, pb in zip(names, planes_a, planes_b, strict=True):
        mask = masks["chroma" if name in "uv" else "luma"].pop()
        mixed.append(graph.one([pa, pb, mask], [f("maskedmerge"), clock.settb()], "xf"))
    return _merged(graph, mixed, alpha)


def drop_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, drop: Drop, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """The window of `frames` frames where `a` slides down off `b` column by column: each frame the
    columns' slide is one row drawn by geq (a few hundred values) and spread down; the map, row
    Y - slide * h, is a still ramp less it (one 16-bit blend subtract, stopping at 0), a lut takes
    it to whole rows, and another marks where `a` has slid off (the map above the top row): `b`."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    progress = f"(T*({clock.fps})/{frames})"
    drawn: dict[str, list[tuple[str, str, str]]] = {}
    for kind, (pw, ph), uses in _sizes(w, h, alpha):
        steps = 65535 // ph  # map steps a row; the ramp F (Y + 1) keeps a slide off the top below -1/2
        slide = drop.offset.replace("{x}", "((X+0.5)/W)").replace("{p}", progress)
        row = graph.one([], [
            f("color", "black", s=f"{pw}x1", r=str(clock.fps), d=clock.seconds(frames)), f("format", "gray16le"),
            f("geq", lum=f"round(clip({steps}*{ph}*({slide}),0,65535))"), f("trim", end_frame=frames),
            f("scale", pw, ph, flags="neighbor"),
        ], "slide")  # fmt: skip
        ramp = _still(graph, clock, frames, _column(graph, clock, pw, ph, f"{steps}*(Y+1)"))
        moved = graph.one([ramp, row], [f("blend", all_mode="subtract")], "map")
        for_map, for_mask = graph.chain([moved], [f("split", 2)], 2, "map")
        ymap = graph.one([for_map], _lut16(f"clip(floor(val/{steps}-1),0,{ph - 1})"), "map")
        off = _mask(graph, for_mask, f"lt(val/{steps}-1,-0.5)")
        xmap = _still(graph, clock, frames, _row(graph, clock, pw, ph, "X"))
        ymaps = graph.chain([ymap], [f("split", uses)], uses, "map") if uses > 1 else [ymap]
        xmaps = graph.chain([xmap], [f("split", uses)], uses, "map") if uses > 1 else [xmap]
        masks = graph.chain([off], [f("split", uses)], uses, "mask") if uses > 1 else [off]
        drawn[kind] = list(zip(xmaps, ymaps, masks, strict=True))
    mixed = []
    for name, pa, pb in zip(names, planes_a, planes_b, strict=True):
        xmap, ymap, mask = drawn["chroma" if name in "uv" else "luma"].pop()
        moved_a = _read(graph, clock, pa, xmap, ymap, "dropped")
        mixed.append(graph.one([moved_a, pb, mask], [f("maskedmerge"), clock.settb()], "xf"))
    return _merged(graph, mixed, alpha)


def bounce_window(
    graph: FilterGraph, clock: Clock, a: str, b: str, bounce: Bounce, frames: int, size: tuple[int, int], alpha: bool
) -> str:
    """The window of `frames` frames where `a` falls off `b`, bouncing: everything in it is a
    function of the row and the progress, so each frame's map and weights are one column each,
    drawn by geq (a few hundred values) and spread across; `b` darkens under the shadow (a
    maskedmerge over black), `a` shows below its edge."""
    w, h = size
    names, planes_a, planes_b = _planes(graph, a, b, alpha)
    p = f"(T*({clock.fps})/{frames})"
    # y: the height of `a`'s edge; d = uv.y - y
    edge = f"(abs(cos({p}*PI*{bounce.bounces}))*(1-sin({p}*PI/2)))"
    d = f"(1-(Y+0.5)/H-{edge})"
    shade = bounce.shadow_alpha
    fade = f"st(1,clip(({p}-0.95)/0.05,0,1));ld(1)*ld(1)*(3-2*ld(1))"  # smoothstep(.95, 1, progress)
    depth = f"({d}/{bounce.shadow_height}*{shade}+1-{shade})"
    shadow = f"lte({d},{bounce.shadow_height})*(1-({depth}*(1-({fade}))+({fade})))"
    drawn: dict[str, list[tuple[str, str, str, str]]] = {}
    for kind, (pw, ph), uses in _sizes(w, h, alpha):
        ymaps = _columns(graph, clock, frames, pw, ph, uses, f"floor(Y-(1-{edge})*H)", "gray16le", ph - 1)
        fallen = _columns(graph, clock, frames, pw, ph, uses, f"255*lte({d},0)", "gray", 255)
        shadows = _columns(graph, clock, frames, pw, ph, uses, f"255*(1-({shadow}))", "gray", 255)
        xmap = _still(graph, clock, frames, _row(graph, clock, pw, ph, "X"))
        xmaps = graph.chain([xmap], [f("split", uses)], uses, "map") if uses > 1 else [xmap]
        drawn[kind] = list(zip(xmaps, ymaps, fallen, shadows, strict=True))
    mixed = []
    for name, pa, pb in zip(names, planes_a, planes_b, strict=True):
        pw, ph = ((w + 1) // 2, (h + 1) // 2) if name in "uv" else (w, h)
        xmap, ymap, fell, lit = drawn["chroma" if name in "uv" else "luma"].pop()
        dark = _plain(graph, clock, frames, pw, ph, _BLACK[name])
        shaded = graph.one([dark, pb, lit], [f("maskedmerge"), clock.settb()], "shaded")
        moved = _read(graph, clock, pa, xmap, ymap, "bounced")
        mixed.append(graph.one([shaded, moved, fell], [f("maskedmerge"), clock.settb()], "xf"))
    return _merged(graph, mixed, alpha)


def _columns(
    graph: FilterGraph, clock: Clock, frames: int, w: int, h: int, uses: int, expr: str, pix_fmt: str, top: int,
    across: bool = False,
) -> list[str]:  # fmt: skip
    """`uses` copies of a w x h picture each frame of the window that is a function of the row and
    the frame's time alone: the geq `expr` drawn on one column, spread across (`across`: of the
    column, drawn on one row, spread down)."""
    drawn = graph.one([], [
        f("color", "black", s=f"{w}x1" if across else f"1x{h}", r=str(clock.fps), d=clock.seconds(frames)),
        f("format", pix_fmt), f("geq", lum=f"round(clip({expr},0,{top}))"), f("trim", end_frame=frames),
        f("scale", w, h, flags="neighbor"), f("format", pix_fmt),
    ], "column")  # fmt: skip
    return _copies(graph, drawn, uses)


def _across(
    graph: FilterGraph, clock: Clock, frames: int, w: int, h: int, uses: int, expr: str, pix_fmt: str, top: int
) -> list[str]:
    """`_columns` of the column: a function of the column and the frame's time, spread down."""
    return _columns(graph, clock, frames, w, h, uses, expr, pix_fmt, top, across=True)


def _read_column(x: str, width: str = "W") -> str:
    """The column a0() reads at uv.x `x` (a geq expression): uv * W - .5, truncated (`width`: W,
    or the plane's width where the geq draws a column)."""
    return f"floor(({x})*{width}-0.5+1e-9)"


def _read_row(y: str, height: str = "H") -> str:
    """The row a0() reads at uv.y `y` (up): (1 - y) * H - .5, truncated (`height`: H, or the
    plane's height where the geq draws a row)."""
    return f"floor((1-({y}))*{height}-0.5+1e-9)"


def _map(
    graph: FilterGraph, clock: Clock, frames: int, g: str, w: int, h: int, axis: str, extent: str, uses: int,
    d: str | None = None, base: str | None = None, outside: bool = False, unit: float = _G / 2,
) -> list[str]:  # fmt: skip
    """The map along `axis` (X or Y) of planes w x h: axis + D * g, in whole pixels, clamped; D is
    the distance to the centre unless `d` (a geq expression of the axis) says, and the axis `base`
    (another) if given. `outside`: a place off the plane (before -1/2 or past n - 1/2) is past the
    plane, where remap reads nothing, instead of clamped (65280: a 16-bit lut tops out at 255 << 8,
    so the map's own masks test val < n, not 65535).

    maskedmerge(B, O, g) = B + (O - B) * g / 65536 with g = K + unit * sin: so O - B = F * D * 65536 /
    unit and B = Q + F * axis - (O - B) / 2 give Q + F * (axis + D * sin), F the map's steps a
    pixel, Q an offset keeping B and O in range: B and O are Q + F (base -+ 32768 / unit * D), Q
    about 2 F n and F n at most 8190, so in 16 bits while base -+ 32768 / unit * D lies within
    -2 n..6 n pixels. The default unit, G/2, leaves g room to be a product of fields (|D| <= n / 2);
    a g drawn for the map alone may span the 16 bits (unit 32767): its steps are four times finer
    and D and `base` reach farther (a stretch of the plane, its mirror image below it)."""
    n = w if axis == "X" else h
    steps = max(1, 8190 // n)  # |D| <= n / 2: |O - B| <= 4 F n < 2^15; B, O within 0..5 F n
    offset = round(2.001 * steps * (n - 1)) + 2
    slope = steps * 65536 / unit  # (O - B) per pixel of D
    d = d or f"({axis}+0.5-{extent}/2)"
    exprs = [f"round({offset}+{steps}*{base or axis}{sign}{slope / 2:.6f}*{d})" for sign in "-+"]
    drawn = _row if axis == "X" else _column
    ramps = [_still(graph, clock, frames, drawn(graph, clock, w, h, e)) for e in exprs]
    pixels = f"clip(floor((val-{offset})/{steps}),0,{n - 1})"
    if outside:
        place = f"((val-{offset})/{steps})"
        pixels = f"if(lt({place},-0.5)+gt({place},{n}-0.5),{_TOP},{pixels})"
    mapped = graph.one([*ramps, g], [f("maskedmerge"), *_lut16(pixels)], "map")
    return graph.chain([mapped], [f("split", uses)], uses, "map") if uses > 1 else [mapped]


#: How each transition drawn with parameters is drawn, by the type of its parameters.
_WINDOWS: dict[type[Any], Callable[..., str]] = {
    Ripple: ripple_window, Zoom: zoom_window, Sway: sway_window, Warp: warp_window, Sweep: sweep_window,
    Drop: drop_window, Bounce: bounce_window, Turn: turn_window, Pixels: pixelize_window, Channels: channels_window,
    Rows: rows_window, Burnout: burnout_window, Displace: displace_window,
    Squeeze: squeeze_window, Lens: lens_window, Doorway: doorway_window,
    Cards: cards_window, Blur: blur_window, Morph: morph_window, Fold: fold_window, Parametric: parametric_window,
    Perspective: perspective_window, Hexagons: hexagons_window, Tiles: tiles_window, Luma: luma_window,
    DisplacementMap: displacement_window,
}  # fmt: skip
