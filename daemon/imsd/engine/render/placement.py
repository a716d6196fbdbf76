"""Where a clip's picture goes on the output canvas, how it fits its box and what shows around it.

At 1080x1920 every full-frame pass is a visible share of the render (bench/render.py measures it
against the bare encode), so each way a clip can sit on the canvas is built with the fewest
full-frame passes that give its picture: a box that is the whole canvas needs no canvas, Cover
crops before it scales, opaque layers carry no alpha plane, Background Blur is blurred at a
fraction of the size and a letterboxed clip is stacked between bands of it, not blended over it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from imsd.api.timeline import Canvas, VideoTrackClip
from imsd.engine.media import focus_path
from imsd.engine.render.clock import Clock
from imsd.engine.render.geometry import Axis, even
from imsd.engine.render.graph import Filter, FilterGraph, f, format_value
from imsd.engine.render.look import Look
from imsd.engine.render.notes import Notes
from imsd.engine.render.pixels import has_alpha
from imsd.engine.render.spans import Span

__all__ = ["OutputCanvas", "Place", "adapt_mode", "placed_picture", "placement"]


@dataclass(frozen=True)
class OutputCanvas:
    """The output picture's size, and the FECanvas its pixel values were designed on, if any."""

    width: int
    height: int
    design: Canvas | None = None


@dataclass(frozen=True)
class Place:
    """Where a clip goes on the canvas, how it fits its box and what shows around it."""

    x: int
    y: int
    w: int
    h: int
    mode: str  # AdaptMode
    opacity: float
    blur: bool  # Background Blur
    colour: str  # Background Color; "black@0" when none
    whole: bool  # the box is the canvas, so the fitted clip is the layer
    stacked: bool  # the box is the canvas and the clip opaque, over a blurred copy of itself
    opaque: bool  # the layer covers the canvas
    alpha: bool  # the layer keeps the clip's own transparency
    # Cover: the (t, x, y) path of the faces to keep in the window, t in seconds from the clip's
    # In on the source, x and y fractions of the picture (media/faces.py); () keeps it centred.
    focus: tuple[tuple[float, float, float], ...] = ()
    speed: float = 1.0  # the clip's Speed: source seconds per output second


def placement(span: Span, look: Look, canvas: OutputCanvas, notes: Notes) -> Place:
    """The clip's box on the canvas and what shows around it."""
    clip = span.clip
    assert isinstance(clip, VideoTrackClip)
    design = canvas.design
    xs = Axis(canvas.width, design.Width if design else None)
    ys = Axis(canvas.height, design.Height if design else None)
    w, h = look.w, look.h
    bw = even(xs.length(look.box_w)) if look.box_w else None
    bh = even(ys.length(look.box_h)) if look.box_h else None
    bw = bw or (even(bh * w / h) if bh else canvas.width)
    bh = bh or (even(bw * h / w) if look.box_w else canvas.height)
    x, y = xs.px(clip.X), ys.px(clip.Y)
    background = look.background
    blur = background is not None and background.SubType == "Blur"
    colour = "black@0"
    if background is not None and not blur:
        if background.SubType == "Color":
            colour = background.Color
        else:
            notes.ignored.append(f"{span.key}.Effects: Background {background.SubType!r}")
    mode = adapt_mode(clip, look, (bw, bh))
    # A box that is the whole canvas needs no canvas to be placed on (see placed_picture).
    whole_box = (bw, bh, x, y) == (canvas.width, canvas.height, 0, 0) and not look.rotate and clip.Opacity >= 1
    alpha = has_alpha(span.info)
    stacked = whole_box and blur and not alpha
    whole = whole_box and not blur
    # Opaque layers stay yuv420p: alpha is a fourth plane every later filter would carry.
    opaque = blur or colour != "black@0" or (whole and mode != "Contain")
    keep_alpha = alpha and not (whole and opaque)
    focus = _focus(span, notes) if mode == "Cover" and (w, h) != (bw, bh) else ()
    return Place(x, y, bw, bh, mode, clip.Opacity, blur, colour, whole, stacked, opaque, keep_alpha, focus,
                 span.clip.Speed)  # fmt: skip


def _focus(span: Span, notes: Notes) -> tuple[tuple[float, float, float], ...]:
    """The path of the faces over the part of the source the clip plays, from its In, else of its
    most salient region; () when it shows neither (or they were not looked for): a centred
    window, as the crop is documented."""
    if not span.info.faces or span.source_len is None:
        return ()
    path = focus_path(span.info.faces, span.source_in, span.source_in + span.source_len)
    if path is None:
        return ()
    follows = "the faces the clip shows" if path.subject == "faces" else "the most salient region of the clip (no face)"
    notes.approximated.append(
        f"{span.key}: the AdaptMode Cover crop follows {follows} (engine.reframe_faces); "
        "the pages say only that the picture is scaled and cropped"
    )
    return tuple((round(t - span.source_in, 3), x, y) for t, x, y in path.points)


