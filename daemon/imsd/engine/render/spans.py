"""The timeline's tracks read into spans: which part of which file plays when, in output frames.

Everything after works on spans and never on the timeline's seconds again, so every decision
about time (where a clip starts, how long it plays, which transitions can join two clips, how
long the output is) is made once, here, and the graph is built from exact frame counts.

A span plays its source at `span.clip.Speed`: when alignment (ReferenceClipId) or a track's
AutoSpeed changes how fast a clip plays, the span carries a copy of its clip with that Speed,
so the graph times it by the one Speed mechanism (setpts for the picture, atempo for the sound).
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
    AudioTrack,
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
from imsd.engine.render.geometry import even
from imsd.engine.render.notes import Notes
from imsd.engine.render.transitions import XfadeChoice, xfade_transition
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
    for t, track in enumerate(timeline.VideoTracks):
        if track.Type != "Video":
            notes.ignored.append(f"VideoTracks[{t}]: track Type {track.Type!r} is not supported")
    aligned = _alignments(timeline, media, clock, notes)
    video, audio = _tracks(timeline, media, clock, notes, aligned)
    total = _length(timeline, output, video, audio, clock, notes)
    visual = [s.info for spans, globals_ in video for s in [*spans, *globals_]]
    width, height = _size(output, visual, notes) if visual else (0, 0)
    return Layout(video, audio, total, width, height)


# Where each referencing clip goes: (track kind, track index) -> clip index -> (start, frames),
# the place and length of the clip its ReferenceClipId names.
_Aligned = dict[tuple[str, int], dict[int, tuple[int, int]]]


def _tracks(
    timeline: Timeline, media: Mapping[str, MediaInfo], clock: Clock, notes: Notes, aligned: _Aligned
) -> tuple[list[VideoTrackSpans], list[list[Span]]]:
    video = [
        _video_spans(t, track, media, clock, notes, aligned.get(("video", t), {}))
        if track.Type == "Video"
        else VideoTrackSpans([], [])
        for t, track in enumerate(timeline.VideoTracks)
    ]
    audio = [
        _audio_spans(t, track.AudioTrackClips, media, clock, notes, aligned.get(("audio", t), {}))
        for t, track in enumerate(timeline.AudioTracks)
    ]
    return video, audio


def _alignments(timeline: Timeline, media: Mapping[str, MediaInfo], clock: Clock, notes: Notes) -> _Aligned:
    """Where the clips with a ReferenceClipId go: the start and length of the clip named.

    The tracks are laid out as if no clip referenced another, each referencing clip is given the
    place of the clip it names, and the tracks are laid out again (a referencing clip moves the
    clips after it, and may itself be named), until nothing moves.
    """
    where: dict[str, tuple[str, int, str]] = {}  # ClipId -> (kind, track, span key), first wins
    refs: list[tuple[str, int, int, str, str]] = []  # (kind, track, clip, its key, ReferenceClipId)
    video_tracks = [(t, track) for t, track in enumerate(timeline.VideoTracks) if track.Type == "Video"]
    clips: list[tuple[str, int, int, str, VideoTrackClip | AudioTrackClip]] = [
        ("video", t, c, track.clip_key(t, c), clip)
        for t, track in video_tracks
        for c, clip in enumerate(track.VideoTrackClips)
    ]
    clips += [
        ("audio", t, c, f"AudioTracks[{t}].AudioTrackClips[{c}]", clip)
        for t, track in enumerate(timeline.AudioTracks)
        for c, clip in enumerate(track.AudioTrackClips)
    ]
    for kind, t, c, key, clip in clips:
        if clip.ClipId is not None:
            where.setdefault(clip.ClipId, (kind, t, key))
        if clip.ReferenceClipId is None:
            continue
        if key.startswith("ImageTracks"):
            notes.ignored.append(f"{key}.ReferenceClipId: image track clips cannot be aligned")
        elif clip.TimelineIn is None or clip.TimelineOut is None:  # both given: they win
            refs.append((kind, t, c, key, clip.ReferenceClipId))
    aligned: _Aligned = {}
    for kind, t, _, key, ref in refs:
        named = where.get(ref)
        if named is None:
            notes.ignored.append(f"{key}.ReferenceClipId: no audio or video clip has ClipId {ref!r}")
        elif named[:2] == (kind, t):
            raise invalid(f"Timeline.{key}.ReferenceClipId", f"{ref!r} is a clip of the same track")
    if not refs:
        return aligned
    open_ended: dict[str, str] = {}  # referencing clip key -> a ClipId that plays until the end
    for _ in range(len(refs) + 1):
        video, audio = _tracks(timeline, media, clock, Notes(), aligned)  # notes come from the last layout
        placed = {s.key: s for spans in [*(v.placed for v in video), *audio] for s in spans}
        wanted: _Aligned = {}
        for kind, t, c, key, ref in refs:
            named = where.get(ref)
            target = placed.get(named[2]) if named is not None else None
            if target is None or key not in placed:
                continue
            if target.frames is None:
                open_ended[key] = ref
                continue
            wanted.setdefault((kind, t), {})[c] = (target.start, target.frames)
        if wanted == aligned:
            break
        aligned = wanted
    for key, ref in open_ended.items():
        notes.ignored.append(f"{key}.ReferenceClipId: {ref!r} plays until the end of the output, so has no length")
    return aligned


def _source(key: str, clip: VideoTrackClip | AudioTrackClip, info: MediaInfo, clock: Clock, notes: Notes) -> float:
    """Seconds of source between In and Out: Out defaults to the media end, or to MaxOut when
    that comes first (an Out given makes MaxOut void), and is capped by the end."""
    end = info.duration or 0.0
    start = clip.In or 0.0
    if start >= end:
        raise invalid(f"Timeline.{key}.In", f"{start} is not before the media end ({end:.3f})")
    if clip.Out is not None and clip.Out > end + 1 / float(clock.fps):
        notes.approximated.append(f"{key}.Out: {clip.Out} is past the media end, cut to {end:.3f}")
    out = clip.Out
    if out is None and clip.MaxOut is not None:
        if clip.MaxOut <= start:
            raise invalid(f"Timeline.{key}.MaxOut", f"{clip.MaxOut} is not after In ({start})")
        out = clip.MaxOut
    return min(out if out is not None else end, end) - start


def _video_spans(
    t: int,
    track: VideoTrack,
    media: Mapping[str, MediaInfo],
    clock: Clock,
    notes: Notes,
    aligned: Mapping[int, tuple[int, int]],
) -> VideoTrackSpans:
    """A video track's spans; `aligned` places the clips that reference a clip of another track."""
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
        if clip.Type == "GlobalImage":
            globals_.append(Span(key, clip, info, 0, None, 0.0, None))
            continue
        # Where the clip ends when only TimelineOut is given: the clip starts where the one
        # before ends, and TimelineOut is its end on the output ("如果TimelineOut不填,则会按照
        # 素材片段顺序相接的方式自动计算TimelineOut": given, it is the end).
        out_only = clip.TimelineOut is not None and clip.TimelineIn is None and c not in aligned
        fixed: int | None = None  # the start the clip is given, None = after the one before
        if c in aligned:
            fixed, frames = aligned[c]
            if source_len is not None and clock.frames(source_len / clip.Speed) < frames:
                # Too short for the clip it is aligned to: slowed down to last as long.
                clip = clip.model_copy(update={"Speed": _filling(source_len, frames, clip, clock)})
        else:
            if clip.TimelineIn is not None and clip.TimelineOut is not None:
                length = clip.TimelineOut - clip.TimelineIn
            elif out_only:
                length = (clip.TimelineOut or 0.0) - clock.seconds(cursor)
            elif still:
                if clip.Duration is None and clip.Out is None and clip.ReferenceClipId is None:
                    raise invalid(f"Timeline.{key}.Duration", "is required for Image clips")
                # A still that takes its length from the clip it references has none of its own
                # until that clip is placed (or, named by no clip, keeps one frame: see the notes).
                length = clip.Duration or (clip.Out or 0.0) - (clip.In or 0.0)
            else:
                length = (source_len or 0.0) / clip.Speed
            frames = max(1, clock.frames(length))
            fixed = clock.frames(clip.TimelineIn) if clip.TimelineIn is not None else None
        join = None
        if pending is not None:
            effect, prev = pending
            join = _join(effect, prev, frames, clock, notes)
            sequential = fixed is None or fixed == cursor - (join[1] if join else 0)
            if join is not None and not sequential:
                notes.ignored.append(
                    f"{prev.key}.Effects: Transition needs the next clip to start "
                    f"{clock.seconds(join[1]):.3f}s before this clip ends"
                )
                join = None
            if join is not None:
                cursor -= join[1]
                prev.fade_out = join[1]
        start = fixed if fixed is not None else cursor
        if out_only:
            frames = max(1, clock.frames(clip.TimelineOut or 0.0) - start)
        if source_len is not None and frames > clock.frames(source_len / clip.Speed) + 1 and c not in aligned:
            notes.approximated.append(
                f"{key}: TimelineIn..TimelineOut is longer than In..Out at its Speed; the last frame is held"
            )
        span = Span(key, clip, info, start, frames, clip.In or 0.0, source_len, join)
        spans.append(span)
        cursor = start + frames
        transition = next((e for e in clip.Effects if isinstance(e, TransitionEffect)), None)
        pending = (transition, span) if transition is not None else None
    if pending is not None:
        notes.ignored.append(f"{pending[1].key}.Effects: Transition on the last clip of a track")
    return VideoTrackSpans(spans, globals_)


