"""Timeline -> one ffmpeg filter graph (data), plus the inputs and files it refers to.

Pure: takes the validated timeline and what each referenced file contains, returns a `Plan`;
nothing runs. Time is counted in output frames throughout, so that transitions, gaps and the
output length are exact and "within one frame" is a property of the data, not of ffmpeg luck.

Video: every track is a layer (index 0 at the bottom). Each clip becomes a canvas-sized stream
(its box placed on a transparent or Background-filled canvas) of exactly its span; a track is
those streams cut at transition windows, the windows blended by xfade (Transition on the earlier
clip, overlapping the clips by its Duration) and everything joined by one concat (gaps are
transparent padding); tracks are overlaid on black.

The graph is shaped for cost, since at 1080x1920 every full-frame pass is a visible share of the
render (bench/render.py measures it against the bare encode): stills are decoded and composed
once, shots of one file played in source order share one decoder, work is done in yuv420p, Cover
crops before it scales, a clip filling the canvas needs no canvas, opaque layers carry no alpha
plane, an opaque bottom track replaces the black base, Background Blur is blurred at a fraction
of the size and a letterboxed clip is stacked between bands of it (not blended over it), and
only transition windows go through xfade. A clip that other renders play too (a batch's shared
shot, named by `shared`) reads its picture already decoded and fitted from a prepared file
(prepared.py), and only its timing is done here.
Audio: every audio clip and every video clip's own audio is trimmed, looped, tempo-shifted,
faded and gained on its own, delayed to its start and summed by amix with normalize=0 over a
silent bed of exactly the output length; a clip muted by a Volume of 0 is left out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from imsd.api.timeline import (
    MAX_SHORT_SIDE,
    MAX_SIDE,
    MIN_SIDE,
    VIDEO_CLIP_TYPES,
    AFadeEffect,
    ALoudNormEffect,
    AudioTrackClip,
    BackgroundEffect,
    CropEffect,
    FilterEffect,
    FlipEffect,
    KenBurnsEffect,
    OutputMediaConfig,
    RotateEffect,
    ScaleEffect,
    Timeline,
    TransitionEffect,
    VideoTrackClip,
    VolumeEffect,
    ZoomEffect,
)
from imsd.engine.media import SAFE_INPUT, MediaInfo
from imsd.engine.render.effects import XfadeChoice, filter_look, xfade_transition
from imsd.engine.render.geometry import Axis, even
from imsd.engine.render.graph import Filter, FilterGraph, Input, f, format_value
from imsd.engine.render.prepared import PREPARED_INPUT, SUFFIX, ClipId, Preparation, SharedClips, clip_id_of
from imsd.engine.render.subtitles import AssDocument
from imsd.errors import invalid
from imsd.settings import EngineSettings

SAMPLE_RATE = 48000
TEXT_FILE = "text.ass"
_AFADE_CURVES = frozenset(
    {"tri", "qsin", "hsin", "esin", "log", "ipar", "qua", "cub", "squ", "cbr", "par", "exp",
     "iqsin", "ihsin", "dese", "desi", "losi", "sinc", "isinc", "nofade"}
)  # fmt: skip
# Fields the engine reads from `model_extra` itself, so they are not reported as unknown.
_CONSUMED_EXTRAS = frozenset({"AaiMotionInEffect", "AaiMotionIn", "AaiMotionOutEffect", "AaiMotionOut"})
# A shot whose In is at most this far past where a read of its file stands is cut from that read
# (decoding the gap) rather than seeking an input of its own (decoding from the keyframe before
# In, as far back as a whole keyframe interval, and opening the file again).
_SHARED_READ_GAP_S = 2.0
_SAME_INSTANT_S = 1e-6  # In and a previous Out computed by different sums
# xfade transitions that compute each plane alike from its own samples and its own size (none of
# the ones that fade to black or white, mix planes, or, like dissolve, cost more per plane).
_PLANEWISE_XFADES = frozenset(
    {"fade", "fadefast", "fadeslow", "wipeleft", "wiperight", "wipeup", "wipedown", "wipetl", "wipetr",
     "wipebl", "wipebr", "slideleft", "slideright", "slideup", "slidedown", "smoothleft", "smoothright",
     "smoothup", "smoothdown", "circleopen", "circleclose", "vertopen", "vertclose", "horzopen",
     "horzclose", "diagtl", "diagtr", "diagbl", "diagbr", "hlslice", "hrslice", "vuslice", "vdslice",
     "radial"}
)  # fmt: skip


@dataclass(frozen=True)
class MediaRef:
    """One media reference in a timeline: where it is (`key`) and how the request named it."""

    key: str  # e.g. "VideoTracks[0].VideoTrackClips[1]"
    ref: str
    field: str  # e.g. "Timeline.VideoTracks[0].VideoTrackClips[1].MediaURL", for errors
    media_id: bool
    #: Opened again by name inside the graph (the `subtitles` filter): rendered from a private
    #: copy that is what was probed, so the file cannot be swapped between check and use.
    copied: bool = False


def media_refs(timeline: Timeline) -> list[MediaRef]:
    """Every reference the renderer will need, in timeline order."""
    refs: list[MediaRef] = []
    clips: list[tuple[str, VideoTrackClip | AudioTrackClip]] = [
        (f"VideoTracks[{t}].VideoTrackClips[{c}]", clip)
        for t, track in enumerate(timeline.VideoTracks)
        if track.Type == "Video"
        for c, clip in enumerate(track.VideoTrackClips)
        if clip.Type in VIDEO_CLIP_TYPES
    ] + [
        (f"AudioTracks[{t}].AudioTrackClips[{c}]", clip)
        for t, track in enumerate(timeline.AudioTracks)
        for c, clip in enumerate(track.AudioTrackClips)
        if clip.Type == "Audio"
    ]
    for key, clip in clips:
        name = "MediaId" if clip.MediaId else "MediaURL"
        ref = clip.media_ref or ""
        refs.append(MediaRef(key, ref, f"Timeline.{key}.{name}", media_id=bool(clip.MediaId)))
    for t, sub_track in enumerate(timeline.SubtitleTracks):
        for c, sub in enumerate(sub_track.SubtitleTrackClips):
            if sub.Type == "Subtitle" and sub.FileURL:
                key = f"SubtitleTracks[{t}].SubtitleTrackClips[{c}]"
                # Probed like media: the format found is checked before the file reaches the graph.
                refs.append(MediaRef(key, sub.FileURL, f"Timeline.{key}.FileURL", media_id=False, copied=True))
    return refs


@dataclass
class Plan:
    """Everything needed to run the render; `files` are written into the work dir first."""

    inputs: list[Input]
    graph: FilterGraph
    video: str | None
    audio: str
    width: int
    height: int
    fps: Fraction
    frames: int
    files: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    approximated: list[str] = field(default_factory=list)
    preparations: list[Preparation] = field(default_factory=list)  # prepared files the inputs read

    @property
    def duration(self) -> float:
        return float(self.frames / self.fps)


@dataclass
class _Span:
    """A clip placed on the output timeline, in frames; `frames` None = until the end."""

    key: str
    clip: VideoTrackClip | AudioTrackClip
    info: MediaInfo
    start: int
    frames: int | None
    source_in: float
    source_len: float | None  # seconds of source used; None for still images
    join: tuple[XfadeChoice, int] | None = None  # transition from the previous span
    fade_out: int = 0  # frames of audio fade into the next span's transition
    read: _Read | None = None  # the input that feeds it, once opened
    prepared: Preparation | None = None  # its picture comes from a prepared file


@dataclass
class _Read:
    """One input decoding a stretch of one file for the spans that play it in source order."""

    path: Path
    still: bool
    start: float  # source seconds at the input's time 0
    end: float
    spans: list[_Span] = field(default_factory=list)
    index: int = -1  # of its -i, once made


@dataclass
class _Look:
    """A clip's own filters, and the picture size, box, rotation and background they leave."""

    w: int
    h: int
    box_w: float | None
    box_h: float | None
    chain: list[Filter] = field(default_factory=list)
    rotate: float = 0.0
    background: BackgroundEffect | None = None


