"""A video clip's own effects, read in the order the clip lists them, as filters on its picture.

Crop, Flip, KenBurns/Zoom and Filter looks change the picture itself and run in the clip's order;
Scale, Rotate and Background only say how the picture is placed on the canvas, so they are kept
as values for placement.py instead of becoming filters here.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from imsd.api.timeline import (
    AFadeEffect,
    ALoudNormEffect,
    BackgroundEffect,
    CropEffect,
    FilterEffect,
    FlipEffect,
    KenBurnsEffect,
    RotateEffect,
    ScaleEffect,
    TextEffect,
    TransitionEffect,
    VfxEffect,
    VideoTrackClip,
    VolumeEffect,
    ZoomEffect,
)
from imsd.engine.render.clock import Clock
from imsd.engine.render.effects import filter_look
from imsd.engine.render.geometry import Axis, even
from imsd.engine.render.graph import Filter, Step, f, format_value
from imsd.engine.render.notes import Notes
from imsd.engine.render.spans import Span
from imsd.engine.render.vfx import Window, region_of, vfx_filters

__all__ = ["Look", "look_of", "repeated"]


@dataclass
class Look:
    """A clip's own filters, and the picture size, box, rotation and background they leave."""

    w: int
    h: int
    box_w: float | None
    box_h: float | None
    chain: list[Step] = field(default_factory=list)  # a Branch only from a VFX
    rotate: float = 0.0
    background: BackgroundEffect | None = None
    #: The chain changes with the clip's time (a VFX, a ranged Filter): it must run on the clip's
    #: own frames at the output rate, never once on a still or on a prepared file's source time.
    timed: bool = False


def look_of(span: Span, frames: int, zooms: bool, clock: Clock, notes: Notes) -> Look:
    """The clip's own effects, in order, and the size, box and background they leave.

    `frames`: how many the clip plays; `zooms`: it has a KenBurns or Zoom effect.
    """
    clip = span.clip
    assert isinstance(clip, VideoTrackClip)
    look = Look(even(span.info.width), even(span.info.height), clip.Width, clip.Height)
    expanded = not (span.source_len is None and zooms)  # the stream already has all its frames
    for e, effect in enumerate(clip.Effects):
        loc = f"{span.key}.Effects[{e}]"
        if isinstance(effect, CropEffect):
            cx, cy = Axis(look.w), Axis(look.h)
            cw = even(cx.length(effect.Width or 1.0))
            ch = even(cy.length(effect.Height or 1.0))
            look.chain.append(f("crop", cw, ch, cx.px(effect.X), cy.px(effect.Y)))
            look.w, look.h = cw, ch
        elif isinstance(effect, KenBurnsEffect | ZoomEffect):
            per_frame = 1 if expanded else frames
            look.chain.append(_zoompan(effect, loc, look.w, look.h, frames, per_frame, clock, notes))
            expanded = True
        elif isinstance(effect, FlipEffect):
            look.chain.append(f("hflip" if effect.Direction.lower() == "horizontal" else "vflip"))
        elif isinstance(effect, RotateEffect):
            look.rotate = effect.Degree
        elif isinstance(effect, ScaleEffect):
            look.box_w, look.box_h = effect.Width or look.box_w, effect.Height or look.box_h
        elif isinstance(effect, BackgroundEffect):
            look.background = effect
        elif isinstance(effect, VfxEffect):
            if not expanded:  # a still a later KenBurns/Zoom would expand: every frame from now
                look.chain += repeated(frames, clock)
                expanded = True
            look.chain += vfx(effect.SubType, _window(effect, look, frames, clock), loc, notes)
            look.timed = True
        elif isinstance(effect, FilterEffect):
            preset = filter_look(effect.SubType)
            if preset is None:
                notes.ignored.append(f"{loc}: Filter {effect.SubType!r} is not supported")
            else:
                window = _window(effect, look, frames, clock)
                ranged = window.start > 0 or window.end < clock.seconds(frames)
                if ranged and not expanded:  # a still a later KenBurns/Zoom would expand
                    look.chain += repeated(frames, clock)
                    expanded = True
                look.chain += window.only(preset) if ranged else preset
                look.timed = look.timed or ranged
                notes.approximated.append(f"{loc}: Filter {effect.SubType!r} approximated")
        elif not isinstance(effect, TransitionEffect | VolumeEffect | AFadeEffect | ALoudNormEffect | TextEffect):
            notes.unsupported_effect(loc, effect)
    return look


