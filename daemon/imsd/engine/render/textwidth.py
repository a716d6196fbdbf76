"""How wide libass draws a line of text, measured with the font file it draws it with.

Subtitle AutoWrap and AutoScale (subtitles.py) must know a line's width before libass draws it,
and an estimate per character is off by whole glyphs. So this module repeats libass's own steps
(0.17, as ffmpeg's ass filter runs it) and measures with Pillow's FreeType + HarfBuzz:

- The font: libass asks fontconfig for its font list, the request's aliases and a sorted
  fallback list, and then picks by its own rules (ass_fontselect.c): a face whose family matches
  the name (ASCII case-insensitively) and whose weight + slant + width are closest to the request
  (bold 700 or 400, italic 100 or 0, width 100), else one whose full or PostScript name matches;
  the request's fontconfig substitutes in order; else the first family of fontconfig's
  "sans-serif" sort. A character the chosen face lacks is drawn from another face found the same
  way for that character. The same questions go to fontconfig here, through `fc-list`,
  `fc-pattern` and `fc-match` (so the same configuration answers them); the fonts of a `fontsdir`
  come first, read by `fc-scan`.
- The size: libass sets the ASS font size as the face's Windows ascent + descent (FreeType
  REAL_DIM), not its em. With hinting off (ffmpeg leaves it off) it shapes at 256 px and scales
  the result, so an advance is `units * ppem / upem * size / 256`, where `ppem` is
  `256 * upem / (ascent + descent)`, rounded to whole pixels for TrueType fonts that ask for it
  (head flags bit 3) as FreeType does. Pillow measures at `upem` pixels, where an advance is in
  font units, and the result is scaled as libass scales it.
- The shaping: no kerning (our ASS has no `Kerning: yes`), ligatures unless letter spacing is set.
  A no-break space is drawn as a space. Synthetic bold and italic leave advances unchanged.

`text_width` returns None when no font file can be found or read; callers then estimate and say so.
"""

from __future__ import annotations

import bisect
import itertools
import os
import struct
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import ImageFont, features

__all__ = ["FontFile", "font_file", "text_width"]

_RAQM = features.check_feature("raqm")
_FIELD, _RECORD = "\x1e", "\x1d"  # never in fontconfig's answers
_LIST = "\x1f"
# One font per record: families, full names, PostScript name, weight, slant, width, format, file,
# index, charset ("20-7e a0-17f ...").
_FORMAT = (
    _FIELD.join(
        (
            f"%{{[]family{{%{{family}}{_LIST}}}}}",
            f"%{{[]fullname{{%{{fullname}}{_LIST}}}}}",
            "%{postscriptname}",
            "%{weight}",
            "%{slant}",
            "%{width}",
            "%{fontformat}",
            "%{file}",
            "%{index}",
            "%{charset}",
        )
    )
    + _RECORD
)
# fontconfig weight -> OpenType weight (FcWeightToOpenTypeDouble's table).
_WEIGHTS = ((0, 100), (40, 200), (50, 300), (55, 350), (75, 380), (80, 400), (100, 500), (180, 600),
            (200, 700), (205, 800), (210, 900), (215, 1000))  # fmt: skip
_POSTSCRIPT_FORMATS = frozenset({"Type 1", "Type 42", "CID Type 1", "CFF"})


@dataclass(frozen=True)
class FontFile:
    """One face: a font file and the face's index inside it (collections hold several)."""

    path: str
    index: int = 0


@dataclass(frozen=True)
class _Font:
    families: tuple[str, ...]  # lower-cased, as libass compares them
    fullnames: tuple[str, ...]
    postscript: str
    postscript_outlines: bool
    weight: int
    slant: int
    width: int
    file: FontFile
    charset: tuple[tuple[int, int], ...]  # sorted, disjoint ranges

    def has(self, code: int) -> bool:
        return code == 0 or _covers(self.charset, code)

    def names(self, name: str) -> bool:
        """libass's full-or-PostScript-name match (when both disagree, the outline kind decides)."""
        full, postscript = name in self.fullnames, name == self.postscript
        return full if full == postscript else (postscript if self.postscript_outlines else full)


def _covers(charset: tuple[tuple[int, int], ...], code: int) -> bool:
    i = bisect.bisect_right(charset, (code, 0x10FFFF)) - 1
    return i >= 0 and charset[i][0] <= code <= charset[i][1]


def _run(*args: str) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=30, check=False, start_new_session=True)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout if done.returncode == 0 else ""


