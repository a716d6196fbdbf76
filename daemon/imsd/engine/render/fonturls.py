"""Text clips' `FontURL`: the font file a request names, checked, copied and drawn with.

A request-named file never reaches fontconfig or libass as it is: it is resolved inside the
media roots like any media, refused unless its first bytes are a TrueType/OpenType font and
FreeType opens it, and a private copy goes into the render's own fonts folder, which libass
loads (`fontsdir`) before the system's fonts. The clip then names the face by its
full name, which only that face has, so libass picks this file and not an installed face of the same
family (IMS: SubtitleTrackClip `FontUrl`, "字体文件的 URL", used instead of `Font`).
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

from PIL import ImageFont

from imsd.api.timeline import SubtitleTrackClip, Timeline
from imsd.engine.media import MediaResolver
from imsd.errors import invalid
from imsd.settings import EngineSettings

__all__ = ["FONT_URL_KEYS", "load_font_urls"]

FONT_URL_KEYS = ("FontURL", "FontUrl")
_FONT_MAGIC = (b"\x00\x01\x00\x00", b"true", b"OTTO", b"ttcf")
_WOFF_MAGIC = (b"wOFF", b"wOF2")


async def load_font_urls(
    timeline: Timeline, resolver: MediaResolver, workdir: Path
) -> tuple[Timeline, EngineSettings]:
    """`timeline` with each FontURL clip naming its font's face, and the settings to draw with:
    the render's fonts folder as `fonts_dir` (the operator's fonts linked into it), those faces
    known as fonts. Unchanged when no clip has a FontURL."""
    settings = resolver.settings
    clips = list(_font_url_clips(timeline))
    if not clips:
        return timeline, settings
    folder = workdir / "fonts"
    await asyncio.to_thread(_prepare_folder, folder, settings.fonts_dir)
    faces: dict[str, str] = {}
    for n, (field, clip, url) in enumerate(clips):
        source = await resolver.local_file(url, field)
        face = await asyncio.to_thread(_copy_font, source, folder / f"request-{n}{source.suffix.lower()}", field)
        clip.Font = face
        faces[face] = face
    fonts = {**settings.fonts, **faces}
    return timeline, settings.model_copy(update={"fonts_dir": folder, "fonts": fonts})


def _font_url_clips(timeline: Timeline) -> Iterator[tuple[str, SubtitleTrackClip, str]]:
    """(field, clip, url) of every Text clip, or Text effect of a video clip, with a FontURL."""
    clips: list[tuple[str, SubtitleTrackClip]] = [
        (f"Timeline.SubtitleTracks[{t}].SubtitleTrackClips[{c}]", clip)
        for t, track in enumerate(timeline.SubtitleTracks)
        for c, clip in enumerate(track.SubtitleTrackClips)
        if clip.Type == "Text"
    ]
    clips += [
        (f"Timeline.{track.clip_key(t, c)}.Effects[{e}]", effect)
        for t, track in enumerate(timeline.VideoTracks)
        for c, video_clip in enumerate(track.VideoTrackClips)
        for e, effect in enumerate(video_clip.Effects)
        if isinstance(effect, SubtitleTrackClip)
    ]
    for field, clip in clips:
        for key in FONT_URL_KEYS:
            url = (clip.model_extra or {}).get(key)
            if url:
                if not isinstance(url, str):
                    raise invalid(f"{field}.{key}", "must be a URL")
                yield f"{field}.{key}", clip, url
                break


def _prepare_folder(folder: Path, operator_fonts: Path | None) -> None:
    """The render's fonts folder, holding links to the operator's fonts (libass takes one folder)."""
    folder.mkdir(parents=True, exist_ok=True)
    if operator_fonts is not None and operator_fonts.is_dir():
        for font in operator_fonts.iterdir():
            link = folder / f"operator-{font.name}"
            if font.is_file() and not link.exists():
                link.symlink_to(font.resolve())


def _copy_font(source: Path, copy: Path, field: str) -> str:
    """Copy a checked font file; returns the name libass will find it by."""
    with source.open("rb") as file:
        head = file.read(4)
    if head in _WOFF_MAGIC:
        raise invalid(field, "is a WOFF web font; give a TTF or OTF file")
    if head not in _FONT_MAGIC:
        raise invalid(field, "is not a TrueType or OpenType font file")
    shutil.copyfile(source, copy)
    try:
        font = ImageFont.truetype(str(copy), 12)
    except OSError:
        raise invalid(field, "is a font file FreeType cannot read") from None
    family, style = font.getname()
    return _full_name(copy) or " ".join(p for p in (family, style) if p and p not in ("Regular", "Book"))


def _full_name(font: Path) -> str | None:
    """The face's full name as fontconfig (libass's font source) reads it: libass matches a
    style's font name against it when no family has that name (measured: libass 0.17 does not
    match a PostScript name)."""
    if shutil.which("fc-scan") is None:
        return None
    scan = subprocess.run(
        ["fc-scan", "--format", "%{fullname[0]}\n", str(font)],
        capture_output=True,
        text=True,
        timeout=20,
        start_new_session=True,
    )
    name = scan.stdout.splitlines()[0].strip() if scan.returncode == 0 and scan.stdout.strip() else ""
    return name or None
