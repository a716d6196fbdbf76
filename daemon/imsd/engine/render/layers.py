"""A video track's clips, each made into a canvas-sized layer of exactly the frames it plays.

The clip's look (look.py) and place (placement.py) are decided first, as values, because they
decide how the clip is read: a shot that other renders play too, with a shape that does not
depend on timing, has its picture work done once in a prepared file (prepared.py), and then its
source is opened only for its sound. Only after that are the track's inputs opened and the
layers built, each from its source or from its prepared file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from imsd.api.timeline import KenBurnsEffect, VideoTrackClip, ZoomEffect
from imsd.engine.render.clock import Clock
from imsd.engine.render.graph import Filter, FilterGraph, Input, Step, f, format_value
from imsd.engine.render.inputs import Inputs, stretch
from imsd.engine.render.look import Look, look_of, repeated
from imsd.engine.render.notes import Notes
from imsd.engine.render.pixels import source_colour, source_time_base, working_format
from imsd.engine.render.placement import OutputCanvas, Place, placed_picture, placement
from imsd.engine.render.prepared import PREPARED_INPUT, SUFFIX, ClipId, Preparation, SharedClips, clip_id_of
from imsd.engine.render.spans import Span

__all__ = ["ClipLayers", "Layer"]


@dataclass(frozen=True)
class Layer:
    """One clip's stream on the canvas; `opaque`: it covers the whole canvas (and is yuv420p)."""

    label: str
    opaque: bool


@dataclass(frozen=True)
class _Shape:
    """What a video clip turns into on the canvas: its own look, its place, and whether it is
    read from a prepared file."""

    look: Look
    place: Place
    zooms: bool
    prepared: Preparation | None


class ClipLayers:
    """Makes the layers of a render's video clips; `preparations` lists the prepared files they read."""

    def __init__(
        self,
        graph: FilterGraph,
        inputs: Inputs,
        canvas: OutputCanvas,
        clock: Clock,
        notes: Notes,
        shared: SharedClips | None,
    ) -> None:
        self.preparations: list[Preparation] = []
        self._graph = graph
        self._inputs = inputs
        self._canvas = canvas
        self._clock = clock
        self._notes = notes
        self._shared = shared

    def for_track(self, spans: list[Span], lengths: list[int]) -> list[Layer]:
        """The layers of a track's spans, in order, each `lengths[i]` frames long.

        The spans' inputs are opened here, once their shapes say which are read from prepared files.
        """
        shapes = [self._shape(span, frames) for span, frames in zip(spans, lengths, strict=True)]
        shaped = list(zip(spans, shapes, strict=True))
        self._inputs.open([span for span, shape in shaped if shape.prepared is None])
        # A prepared clip's source is read only for the sound it plays.
        self._inputs.open([span for span, shape in shaped if shape.prepared is not None and span.audible])
        return [self._layer(span, frames, shape) for span, frames, shape in zip(spans, lengths, shapes, strict=True)]

    def _shape(self, span: Span, frames: int) -> _Shape:
        """The clip's look and place; a clip the render prepares gets its Preparation here."""
        clip = span.clip
        assert isinstance(clip, VideoTrackClip)
        zooms = any(isinstance(e, KenBurnsEffect | ZoomEffect) for e in clip.Effects)
        look = look_of(span, frames, zooms, self._clock, self._notes)
        place = placement(span, look, self._canvas, self._notes)
        clip_ref = clip_id_of(clip)
        # Only work done frame by frame, the same whatever plays when, can be done beforehand.
        prepares = span.source_len is not None and not zooms and not look.timed and (place.whole or place.stacked)
        prepared = None
        if prepares and self._shared is not None and clip_ref in self._shared.clips:
            prepared = self._preparation(span, look, place, clip_ref, self._shared)
            self.preparations.append(prepared)
        return _Shape(look, place, zooms, prepared)

    def _preparation(self, span: Span, look: Look, place: Place, clip_ref: ClipId, shared: SharedClips) -> Preparation:
        """The clip's frames from its source, fitted as its layer, at the source's own timestamps."""
        assert span.source_len is not None
        info = span.info
        graph = FilterGraph()
        chain: list[Step] = [f("setpts", "PTS-STARTPTS"), *working_format(info, place.alpha), *look.chain]
        source = graph.steps(["0:v"], chain, "src")
        label = placed_picture(graph, source, look, place, self._canvas, self._clock, timed=False)
        source_stretch = Input(info.path, stretch(span.source_in, span.source_len))
        made_of = [shared.ffmpeg, str(info.path), info.version, list(source_stretch.options), graph.render()]
        key = hashlib.sha256(json.dumps(made_of).encode()).hexdigest()
        bytes_per_pixel = 1.5 if place.opaque else 2.5  # yuv420p, or yuva420p
        frames_estimate = span.source_len * (info.fps or 60) + 1
        return Preparation(
            clip=clip_ref,
            path=shared.directory / f"{key}{SUFFIX}",
            source=source_stretch,
            graph=graph,
            label=label,
            seconds=span.source_len,
            size_estimate=int(frames_estimate * self._canvas.width * self._canvas.height * bytes_per_pixel),
        )

    def _layer(self, span: Span, frames: int, shape: _Shape) -> Layer:
        """One clip as a canvas-sized stream of exactly `frames` frames (yuv420p if opaque)."""
        look, place = shape.look, shape.place
        if shape.prepared is not None:
            # NUT keeps the timestamps in a time base of its own and no colour properties: both
            # go back to the source's before timing, so the same frames are picked and tagged.
            index = self._inputs.add(shape.prepared.path, guard=PREPARED_INPUT)
            as_source = [*source_time_base(span.info), *source_colour(span.info)]
            chain = [*as_source, *_timing(span, frames, self._clock), self._clock.settb()]
            return Layer(self._graph.one([f"{index}:v"], chain, "layer"), place.opaque)
        pad, cut = self._inputs.pad(span, "v")
        still = span.source_len is None and not shape.zooms
        # A still is composed from its one decoded frame, then repeated: every filter ran once,
        # not once per frame; a look that changes with time needs every frame, so repeats first.
        early = repeated(frames, self._clock) if still and look.timed else []
        steps: list[Step] = [
            *cut,
            *_timing(span, frames, self._clock),
            *early,
            *working_format(span.info, place.alpha),
            *look.chain,
        ]
        source = self._graph.steps([pad], steps, "src")
        layer = placed_picture(self._graph, source, look, place, self._canvas, self._clock)
        if still and not look.timed:
            layer = self._graph.one([layer], repeated(frames, self._clock), "still")
        return Layer(layer, place.opaque)


def _timing(span: Span, frames: int, clock: Clock) -> list[Filter]:
    """A video's `frames` frames at the output rate; a still's one frame, which zoompan or
    the repeat after composing makes into all of them."""
    if span.source_len is None:
        return [f("trim", end_frame=1), f("setsar", 1)]
    speed = span.clip.Speed
    return [
        f("setpts", f"(PTS-STARTPTS)/{format_value(speed)}" if speed != 1 else "PTS-STARTPTS"),
        clock.rate(),
        f("tpad", stop_mode="clone", stop=-1),
        f("trim", end_frame=frames),
        f("setsar", 1),
    ]