def _opentype_weight(fc: float) -> int:
    for (fc0, ot0), (fc1, ot1) in itertools.pairwise(_WEIGHTS):
        if fc <= fc1:
            ot = ot1 if fc >= fc1 else ot0 + (fc - fc0) * (ot1 - ot0) / (fc1 - fc0)
            return int(max(ot, 100) + 0.5)
    return 1000


def _fonts_of(answer: str) -> Iterator[_Font]:
    for record in answer.split(_RECORD):
        fields = record.split(_FIELD)
        if len(fields) != 10:
            continue
        families, fullnames, postscript, weight, slant, width, kind, path, index, charset = fields
        try:  # a variable font's range ("[100 900]") is skipped, as libass skips it
            numbers = float(weight), int(slant), int(width), int(index)
            ranges = tuple(
                (int(lo, 16), int(hi or lo, 16)) for lo, _, hi in (r.partition("-") for r in charset.split())
            )
        except ValueError:
            continue
        yield _Font(
            families=tuple(f.lower() for f in families.split(_LIST) if f),
            fullnames=tuple(f.lower() for f in fullnames.split(_LIST) if f),
            postscript=postscript.lower(),
            postscript_outlines=kind in _POSTSCRIPT_FORMATS,
            weight=_opentype_weight(numbers[0]),
            slant=numbers[1],
            width=numbers[2],
            file=FontFile(path, numbers[3]),
            charset=ranges,
        )


@lru_cache(maxsize=8)
def _font_list(fonts_dir: str | None) -> tuple[_Font, ...]:
    """libass's font list: a fontsdir's fonts first (libass loads them before the system's)."""
    found: list[_Font] = []
    if fonts_dir and os.path.isdir(fonts_dir):
        for entry in sorted(os.scandir(fonts_dir), key=lambda e: e.name):
            if entry.is_file():
                found += _fonts_of(_run("fc-scan", "-f", _FORMAT, entry.path))
    found += _fonts_of(_run("fc-list", "-f", _FORMAT, ":outline=True"))
    return tuple(found)


@lru_cache(maxsize=256)
def _aliases(name: str) -> tuple[str, ...]:
    """The names libass tries for `name`: fontconfig's substitutes up to the request's end."""
    marker = "__libass_delimiter"
    escaped = name.replace("\\", "\\\\").replace("-", "\\-").replace(":", "\\:").replace(",", "\\,")
    answer = _run("fc-pattern", "-c", "-f", f"%{{[]family{{%{{family}}{_LIST}}}}}", f"{escaped},{marker}:outline=True")
    names = answer.split(_LIST)
    names = names[: names.index(marker)] if marker in names else []
    return tuple(n.lower() for n in names if n) or (name.lower(),)


@lru_cache(maxsize=1)
def _fallbacks() -> tuple[tuple[str, tuple[tuple[int, int], ...]], ...]:
    """fontconfig's sort for "sans-serif": (first family, charset) of each font, best first."""
    return tuple(
        (font.families[0], font.charset)
        for font in _fonts_of(_run("fc-match", "-s", "-f", _FORMAT, "sans-serif:outline=True"))
        if font.families
    )


def _find(fonts: Iterable[_Font], names: tuple[str, ...], weight: int, slant: int, code: int) -> _Font | None:
    """libass's find_font: the first name that matches any font decides; closest attributes win."""
    for name in names:
        best, best_score = None, None
        for font in fonts:
            if name in font.families:
                score = abs(font.weight - weight) + abs(font.slant - slant) + abs(font.width - 100)
            elif font.names(name):
                score = 0
            else:
                continue
            if best_score is None or score < best_score:
                if not font.has(code):
                    continue
                best, best_score = font, score
            if score == 0:
                break
        if best is not None:
            return best
    return None


@lru_cache(maxsize=4096)
def _select(family: str, bold: bool, italic: bool, code: int, fonts_dir: str | None) -> _Font | None:
    """libass's ass_font_select for one request (`code` 0: any character)."""
    fonts = _font_list(fonts_dir)
    weight, slant = (700 if bold else 400), (100 if italic else 0)
    found = _find(fonts, _aliases(family), weight, slant, code) if family else None
    if found is None:
        fallback = next((name for name, charset in _fallbacks() if code == 0 or _covers(charset, code)), None)
        if fallback is not None:
            found = _find(fonts, _aliases(fallback), weight, slant, code)
    return found


def font_file(
    family: str, *, bold: bool = False, italic: bool = False, fonts_dir: Path | None = None
) -> FontFile | None:
    """The face libass draws `family` with (before any per-character fallback), or None."""
    found = _select(family, bold, italic, 0, str(fonts_dir) if fonts_dir else None)
    return found.file if found else None