def _filling(source_len: float, frames: int, clip: VideoTrackClip | AudioTrackClip, clock: Clock) -> float:
    """The Speed at which `source_len` seconds of source play for exactly `frames` frames."""
    return source_len / clock.seconds(frames) if frames > 0 else clip.Speed


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
        drawn = choice.note or f"as xfade {choice.name}"
        notes.approximated.append(f"{loc}: Transition {effect.SubType!r} {drawn}")
    wanted = clock.frames(effect.Duration)
    d = min(wanted, (prev.frames or 1) - 1, frames - 1)
    if d < 1:
        notes.ignored.append(f"{loc}: Transition longer than the clips it joins")
        return None
    if d < wanted:
        notes.approximated.append(f"{loc}: Transition Duration cut to {clock.seconds(d):.3f}s")
    return choice, d


def _audio_spans(
    t: int,
    clips: list[AudioTrackClip],
    media: Mapping[str, MediaInfo],
    clock: Clock,
    notes: Notes,
    aligned: Mapping[int, tuple[int, int]],
) -> list[Span]:
    """An audio track's spans; `aligned` places the clips that reference a clip of another track."""
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
        natural = max(1, clock.frames(source_len / clip.Speed))
        frames: int | None
        if c in aligned:
            start, frames = aligned[c]
            if natural < frames and not clip.LoopMode:  # a looping clip fills it by looping
                clip = clip.model_copy(update={"Speed": _filling(source_len, frames, clip, clock)})
        else:
            start = clock.frames(clip.TimelineIn) if clip.TimelineIn is not None else cursor
            limit = clock.frames(clip.TimelineOut) - start if clip.TimelineOut is not None else None
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
    """Output length, capped by MaxDuration: the main track's (the other tracks sped to it when
    their mode says AutoSpeed); without one, the longest video track's, so audio running past
    the video is cut; with no video clip placed, the longest audio track's."""
    tracks: list[tuple[str, VideoTrack | AudioTrack, list[Span]]] = [
        (f"VideoTracks[{t}]", track, s.placed)
        for t, (track, s) in enumerate(zip(timeline.VideoTracks, video, strict=True))
    ]
    tracks += [
        (f"AudioTracks[{t}]", track, s) for t, (track, s) in enumerate(zip(timeline.AudioTracks, audio, strict=True))
    ]
    main = next((spans for _, track, spans in tracks if track.MainTrack and spans), None)
    if main is not None:
        total = _end(main)
        for loc, track, spans in tracks:
            if spans is not main:
                _auto_speed(loc, track, spans, total, notes)
    else:
        for loc, track, _ in tracks:
            if track.TrackShortenMode or track.TrackExpandMode:
                notes.ignored.append(f"{loc}: TrackShortenMode/TrackExpandMode need a main track to align to")
        total = max((_end(s.placed) for s in video), default=0) or max((_end(s) for s in audio), default=0)
    if total == 0:
        stills = [s for track in video for s in track.global_images]
        durations = [s.clip.Duration for s in stills if isinstance(s.clip, VideoTrackClip)]
        total = clock.frames(max((d for d in durations if d), default=0.0))
    if total == 0:
        raise invalid("Timeline", "nothing to render: every clip is open-ended or ignored")
    if output.MaxDuration is not None:
        total = min(total, max(1, clock.frames(output.MaxDuration)))
    return total