@dataclass(frozen=True)
class _Place:
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


@dataclass(frozen=True)
class _Shape:
    """What a video clip turns into on the canvas: its own look and its place."""

    look: _Look
    place: _Place
    zooms: bool


def _fps(value: float) -> Fraction:
    return Fraction(value).limit_denominator(1001)


class _Composer:
    def __init__(
        self,
        timeline: Timeline,
        output: OutputMediaConfig,
        media: Mapping[str, MediaInfo],
        workdir: Path,
        settings: EngineSettings,
        shared: SharedClips | None,
    ) -> None:
        self.tl = timeline
        self.out = output
        self.media = media
        self.workdir = workdir
        self.settings = settings
        self.shared = shared
        self.preparations: list[Preparation] = []
        self.fps = _fps(output.Video.Fps or settings.default_fps)
        self.graph = FilterGraph()
        self.inputs: list[Input] = []
        self.ignored: list[str] = []
        self.approximated: list[str] = []
        self.files: dict[str, str] = {}
        self.width = self.height = 0
        self.opaque: set[str] = set()  # layer labels known to cover the whole canvas opaquely
        self._splits: dict[tuple[int, str], list[str]] = {}  # (input, "v"/"a") -> a pad per span

    # ---- time ----------------------------------------------------------------------------

    def frames(self, seconds: float) -> int:
        return round(seconds * self.fps)

    def seconds(self, frames: int) -> float:
        return float(frames / self.fps)

    def samples(self, frames: int) -> int:
        return round(frames / self.fps * SAMPLE_RATE)

    def _source(self, key: str, clip: VideoTrackClip | AudioTrackClip, info: MediaInfo) -> float:
        """Seconds of source between In and Out (Out defaults to, and is capped by, the end)."""
        end = info.duration or 0.0
        start = clip.In or 0.0
        if start >= end:
            raise invalid(f"Timeline.{key}.In", f"{start} is not before the media end ({end:.3f})")
        if clip.Out is not None and clip.Out > end + 1 / float(self.fps):
            self.approximated.append(f"{key}.Out: {clip.Out} is past the media end, cut to {end:.3f}")
        return min(clip.Out if clip.Out is not None else end, end) - start

    def _video_spans(self, t: int) -> tuple[list[_Span], list[_Span]]:
        """(placed spans, GlobalImage spans that last until the end) of one video track."""
        spans: list[_Span] = []
        globals_: list[_Span] = []
        cursor = 0
        pending: tuple[TransitionEffect, _Span] | None = None
        for c, clip in enumerate(self.tl.VideoTracks[t].VideoTrackClips):
            key = f"VideoTracks[{t}].VideoTrackClips[{c}]"
            if clip.Type not in VIDEO_CLIP_TYPES:
                self.ignored.append(f"{key}: clip Type {clip.Type!r} is not supported")
                continue
            self._unknown(key, clip)
            info = self.media[key]
            if not info.has_video:
                self.ignored.append(f"{key}: {clip.media_ref!r} has no video stream")
                continue
            still = info.is_image or clip.Type != "Video"
            source_len = None if still else self._source(key, clip, info)
            explicit = clip.TimelineIn is not None and clip.TimelineOut is not None
            if clip.Type == "GlobalImage":
                globals_.append(_Span(key, clip, info, 0, None, 0.0, None))
                continue
            if explicit:
                length = (clip.TimelineOut or 0.0) - (clip.TimelineIn or 0.0)
            elif still:
                if clip.Duration is None and clip.Out is None:
                    raise invalid(f"Timeline.{key}.Duration", "is required for Image clips")
                length = clip.Duration or (clip.Out or 0.0) - (clip.In or 0.0)
            else:
                length = (source_len or 0.0) / clip.Speed
            frames = max(1, self.frames(length))
            join = None
            if pending is not None:
                effect, prev = pending
                join = self._join(effect, prev, frames)
                sequential = clip.TimelineIn is None or self.frames(clip.TimelineIn) == cursor - (
                    join[1] if join else 0
                )
                if join is not None and not sequential:
                    self.ignored.append(
                        f"{prev.key}.Effects: Transition needs the next clip to start "
                        f"{self.seconds(join[1]):.3f}s before this clip ends"
                    )
                    join = None
                if join is not None:
                    cursor -= join[1]
                    prev.fade_out = join[1]
            start = self.frames(clip.TimelineIn) if clip.TimelineIn is not None else cursor
            span = _Span(key, clip, info, start, frames, clip.In or 0.0, source_len, join)
            spans.append(span)
            cursor = start + frames
            transition = next((e for e in clip.Effects if isinstance(e, TransitionEffect)), None)
            pending = (transition, span) if transition is not None else None
        if pending is not None:
            self.ignored.append(f"{pending[1].key}.Effects: Transition on the last clip of a track")
        return spans, globals_

    def _join(self, effect: TransitionEffect, prev: _Span, frames: int) -> tuple[XfadeChoice, int] | None:
        """The xfade and its length in frames joining `prev` to a clip of `frames` frames."""
        loc = f"{prev.key}.Effects"
        choice = xfade_transition(effect.SubType, prev.key)
        if choice is None:
            self.ignored.append(f"{loc}: Transition SubType {effect.SubType!r} is not supported")
            return None
        if choice.approximated:
            self.approximated.append(f"{loc}: Transition {effect.SubType!r} as xfade {choice.name}")
        wanted = self.frames(effect.Duration)
        d = min(wanted, (prev.frames or 1) - 1, frames - 1)
        if d < 1:
            self.ignored.append(f"{loc}: Transition longer than the clips it joins")
            return None
        if d < wanted:
            self.approximated.append(f"{loc}: Transition Duration cut to {self.seconds(d):.3f}s")
        return choice, d

    def _audio_spans(self, t: int) -> list[_Span]:
        spans = []
        cursor = 0
        for c, clip in enumerate(self.tl.AudioTracks[t].AudioTrackClips):
            key = f"AudioTracks[{t}].AudioTrackClips[{c}]"
            if clip.Type != "Audio":
                self.ignored.append(f"{key}: clip Type {clip.Type!r} is not supported")
                continue
            self._unknown(key, clip)
            info = self.media[key]
            if not info.has_audio:
                self.ignored.append(f"{key}: {clip.media_ref!r} has no audio stream")
                continue
            source_len = self._source(key, clip, info)
            start = self.frames(clip.TimelineIn) if clip.TimelineIn is not None else cursor
            limit = self.frames(clip.TimelineOut) - start if clip.TimelineOut is not None else None
            natural = max(1, self.frames(source_len / clip.Speed))
            frames = limit if clip.LoopMode else min(natural, limit or natural)
            spans.append(_Span(key, clip, info, start, frames, clip.In or 0.0, source_len))
            cursor = start + (frames if frames is not None else natural)
        return spans

    def _length(self, video: list[list[_Span]], audio: list[list[_Span]], stills: list[_Span]) -> int:
        """Output length: the main track's, else the longest track's, capped by MaxDuration."""
        tracks = [(t.MainTrack, s) for t, s in zip(self.tl.VideoTracks, video, strict=True)]
        tracks += [(t.MainTrack, s) for t, s in zip(self.tl.AudioTracks, audio, strict=True)]
        for track in [*self.tl.VideoTracks, *self.tl.AudioTracks]:
            if track.TrackShortenMode or track.TrackExpandMode:
                self.ignored.append("TrackShortenMode/TrackExpandMode: auto-speed is not supported")
                break

        def end(spans: list[_Span]) -> int:
            return max((s.start + (s.frames or 0) for s in spans), default=0)

        main = next((spans for is_main, spans in tracks if is_main and spans), None)
        total = end(main) if main is not None else max((end(s) for _, s in tracks), default=0)
        if total == 0:
            durations = [s.clip.Duration for s in stills if isinstance(s.clip, VideoTrackClip)]
            total = self.frames(max((d for d in durations if d), default=0.0))
        if total == 0:
            raise invalid("Timeline", "nothing to render: every clip is open-ended or ignored")
        if self.out.MaxDuration is not None:
            total = min(total, max(1, self.frames(self.out.MaxDuration)))
        return total

    # ---- size ----------------------------------------------------------------------------

    def _size(self, infos: list[MediaInfo]) -> tuple[int, int]:
        """Width x Height from OutputMediaConfig, else the largest input, within IMS limits."""
        w = self.out.Width or max((i.width for i in infos), default=0) or 1280
        h = self.out.Height or max((i.height for i in infos), default=0) or 720
        if self.out.Width is None or self.out.Height is None:
            shrink = min(1.0, MAX_SIDE / max(w, h), MAX_SHORT_SIDE / min(w, h))
            w, h = (max(MIN_SIDE, min(MAX_SIDE, round(v * shrink))) for v in (w, h))
        if w % 2 or h % 2:
            self.approximated.append(f"OutputMediaConfig: {w}x{h} rounded to even for yuv420p")
        return even(w), even(h)

    # ---- video ---------------------------------------------------------------------------

    def _input(self, path: Path, *options: str, guard: tuple[str, ...] = SAFE_INPUT) -> int:
        self.inputs.append(Input(path, tuple(options), guard))
        return len(self.inputs) - 1

    def _open(self, spans: list[_Span]) -> None:
        """Give each span, taken in the order they play, the input it is read from.

        Seeking to In decodes from the keyframe before it, and a file may have one keyframe every
        few seconds (the bench's have one at the start), so shots of one file that each had an
        input of their own decoded the same frames over and over. Shots that play in source order
        share one input instead, each cutting its part from the split stream, so every frame is
        decoded once. A shot joins only a read that stands at or just before its In: a read never
        decodes frames long before they play, which would wait in memory.
        """
        reads: list[_Read] = []
        for span in spans:
            read = _joinable(reads, span)
            if read is None:
                read = _Read(span.info.path, span.source_len is None, span.source_in, span.source_in)
                reads.append(read)
            span.read = read
            read.spans.append(span)
            read.end = span.source_in + (span.source_len or 0.0)
        for read in reads:
            read.index = self._read_input(read)

    def _read_input(self, read: _Read) -> int:
        if read.still:
            # One frame is all the graph takes (then loops it): a looped input would keep being
            # decoded after the graph stopped reading it, and has stalled multi-input graphs.
            return self._input(read.path, "-framerate", str(self.fps))
        return self._input(read.path, *_stretch(read.start, read.end - read.start))

    def _pad(self, span: _Span, kind: str) -> tuple[str, list[Filter]]:
        """The pad carrying `span`'s video ("v") or audio ("a"), and the trim to its own part."""
        read = span.read
        assert read is not None
        pad = f"{read.index}:{kind}"
        if len(read.spans) == 1:
            return pad, []
        video = kind == "v"
        start = span.source_in - read.start
        cut = f("trim" if video else "atrim", start=start or None, end=start + (span.source_len or 0.0))
        users = [s for s in read.spans if video or _audible(s)]  # a muted clip takes no sound from it
        if len(users) == 1:
            return pad, [cut]
        key = (read.index, kind)
        if key not in self._splits:
            n = len(users)
            self._splits[key] = self.graph.chain([pad], [f("split" if video else "asplit", n)], n, "read")
        return self._splits[key][next(i for i, s in enumerate(users) if s is span)], [cut]

    def _shape(self, span: _Span, frames: int) -> _Shape:
        """The clip's look and place; a clip the render prepares gets its Preparation here."""
        clip = span.clip
        assert isinstance(clip, VideoTrackClip)
        zooms = any(isinstance(e, KenBurnsEffect | ZoomEffect) for e in clip.Effects)
        look = self._look(span, frames, zooms)
        place = self._placement(span, look)
        shape = _Shape(look, place, zooms)
        clip_ref = clip_id_of(clip)
        # Only work done frame by frame, the same whatever plays when, can be done beforehand.
        prepares = span.source_len is not None and not zooms and (place.whole or place.stacked)
        if prepares and self.shared is not None and clip_ref in self.shared.clips:
            span.prepared = self._preparation(span, shape, clip_ref, self.shared)
            self.preparations.append(span.prepared)
        return shape

    def _preparation(self, span: _Span, shape: _Shape, clip_ref: ClipId, shared: SharedClips) -> Preparation:
        """The clip's frames from its source, fitted as its layer, at the source's own timestamps."""
        assert span.source_len is not None
        info = span.info
        graph = FilterGraph()
        chain = [f("setpts", "PTS-STARTPTS"), *self._pixels(span, shape.place), *shape.look.chain]
        source = graph.one(["0:v"], chain, "src")
        label = self._place(graph, source, shape.look, shape.place, timed=False)
        stretch = Input(info.path, _stretch(span.source_in, span.source_len))
        made_of = [shared.ffmpeg, str(info.path), info.version, list(stretch.options), graph.render()]
        key = hashlib.sha256(json.dumps(made_of).encode()).hexdigest()
        bytes_per_pixel = 1.5 if shape.place.opaque else 2.5  # yuv420p, or yuva420p
        frames_estimate = span.source_len * (info.fps or 60) + 1
        return Preparation(
            clip=clip_ref,
            path=shared.directory / f"{key}{SUFFIX}",
            source=stretch,
            graph=graph,
            label=label,
            seconds=span.source_len,
            size_estimate=int(frames_estimate * self.width * self.height * bytes_per_pixel),
        )

    def _layer(self, span: _Span, frames: int, shape: _Shape) -> str:
        """One clip as a canvas-sized stream of exactly `frames` frames (yuv420p if opaque)."""
        look, place = shape.look, shape.place
        if span.prepared is not None:
            # NUT keeps the timestamps in a time base of its own and no colour properties: both
            # go back to the source's before timing, so the same frames are picked and tagged.
            index = self._input(span.prepared.path, guard=PREPARED_INPUT)
            as_source = [*_source_time_base(span.info), *_source_colour(span.info)]
            chain = [*as_source, *self._timing(span, frames), f("settb", str(1 / self.fps))]
            return self._tag(self.graph.one([f"{index}:v"], chain, "layer"), place.opaque)
        pad, cut = self._pad(span, "v")
        chain = [*cut, *self._timing(span, frames), *self._pixels(span, place), *look.chain]
        source = self.graph.one([pad], chain, "src")
        layer = self._place(self.graph, source, look, place)
        if span.source_len is None and not shape.zooms:
            # A still is composed from its one decoded frame, then repeated: every filter above
            # ran once, not once per frame.
            repeat = [f("loop", loop=frames - 1, size=1), f("settb", str(1 / self.fps)), f("setpts", "N")]
            layer = self.graph.one([layer], repeat, "still")
        return self._tag(layer, place.opaque)

    def _timing(self, span: _Span, frames: int) -> list[Filter]:
        """A video's `frames` frames at the output rate; a still's one frame, which zoompan or
        the repeat after composing makes into all of them."""
        if span.source_len is None:
            return [f("trim", end_frame=1), f("setsar", 1)]
        speed = span.clip.Speed
        return [
            f("setpts", f"(PTS-STARTPTS)/{format_value(speed)}" if speed != 1 else "PTS-STARTPTS"),
            f("fps", str(self.fps)),
            f("tpad", stop_mode="clone", stop=-1),
            f("trim", end_frame=frames),
            f("setsar", 1),
        ]

    def _pixels(self, span: _Span, place: _Place) -> list[Filter]:
        """8-bit limited-range YUV, even-sized: the format everything after works in.

        Decoders of stills give RGB, and zoompan or scale on RGB moves twice the bytes per pixel
        of yuv420p. The alpha plane is only kept where the layer can show it. Full-range video
        (some phones, screen recordings) is brought to limited range like everything else, or
        its levels would be read wrongly beside other clips in one output, whose range is one.
        """
        info = span.info
        chain = [f("format", "yuva420p" if place.alpha else "yuv420p")]
        w, h = even(info.width), even(info.height)
        full = _full_range_yuv(info)
        if (w, h) != (info.width, info.height) or full:
            chain.append(f("scale", w, h, in_range="pc" if full else None, out_range="tv" if full else None))
        return chain

    def _look(self, span: _Span, frames: int, zooms: bool) -> _Look:
        """The clip's own effects, in order, and the size, box and background they leave."""
        clip = span.clip
        assert isinstance(clip, VideoTrackClip)
        look = _Look(even(span.info.width), even(span.info.height), clip.Width, clip.Height)
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
                look.chain.append(self._zoompan(effect, loc, look.w, look.h, frames, 1 if expanded else frames))
                expanded = True
            elif isinstance(effect, FlipEffect):
                look.chain.append(f("hflip" if effect.Direction.lower() == "horizontal" else "vflip"))
            elif isinstance(effect, RotateEffect):
                look.rotate = effect.Degree
            elif isinstance(effect, ScaleEffect):
                look.box_w, look.box_h = effect.Width or look.box_w, effect.Height or look.box_h
            elif isinstance(effect, BackgroundEffect):
                look.background = effect
            elif isinstance(effect, FilterEffect):
                preset = filter_look(effect.SubType)
                if preset is None:
                    self.ignored.append(f"{loc}: Filter {effect.SubType!r} is not supported")
                else:
                    look.chain += preset
                    self.approximated.append(f"{loc}: Filter {effect.SubType!r} approximated")
            elif not isinstance(effect, TransitionEffect | VolumeEffect | AFadeEffect | ALoudNormEffect):
                self.ignored.append(f"{loc}: {_describe(effect)} is not supported")
        return look

    def _placement(self, span: _Span, look: _Look) -> _Place:
        """The clip's box on the canvas and what shows around it."""
        clip = span.clip
        assert isinstance(clip, VideoTrackClip)
        design = self.tl.FECanvas
        xs = Axis(self.width, design.Width if design else None)
        ys = Axis(self.height, design.Height if design else None)
        w, h = look.w, look.h
        bw = even(xs.length(look.box_w)) if look.box_w else None
        bh = even(ys.length(look.box_h)) if look.box_h else None
        bw = bw or (even(bh * w / h) if bh else self.width)
        bh = bh or (even(bw * h / w) if look.box_w else self.height)
        x, y = xs.px(clip.X), ys.px(clip.Y)
        background = look.background
        blur = background is not None and background.SubType == "Blur"
        colour = "black@0"
        if background is not None and not blur:
            if background.SubType == "Color":
                colour = background.Color
            else:
                self.ignored.append(f"{span.key}.Effects: Background {background.SubType!r}")
        # A box that is the whole canvas needs no canvas to be placed on (see _place).
        canvas = (bw, bh, x, y) == (self.width, self.height, 0, 0) and not look.rotate and clip.Opacity >= 1
        alpha = _has_alpha(span.info)
        stacked = canvas and blur and not alpha
        whole = canvas and not blur
        # Opaque layers stay yuv420p: alpha is a fourth plane every later filter would carry.
        opaque = blur or colour != "black@0" or (whole and clip.AdaptMode != "Contain")
        keep_alpha = alpha and not (whole and opaque)
        return _Place(x, y, bw, bh, clip.AdaptMode, clip.Opacity, blur, colour, whole, stacked, opaque, keep_alpha)

    def _place(self, graph: FilterGraph, source: str, look: _Look, place: _Place, *, timed: bool = True) -> str:
        """The clip's picture fitted into its box, on whatever shows around it, in `graph`.

        `timed`: the layer is on the output's clock (time base 1/fps). A clip being prepared is
        not: it keeps its source's timestamps, so the render later picks the frames it would
        have picked from the source (the whole-canvas shapes are the only ones prepared).
        """
        clip_size, box = (look.w, look.h), (place.w, place.h)
        radius = look.background.Radius if look.background else 0.1
        mode = place.mode
        clock = [f("settb", str(1 / self.fps))] if timed else []
        if place.stacked:
            return self._on_blurred_bands(graph, source, mode, clip_size, radius, clock)
        fg_format = "yuv420p" if place.whole and place.opaque else "yuva420p"  # overlay wants alpha anyway
        # A box that is the whole canvas is the layer itself (Contain pads it to the canvas),
        # which saves a full-frame overlay per frame. Contain on a canvas is placed by the
        # overlay: padding it first would only make the overlay blend transparent pixels.
        fg_chain = [*_fit(mode, clip_size, box, place.colour if place.whole else None), f("format", fg_format)]
        if place.opacity < 1:
            fg_chain.append(f("colorchannelmixer", aa=place.opacity))
        if look.rotate:
            angle = f"{format_value(look.rotate)}*PI/180"
            fg_chain.append(f("rotate", a=angle, ow="rotw(a)", oh="roth(a)", c="none"))
        if place.whole:
            return graph.one([source], [*fg_chain, *clock], "layer")
        if place.blur:
            source, blur_src = graph.chain([source], [f("split")], 2, "split")
            canvas = graph.one([blur_src], self._blurred_canvas(clip_size, radius), "bg")
        else:
            size = f"{self.width}x{self.height}"
            canvas_format = "yuv420p" if place.opaque else "yuva420p"
            colour_source = [f("color", c=place.colour, s=size, r=str(self.fps)), f("format", canvas_format)]
            canvas = graph.one([], colour_source, "bg")
        fg = graph.one([source], fg_chain, "fg")
        centre = f("overlay", x=f"{place.x}+({place.w}-w)/2", y=f"{place.y}+({place.h}-h)/2",
                   shortest=1, format="auto", eof_action="endall")  # fmt: skip
        finish = [f("format", "yuv420p" if place.opaque else "yuva420p"), *clock]
        return graph.one([canvas, fg], [centre, *finish], "layer")

    def _on_blurred_bands(
        self, graph: FilterGraph, source: str, mode: str, clip_size: tuple[int, int], radius: float, clock: list[Filter]
    ) -> str:
        """An opaque clip filling the canvas, blurred copy of itself in the bands it leaves.

        The pieces are stacked, not overlaid: overlay converts the clip to yuva420p and blends
        every pixel of it, which cost more than decoding it (bench/render.py's Contain clip).
        The clip sits where overlay would centre it (rows and columns even, for chroma).
        """
        canvas = (self.width, self.height)
        fw, fh = _contained(clip_size, canvas) if mode == "Contain" else canvas
        fit = [*_fit(mode, clip_size, canvas, None), f("format", "yuv420p")]
        vertical = fw == self.width  # bands above and below, else left and right
        gap = self.height - fh if vertical else self.width - fw
        if not gap:  # nothing shows around it
            return graph.one([source], [*fit, *clock], "layer")
        first = gap // 2 & ~1
        bands = [(at, n) for at, n in ((0, first), (first + (fh if vertical else fw), gap - first)) if n]
        source, blur_src = graph.chain([source], [f("split")], 2, "split")
        blurred = graph.one([blur_src], self._blurred_canvas(clip_size, radius), "bg")
        cuts = [f("crop", self.width, n, 0, at) if vertical else f("crop", n, self.height, at, 0) for at, n in bands]
        copies = [blurred] if len(cuts) == 1 else graph.chain([blurred], [f("split", len(cuts))], len(cuts), "bg")
        crops = [graph.one([copy], [cut], "band") for copy, cut in zip(copies, cuts, strict=True)]
        fg = graph.one([source], fit, "fg")
        pieces = [crops[0], fg, *crops[1:]] if first else [fg, *crops]
        stack = f("vstack" if vertical else "hstack", inputs=len(pieces))
        return graph.one(pieces, [stack, *clock], "layer")

    def _tag(self, label: str, opaque: bool) -> str:
        if opaque:
            self.opaque.add(label)
        return label

    def _blurred_canvas(self, clip_size: tuple[int, int], radius: float) -> list[Filter]:
        """The clip cropped to fill the canvas and blurred, for Background Blur.

        Blurred at 1/k of the canvas size and scaled back up: a blur of sigma s at full size
        looks the same as one of s/k at 1/k size, and costs about k*k times less.
        """
        sigma = max(1.0, radius * min(self.width, self.height) / 2)
        k = max(1, min(8, int(sigma / 2)))
        small = _fit("Cover", clip_size, (even(self.width / k), even(self.height / k)))
        up = [f("scale", self.width, self.height, flags="bilinear"), f("setsar", 1), f("format", "yuv420p")]
        return [*small, f("gblur", sigma=sigma / k), *up]

    def _zoompan(
        self, effect: KenBurnsEffect | ZoomEffect, loc: str, w: int, h: int, frames: int, per_frame: int
    ) -> Filter:
        """Pan/zoom over the clip; progress p runs 0->1 over Duration (default: the clip).

        `per_frame` is how many output frames each input frame makes: 1 for video, all of them
        for a still, which is then decoded once.
        """
        total = self.frames(effect.Duration) if effect.Duration else frames
        p = f"min(1,on/{max(1, total - 1)})"
        if isinstance(effect, ZoomEffect):
            z0, dz = format_value(effect.StartRate), format_value(effect.EndRate - effect.StartRate)
            z = f"{z0}+{dz}*{p}"
            x, y = "iw/2-iw/zoom/2", "ih/2-ih/zoom/2"
        else:
            x0, y0, w0, h0 = KenBurnsEffect.rect(effect.Start)
            x1, y1, w1, h1 = KenBurnsEffect.rect(effect.End)
            if abs(w0 - h0) > 1e-3 or abs(w1 - h1) > 1e-3:
                self.approximated.append(f"{loc}: KenBurns rectangles keep the clip's aspect")
            z = f"1/({format_value(w0)}+{format_value(w1 - w0)}*{p})"
            x = f"({format_value(x0)}+{format_value(x1 - x0)}*{p})*iw"
            y = f"({format_value(y0)}+{format_value(y1 - y0)}*{p})*ih"
        return f("zoompan", z=z, x=x, y=y, d=per_frame, s=f"{w}x{h}", fps=str(self.fps))

    def _track(self, spans: list[_Span], total: int) -> tuple[str, bool, int] | None:
        """Join a track's layers: (label, opaque, frames), or None for an empty track.

        Layers are cut at transition windows and only the window frames go through xfade; the
        pieces are joined by one concat. xfade over whole streams would handle, and copy, every
        earlier frame of the track again at each transition. Gaps are transparent padding.
        """
        playing = [s for s in sorted(spans, key=lambda s: s.start) if s.start < total]
        lengths = []
        for span, after in zip(playing, [*playing[1:], None], strict=True):
            frames = span.frames or total - span.start
            if after is None or after.join is None:
                # Frames past the end are not decoded, except where a transition window needs
                # both its sides whole (xfade waits forever for a missing frame); the output's
                # final trim cuts the window at the end instead.
                frames = min(frames, max(total - span.start, span.join[1] + 1 if span.join else 0))
            lengths.append(frames)
        shapes = [self._shape(span, frames) for span, frames in zip(playing, lengths, strict=True)]
        # A prepared clip's source is read only for the sound it plays.
        self._open([s for s in playing if s.prepared is None])
        self._open([s for s in playing if s.prepared is not None and _audible(s)])
        placed = [
            (span, frames, self._layer(span, frames, shape))
            for span, frames, shape in zip(playing, lengths, shapes, strict=True)
        ]
        if not placed:
            return None
        opaque = placed[0][0].start == 0 and all(label in self.opaque for _, _, label in placed)
        segments: list[str] = []  # finished pieces, in order
        pending = ""  # the stream after them, `n` frames, that the next clip may still cut into
        n = length = 0
        for span, frames, layer in placed:
            if not opaque and layer in self.opaque:
                layer = self.graph.one([layer], [f("format", "yuva420p")], "alpha")
            if pending and span.join is not None:
                choice, d = span.join
                if n <= d:  # the window reaches into earlier pieces: cut the joined stream
                    pending, segments, n = self._concat([*segments, pending]), [], length
                body, tail = self._cut(pending, n - d)
                head, rest = self._cut(layer, d) if frames > d else (layer, None)
                segments += [body, self._xfade(tail, head, choice.name, d, alpha=not opaque)]
                pending, n = (rest, frames - d) if rest else (segments.pop(), frames)
                length = length - d + frames
                continue
            if pending and span.start < length:
                self.approximated.append(f"{span.key}: overlaps the previous clip, which is cut")
                joined = self._concat([*segments, pending])
                pending = self.graph.one([joined], [f("trim", end_frame=span.start)], "cut")
                segments, n, length = [], span.start, span.start
            gap = span.start - length
            if gap:
                layer = self.graph.one([layer], [f("tpad", start=gap, color="black@0")], "gap")
            segments += [pending] if pending else []
            pending, n, length = layer, gap + frames, span.start + frames
        return self._concat([*segments, pending]), opaque, length

    def _xfade(self, a: str, b: str, transition: str, frames: int, alpha: bool) -> str:
        """The window of `frames` frames where `a` turns into `b` by `transition`.

        ffmpeg 5.1's xfade takes 4:4:4 only: given yuv420p, ffmpeg converts both windows up and
        the result back down, three full-frame conversions per frame, which cost more than most
        transitions themselves. A transition that treats every plane alike, by its position in
        the plane, runs on each 4:2:0 plane as it is instead (the chroma planes' edges fall on
        their own coarser grid, as 4:2:0 chroma edges do anyway).
        """
        xfade = f("xfade", transition=transition, duration=self.seconds(frames), offset=0)
        if transition not in _PLANEWISE_XFADES:
            return self.graph.one([a, b], [xfade], "xf")
        names = "y+u+v+a" if alpha else "y+u+v"
        n = len(names.split("+"))
        planes_a = self.graph.chain([a], [f("extractplanes", names)], n, "plane")
        planes_b = self.graph.chain([b], [f("extractplanes", names)], n, "plane")
        mixed = [self.graph.one([pa, pb], [xfade], "xf") for pa, pb in zip(planes_a, planes_b, strict=True)]
        mapping = "0x" + "".join(f"{i}0" for i in range(n))  # output plane i = input i's only plane
        return self.graph.one(mixed, [f("mergeplanes", mapping, "yuva420p" if alpha else "yuv420p")], "xf")

    def _cut(self, label: str, at: int) -> tuple[str, str]:
        """Frames [0, at) and [at, end) of a stream, the second starting at time 0."""
        first, second = self.graph.chain([label], [f("split")], 2, "split")
        before = self.graph.one([first], [f("trim", end_frame=at)], "head")
        after = self.graph.one([second], [f("trim", start_frame=at), f("setpts", "PTS-STARTPTS")], "tail")
        return before, after

    def _concat(self, labels: list[str]) -> str:
        if len(labels) == 1:
            return labels[0]
        return self.graph.one(labels, [f("concat", n=len(labels), v=1, a=0), f("settb", str(1 / self.fps))], "cat")

    # ---- audio ---------------------------------------------------------------------------

    def _audio(self, span: _Span, total: int, fade_in: int, fade_out: int) -> str | None:
        clip = span.clip
        frames = min(span.frames or total - span.start, total - span.start)
        if frames <= 0:
            return None
        n = self.samples(frames)
        chain = [
            f("asetpts", "PTS-STARTPTS"),
            f("aresample", SAMPLE_RATE),
            f("aformat", sample_fmts="fltp", sample_rates=SAMPLE_RATE, channel_layouts="stereo"),
        ]
        chain += _atempo(clip.Speed)
        if isinstance(clip, AudioTrackClip) and clip.LoopMode:
            loop = round((span.source_len or 0.0) / clip.Speed * SAMPLE_RATE)
            chain.append(f("aloop", loop=-1, size=max(1, loop)))
        chain.append(f("atrim", end_sample=n))
        fades = {"in": fade_in, "out": fade_out}
        for e, effect in enumerate(clip.Effects):
            loc = f"{span.key}.Effects[{e}]"
            if isinstance(effect, VolumeEffect):
                between = None
                if effect.In is not None or effect.Out is not None:
                    end = effect.Out if effect.Out is not None else 1e9
                    between = f"between(t,{format_value(effect.In or 0.0)},{format_value(end)})"
                chain.append(f("volume", effect.Gain, enable=between))
            elif isinstance(effect, AFadeEffect):
                fades[effect.SubType.lower()] = self.frames(effect.Duration)
                if effect.Curve not in _AFADE_CURVES:
                    self.ignored.append(f"{loc}.Curve: {effect.Curve!r} is not an afade curve")
            elif isinstance(effect, ALoudNormEffect):
                chain += [
                    f("loudnorm", I=effect.Loudness, TP=effect.TruePeak),
                    f("aresample", SAMPLE_RATE),
                ]
            elif isinstance(clip, AudioTrackClip) and not isinstance(effect, TransitionEffect):
                self.ignored.append(f"{loc}: {_describe(effect)} is not supported")
        curve = next(
            (e.Curve for e in clip.Effects if isinstance(e, AFadeEffect) and e.Curve in _AFADE_CURVES),
            "tri",
        )
        if fades["in"]:
            chain.append(f("afade", t="in", st=0, d=self.seconds(min(fades["in"], frames)), curve=curve))
        if fades["out"]:
            d = min(fades["out"], frames)
            chain.append(f("afade", t="out", st=self.seconds(frames - d), d=self.seconds(d), curve=curve))
        if span.start:
            chain.append(f("adelay", delays=f"{self.samples(span.start)}S", all=1))
        pad, cut = self._pad(span, "a")
        return self.graph.one([pad], [*cut, *chain], "a")

    # ---- the whole graph -----------------------------------------------------------------

    def plan(self) -> Plan:
        self._unknown("Timeline", self.tl, ("ImageTracks",))
        if getattr(self.tl, "ImageTracks", None):
            self.ignored.append("ImageTracks: deprecated, use Image clips in VideoTracks")
        video = [
            self._video_spans(t) if track.Type == "Video" else ([], []) for t, track in enumerate(self.tl.VideoTracks)
        ]
        for t, track in enumerate(self.tl.VideoTracks):
            if track.Type != "Video":
                self.ignored.append(f"VideoTracks[{t}]: track Type {track.Type!r} is not supported")
        audio = [self._audio_spans(t) for t in range(len(self.tl.AudioTracks))]
        stills = [s for _, g in video for s in g]
        total = self._length([v for v, _ in video], audio, stills)
        visual = [s.info for spans, g in video for s in [*spans, *g]]
        has_video = bool(visual)
        self.width, self.height = self._size(visual) if has_video else (0, 0)
        video_out = self._video(video, total) if has_video else None
        audio_out = self._mix(video, audio, total)
        return Plan(
            self.inputs,
            self.graph,
            video_out,
            audio_out,
            self.width,
            self.height,
            self.fps,
            total,
            self.files,
            self.ignored,
            self.approximated,
            self.preparations,
        )

    def _video(self, video: list[tuple[list[_Span], list[_Span]]], total: int) -> str:
        size = f"{self.width}x{self.height}"
        base = [f("color", c="black", s=size, r=str(self.fps)), f("trim", end_frame=total), f("format", "yuv420p")]
        out: str | None = None
        for spans, stills in video:
            track = self._track([*spans, *stills], total)
            if track is None:
                continue
            label, opaque, length = track
            if out is None and opaque:
                # Nothing shows through an opaque bottom track: it replaces the black base
                # instead of being blended onto it, a full-frame overlay saved on every frame.
                pad = [f("tpad", stop=total - length, color="black")] if length < total else []
                out = self.graph.one([label], [*pad, f("trim", end_frame=total), f("format", "yuv420p")], "v")
                continue
            out = out or self.graph.one([], base, "base")
            out = self.graph.one([out, label], [f("overlay", eof_action="pass", format="auto")], "v")
        if out is None:  # every clip starts after the end
            out = self.graph.one([], base, "base")
        out = self._effect_tracks(out)
        out = self._subtitles(out, total)
        return self.graph.one([out], [f("format", "yuv420p")], "vout")

    def _effect_tracks(self, out: str) -> str:
        for t, track in enumerate(self.tl.EffectTracks):
            for i, item in enumerate(track.EffectTrackItems):
                loc = f"EffectTracks[{t}].EffectTrackItems[{i}]"
                look = filter_look(item.SubType or "") if item.Type == "Filter" else None
                if look is None:
                    self.ignored.append(f"{loc}: {item.Type} {item.SubType!r} is not supported")
                    continue
                start = item.TimelineIn or 0.0
                end = (
                    item.TimelineOut
                    if item.TimelineOut is not None
                    else (start + item.Duration if item.Duration is not None else 1e9)
                )
                enable = f"between(t,{format_value(start)},{format_value(end)})"
                timed = [Filter(x.name, (*x.args, ("enable", enable))) for x in look]
                out = self.graph.one([out], timed, "fx")
                self.approximated.append(f"{loc}: Filter {item.SubType!r} approximated")
        return out

    def _subtitles(self, out: str, total: int) -> str:
        doc = AssDocument(self.width, self.height)
        fonts = {"fontsdir": str(self.settings.fonts_dir)} if self.settings.fonts_dir else {}
        for t, track in enumerate(self.tl.SubtitleTracks):
            for c, clip in enumerate(track.SubtitleTrackClips):
                key = f"SubtitleTracks[{t}].SubtitleTrackClips[{c}]"
                if clip.Type == "Text":
                    doc.add(key, clip, self.seconds(total), self.tl.FECanvas, self.settings)
                elif clip.Type == "Subtitle":
                    if clip.TimelineIn or clip.FontSize:
                        self.ignored.append(f"{key}: timing/style fields do not apply to files")
                    path = str(self.media[key].path)  # checked as a subtitle file when resolved
                    out = self.graph.one([out], [f("subtitles", filename=path, **fonts)], "sub")
                else:
                    self.ignored.append(f"{key}: clip Type {clip.Type!r} is not supported")
        self.ignored += doc.ignored
        self.approximated += doc.approximated
        if doc.events:
            self.files[TEXT_FILE] = doc.render()
            path = str(self.workdir / TEXT_FILE)
            out = self.graph.one([out], [f("ass", filename=path, **fonts)], "text")
        return out

    def _mix(self, video: list[tuple[list[_Span], list[_Span]]], audio: list[list[_Span]], total: int) -> str:
        n = self.samples(total)
        bed = self.graph.one([], [f("anullsrc", r=SAMPLE_RATE, cl="stereo"), f("atrim", end_sample=n)], "bed")
        parts = [bed]
        for spans, _ in video:
            for span in spans:
                if span.read is None or not _audible(span):
                    continue  # silent, or starts after the end of the output
                fade_in = span.join[1] if span.join else 0
                label = self._audio(span, total, fade_in, span.fade_out)
                parts += [label] if label else []
        for spans in audio:
            for span in spans:
                if not _audible(span):
                    continue
                self._open([span])
                label = self._audio(span, total, 0, 0)
                parts += [label] if label else []
        return self.graph.one(
            parts,
            [f("amix", inputs=len(parts), duration="first", normalize=0, dropout_transition=0)]
            if len(parts) > 1
            else [f("anull")],
            "aout",
        )

    def _unknown(self, loc: str, model: BaseModel, known: tuple[str, ...] = ()) -> None:
        for key in model.model_extra or {}:
            if key not in known and key not in _CONSUMED_EXTRAS:
                self.ignored.append(f"{loc}.{key}: not supported")


