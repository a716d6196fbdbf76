"""A cover image and a preview sheet for every output, stored beside it.

IMS snapshots each produced video for the cover of its media asset: at
EditingProduceConfig.CoverConfig.StartTime when given, else the first frame (docs/ims-api.md
§1.3). The local engine does the same, and adds what a person scanning many outputs needs: a
contact sheet of frames spread over the whole output (`PREVIEW_FRAMES` across, each
`PREVIEW_WIDTH` wide). Both are JPEGs named after the output (`<output>.cover.jpg`,
`<output>.preview.jpg`), so their URLs are the output's MediaURL with the same suffix. The graph
is numbers only: nothing a request wrote reaches it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from imsd.engine.media import run_ffmpeg
from imsd.engine.render.graph import FilterGraph, Input, f

__all__ = ["COVER_SUFFIX", "PREVIEW_FRAMES", "PREVIEW_SUFFIX", "PREVIEW_WIDTH", "Stills", "make_stills", "stills_graph"]

COVER_SUFFIX = ".cover.jpg"
PREVIEW_SUFFIX = ".preview.jpg"
PREVIEW_FRAMES = 4
PREVIEW_WIDTH = 240


@dataclass(frozen=True)
class Stills:
    """The cover and the preview sheet of one output."""

    cover: Path
    preview: Path


def stills_graph(duration: float, cover_at_s: float, fps: float) -> FilterGraph:
    """The filter graph: [cover] the frame at `cover_at_s`, [preview] PREVIEW_FRAMES frames tiled.

    The preview's frames are the first at or after the middle of each of PREVIEW_FRAMES equal
    parts of the output, so a short output and a long one are shown alike; the cover time is kept
    inside the output (its last frame at most).
    """
    last_frame_s = max(0.0, duration - 1.0 / max(fps, 1.0))
    at = min(max(0.0, cover_at_s), last_frame_s)
    marks = [(k + 0.5) * duration / PREVIEW_FRAMES for k in range(PREVIEW_FRAMES)]
    picks = "+".join(f"gte(t,{m:.3f})*lt(prev_pts*TB,{m:.3f})" for m in marks)
    stills = FilterGraph()
    a, b = stills.chain(["0:v"], [f("split", 2)], 2, "v")
    stills.chain([a], [f("trim", start=at), f("setpts", "PTS-STARTPTS")], ["cover"])
    sheet = [f("select", picks), f("scale", PREVIEW_WIDTH, -2), f("tile", f"{PREVIEW_FRAMES}x1")]
    stills.chain([b], sheet, ["preview"])
    return stills


async def make_stills(output: Path, duration: float, fps: float, cover_at_s: float, ffmpeg: str) -> Stills:
    """Write the cover and preview of a video `output` beside it (one ffmpeg run, one decode)."""
    stills = Stills(output.with_name(output.name + COVER_SUFFIX), output.with_name(output.name + PREVIEW_SUFFIX))
    cmd = [
        ffmpeg, "-hide_banner", "-nostdin", "-loglevel", "error", "-nostats", "-y", "-progress", "pipe:1",
        *Input(output).args(), "-filter_complex", stills_graph(duration, cover_at_s, fps).render(),
        "-map", "[cover]", "-frames:v", "1", "-q:v", "3", "-update", "1", str(stills.cover),
        "-map", "[preview]", "-frames:v", "1", "-q:v", "4", "-update", "1", str(stills.preview),
    ]  # fmt: skip
    await run_ffmpeg(cmd, duration)
    return stills