def _faces(text: str, family: str, bold: bool, italic: bool, fonts_dir: str | None) -> Iterator[tuple[str, _Font]]:
    """`text` in runs of the face libass draws them with (ass_font_get_index's order)."""
    first = _select(family, bold, italic, 0, fonts_dir)
    if first is None:
        return
    faces, run, current = [first], "", first
    for ch in text:
        code = ord(ch)
        face = next((f for f in faces if code < 0x20 or f.has(code)), None)
        if face is None:
            face = _select(family, bold, italic, code, fonts_dir) or first
            if face not in faces:
                faces.append(face)
        if face is not current and run:
            yield run, current
            run = ""
        run, current = run + ch, face
    if run:
        yield run, current


def _table(data: bytes, index: int) -> dict[bytes, tuple[int, int]]:
    base = 0
    if data[:4] == b"ttcf":
        base = struct.unpack_from(">I", data, 12 + 4 * index)[0]
    count = struct.unpack_from(">H", data, base + 4)[0]
    tables = {}
    for i in range(count):
        tag, _, offset, length = struct.unpack_from(">4sIII", data, base + 12 + 16 * i)
        tables[tag] = (offset, length)
    return tables


@lru_cache(maxsize=64)
def _scale(file: FontFile) -> tuple[int, float] | None:
    """(units per em, pixels per font unit at libass's 256 px) of an sfnt face, or None."""
    try:
        data = Path(file.path).read_bytes()
        tables = _table(data, file.index)
        head = tables[b"head"][0]
        flags, upem = struct.unpack_from(">HH", data, head + 16)
        y_min, _, y_max = struct.unpack_from(">hhh", data, head + 38)
        hhea = tables[b"hhea"][0]
        ascent, descent = struct.unpack_from(">hh", data, hhea + 4)
        typo = win = (0, 0)
        if b"OS/2" in tables and tables[b"OS/2"][1] >= 78:
            os2 = tables[b"OS/2"][0]
            typo = struct.unpack_from(">hh", data, os2 + 68)
            win = struct.unpack_from(">hh", data, os2 + 74)  # read as signed, as libass does
    except (OSError, KeyError, struct.error, IndexError):
        return None
    # libass's set_font_metrics: Windows metrics, else FreeType's (hhea), else typo, else bbox.
    for up, down in ((win[0], -win[1]), (ascent, descent), typo, (y_max, y_min)):
        if up - down:
            height = up - down
            break
    else:
        return None
    if not upem:
        return None
    ppem = 256 * upem / abs(height)
    if b"glyf" in tables and flags & 8:  # FreeType's TrueType driver: whole-pixel ppem
        ppem = float(int(ppem + 0.5))
    return upem, ppem / upem


@lru_cache(maxsize=64)
def _pillow(file: FontFile, upem: int) -> ImageFont.FreeTypeFont | None:
    engine = ImageFont.Layout.RAQM if _RAQM else ImageFont.Layout.BASIC
    try:
        return ImageFont.truetype(file.path, upem, index=file.index, layout_engine=engine)
    except OSError:
        return None


@lru_cache(maxsize=16384)
def _units(file: FontFile, text: str, ligatures: bool) -> float | None:
    """Advance of `text` in font units, kerning off."""
    scale = _scale(file)
    font = _pillow(file, scale[0]) if scale else None
    if font is None:
        return None
    if not _RAQM:  # BASIC kerns and cannot be told not to: add the characters up
        return sum(font.getlength(ch) for ch in text)
    off = ["-kern"] if ligatures else ["-kern", "-liga", "-clig"]
    return font.getlength(text, features=off)


def text_width(
    text: str,
    family: str,
    size: float,
    *,
    bold: bool = False,
    italic: bool = False,
    ligatures: bool = True,
    fonts_dir: Path | None = None,
) -> float | None:
    """Advance width in output pixels of one line of plain `text` as libass draws it in `family`
    at ASS font size `size` (PlayResY = the frame's height), without letter spacing; None if a
    font file for it cannot be found or read."""
    total = 0.0
    runs = list(_faces(text.replace("\xa0", " "), family, bold, italic, str(fonts_dir) if fonts_dir else None))
    if not runs and text:
        return None
    for run, font in runs:
        units, scale = _units(font.file, run, ligatures), _scale(font.file)
        if units is None or scale is None:
            return None
        total += units * scale[1] * size / 256
    return total