def _describe(effect: BaseModel) -> str:
    sub = getattr(effect, "SubType", None)
    return f"effect Type {getattr(effect, 'Type', '')!r}" + (f" SubType {sub!r}" if sub else "")


def _fit(mode: str, size: tuple[int, int], box: tuple[int, int], pad: str | None = "black@0") -> list[Filter]:
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
        return [
            f("crop", f"min(iw,ih*{w}/{h})", f"min(ih,iw*{h}/{w})"),
            f("scale", w, h),
            f("setsar", 1),
        ]
    return [f("scale", w, h), f("setsar", 1)]


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


def _stretch(start: float, length: float) -> tuple[str, ...]:
    """Input options reading `length` seconds of a file from `start`."""
    seek = ("-ss", format_value(start)) if start else ()
    return (*seek, "-t", format_value(length))


def _video_stream(info: MediaInfo) -> dict[str, Any]:
    return next((s for s in info.streams if s.get("codec_type") == "video"), {})


def _source_time_base(info: MediaInfo) -> list[Filter]:
    """settb back to the source stream's time base (the one its timestamps were counted in)."""
    num, _, den = str(_video_stream(info).get("time_base", "")).partition("/")
    return [f("settb", f"{int(num)}/{int(den)}")] if num.isdigit() and den.isdigit() and int(den) else []


