"""The timeline's tracks read into spans: which part of which file plays when, in output frames.

Everything after works on spans and never on the timeline's seconds again, so every decision
about time (where a clip starts, how long it plays, which transitions can join two clips, how
long the output is) is made once, here, and the graph is built from exact frame counts.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

from imsd.api.timeline import (
    MAX_SHORT_SIDE,
    MAX_SIDE,
    MIN_SIDE,
    VIDEO_CLIP_TYPES,
    AudioTrackClip,
    OutputMediaConfig,
    Timeline,
    TransitionEffect,
    VideoTrack,
    VideoTrackClip,
    VolumeEffect,
)
from imsd.engine.media import MediaInfo
from imsd.engine.render.clock import Clock
from imsd.engine.render.effects import XfadeChoice, xfade_transition
from imsd.engine.render.geometry import even
from imsd.engine.render.notes import Notes
from imsd.errors import invalid

__all__ = ["Layout", "Span", "VideoTrackSpans", "lay_out"]


@dataclass(eq=False)  # a span is one placement of a clip: told apart by identity, not by value
class Span:
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

    @property
    def audible(self) -> bool:
        """Whether the clip's own sound reaches the mix: a Volume of 0 over the whole clip mutes it."""
        muted = any(
            isinstance(e, VolumeEffect) and e.Gain == 0 and e.In is None and e.Out is None for e in self.clip.Effects
        )
        return self.info.has_audio and self.source_len is not None and not muted


class VideoTrackSpans(NamedTuple):
    placed: list[Span]
    global_images: list[Span]  # GlobalImage clips: from the start until the end


@dataclass(frozen=True)
class Layout:
    """Every track's spans, and the output's length in frames and size (0x0 without video)."""

    video: list[VideoTrackSpans]
    audio: list[list[Span]]
    frames: int
    width: int
    height: int

    @property
    def has_video(self) -> bool:
        return any(placed or global_images for placed, global_images in self.video)


def lay_out(
    timeline: Timeline, output: OutputMediaConfig, media: Mapping[str, MediaInfo], clock: Clock, notes: Notes
) -> Layout:
    """The spans of every track; `media` maps each clip's `MediaRef.key` to what its file holds."""
    video = [
        _video_spans(t, track, media, clock, notes)
        if track.Type == "Video"
        else VideoTrackSpans([], [])
        for t, track in enumerate(timeline.VideoTracks)
    ]
    for t, track in enumerate(timeline.VideoTracks):
        if track.Type != "Video":
            notes.ignored.append(f"VideoTracks[{t}]: track Type {track.Type!r} is not supported")
    audio = [
        _audio_spans(t, track.AudioTrackClips, media, clock, notes) for t, track in enumerate(timeline.AudioTracks)
    ]
    total = _length(timeline, output, video, audio, clock, notes)
    visual = [s.info for spans, globals_ in video for s in [*spans, *globals_]]
    width, height = _size(output, visual, notes) if visual else (0, 0)
    return Layout(video, audio, total, width, height)


def _source(key: str, clip: VideoTrackClip | AudioTrackClip, info: MediaInfo, clock: Clock, notes: Notes) -> float:
    """Seconds of source between In and Out (Out defaults to, and is capped by, the end)."""
    end = info.duration or 0.0
    start = clip.In or 0.0
    if start >= end:
        raise invalid(f"Timeline.{key}.In", f"{start} is not before the media end ({end:.3f})")
    if clip.Out is not None and clip.Out > end + 1 / float(clock.fps):
        notes.approximated.append(f"{key}.Out: {clip.Out} is past the media end, cut to {end:.3f}")
    return min(clip.Out if clip.Out is not None else end, end) - start


def _video_spans(
    t: int, track: VideoTrack, media: Mapping[str, MediaInfo], clock: Clock, notes: Notes
) -> VideoTrackSpans:
    spans: list[Span] = []
    globals_: list[Span] = []
    cursor = 0
    pending: tuple[TransitionEffect, Span] | None = None
    for c, clip in enumerate(track.VideoTrackClips):
        key = track.clip_key(t, c)
        if clip.Type not in VIDEO_CLIP_TYPES:
            notes.ignored.append(f"{key}: clip Type {clip.Type!r} is not supported")
            continue
        notes.unknown_fields(key, clip)
        info = media[key]
        if not info.has_video:
            notes.ignored.append(f"{key}: {clip.media_ref!r} has no video stream")
            continue
        still = info.is_image or clip.Type != "Video"
        source_len = None if still else _source(key, clip, info, clock, notes)
        explicit = clip.TimelineIn is not None and clip.TimelineOut is not None
        if clip.Type == "GlobalImage":
            globals_.append(Span(key, clip, info, 0, None, 0.0, None))
            continue
        if explicit:
            length = (clip.TimelineOut or 0.0) - (clip.TimelineIn or 0.0)
        elif still:
            if clip.Duration is None and clip.Out is None:
                raise invalid(f"Timeline.{key}.Duration", "is required for Image clips")
            length = clip.Duration or (clip.Out or 0.0) - (clip.In or 0.0)
        else:
            length = (source_len or 0.0) / clip.Speed
        frames = max(1, clock.frames(length))
        join = None
        if pending is not None:
            effect, prev = pending
            join = _join(effect, prev, frames, clock, notes)
            sequential = clip.TimelineIn is None or clock.frames(clip.TimelineIn) == cursor - (join[1] if join else 0)
            if join is not None and not sequential:
                notes.ignored.append(
                    f"{prev.key}.Effects: Transition needs the next clip to start "
                    f"{clock.seconds(join[1]):.3f}s before this clip ends"
                )
                join = None
            if join is not None:
                cursor -= join[1]
                prev.fade_out = join[1]
        start = clock.frames(clip.TimelineIn) if clip.TimelineIn is not None else cursor
        span = Span(key, clip, info, start, frames, clip.In or 0.0, source_len, join)
        spans.append(span)
        cursor = start + frames
        transition = next((e for e in clip.Effects if isinstance(e, TransitionEffect)), None)
        pending = (transition, span) if transition is not None else None
    if pending is not None:
        notes.ignored.append(f"{pending[1].key}.Effects: Transition on the last clip of a track")
    return VideoTrackSpans(spans, globals_)