def _end(spans: list[Span]) -> int:
    return max((s.start + (s.frames or 0) for s in spans), default=0)


def _auto_speed(loc: str, track: VideoTrack | AudioTrack, spans: list[Span], main: int, notes: Notes) -> None:
    """A track other than the main one, sped up (TrackShortenMode) or slowed down
    (TrackExpandMode) as a whole so that it ends with the main track's `main` frames.

    Every clip boundary is moved in proportion, so the clips keep their share of the track and
    a transition its share of the clips it joins; a clip's Speed changes by the ratio of its old
    and new lengths (a still is only held longer or shorter).
    """
    for name, mode in (("TrackShortenMode", track.TrackShortenMode), ("TrackExpandMode", track.TrackExpandMode)):
        if mode is not None and mode != "AutoSpeed":
            notes.ignored.append(f"{loc}.{name}: {mode!r} is not supported (AutoSpeed is)")
    end = _end(spans)
    shorten = track.TrackShortenMode == "AutoSpeed" and end > main
    expand = track.TrackExpandMode == "AutoSpeed" and 0 < end < main
    if not (shorten or expand):
        return
    if any(isinstance(s.clip, AudioTrackClip) and s.clip.LoopMode for s in spans):
        notes.ignored.append(f"{loc}: AutoSpeed has no effect on a track with LoopMode clips")
        return
    if any(s.clip.ReferenceClipId is not None for s in spans):
        notes.ignored.append(f"{loc}: AutoSpeed is not combined with ReferenceClipId alignment")
        return

    def at(frame: int) -> int:
        return round(frame * main / end)

    moved: dict[int, tuple[int, int, tuple[XfadeChoice, int] | None]] = {}
    for i, span in enumerate(spans):
        if span.frames is None:  # only looping audio clips have no end, and they were turned away
            continue
        start, stop = at(span.start), at(span.start + span.frames)
        frames = max(1, stop - start)
        join = span.join
        if join is not None:  # the window ends where the clip before ended, moved alike
            d = min(at(span.start + join[1]) - start, frames - 1)
            join = (join[0], d) if d >= 1 else None
        moved[i] = (start, frames, join)
    for i, (start, frames, join) in moved.items():
        span = spans[i]
        if span.source_len is not None and span.frames:
            span.clip = span.clip.model_copy(update={"Speed": span.clip.Speed * span.frames / frames})
        span.start, span.frames, span.join = start, frames, join
        if i and span.join is None and spans[i - 1].fade_out:
            spans[i - 1].fade_out = 0
        elif i and span.join is not None:
            spans[i - 1].fade_out = span.join[1]


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
