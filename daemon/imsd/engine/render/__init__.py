"""Rendering: a Timeline becomes one ffmpeg filter graph (as data), run into an output file.

`render_timeline` is the entry point. The graph module is offered too: other rooms build their
own ffmpeg graphs (media analysis) with it, so escaping is decided in one place.
"""

from imsd.engine.render import graph
from imsd.engine.render.covers import COVER_SUFFIX, PREVIEW_SUFFIX, make_stills
from imsd.engine.render.prepared import ClipId, SharedClips, clip_id_of
from imsd.engine.render.renderer import RenderResult, output_target, render_timeline
from imsd.engine.render.transitions import transition_textures

__all__ = [
    "COVER_SUFFIX",
    "PREVIEW_SUFFIX",
    "ClipId",
    "RenderResult",
    "SharedClips",
    "clip_id_of",
    "graph",
    "make_stills",
    "output_target",
    "render_timeline",
    "transition_textures",
]