def _join(
    effect: TransitionEffect, prev: Span, frames: int, clock: Clock, notes: Notes
) -> tuple[XfadeChoice, int] | None:
    """The xfade and its length in frames joining `prev` to a clip of `frames` frames."""
    loc = f"{prev.key}.Effects"
    choice = xfade_transition(effect.SubType, prev.key)
    if choice is None:
        notes.ignored.append(f"{loc}: Transition SubType {effect.SubType!r} is not supported")
        return None
    if choice.approximated:
        notes.approximated.append(f"{loc}: Transition {effect.SubType!r} as xfade {choice.name}")
    wanted = clock.frames(effect.Duration)
    d = min(wanted, (prev.frames or 1) - 1, frames - 1)
    if d < 1:
        notes.ignored.append(f"{loc}: Transition longer than the clips it joins")
        return None
    if d < wanted:
        notes.approximated.append(f"{loc}: Transition Duration cut to {clock.seconds(d):.3f}s")
    return choice, d


def _audio_spans(
    t: int, clips: list[AudioTrackClip], media: Mapping[str, MediaInfo], clock: Clock, notes: Notes
) -> list[Span]:
    spans = []
    cursor = 0
    for c, clip in enumerate(clips):
        key = f"AudioTracks[{t}].AudioTrackClips[{c}]"
        if clip.Type != "Audio":
            notes.ignored.append(f"{key}: clip Type {clip.Type!r} is not supported")
            continue
        notes.unknown_fields(key, clip)
        info = media[key]
        if not info.has_audio:
            notes.ignored.append(f"{key}: {clip.media_ref!r} has no audio stream")
            continue
        source_len = _source(key, clip, info, clock, notes)
        start = clock.frames(clip.TimelineIn) if clip.TimelineIn is not None else cursor
        limit = clock.frames(clip.TimelineOut) - start if clip.TimelineOut is not None else None
        natural = max(1, clock.frames(source_len / clip.Speed))
        frames = limit if clip.LoopMode else min(natural, limit or natural)
        spans.append(Span(key, clip, info, start, frames, clip.In or 0.0, source_len))
        cursor = start + (frames if frames is not None else natural)
    return spans


def _length(
    timeline: Timeline,
    output: OutputMediaConfig,
    video: list[VideoTrackSpans],
    audio: list[list[Span]],
    clock: Clock,
    notes: Notes,
) -> int:
    """Output length: the main track's, else the longest track's, capped by MaxDuration."""
    tracks = [(t.MainTrack, s.placed) for t, s in zip(timeline.VideoTracks, video, strict=True)]
    tracks += [(t.MainTrack, s) for t, s in zip(timeline.AudioTracks, audio, strict=True)]
    for track in [*timeline.VideoTracks, *timeline.AudioTracks]:
        if track.TrackShortenMode or track.TrackExpandMode:
            notes.ignored.append("TrackShortenMode/TrackExpandMode: auto-speed is not supported")
            break

    def end(spans: list[Span]) -> int:
        return max((s.start + (s.frames or 0) for s in spans), default=0)

    main = next((spans for is_main, spans in tracks if is_main and spans), None)
    total = end(main) if main is not None else max((end(s) for _, s in tracks), default=0)
    if total == 0:
        stills = [s for track in video for s in track.global_images]
        durations = [s.clip.Duration for s in stills if isinstance(s.clip, VideoTrackClip)]
        total = clock.frames(max((d for d in durations if d), default=0.0))
    if total == 0:
        raise invalid("Timeline", "nothing to render: every clip is open-ended or ignored")
    if output.MaxDuration is not None:
        total = min(total, max(1, clock.frames(output.MaxDuration)))
    return total


def _size(output: OutputMediaConfig, infos: list[MediaInfo], notes: Notes) -> tuple[int, int]:
    """Width x Height from OutputMediaConfig, else the largest input, within IMS limits."""
    w = output.Width or max((i.width for i in infos), default=0) or 1280
    h = output.Height or max((i.height for i in infos), default=0) or 720
    if output.Width is None or output.Height is None:
        shrink = min(1.0, MAX_SIDE / max(w, h), MAX_SHORT_SIDE / min(w, h))
        w, h = (max(MIN_SIDE, min(MAX_SIDE, round(v * shrink))) for v in (w, h))
    if w % 2 or h % 2:
        notes.approximated.append(f"OutputMediaConfig: {w}x{h} rounded to even for yuv420p")
    return even(w), even(h)