def adapt_mode(clip: VideoTrackClip, look: Look, box: tuple[int, int]) -> str:
    """How the clip fits its box: its AdaptMode, else as IMS does without one.

    A clip given no box is shown whole and centred on the canvas: "系统会根据素材和成片的宽高设置
    将素材居中展示" (document_detail/451632, landscape to portrait by OutputMediaConfig alone); a
    clip given a box fills it (AdaptMode's documented default, Fill). A picture of the box's own
    shape is Filled whatever the mode: Contain would draw the same pixels through a padded canvas.
    """
    boxed = look.box_w is not None or look.box_h is not None
    mode = clip.AdaptMode or ("Fill" if boxed else "Contain")
    return "Fill" if mode == "Contain" and _contained((look.w, look.h), box) == box else mode


def placed_picture(
    graph: FilterGraph,
    source: str,
    look: Look,
    place: Place,
    canvas: OutputCanvas,
    clock: Clock,
    *,
    timed: bool = True,
) -> str:
    """The clip's picture fitted into its box, on whatever shows around it, in `graph`.

    `timed`: the layer is on the output's clock (time base 1/fps). A clip being prepared is
    not: it keeps its source's timestamps, so the render later picks the frames it would
    have picked from the source (the whole-canvas shapes are the only ones prepared).
    """
    clip_size, box = (look.w, look.h), (place.w, place.h)
    radius = look.background.Radius if look.background else 0.1
    mode = place.mode
    on_clock = [clock.settb()] if timed else []
    if place.stacked:
        return _on_blurred_bands(graph, source, mode, clip_size, radius, canvas, on_clock)
    fg_format = "yuv420p" if place.whole and place.opaque else "yuva420p"  # overlay wants alpha anyway
    # A box that is the whole canvas is the layer itself (Contain pads it to the canvas),
    # which saves a full-frame overlay per frame. Contain on a canvas is placed by the
    # overlay: padding it first would only make the overlay blend transparent pixels.
    # The layer's clock runs from the clip's In at its Speed; a prepared clip keeps the source's.
    seconds = f"t*{format_value(place.speed)}" if timed and place.speed != 1 else "t"
    fitted = _fit(mode, clip_size, box, place.colour if place.whole else None, place.focus, seconds)
    fg_chain = [*fitted, f("format", fg_format)]
    if place.opacity < 1:
        fg_chain.append(f("colorchannelmixer", aa=place.opacity))
    if look.rotate:
        angle = f"{format_value(look.rotate)}*PI/180"
        fg_chain.append(f("rotate", a=angle, ow="rotw(a)", oh="roth(a)", c="none"))
    if place.whole:
        return graph.one([source], [*fg_chain, *on_clock], "layer")
    if place.blur:
        source, blur_src = graph.chain([source], [f("split")], 2, "split")
        background = graph.one([blur_src], _blurred_canvas(clip_size, radius, canvas), "bg")
    else:
        size = f"{canvas.width}x{canvas.height}"
        canvas_format = "yuv420p" if place.opaque else "yuva420p"
        colour_source = [f("color", c=place.colour, s=size, r=str(clock.fps)), f("format", canvas_format)]
        background = graph.one([], colour_source, "bg")
    fg = graph.one([source], fg_chain, "fg")
    centre = f("overlay", x=f"{place.x}+({place.w}-w)/2", y=f"{place.y}+({place.h}-h)/2",
               shortest=1, format="auto", eof_action="endall")  # fmt: skip
    finish = [f("format", "yuv420p" if place.opaque else "yuva420p"), *on_clock]
    return graph.one([background, fg], [centre, *finish], "layer")


def _on_blurred_bands(
    graph: FilterGraph,
    source: str,
    mode: str,
    clip_size: tuple[int, int],
    radius: float,
    canvas: OutputCanvas,
    on_clock: list[Filter],
) -> str:
    """An opaque clip filling the canvas, blurred copy of itself in the bands it leaves.

    The pieces are stacked, not overlaid: overlay converts the clip to yuva420p and blends
    every pixel of it, which cost more than decoding it (bench/render.py's Contain clip).
    The clip sits where overlay would centre it (rows and columns even, for chroma).
    """
    width, height = canvas.width, canvas.height
    fw, fh = _contained(clip_size, (width, height)) if mode == "Contain" else (width, height)
    fit = [*_fit(mode, clip_size, (width, height), None), f("format", "yuv420p")]
    vertical = fw == width  # bands above and below, else left and right
    gap = height - fh if vertical else width - fw
    if not gap:  # nothing shows around it
        return graph.one([source], [*fit, *on_clock], "layer")
    first = gap // 2 & ~1
    bands = [(at, n) for at, n in ((0, first), (first + (fh if vertical else fw), gap - first)) if n]
    source, blur_src = graph.chain([source], [f("split")], 2, "split")
    blurred = graph.one([blur_src], _blurred_canvas(clip_size, radius, canvas), "bg")
    cuts = [f("crop", width, n, 0, at) if vertical else f("crop", n, height, at, 0) for at, n in bands]
    copies = [blurred] if len(cuts) == 1 else graph.chain([blurred], [f("split", len(cuts))], len(cuts), "bg")
    crops = [graph.one([copy], [cut], "band") for copy, cut in zip(copies, cuts, strict=True)]
    fg = graph.one([source], fit, "fg")
    pieces = [crops[0], fg, *crops[1:]] if first else [fg, *crops]
    stack = f("vstack" if vertical else "hstack", inputs=len(pieces))
    return graph.one(pieces, [stack, *on_clock], "layer")


