"""What the timeline puts over the whole composed picture: EffectTracks' looks, subtitles, Text.

These act on the stacked video as one picture, after every layer, so they are drawn once each
and not per clip. Looks come first, so they never recolour the subtitle files and Text drawn
after them; Text clips, and Text effects of video clips (shown while their clip plays), become
one ASS file written for the render (subtitles.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

from imsd.api.timeline import TextEffect, Timeline
from imsd.engine.media import MediaInfo
from imsd.engine.render.clock import Clock
from imsd.engine.render.effects import filter_look
from imsd.engine.render.geometry import Axis
from imsd.engine.render.graph import FilterGraph, f
from imsd.engine.render.look import vfx
from imsd.engine.render.notes import Notes
from imsd.engine.render.placement import OutputCanvas
from imsd.engine.render.spans import Layout
from imsd.engine.render.subtitles import AssDocument
from imsd.engine.render.vfx import Window, region_of
from imsd.settings import EngineSettings

__all__ = ["effect_tracks", "subtitles"]

_TEXT_FILE = "text.ass"


def effect_tracks(
    graph: FilterGraph, out: str, timeline: Timeline, canvas: OutputCanvas, clock: Clock, notes: Notes, seconds: float
) -> str:
    """`out` (`seconds` long) with every EffectTracks Filter and VFX applied over its time (the
    output's); an item without TimelineOut or Duration runs to the end, which bounds the
    frame-by-frame commands of a moving VFX and gives its progress a meaning."""
    for t, track in enumerate(timeline.EffectTracks):
        for i, item in enumerate(track.EffectTrackItems):
            loc = f"EffectTracks[{t}].EffectTrackItems[{i}]"
            start = item.TimelineIn or 0.0
            end = (
                item.TimelineOut
                if item.TimelineOut is not None
                else (start + item.Duration if item.Duration is not None else seconds)
            )
            end = min(end, seconds)
            design = canvas.design
            xs = Axis(canvas.width, design.Width if design else None)
            ys = Axis(canvas.height, design.Height if design else None)
            box = region_of(item.X, item.Y, item.Width, item.Height, xs, ys)
            window = Window(start, end, canvas.width, canvas.height, str(clock.fps), box)
            if item.Type == "VFX":
                drawn = vfx(item.SubType or "", window, loc, notes)
                out = graph.steps([out], drawn, "fx") if drawn else out
                continue
            look = filter_look(item.SubType or "") if item.Type == "Filter" else None
            if look is None:
                notes.ignored.append(f"{loc}: {item.Type} {item.SubType!r} is not supported")
                continue
            out = graph.one([out], window.only(look), "fx")
            notes.approximated.append(f"{loc}: Filter {item.SubType!r} approximated")
    return out


def subtitles(
    graph: FilterGraph,
    out: str,
    timeline: Timeline,
    *,
    layout: Layout,
    clock: Clock,
    media: Mapping[str, MediaInfo],
    canvas: OutputCanvas,
    settings: EngineSettings,
    workdir: Path,
    notes: Notes,
) -> tuple[str, dict[str, str]]:
    """`out` with the subtitle files and Text burnt in, and the files to write into `workdir` for them."""
    duration = clock.seconds(layout.frames)  # where Text clips without TimelineOut end
    doc = AssDocument(canvas.width, canvas.height)
    fonts = {"fontsdir": str(settings.fonts_dir)} if settings.fonts_dir else {}
    for t, track in enumerate(timeline.SubtitleTracks):
        for c, clip in enumerate(track.SubtitleTrackClips):
            key = f"SubtitleTracks[{t}].SubtitleTrackClips[{c}]"
            if clip.Type == "Text":
                doc.add(key, clip, duration, canvas.design, settings)
            elif clip.Type == "Subtitle":
                if clip.TimelineIn or clip.FontSize:
                    notes.ignored.append(f"{key}: timing/style fields do not apply to files")
                path = str(media[key].path)  # checked as a subtitle file when resolved
                out = graph.one([out], [f("subtitles", filename=path, **fonts)], "sub")
            else:
                notes.ignored.append(f"{key}: clip Type {clip.Type!r} is not supported")
    for key, text in _clip_texts(layout, clock):
        doc.add(key, text, duration, canvas.design, settings)
    notes.ignored += doc.ignored
    notes.approximated += doc.approximated
    if not doc.events:
        return out, {}
    path = str(workdir / _TEXT_FILE)
    return graph.one([out], [f("ass", filename=path, **fonts)], "text"), {_TEXT_FILE: doc.render()}


def _clip_texts(layout: Layout, clock: Clock) -> Iterator[tuple[str, TextEffect]]:
    """Each Text effect of a placed video clip, timed on the output while its clip plays.

    Its TimelineIn/TimelineOut count from the clip's start (inferred: the pages give them only
    on clips that start at 0) and never reach past the clip's end.
    """
    for track in layout.video:
        for span in [*track.placed, *track.global_images]:
            start = clock.seconds(span.start)
            end = clock.seconds(span.start + span.frames) if span.frames is not None else None
            for e, effect in enumerate(span.clip.Effects):
                if not isinstance(effect, TextEffect):
                    continue
                begin = start + (effect.TimelineIn or 0.0)
                finish = start + effect.TimelineOut if effect.TimelineOut is not None else end
                if end is not None and finish is not None:
                    finish = min(finish, end)
                yield f"{span.key}.Effects[{e}]", effect.model_copy(update={"TimelineIn": begin, "TimelineOut": finish})