def repeated(frames: int, clock: Clock) -> list[Filter]:
    """One frame repeated `frames` times at the output rate.

    fps declares the output rate on the link (the frames already are at it): a still's demuxer
    gives its own (25 for images, 100 for a GIF), which transitions refuse.
    """
    return [f("loop", loop=frames - 1, size=1), clock.settb(), f("setpts", "N"), clock.rate()]


def _window(effect: VfxEffect | FilterEffect, look: Look, frames: int, clock: Clock) -> Window:
    """Where a clip's effect runs, in the clip's own time: TimelineIn..TimelineOut (or Duration
    from TimelineIn) from its first frame (inferred from "对素材添加特效", document_detail/447495),
    by default the whole clip."""
    clip_s = clock.seconds(frames)
    start = effect.TimelineIn or 0.0
    end = effect.TimelineOut or (start + effect.Duration if effect.Duration else clip_s)
    window = Window(start, min(end, clip_s), look.w, look.h, str(clock.fps))
    if isinstance(effect, VfxEffect):
        box = region_of(effect.X, effect.Y, effect.Width, effect.Height, Axis(look.w), Axis(look.h))
        window = replace(window, region=box)
    return window


def vfx(sub_type: str, window: Window, loc: str, notes: Notes) -> tuple[Step, ...]:
    """The filters of VFX `sub_type` over `window`, each reported: drawn as what (approximated,
    as every VFX is: the docs show them only as previews), or not drawn."""
    drawn = vfx_filters(sub_type, window)
    if drawn is None:
        why = "not a SubType the IMS effects pages list: docs/effects.md lists them"
        notes.ignored.append(f"{loc}: VFX {sub_type!r} is not drawn ({why})")
        return ()
    filters, drawn_as = drawn
    notes.approximated.append(f"{loc}: VFX {sub_type!r} drawn as {drawn_as}")
    return filters


def _zoompan(
    effect: KenBurnsEffect | ZoomEffect,
    loc: str,
    w: int,
    h: int,
    frames: int,
    per_frame: int,
    clock: Clock,
    notes: Notes,
) -> Filter:
    """Pan/zoom over the clip; progress p runs 0->1 over Duration (default: the clip).

    `per_frame` is how many output frames each input frame makes: 1 for video, all of them
    for a still, which is then decoded once.
    """
    total = clock.frames(effect.Duration) if effect.Duration else frames
    p = f"min(1,on/{max(1, total - 1)})"
    if isinstance(effect, ZoomEffect):
        z0, dz = format_value(effect.StartRate), format_value(effect.EndRate - effect.StartRate)
        z = f"{z0}+{dz}*{p}"
        x, y = "iw/2-iw/zoom/2", "ih/2-ih/zoom/2"
    else:
        x0, y0, w0, h0 = KenBurnsEffect.rect(effect.Start)
        x1, y1, w1, h1 = KenBurnsEffect.rect(effect.End)
        if abs(w0 - h0) > 1e-3 or abs(w1 - h1) > 1e-3:
            notes.approximated.append(f"{loc}: KenBurns rectangles keep the clip's aspect")
        z = f"1/({format_value(w0)}+{format_value(w1 - w0)}*{p})"
        x = f"({format_value(x0)}+{format_value(x1 - x0)}*{p})*iw"
        y = f"({format_value(y0)}+{format_value(y1 - y0)}*{p})*ih"
    return f("zoompan", z=z, x=x, y=y, d=per_frame, s=f"{w}x{h}", fps=str(clock.fps))
