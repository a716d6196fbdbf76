"""SubtitleTracks Text clips as one generated ASS file, burned in by libass.

Request text only ever reaches this file, never the filter graph; the graph names the file by a
path we choose. Inside the file, user text is made inert: `{` and `}` are escaped (libass
renders `\\{` as a brace) so text cannot open an override block, except blocks made only of the
documented inline styles below. A backslash is literal in ASS unless it forms `\\N`, `\\n`,
`\\h`, `\\{` or `\\}`; the first two are IMS's documented line breaks, and escaping the braces
keeps a user's trailing backslash from pairing with our escape.

Override codes (document_detail/451632, 设置字幕局部效果): a `{...}` block made only of the
codes below is kept; each code is rewritten into plain libass ASS. Colours are given as
`&BBGGRR&` (IMS's form, no `H`) or `&HBBGGRR&`; both are written `&HBBGGRR&`. A code without its
value ends the effect ("如果想要结束该覆写代码,需要加一个与之对应的结束覆写代码"): it is written
with the clip's own value for that code (`\\1c` -> `\\1c&H<FontColor>&`, `\\bord` -> `\\bord<Outline>`).
Codes: `\\b \\i \\u \\s` (0/1), `\\fs<n> \\fn<name> \\c \\1c..\\4c \\alpha \\1a..\\4a`,
`\\bord \\xbord \\ybord \\shad \\xshad \\yshad`, and `\\r` (back to the clip's style). Anything
else, e.g. `\\pos`, `\\move`, `\\t`, `\\p` (drawings), `\\clip`, keeps the whole block literal.

libass (0.17 as built by Debian) wraps only at spaces, so AutoWrap text is wrapped here (CJK
between any two glyphs, other text at spaces) and AutoScale's size is chosen here, both with the
width libass will draw: textwidth.py measures with the font file libass picks, at its size, and
the inline codes that change a run's font, size, bold or italic are followed. Without a font file
both fall back to an estimate (CJK glyphs 1 em, others 0.6 em), listed under Approximated.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from imsd.api.timeline import Canvas, SubtitleTrackClip
from imsd.engine.render.flowertext import colour_style
from imsd.engine.render.geometry import Axis
from imsd.engine.render.textwidth import text_width
from imsd.settings import EngineSettings

__all__ = [
    "AssDocument",
    "Look",
    "Measure",
    "Resets",
    "ass_colour",
    "ass_text",
    "ass_time",
    "estimated_width",
    "overrides",
    "runs",
    "wrap",
]

_ALIGN = {
    "BottomLeft": 1, "BottomCenter": 2, "BottomRight": 3,
    "CenterLeft": 4, "CenterCenter": 5, "CenterRight": 6,
    "TopLeft": 7, "TopCenter": 8, "TopRight": 9, "Left": 7, "Center": 8, "Right": 9,
}  # fmt: skip
# One override code: name, then its value (empty = end the effect). A font name stops at a
# backslash or brace and holds no control character (C0, DEL, C1), so the kept block cannot carry
# what _escape_plain strips from the rest. Longer names come first (`\bord` before `\b`).
_CODE = (
    r"\\(?:(?P<colour>[1-4]?c)(?P<rgb>&H?[0-9A-Fa-f]{6}&)?"
    r"|(?P<alpha>[1-4]a|alpha)(?P<aa>&H?[0-9A-Fa-f]{2}&)?"
    r"|(?P<len>[xy]?bord|[xy]?shad)(?P<px>-?\d{1,3}(?:\.\d+)?)?"
    r"|(?P<fs>fs)(?P<size>\d{1,4}(?:\.\d+)?)?"
    r"|(?P<fn>fn)(?P<font>[^\\{}\x00-\x1f\x7f-\x9f]{0,64})"
    r"|(?P<flag>[bisu])(?P<on>[01])?"
    r"|(?P<r>r)(?=\\|\}))"
)
_CODE_RE = re.compile(_CODE)
_STYLE_BLOCK = re.compile(r"\{(?:" + _CODE + r")+\}")
_LINE_BREAK = re.compile(r"\r\n|\r|\n|\\[nN]")
# Extra text fields IMS has that this renderer does not draw (reported when present).
_UNSUPPORTED = (
    "BubbleStyleId", "SubtitleEffects",
    "AaiMotionLoopEffect", "ScrollStartX", "ScrollSpeed", "ScrollDirection", "SizeRequestType",
)  # fmt: skip


def ass_colour(rgb: str, opacity: float = 1.0) -> str:
    """`#RRGGBB` + opacity -> `&HAABBGGRR` (ASS alpha 00 is opaque)."""
    alpha = round((1 - opacity) * 255)
    r, g, b = rgb[1:3], rgb[3:5], rgb[5:7]
    return f"&H{alpha:02X}{b}{g}{r}".upper()


def ass_time(seconds: float) -> str:
    cs = max(0, round(seconds * 100))
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def _escape_plain(text: str) -> str:
    # Control characters (NUL, vertical tab, ...) could end a line of the file early.
    text = "".join(c for c in text if c == "\t" or unicodedata.category(c) != "Cc")
    return text.replace("{", "\\{").replace("}", "\\}")


@dataclass(frozen=True)
class Resets:
    """What a code given without its value goes back to: the clip's own style."""

    colours: tuple[str, str, str, str]  # &HBBGGRR& of PrimaryColour, Secondary, Outline, Back
    alphas: tuple[str, str, str, str]  # &HAA& of the same four
    outline: float
    shadow: float
    size: float
    font: str
    flags: dict[str, int]  # b, i, u, s

    @classmethod
    def of(cls, clip: SubtitleTrackClip, size: float, font: str, outline: float, shadow: float) -> Resets:
        fill = ass_colour(clip.FontColor, clip.FontColorOpacity)  # &HAABBGGRR
        edge, back = ass_colour(clip.OutlineColour), ass_colour(clip.BackColour)
        face = clip.FontFace
        return cls(
            colours=(f"&H{fill[4:]}&", f"&H{fill[4:]}&", f"&H{edge[4:]}&", f"&H{back[4:]}&"),
            alphas=(f"&H{fill[2:4]}&", f"&H{fill[2:4]}&", f"&H{edge[2:4]}&", f"&H{back[2:4]}&"),
            outline=outline,
            shadow=shadow,
            size=size,
            font=font,
            flags={"b": int(face.Bold), "i": int(face.Italic), "u": int(face.Underline), "s": 0},
        )


