"""Timeline -> one ffmpeg filter graph (data), plus the inputs and files it refers to.

Pure: takes the validated timeline and what each referenced file contains, returns a `Plan`;
nothing runs. The work is done by modules with one job each, so that every choice made for
exactness or for speed is stated beside the code it shapes; in the order of the graph:

- spans.py reads the tracks into spans counted in output frames (clock.py), and the output's
  length and size;
- layers.py makes every video clip a canvas-sized stream of exactly its span: its own effects
  (look.py), its box on the canvas (placement.py) and its pixels in the graph's format
  (pixels.py); a clip that other renders play too (a batch's shared shot, named by `shared`)
  reads its picture already fitted from a prepared file (prepared.py);
- inputs.py opens the `-i` inputs, shots of one file played in source order sharing one;
- tracks.py joins each track's layers (xfade only over transition windows, one concat, gaps
  transparent) and stacks the tracks on black, index 0 at the bottom;
- overlays.py draws EffectTracks, subtitle files and Text over the stacked picture;
- audio.py mixes every clip's own sound over a silent bed of exactly the output's length.

What the render leaves out or approximates is collected on the way (notes.py). This module
wires the parts and keeps what callers see: `compose`, `Plan`, `MediaRef` and `media_refs`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from imsd.api.timeline import VIDEO_CLIP_TYPES, AudioTrackClip, OutputMediaConfig, Timeline, VideoTrackClip
from imsd.engine.media import MediaInfo
from imsd.engine.render.audio import AudioMix
from imsd.engine.render.clock import Clock
from imsd.engine.render.graph import FilterGraph, Input, f
from imsd.engine.render.inputs import Inputs
from imsd.engine.render.layers import ClipLayers
from imsd.engine.render.notes import Notes
from imsd.engine.render.overlays import effect_tracks, subtitles
from imsd.engine.render.placement import OutputCanvas
from imsd.engine.render.prepared import Preparation, SharedClips
from imsd.engine.render.spans import lay_out
from imsd.engine.render.tracks import VideoTracks
from imsd.settings import EngineSettings

__all__ = ["MediaRef", "Plan", "compose", "media_refs"]


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
        (track.clip_key(t, c), clip)
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
    clock = Clock.at(output.Video.Fps or settings.default_fps)
    notes = Notes()
    notes.unknown_fields("Timeline", timeline)
    if timeline.ImageTracks:
        notes.approximated.append("ImageTracks: deprecated (merged into VideoTracks); drawn as video tracks above them")
    layout = lay_out(timeline, output, media, clock, notes)
    canvas = OutputCanvas(layout.width, layout.height, timeline.FECanvas)
    graph = FilterGraph()
    inputs = Inputs(graph, clock)
    clips = ClipLayers(graph, inputs, canvas, clock, notes, shared)
    video: str | None = None
    files: dict[str, str] = {}
    if layout.has_video:
        out = VideoTracks(graph, clips, canvas, clock, notes).stack(layout.video, layout.frames)
        out = effect_tracks(graph, out, timeline, canvas, clock, notes, clock.seconds(layout.frames))
        out, files = subtitles(
            graph,
            out,
            timeline,
            layout=layout,
            clock=clock,
            media=media,
            canvas=canvas,
            settings=settings,
            workdir=workdir,
            notes=notes,
        )
        video = graph.one([out], [f("format", "yuv420p")], "vout")
    audio = AudioMix(graph, inputs, clock, notes).mix(layout)
    return Plan(
        inputs.added,
        graph,
        video,
        audio,
        canvas.width,
        canvas.height,
        clock.fps,
        layout.frames,
        files,
        notes.ignored,
        notes.approximated,
        clips.preparations,
    )