# The colour properties setparams takes, by the names ffprobe reports them under.
_COLOUR_PARAMS = {
    "color_range": ("range", frozenset({"tv", "pc"})),
    "color_primaries": ("color_primaries", frozenset(
        {"bt709", "bt470m", "bt470bg", "smpte170m", "smpte240m", "film", "bt2020", "smpte428", "smpte431",
         "smpte432", "jedec-p22"})),
    "color_transfer": ("color_trc", frozenset(
        {"bt709", "bt470m", "bt470bg", "smpte170m", "smpte240m", "linear", "log100", "log316", "iec61966-2-4",
         "bt1361e", "iec61966-2-1", "bt2020-10", "bt2020-12", "smpte2084", "smpte428", "arib-std-b67"})),
    "color_space": ("colorspace", frozenset(
        {"gbr", "bt709", "fcc", "bt470bg", "smpte170m", "smpte240m", "ycgco", "bt2020nc", "bt2020c", "smpte2085",
         "chroma-derived-nc", "chroma-derived-c", "ictcp"})),
}  # fmt: skip


def _full_range_yuv(info: MediaInfo) -> bool:
    """YUV tagged full range (yuvj formats are brought to limited range by `format` already)."""
    stream = _video_stream(info)
    fmt = str(stream.get("pix_fmt", ""))
    return stream.get("color_range") == "pc" and fmt.startswith("yuv") and not fmt.startswith("yuvj")