def _hex(value: str) -> str:
    """`&BBGGRR&` or `&HBBGGRR&` (any case) -> `&HBBGGRR&`."""
    return "&H" + value.strip("&").lstrip("Hh").upper() + "&"


def _code(m: re.Match[str], resets: Resets | None, scale: float) -> str:
    """One documented override code as libass ASS; a bare code restores the clip's value.

    Sizes given in a code are in the Timeline's pixels, like FontSize: multiplied by `scale`
    (the output's height over FECanvas's) as FontSize is."""
    if m["colour"]:
        name = m["colour"] if m["colour"] != "c" else "1c"
        if m["rgb"]:
            return f"\\{m['colour']}{_hex(m['rgb'])}"
        return f"\\{m['colour']}" + (resets.colours[int(name[0]) - 1] if resets else "")
    if m["alpha"]:
        if m["aa"]:
            return f"\\{m['alpha']}{_hex(m['aa'])}"
        if resets is None:
            return f"\\{m['alpha']}"
        if m["alpha"] == "alpha":  # all four back to the style's own
            return "".join(f"\\{i + 1}a{a}" for i, a in enumerate(resets.alphas))
        return f"\\{m['alpha']}{resets.alphas[int(m['alpha'][0]) - 1]}"
    if m["len"]:
        border = m["len"].endswith("bord")
        if m["px"]:
            px = float(m["px"]) * scale
            return f"\\{m['len']}{_number(max(px, 0.0) if border else px)}"  # a border is never negative
        if resets is None:
            return f"\\{m['len']}"
        return f"\\{m['len']}{_number(resets.outline if border else resets.shadow)}"
    if m["fs"]:
        if m["size"] or resets is None:
            return f"\\fs{_number(float(m['size']) * scale) if m['size'] else ''}"
        return f"\\fs{resets.size:.2f}"
    if m["fn"]:
        return f"\\fn{m['font'] or (resets.font if resets else '')}"
    if m["flag"]:
        on = m["on"] if m["on"] or resets is None else str(resets.flags[m["flag"]])
        return f"\\{m['flag']}{on or ''}"
    return "\\r"


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _block(block: str, resets: Resets | None, scale: float) -> str:
    """A kept `{...}` block with each code rewritten; literal if it cannot be read code by code."""
    out, pos, inner = [], 1, len(block) - 1
    while pos < inner:
        m = _CODE_RE.match(block, pos)
        if not m or m.end() == pos or m.end() > inner:
            return _escape_plain(block)
        out.append(_code(m, resets, scale))
        pos = m.end()
    return "{" + "".join(out) + "}"


