"""What the local engine needs from its machine, checked before it says it is ready.

Without these, every job would fail, and each failure would name a symptom ("ffmpeg exited with
1", "internal error") rather than the cause. Checked at start-up and by /readyz, each missing
piece is one line naming it, so ops sees "ffmpeg has no filter 'subtitles' (built without
libass)" on the probe instead of failed jobs in the results.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from pathlib import Path

from imsd.engine.media import child_process
from imsd.engine.render import transition_textures
from imsd.settings import EngineSettings

__all__ = ["REQUIRED_ENCODERS", "REQUIRED_FILTERS", "engine_problems"]

# Every filter the engine's graphs use (a test keeps this in step with the code) and the
# encoders its outputs and intermediate files are written with.
REQUIRED_FILTERS = frozenset(
    {
        "adelay", "afade", "aformat", "aloop", "amix", "anull", "anullsrc", "aresample", "asetpts", "ass",
        "atempo", "atrim", "avgblur", "blackdetect", "blend", "chromashift", "color", "colorbalance",
        "colorchannelmixer", "concat", "crop", "curves", "displace", "drawbox", "drawgrid", "edgedetect",
        "eq", "extractplanes", "fade", "fillborders", "format", "fps", "freezedetect", "gblur", "geq",
        "hflip", "hstack", "hue", "loop", "loudnorm", "lut", "lut2", "lutyuv", "maskedmerge", "mergeplanes",
        "mix", "movie", "negate", "noise", "null", "overlay", "pad", "pixelize", "remap", "rgbashift", "rotate",
        "scale", "scdet", "scroll", "select", "sendcmd", "setparams", "setpts", "setsar", "settb", "split",
        "subtitles", "threshold", "tile", "tmix", "tpad", "transpose", "trim", "v360", "vflip", "vignette",
        "volume", "vstack", "xfade", "zoompan",
    }
)  # fmt: skip
REQUIRED_ENCODERS = frozenset({"libx264", "aac", "libmp3lame", "pcm_s16le", "ffv1", "rawvideo"})
_TIMEOUT_S = 20.0


async def engine_problems(settings: EngineSettings) -> list[str]:
    """One line per missing piece: tools, their filters and encoders, fonts, the pictures
    transitions read, writable folders."""
    problems: list[str] = []
    for tool in (settings.ffmpeg, settings.ffprobe):
        if shutil.which(tool) is None:
            problems.append(f"{tool}: not found (engine.ffmpeg / engine.ffprobe)")
    if not problems:
        problems += await _ffmpeg_features(settings.ffmpeg)
    if not await _font_installed(settings.default_font):
        problems.append(f"font {settings.default_font!r} (engine.default_font): not installed")
    for picture in sorted(transition_textures()):
        if not picture.is_file():
            problems.append(f"{picture}: missing (a picture the luma and displacement transitions read)")
    for name in ("storage_root", "work_dir", "cache_dir"):
        problem = await asyncio.to_thread(_writable, Path(getattr(settings, name)))
        if problem:
            problems.append(f"engine.{name} {getattr(settings, name)}: {problem}")
    return problems


async def _ffmpeg_features(ffmpeg: str) -> list[str]:
    filters = _names(await _output(ffmpeg, "-hide_banner", "-filters"), column=1)
    encoders = _names(await _output(ffmpeg, "-hide_banner", "-encoders"), column=1)
    missing = [f"ffmpeg has no filter {name!r}" for name in sorted(REQUIRED_FILTERS - filters)]
    missing += [f"ffmpeg has no encoder {name!r}" for name in sorted(REQUIRED_ENCODERS - encoders)]
    return missing


def _names(listing: str, column: int) -> set[str]:
    """The names column of `ffmpeg -filters` / `-encoders` (after the legend's ` = ` lines)."""
    names = set()
    for line in listing.splitlines():
        parts = line.split()
        if len(parts) > column and "=" not in parts[:3] and not line.startswith(" ---"):
            names.add(parts[column])
    return names


async def _font_installed(family: str) -> bool:
    if shutil.which("fc-list") is None:
        return False
    return bool((await _output("fc-list", f"{family}", "family")).strip())


async def _output(*command: str) -> str:
    async with child_process(*command, stdout=asyncio.subprocess.PIPE) as process:
        try:
            out, _ = await asyncio.wait_for(process.communicate(), _TIMEOUT_S)
        except TimeoutError:
            return ""
    return out.decode(errors="replace")


def _writable(directory: Path) -> str | None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".imsd-check-"):
            pass
    except OSError as error:
        return f"not writable ({error.strerror or type(error).__name__})"
    return None if os.access(directory, os.W_OK) else "not writable"