def _source_colour(info: MediaInfo) -> list[Filter]:
    """setparams with the colour properties a YUV clip's frames carry once fitted (the ones the
    encoder tags from): its source's, in the limited range every clip is brought to."""
    stream = _video_stream(info)
    if not str(stream.get("pix_fmt", "")).startswith("yuv"):
        return []
    known = {
        option: "tv" if option == "range" else value
        for field_name, (option, values) in _COLOUR_PARAMS.items()
        if (value := str(stream.get(field_name, ""))) in values
    }
    return [f("setparams", **known)] if known else []


def _audible(span: _Span) -> bool:
    """Whether a clip's own sound reaches the mix: a Volume of 0 over the whole clip mutes it."""
    muted = any(
        isinstance(e, VolumeEffect) and e.Gain == 0 and e.In is None and e.Out is None for e in span.clip.Effects
    )
    return span.info.has_audio and span.source_len is not None and not muted


def _joinable(reads: list[_Read], span: _Span) -> _Read | None:
    """The read of the same file that `span` starts at or shortly after, if any (see _open)."""
    if span.source_len is None:
        return None
    near = [
        (gap, read)
        for read in reads
        if read.path == span.info.path and not read.still
        for gap in [span.source_in - read.end]
        if -_SAME_INSTANT_S <= gap <= _SHARED_READ_GAP_S
    ]
    return min(near, key=lambda pair: pair[0])[1] if near else None