def ass_text(content: str, resets: Resets | None = None, scale: float = 1.0) -> list[str]:
    """User text -> ASS event text, one item per line; only the documented codes survive.

    With `resets`, a code given without its value is written with the clip's own value; sizes
    given in codes are multiplied by `scale`.
    """
    lines = []
    for line in _LINE_BREAK.split(content):
        out, pos = [], 0
        for match in _STYLE_BLOCK.finditer(line):
            out.append(_escape_plain(line[pos : match.start()]))
            out.append(_block(match.group(), resets, scale))
            pos = match.end()
        out.append(_escape_plain(line[pos:]))
        lines.append("".join(out))
    return lines


def _advance(ch: str) -> float:
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.6


def estimated_width(line: str, size: float) -> float:
    """Estimated width of one line of ASS text (override blocks not counted): no font file."""
    return sum(_advance(c) for c, _ in _drawn(line)) * size


@dataclass(frozen=True)
class Look:
    """What sets the width of a run of text; None is the clip's own value."""

    family: str | None = None
    size: float | None = None
    bold: bool | None = None
    italic: bool | None = None


# ASS event text as libass reads it: an escaped brace, a hard space, an override block, or text.
_DRAWN = re.compile(r"\\([{}h])|\{([^}]*)\}|([^\\{]+|.)", re.DOTALL)


def _drawn(line: str) -> Iterator[tuple[str, str | None]]:
    """(drawn character, None) or ("", override block's inside), in order."""
    for m in _DRAWN.finditer(line):
        if m[1]:
            yield ("\xa0" if m[1] == "h" else m[1]), None
        elif m[3] is not None:
            yield from ((c, None) for c in m[3])
        else:
            yield "", m[2]


def _restyle(look: Look, block: str) -> Look:
    """The look after one kept override block (codes that change no width are skipped)."""
    for m in _CODE_RE.finditer(block):
        if m["fs"]:
            look = replace(look, size=float(m["size"]) if m["size"] and float(m["size"]) > 0 else None)
        elif m["fn"]:
            look = replace(look, family=m["font"] or None)
        elif m["flag"] == "b":
            look = replace(look, bold=m["on"] == "1" if m["on"] else None)
        elif m["flag"] == "i":
            look = replace(look, italic=m["on"] == "1" if m["on"] else None)
        elif m["r"]:
            look = Look()
    return look


def runs(line: str, look: Look = Look()) -> Iterator[tuple[str, Look]]:
    """The drawn text of one line of ASS event text, in runs of one look, starting from `look`."""
    text = ""
    for ch, block in _drawn(line):
        if block is None:
            text += ch
            continue
        after = _restyle(look, block)
        if after != look and text:
            yield text, look
            text = ""
        look = after
    if text:
        yield text, look


