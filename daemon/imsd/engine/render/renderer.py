"""Render one Timeline + OutputMediaConfig to a file with a single ffmpeg run.

Validates, resolves every media reference, composes the graph (compose.py), writes the graph
script and generated files into `workdir`, runs ffmpeg without a shell, reports progress from
`-progress pipe:1`, renames the finished file into place and probes what came out.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from imsd.api.timeline import OutputMediaConfig, Timeline, parse_output, parse_timeline
from imsd.engine.media import (
    SUBTITLE_FORMATS,
    FaceFinder,
    MediaInfo,
    MediaResolver,
    ffmpeg_identity,
    resolve_together,
    run_ffmpeg,
)
from imsd.engine.render.compose import MediaRef, Plan, compose, media_refs
from imsd.engine.render.fonturls import load_font_urls
from imsd.engine.render.graph import format_value
from imsd.engine.render.prepared import PreparedStore, SharedClips
from imsd.errors import invalid
from imsd.settings import EngineSettings

__all__ = [
    "GRAPH_FILE",
    "OUTPUT_SUFFIXES",
    "RenderResult",
    "build_command",
    "encoder_args",
    "output_target",
    "render_timeline",
]

GRAPH_FILE = "graph.txt"
_AUDIO_ONLY = {".mp3": "libmp3lame", ".m4a": "aac", ".aac": "aac", ".wav": "pcm_s16le"}
_VIDEO_CODECS = {"h264": "libx264", "h.264": "libx264", "avc": "libx264",
                 "h265": "libx265", "h.265": "libx265", "hevc": "libx265"}  # fmt: skip
_FASTSTART = frozenset({".mp4", ".mov", ".m4a"})
# The containers an output may be: ffmpeg picks the muxer by the name, and others would write
# what IMS does not (a pattern's numbered images, an HLS playlist's segments beside it).
OUTPUT_SUFFIXES = frozenset({".mp4", ".mov", *_AUDIO_ONLY})


@dataclass
class RenderResult:
    """What was produced, and everything the request asked for that the render did not do."""

    output: Path
    duration: float
    width: int
    height: int
    ignored: list[str] = field(default_factory=list)
    approximated: list[str] = field(default_factory=list)
    command: list[str] = field(default_factory=list)


def encoder_args(plan: Plan, out: OutputMediaConfig, path: Path, settings: EngineSettings) -> list[str]:
    """Output options: codecs and rate control from OutputMediaConfig, settings as defaults."""
    suffix = path.suffix.lower()
    args: list[str] = []
    if plan.video is not None and suffix not in _AUDIO_ONLY:
        codec = (out.Video.Codec or "h264").lower()
        if codec not in _VIDEO_CODECS:
            raise invalid("OutputMediaConfig.Video.Codec", f"{out.Video.Codec!r} is not supported")
        args += ["-map", f"[{plan.video}]", "-c:v", _VIDEO_CODECS[codec]]
        args += ["-preset", out.Video.Preset or settings.default_preset, "-pix_fmt", "yuv420p"]
        if out.Bitrate:
            kbps = out.Bitrate
            args += ["-b:v", f"{kbps}k", "-maxrate", f"{kbps}k", "-bufsize", f"{2 * kbps}k"]
        else:
            args += ["-crf", str(out.Video.Crf if out.Video.Crf is not None else settings.default_crf)]
        if out.Video.Profile and codec in ("h264", "h.264", "avc"):
            args += ["-profile:v", out.Video.Profile]
        if out.Video.Gop:
            args += ["-g", str(out.Video.Gop)]
        args += ["-r", str(plan.fps)]
    audio_codec = _AUDIO_ONLY.get(suffix, "aac")
    args += ["-map", f"[{plan.audio}]", "-c:a", audio_codec]
    if audio_codec != "pcm_s16le":
        # Audio.Bitrate is Kbps like the video Bitrate; values over 1000 can only be bit/s.
        rate = out.Audio.Bitrate or 128
        args += ["-b:a", f"{rate}k" if rate <= 1000 else str(rate)]
    args += ["-ar", str(out.Audio.Samplerate or 48000), "-ac", str(out.Audio.Channels or 2)]
    if suffix in _FASTSTART:
        args += ["-movflags", "+faststart"]
    return args


def build_command(
    plan: Plan,
    out: OutputMediaConfig,
    path: Path,
    script: Path,
    settings: EngineSettings,
    ffmpeg: str,
) -> list[str]:
    cmd = [ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-nostats", "-y"]
    cmd += ["-progress", "pipe:1"]
    for item in plan.inputs:
        cmd += item.args()
    # The encoder keeps both cores of the machine busy; slice threads inside the graph only add
    # hand-offs between them (about 3% more CPU for the same wall time in bench/render.py).
    cmd += ["-filter_complex_threads", "1", "-filter_complex_script", str(script)]
    cmd += encoder_args(plan, out, path, settings)
    cmd += ["-t", format_value(plan.duration), str(path)]
    return cmd


async def _resolve_all(timeline: Timeline, resolver: MediaResolver, workdir: Path) -> dict[str, MediaInfo]:
    refs = media_refs(timeline)

    async def one(index: int, ref: MediaRef) -> MediaInfo:
        if ref.copied:
            return await _subtitle_copy(ref, resolver, workdir / f"copy-{index}")
        return await resolver.resolve(ref.ref, ref.field, media_id=ref.media_id)

    infos = await resolve_together(one(i, r) for i, r in enumerate(refs))
    return {r.key: info for r, info in zip(refs, infos, strict=True)}


async def _with_faces(
    timeline: Timeline, media: dict[str, MediaInfo], settings: EngineSettings, ffmpeg: str
) -> dict[str, MediaInfo]:
    """The media of clips cropped to their box (AdaptMode Cover) with the faces they show, for
    the crop to follow them (placement.py); unchanged when `reframe_faces` is off."""
    if not settings.reframe_faces:
        return media
    keys = [
        key for t, track in enumerate(timeline.VideoTracks) if track.Type == "Video"
        for c, clip in enumerate(track.VideoTrackClips)
        if clip.AdaptMode == "Cover" and (key := track.clip_key(t, c)) in media
    ]  # fmt: skip
    finder = FaceFinder(settings.cache_dir, ffmpeg)
    found = await asyncio.gather(*(finder.samples(media[key]) for key in keys))
    faced = {key: media[key].model_copy(update={"faces": tuple(f)}) for key, f in zip(keys, found, strict=True)}
    return {**media, **faced}


async def _subtitle_copy(ref: MediaRef, resolver: MediaResolver, stem: Path) -> MediaInfo:
    """A private copy of a subtitle file, refused unless ffprobe read it as a subtitle format.

    The `subtitles` filter opens its file itself with every demuxer allowed, so only a file read
    as SRT/ASS/WebVTT under SAFE_INPUT may reach it (a playlist is refused), and a copy cannot be
    swapped between this check and the render. Each render makes a new copy, so its probe is not
    cached.
    """
    source = await resolver.local_file(ref.ref, ref.field)
    copy = stem.with_name(stem.name + source.suffix.lower())
    await asyncio.to_thread(shutil.copyfile, source, copy)
    info = await resolver.prober.probe(copy, f"{ref.field}: {ref.ref}", cache=False)
    if info.format_name not in SUBTITLE_FORMATS:
        found = info.format_name or "no media format"
        raise invalid(ref.field, f"{ref.ref!r} is not an SRT, ASS or WebVTT file ({found})")
    return info


def output_target(resolver: MediaResolver, media_url: str, field: str = "OutputMediaConfig.MediaURL") -> Path:
    """The file an output MediaURL names, refused unless it is inside the storage root and of a
    container the engine writes; checked when a job is submitted, before any work."""
    path = resolver.output_path(media_url, field)
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        kinds = ", ".join(sorted(OUTPUT_SUFFIXES))
        raise invalid(field, f"the output must be a file of one of the types {kinds}")
    return path


def _output_path(
    out: OutputMediaConfig, plan: Plan, resolver: MediaResolver, workdir: Path, destination: Path | None
) -> Path:
    """Where the output goes, resolved: the registry finds the probe of that same path cached."""
    if destination is not None:
        return destination.resolve()
    if out.MediaURL:
        return output_target(resolver, out.MediaURL)
    return workdir / ("output.mp4" if plan.video is not None else "output.mp3")


def _partial(path: Path) -> Path:
    """Where ffmpeg writes `path` until it is complete: a hidden name beside it, new each render.

    Two renders of one output (a job's retake while its first attempt still runs) must not write
    one file, and a failed run must not leave a partial file where the output belongs. The same
    directory keeps the final rename atomic; the extension stays, as ffmpeg picks the container by it.
    """
    return path.with_name(f".{path.stem}.{uuid.uuid4().hex}{path.suffix}")


async def render_timeline(
    timeline: dict[str, Any],
    output: dict[str, Any],
    *,
    resolver: MediaResolver,
    workdir: Path,
    progress: Callable[[int], None] | None = None,
    ffmpeg: str | None = None,
    destination: Path | None = None,
    shared: SharedClips | None = None,
) -> RenderResult:
    """Render `timeline` as `output` (OutputMediaConfig) says.

    `destination` overrides OutputMediaConfig.MediaURL for trusted callers (the CLI); every
    other path is checked against the configured roots. The output appears complete or not at
    all, even when the render fails or is cancelled. The clips `shared` names (other renders
    play them too) are read from prepared files, made first where missing. Raises ImsError.
    """
    binary = ffmpeg or resolver.settings.ffmpeg
    tl = parse_timeline(timeline)
    out = parse_output(output)
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    workdir = await asyncio.to_thread(workdir.resolve)
    media = await _with_faces(tl, await _resolve_all(tl, resolver, workdir), resolver.settings, binary)
    tl, settings = await load_font_urls(tl, resolver, workdir)  # settings: with the fonts asked for
    if shared is not None:
        shared = dataclasses.replace(shared, ffmpeg=await ffmpeg_identity(binary))
    plan = compose(tl, out, media, workdir, settings, shared)
    path = _output_path(out, plan, resolver, workdir, destination)
    async with contextlib.AsyncExitStack() as reading:  # prepared files stay locked while read
        if shared is not None and plan.preparations:
            store = PreparedStore(settings, shared.directory, binary)
            ready = await reading.enter_async_context(store.ready(plan.preparations))
            if ready != {p.clip for p in plan.preparations}:  # no room, or failed: played from source
                plan = compose(tl, out, media, workdir, settings, dataclasses.replace(shared, clips=frozenset(ready)))
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        for name, content in plan.files.items():
            await asyncio.to_thread((workdir / name).write_text, content, encoding="utf-8")
        script = await asyncio.to_thread(plan.graph.write_script, workdir / GRAPH_FILE)
        part = _partial(path)
        cmd = build_command(plan, out, part, script, settings, binary)
        try:
            await run_ffmpeg(cmd, plan.duration, progress, stall_s=settings.render_stall_s)
            await asyncio.to_thread(os.replace, part, path)
        finally:
            part.unlink(missing_ok=True)  # failed or cancelled; gone already once renamed
    info = await resolver.prober.probe(path)
    return RenderResult(
        output=path,
        duration=info.duration or 0.0,
        width=info.width,
        height=info.height,
        ignored=plan.ignored,
        approximated=plan.approximated,
        command=cmd,
    )