def _blurred_canvas(clip_size: tuple[int, int], radius: float, canvas: OutputCanvas) -> list[Filter]:
    """The clip cropped to fill the canvas and blurred, for Background Blur.

    Blurred at 1/k of the canvas size and scaled back up: a blur of sigma s at full size
    looks the same as one of s/k at 1/k size, and costs about k*k times less.
    """
    width, height = canvas.width, canvas.height
    sigma = max(1.0, radius * min(width, height) / 2)
    k = max(1, min(8, int(sigma / 2)))
    small = _fit("Cover", clip_size, (even(width / k), even(height / k)))
    up = [f("scale", width, height, flags="bilinear"), f("setsar", 1), f("format", "yuv420p")]
    return [*small, f("gblur", sigma=sigma / k), *up]


def _fit(
    mode: str,
    size: tuple[int, int],
    box: tuple[int, int],
    pad: str | None = "black@0",
    focus: tuple[tuple[float, float, float], ...] = (),
    seconds: str = "t",
) -> list[Filter]:
    """Scale a `size` picture into a `box`: Fill stretches, Contain letterboxes with `pad`, Cover crops.

    Contain with `pad` None only scales, for a caller that places the result in the box itself.

    Cover crops the source to the box's aspect *before* scaling: scaling first and cropping
    after computes every pixel that is then thrown away (a 16:9 source covering a 9:16 box
    would be scaled to 3.2 times the pixels it shows).
    """
    w, h = box
    if mode == "Contain":
        scale = f("scale", *_contained(size, box))
        if pad is None:
            return [scale, f("setsar", 1)]
        # Transparent padding needs an alpha plane; a colour does not.
        alpha = [f("format", "yuva420p")] if pad == "black@0" else []
        return [scale, *alpha, f("pad", w, h, "(ow-iw)/2", "(oh-ih)/2", color=pad), f("setsar", 1)]
    if mode == "Cover":
        # Centred, or (`focus`) around the faces' path, `seconds` being the source's seconds from
        # the clip's In; either way inside the picture.
        at = {"x": _along(focus, 1, "iw", "ow", seconds), "y": _along(focus, 2, "ih", "oh", seconds)} if focus else {}
        return [
            f("crop", f"min(iw,ih*{w}/{h})", f"min(ih,iw*{h}/{w})", **at),
            f("scale", w, h),
            f("setsar", 1),
        ]
    return [f("scale", w, h), f("setsar", 1)]


def _along(points: tuple[tuple[float, float, float], ...], axis: int, whole: str, window: str, seconds: str) -> str:
    """A crop offset that keeps the path's point (`axis` 1: x, 2: y) at the window's centre:
    straight lines between the keyframes, held before the first and after the last, clamped."""
    n = format_value
    expr = n(points[-1][axis])
    for first, then in reversed(list(itertools.pairwise(points))):
        (t0, v0), (t1, v1) = (first[0], first[axis]), (then[0], then[axis])
        slope = (v1 - v0) / (t1 - t0) if t1 > t0 else 0.0
        expr = f"if(lt({seconds},{n(t1)}),{n(v0)}+{n(slope)}*({seconds}-{n(t0)}),{expr})"
    if len(points) > 1:
        expr = f"if(lt({seconds},{n(points[0][0])}),{n(points[0][axis])},{expr})"
    return f"clip(({expr})*{whole}-{window}/2,0,{whole}-{window})"


def _contained(size: tuple[int, int], box: tuple[int, int]) -> tuple[int, int]:
    """The even size a `size` picture scales to inside `box`, keeping its aspect.

    ffmpeg's own rule (scale's force_original_aspect_ratio=decrease, force_divisible_by=2), so
    the graph states the size the filters after it are built for.
    """
    (w, h), (bw, bh) = size, box
    return min(bw, 2 * _rounded(bh * w, 2 * h)), min(bh, 2 * _rounded(bw * h, 2 * w))


def _rounded(num: int, den: int) -> int:
    """num / den rounded half away from zero, as av_rescale() does, for positive integers."""
    return (2 * num + den) // (2 * den)
