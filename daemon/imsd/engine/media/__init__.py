"""Media access: request references turned into local files, probed, and ffmpeg run on them.

Everything that touches a file or URL a request named goes through here, so the rules (roots,
public addresses only, the demuxer whitelist) are applied in one room.
"""

from imsd.engine.media.addresses import (
    client_session,
    host_allowed,
    is_public_address,
    names_private_address,
    refused_address,
)
from imsd.engine.media.cache import ContentCache, LruMemo
from imsd.engine.media.faces import (
    FaceFinder,
    FaceSample,
    Focus,
    faces_available,
    faces_in,
    focus_path,
    gray_pictures,
    sample_filters,
    sampling,
)
from imsd.engine.media.ffmpeg import ffmpeg_identity, ffmpeg_output, run_ffmpeg
from imsd.engine.media.probe import SAFE_INPUT, SUBTITLE_FORMATS, MediaInfo, Prober, file_guard
from imsd.engine.media.processes import ChildStopped, child_process, stop_signal
from imsd.engine.media.registry import MediaRegistry, MediaText, RedisMediaRegistry
from imsd.engine.media.resolver import MediaResolver, resolve_together

__all__ = [
    "SAFE_INPUT",
    "SUBTITLE_FORMATS",
    "ChildStopped",
    "ContentCache",
    "FaceFinder",
    "FaceSample",
    "Focus",
    "LruMemo",
    "MediaInfo",
    "MediaRegistry",
    "MediaResolver",
    "MediaText",
    "Prober",
    "RedisMediaRegistry",
    "child_process",
    "client_session",
    "faces_available",
    "faces_in",
    "ffmpeg_identity",
    "ffmpeg_output",
    "file_guard",
    "focus_path",
    "gray_pictures",
    "host_allowed",
    "is_public_address",
    "names_private_address",
    "refused_address",
    "resolve_together",
    "run_ffmpeg",
    "sample_filters",
    "sampling",
    "stop_signal",
]
