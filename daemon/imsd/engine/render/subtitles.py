"""SubtitleTracks Text clips as one generated ASS file, burned in by libass.

Request text only ever reaches this file, never the filter graph; the graph names the file by a
path we choose. Inside the file, user text is made inert: `{` and `}` are escaped (libass
renders `\\{` as a brace) so text cannot open an override block, except blocks made only of the
documented inline styles below. A backslash is literal in ASS unless it forms `\\N`, `\\n`,
`\\h`, `\\{` or `\\}`; the first two are IMS's documented line breaks, and escaping the braces
keeps a user's trailing backslash from pairing with our escape.

Documented inline styles (kept when a `{...}` block consists only of them):
`\\b0/1 \\i0/1 \\u0/1 \\s0/1 \\fs<n> \\fn<name> \\c/\\1c..\\4c&H<bgr>& \\1a..\\4a/\\alpha&H<aa>&
\\bord<n> \\shad<n> \\r`. Anything else, e.g. `\\pos`, `\\move`, `\\t`, `\\p` (drawings),
`\\clip`, is shown literally.

libass (0.17 as built by Debian) wraps only at spaces, so CJK text is wrapped here with
estimated advances (CJK glyphs 1 em, others 0.6 em); AutoScale uses the same estimate.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from imsd.api.timeline import Canvas, SubtitleTrackClip
from imsd.engine.render.geometry import Axis
from imsd.settings import EngineSettings

_ALIGN = {
    "BottomLeft": 1, "BottomCenter": 2, "BottomRight": 3,
    "CenterLeft": 4, "CenterCenter": 5, "CenterRight": 6,
    "TopLeft": 7, "TopCenter": 8, "TopRight": 9, "Left": 7, "Center": 8, "Right": 9,
}  # fmt: skip
# A font name stops at a backslash or brace and holds no control character (C0, DEL, C1): the
# block is kept verbatim, so it must not carry what _escape_plain strips from the rest.
_STYLE_TAG = (
    r"\\(?:[bisu][01]|fs\d{1,4}(?:\.\d+)?|fn[^\\{}\x00-\x1f\x7f-\x9f]{1,64}|[1-4]?c&H[0-9A-Fa-f]{6}&"
    r"|(?:[1-4]a|alpha)&H[0-9A-Fa-f]{2}&|bord\d{1,3}(?:\.\d+)?|shad\d{1,3}(?:\.\d+)?|r)"
)
_STYLE_BLOCK = re.compile(r"\{(?:" + _STYLE_TAG + r")+\}")
_LINE_BREAK = re.compile(r"\r\n|\r|\n|\\[nN]")
# Extra text fields IMS has that this renderer does not draw (reported when present).
_UNSUPPORTED = (
    "FontUrl", "FontURL", "EffectColorStyle", "BubbleStyleId", "SubtitleEffects",
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


def ass_text(content: str) -> list[str]:
    """User text -> ASS event text, one item per line; only the documented styles survive."""
    lines = []
    for line in _LINE_BREAK.split(content):
        out, pos = [], 0
        for match in _STYLE_BLOCK.finditer(line):
            out.append(_escape_plain(line[pos : match.start()]))
            out.append(match.group())
            pos = match.end()
        out.append(_escape_plain(line[pos:]))
        lines.append("".join(out))
    return lines


def _advance(ch: str) -> float:
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.6


def text_width(line: str, size: float) -> float:
    """Estimated width of one line of plain text (override blocks not counted)."""
    return sum(_advance(c) for c in _STYLE_BLOCK.sub("", line)) * size


def wrap(line: str, size: float, width: float) -> list[str]:
    """Greedy wrap: CJK may break between any two glyphs, other text at spaces."""
    tokens = re.findall(r"\{[^{}]*\}|\s+|[^\s\x00-\u2e7f]|[^\s]+?(?=[^\x00-\u2e7f]|\s|$)", line)
    lines, current = [], ""
    for token in tokens:
        candidate = current + token
        if current.strip() and not token.isspace() and text_width(candidate, size) > width:
            lines.append(current.rstrip())
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
        xs = Axis(self.width, design.Width if design else None)
        ys = Axis(self.height, design.Height if design else None)
        scale = self.height / design.Height if design else 1.0
        size = float(clip.FixedFontSize or (clip.FontSize or 0) * scale)
        name = f"S{len(self.styles)}"
        align = _ALIGN[clip.Alignment]
        text_box = xs.length(clip.TextWidth) if clip.TextWidth else None
        lines = ass_text(clip.Content)
        mode = clip.AdaptMode
        if text_box and mode == "AutoWrap":
            lines = [part for line in lines for part in wrap(line, size, text_box)]
            self.approximated.append(f"{loc}.AdaptMode: AutoWrap breaks by estimated width")
        elif text_box and mode == "AutoScale":
            widest = max(text_width(line, size) for line in lines)
            size = size * min(1.0, text_box / widest) if widest else size
            self.approximated.append(f"{loc}.AdaptMode: AutoScale fits by estimated width")
        elif mode is not None and mode not in ("AutoWrapAtSpaces", "AutoWrapAtSpacesStrict"):
            self.ignored.append(f"{loc}.AdaptMode: {mode!r} is not supported")
        # Wrapping at spaces is libass's own; everything else is pre-wrapped or unwrapped.
        native_wrap = bool(text_box) and mode in ("AutoWrapAtSpaces", "AutoWrapAtSpacesStrict")
        margin_r = max(0, self.width - round(text_box)) if native_wrap and text_box else 0
        face = clip.FontFace
        self.styles.append(
            f"Style: {name},{settings.font_family(clip.Font)},{size:.2f},"
            f"{ass_colour(clip.FontColor, clip.FontColorOpacity)},"
            f"{ass_colour(clip.FontColor, clip.FontColorOpacity)},"
            f"{ass_colour(clip.OutlineColour)},{ass_colour(clip.BackColour)},"
            f"{-int(face.Bold)},{-int(face.Italic)},{-int(face.Underline)},0,100,100,"
            f"{clip.Spacing * scale:.2f},{clip.Angle:.2f},{clip.BorderStyle},"
            f"{clip.Outline * scale:.2f},{clip.Shadow * scale:.2f},{align},0,{margin_r},0,1"
        )
        tags = "" if native_wrap else "\\q2"
        if clip.X is not None or clip.Y is not None:
            tags += f"\\pos({xs.px(clip.X)},{ys.px(clip.Y)})"
        tags += self._motion(loc, clip)
        start = clip.TimelineIn or 0.0
        end = clip.TimelineOut if clip.TimelineOut is not None else duration
        self.events.append(
            f"Dialogue: 0,{ass_time(start)},{ass_time(end)},{name},,0,0,0,,{{{tags}}}" + "\\N".join(lines)
        )
        extra = clip.model_extra or {}
        self.ignored += [f"{loc}.{key}: not supported" for key in _UNSUPPORTED if extra.get(key)]
        if clip.LineSpacing:
            self.ignored.append(f"{loc}.LineSpacing: not supported")

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