def overrides(text: str) -> str:
    """The override blocks of ASS event text alone: what carries its look to a following line."""
    return "".join(m.group() for m in _DRAWN.finditer(text) if m[2] is not None)


@dataclass(frozen=True)
class Measure:
    """Widths of ASS event text as libass lays it out in one clip's style (textwidth.py)."""

    family: str
    size: float
    bold: bool
    italic: bool
    spacing: float = 0.0  # letter spacing, px after every character
    fonts_dir: Path | None = None

    def parts(self, line: str) -> tuple[float, float] | None:
        """(width that scales with the clip's font size, width that does not), or None when a
        font file is missing. Runs with their own `\\fs` and the letter spacing do not scale."""
        scaled = fixed = 0.0
        for text, look in runs(line):
            width = text_width(
                text,
                look.family or self.family,
                look.size or self.size,
                bold=self.bold if look.bold is None else look.bold,
                italic=self.italic if look.italic is None else look.italic,
                ligatures=not self.spacing,
                fonts_dir=self.fonts_dir,
            )
            if width is None:
                return None
            if look.size is None:
                scaled += width
            else:
                fixed += width
            fixed += self.spacing * len(text)
        return scaled, fixed

    def width(self, line: str) -> float | None:
        parts = self.parts(line)
        return sum(parts) if parts else None

    def fits(self, lines: list[str]) -> bool:
        """Whether every line (each after the ones before it, for their looks) can be measured."""
        return all(self.parts(text) is not None for text in _in_context(lines))


def _in_context(lines: list[str]) -> Iterator[str]:
    """Each line behind the override blocks of the lines before it (libass keeps them across \\N)."""
    before = ""
    for line in lines:
        yield before + line
        before += overrides(line)


def wrap(line: str, width: float, measure: Callable[[str], float]) -> list[str]:
    """Greedy wrap: CJK may break between any two glyphs, other text at spaces. `measure` gives
    the drawn width of ASS text; each new line is measured behind the blocks before it."""
    tokens = re.findall(r"\{[^{}]*\}|\s+|[^\s\x00-\u2e7f]|[^\s]+?(?=[^\x00-\u2e7f]|\s|$)", line)
    lines, current, before = [], "", ""
    for token in tokens:
        candidate = current + token
        if current.strip() and not token.isspace() and measure(before + candidate.rstrip()) > width:
            lines.append(current.rstrip())
            before += overrides(current)
            current = token.lstrip()
        else:
            current = candidate
    lines.append(current.rstrip())
    return lines