def _has_alpha(info: MediaInfo) -> bool:
    """Whether the picture may be see-through (RGBA/YA/paletted PNG, yuva video)."""
    fmt = str(_video_stream(info).get("pix_fmt", ""))
    return fmt == "pal8" or fmt.startswith(("rgba", "bgra", "argb", "abgr", "ya", "yuva", "gbrap"))


def _atempo(speed: float) -> list[Filter]:
    """atempo stages, each within 0.5-2 so every ffmpeg build accepts them."""
    stages = []
    while speed > 2:
        stages.append(f("atempo", 2))
        speed /= 2
    while speed < 0.5:
        stages.append(f("atempo", 0.5))
        speed /= 0.5
    if abs(speed - 1) > 1e-9:
        stages.append(f("atempo", speed))
    return stages


def compose(
    timeline: Timeline,
    output: OutputMediaConfig,
    media: Mapping[str, MediaInfo],
    workdir: Path,
    settings: EngineSettings,
    shared: SharedClips | None = None,
) -> Plan:
    """The render plan for a validated timeline; `media` maps `MediaRef.key` to its file.

    Video clips that `shared` names are read from prepared files (prepared.py), listed in
    `Plan.preparations` for the render to make first.
    """
    return _Composer(timeline, output, media, workdir, settings, shared).plan()