@dataclass
class AssDocument:
    """The ASS file for all Text clips, plus what could not be honoured."""

    width: int
    height: int
    styles: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    approximated: list[str] = field(default_factory=list)

    def render(self) -> str:
        return "\n".join(
            [
                "[Script Info]",
                "ScriptType: v4.00+",
                f"PlayResX: {self.width}",
                f"PlayResY: {self.height}",
                "WrapStyle: 0",
                "ScaledBorderAndShadow: yes",
                "YCbCr Matrix: None",
                "",
                "[V4+ Styles]",
                "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour,"
                " BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle,"
                " BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
                *self.styles,
                "",
                "[Events]",
                "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
                *self.events,
                "",
            ]
        )

    def add(
        self,
        loc: str,
        clip: SubtitleTrackClip,
        duration: float,
        design: Canvas | None,
        settings: EngineSettings,
    ) -> None:
        """Add one Text clip shown from TimelineIn to TimelineOut (default: the whole output)."""
        clip = self._colour_style(loc, clip)
        xs = Axis(self.width, design.Width if design else None)
        ys = Axis(self.height, design.Height if design else None)
        scale = self.height / design.Height if design else 1.0
        size = float(clip.FixedFontSize or (clip.FontSize or 0) * scale)
        name = f"S{len(self.styles)}"
        align = _ALIGN[clip.Alignment]
        text_box = xs.length(clip.TextWidth) if clip.TextWidth else None
        font = settings.font_family(clip.Font)
        face = clip.FontFace
        measure = Measure(font, size, face.Bold, face.Italic, clip.Spacing * scale, settings.fonts_dir)
        mode = clip.AdaptMode
        wrap_at: float | None = None
        if text_box and mode == "AutoWrap":
            wrap_at = text_box
        elif text_box and mode == "AutoScale":
            size = self._fit(loc, ass_text(clip.Content, scale=scale), text_box, measure)
            measure = replace(measure, size=size)
        elif mode is not None and mode not in ("AutoWrapAtSpaces", "AutoWrapAtSpacesStrict"):
            self.ignored.append(f"{loc}.AdaptMode: {mode!r} is not supported")
        outline, shadow = clip.Outline * scale, clip.Shadow * scale
        lines = ass_text(clip.Content, Resets.of(clip, size, font, outline, shadow), scale)
        if wrap_at:
            lines = self._wrap(loc, lines, wrap_at, measure)
        # Wrapping at spaces is libass's own; everything else is pre-wrapped or unwrapped.
        native_wrap = bool(text_box) and mode in ("AutoWrapAtSpaces", "AutoWrapAtSpacesStrict")
        box = text_box if native_wrap else None
        self.styles.append(
            f"Style: {name},{font},{size:.2f},"
            f"{ass_colour(clip.FontColor, clip.FontColorOpacity)},"
            f"{ass_colour(clip.FontColor, clip.FontColorOpacity)},"
            f"{ass_colour(clip.OutlineColour)},{ass_colour(clip.BackColour)},"
            f"{-int(face.Bold)},{-int(face.Italic)},{-int(face.Underline)},0,100,100,"
            f"{clip.Spacing * scale:.2f},{clip.Angle:.2f},{clip.BorderStyle},"
            f"{outline:.2f},{shadow:.2f},{align},0,0,0,1"
        )
        tags = "" if native_wrap else "\\q2"
        if "Alignment" in clip.model_fields_set:
            # X/Y are margins from the aligned edges (timeline-configuration-examples).
            margins = self._margins(align, xs.px(clip.X), ys.px(clip.Y), box)
        else:
            margins = (0, max(0, self.width - round(box)) if box else 0, 0)
            if clip.X is not None or clip.Y is not None:
                tags += f"\\pos({xs.px(clip.X)},{ys.px(clip.Y)})"
        tags += self._motion(loc, clip)
        start = clip.TimelineIn or 0.0
        end = clip.TimelineOut if clip.TimelineOut is not None else duration
        left, right, vertical = margins
        self.events.append(
            f"Dialogue: 0,{ass_time(start)},{ass_time(end)},{name},,{left},{right},{vertical},,{{{tags}}}"
            + "\\N".join(lines)
        )
        extra = clip.model_extra or {}
        self.ignored += [f"{loc}.{key}: not supported" for key in _UNSUPPORTED if extra.get(key)]
        if clip.LineSpacing:
            self.ignored.append(f"{loc}.LineSpacing: not supported")

    def _colour_style(self, loc: str, clip: SubtitleTrackClip) -> SubtitleTrackClip:
        """The clip with its EffectColorStyle preset's fill, outline and shadow (flowertext.py) in
        place of its own: the preset's outline and shadow are sized by the clip's font size."""
        style_id = (clip.model_extra or {}).get("EffectColorStyle")
        if not style_id:
            return clip
        style = colour_style(style_id) if isinstance(style_id, str) else None
        if style is None:
            self.ignored.append(f"{loc}.EffectColorStyle: {style_id!r} is not supported")
            return clip
        self.approximated.append(
            f"{loc}.EffectColorStyle: {style_id!r} drawn as one fill, outline and shadow (colours inferred; "
            "its multi-layer outline and any gradient are not drawn)"
        )
        size = float(clip.FontSize or clip.FixedFontSize or 0)
        return clip.model_copy(
            update={
                "FontColor": style.fill,
                "OutlineColour": style.outline_colour,
                "Outline": size * style.outline,
                "BackColour": style.shadow_colour,
                "Shadow": size * style.shadow,
            }
        )

    def _wrap(self, loc: str, lines: list[str], width: float, measure: Measure) -> list[str]:
        """AutoWrap: each line broken to fit `width` as libass draws it (estimated without a font)."""
        if not measure.fits(lines):
            self.approximated.append(
                f"{loc}.AdaptMode: AutoWrap breaks by estimated width (no font file for {measure.family!r})"
            )
            return [part for line in lines for part in wrap(line, width, lambda t: estimated_width(t, measure.size))]
        out: list[str] = []
        for line, text in zip(lines, _in_context(lines), strict=True):
            before = text[: len(text) - len(line)]

            def drawn(t: str, before: str = before) -> float:
                return measure.width(before + t) or 0.0

            out += wrap(line, width, drawn)
        return out

    def _fit(self, loc: str, lines: list[str], width: float, measure: Measure) -> float:
        """AutoScale: the largest font size (to 0.01, never above the clip's) whose widest line fits
        `width` as libass draws it; runs with their own `\\fs` and letter spacing keep their width."""
        size = measure.size
        parts = [measure.parts(text) for text in _in_context(lines)]
        if any(p is None for p in parts):
            self.approximated.append(
                f"{loc}.AdaptMode: AutoScale fits by estimated width (no font file for {measure.family!r})"
            )
            widest = max(estimated_width(line, size) for line in lines)
            return size * min(1.0, width / widest) if widest else size
        factor = 1.0
        for scaled, fixed in (p for p in parts if p is not None):
            if scaled and scaled + fixed > width:
                factor = min(factor, (width - fixed) / scaled)
        if factor <= 0:
            self.approximated.append(f"{loc}.AdaptMode: AutoScale cannot fit: the parts of fixed size alone are wider")
            return size
        return math.floor(size * factor * 100) / 100 if factor < 1 else size

    def _margins(self, align: int, x: int, y: int, box: float | None) -> tuple[int, int, int]:
        """MarginL, MarginR, MarginV for an aligned clip: X from the aligned side, Y from the
        aligned top or bottom edge. Inferred: centre columns keep X on both sides (still centred),
        centre rows are centred vertically (libass ignores MarginV there), and a TextWidth box for
        libass's own wrapping takes the rest of the width."""
        column = (align - 1) % 3  # 0 left, 1 centre, 2 right
        rest = max(0, self.width - x - round(box)) if box else 0
        if column == 0:
            left, right = x, rest
        elif column == 2:
            left, right = rest, x
        else:
            left = right = max(x, round((self.width - box) / 2)) if box else x
        return max(0, left), max(0, right), max(0, y)

    def _motion(self, loc: str, clip: SubtitleTrackClip) -> str:
        """Entrance/exit animations become fades; only fade_in/fade_out are exact."""
        extra = clip.model_extra or {}
        fades = []
        for kind, key, seconds in (
            ("in", "AaiMotionInEffect", "AaiMotionIn"),
            ("out", "AaiMotionOutEffect", "AaiMotionOut"),
        ):
            effect = extra.get(key)
            if not effect:
                fades.append(0)
                continue
            if effect != f"fade_{kind}":
                self.approximated.append(f"{loc}.{key}: {effect!r} rendered as a fade")
            try:
                fades.append(max(0, round(float(extra.get(seconds, 0.5)) * 1000)))
            except (TypeError, ValueError):
                fades.append(500)
        return f"\\fad({fades[0]},{fades[1]})" if any(fades) else ""
