"""Text banners: the generated ASS file, and what libass draws from it."""

from __future__ import annotations

import filecmp
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from imsd.api.timeline import Canvas, SubtitleTrackClip
from imsd.engine.media import MediaResolver
from imsd.engine.render import render_timeline, subtitles
from imsd.engine.render.graph import f
from imsd.engine.render.subtitles import AssDocument, Resets, ass_colour, ass_text, estimated_width, wrap
from imsd.engine.render.textwidth import FontFile, font_file, text_width
from imsd.errors import ImsError
from imsd.settings import EngineSettings

from .sampling import frame_at

HOSTILE = "a'b\"c:d;e[f]g,h\\i %{pts} {\\pos(0,0)}\\N}{ end"


def text_clip(**fields: Any) -> SubtitleTrackClip:
    return SubtitleTrackClip.model_validate({"Type": "Text", "FontSize": 20, **fields})


def document(**fields: Any) -> str:
    doc = AssDocument(160, 128)
    doc.add("SubtitleTracks[0].SubtitleTrackClips[0]", text_clip(**fields), 2.0, None, EngineSettings())
    return doc.render()


def dialogue(ass: str) -> str:
    return next(line for line in ass.splitlines() if line.startswith("Dialogue:"))


def test_rgb_colours_become_ass_bgr_with_inverted_alpha() -> None:
    assert ass_colour("#FF8000") == "&H000080FF"
    assert ass_colour("#FF8000", 0.0) == "&HFF0080FF"


def test_braces_are_escaped_so_text_cannot_open_override_tags() -> None:
    assert ass_text("{\\pos(0,0)}x") == ["\\{\\pos(0,0)\\}x"]


def test_documented_inline_styles_are_kept() -> None:
    assert ass_text("a{\\b1\\fs40}b{\\c&H0000FF&}c") == ["a{\\b1\\fs40}b{\\c&H0000FF&}c"]


# document_detail/451632 (设置字幕局部效果), https://help.aliyun.com/document_detail/451632.html:
# "所有覆写代码均以两个反斜杠(\\)开头。所有局部参数覆写代码必须在{}中,且一个{}可以包含多个覆写代码。
# 覆写代码会作用于其后的字幕上,如果想要结束该覆写代码,需要加一个与之对应的结束覆写代码来取消该效果。"
# Its example: "这里设置{\\1c&00FF7F&}绿{\\1c}色" (JSON-escaped, i.e. {\1c&00FF7F&}). The page's full
# table was not in the stored copies searched; the code list follows the brief's reading of it.
RESETS = Resets.of(
    text_clip(FontColor="#FF8000", FontColorOpacity=0.5, FontFace={"Bold": True}, OutlineColour="#0000FF"),
    size=20,
    font="Some Font",
    outline=2,
    shadow=1,
)


def test_documented_colour_codes_gain_the_ass_h_and_a_bare_code_ends_them() -> None:
    assert ass_text("这里设置{\\1c&00FF7F&}绿{\\1c}色", RESETS) == ["这里设置{\\1c&H00FF7F&}绿{\\1c&H0080FF&}色"]
    assert ass_text("{\\3c&ff0000&}a{\\3c\\c}b", RESETS) == ["{\\3c&HFF0000&}a{\\3c&HFF0000&\\c&H0080FF&}b"]


def test_every_bare_code_restores_the_clips_own_value() -> None:
    block = "{\\bord\\xbord\\yshad\\shad\\fs\\fn\\b\\i\\u\\s\\1a\\alpha}x"
    assert ass_text(block, RESETS) == [
        "{\\bord2\\xbord2\\yshad1\\shad1\\fs20.00\\fnSome Font\\b1\\i0\\u0\\s0\\1a&H80&"
        "\\1a&H80&\\2a&H80&\\3a&H00&\\4a&H00&}x"
    ]


def test_documented_codes_with_values_are_kept_in_ass_form() -> None:
    block = "{\\xbord3\\ybord1.5\\xshad-2\\alpha&80&\\2a&HFF&\\fs40\\fnNoto Sans\\s1\\r}x"
    assert ass_text(block, RESETS) == ["{\\xbord3\\ybord1.5\\xshad-2\\alpha&H80&\\2a&HFF&\\fs40\\fnNoto Sans\\s1\\r}x"]


def test_sizes_in_codes_scale_from_the_timeline_canvas_as_font_size_does() -> None:
    """document_detail/2261462: `{\\fs100}` is a 100 px font on the Timeline's canvas, as FontSize
    is; rendered at a quarter of FECanvas it is 25 px, and borders and shadows alike."""
    block = "{\\fs100\\bord4\\yshad-2\\xbord-3}x{\\fs}"
    # The bare \\fs goes back to the clip's size, which is scaled already.
    assert ass_text(block, RESETS, 0.25) == ["{\\fs25\\bord1\\yshad-0.5\\xbord0}x{\\fs20.00}"]


def test_a_block_with_any_undocumented_code_stays_literal() -> None:
    for block in ("{\\1c&00FF7F&\\pos(0,0)}", "{\\shadow}", "{\\rDefault}", "{\\1c&00FF7F}", "{\\be1}", "{\\an5}"):
        assert ass_text(block + "x", RESETS) == [block.replace("{", "\\{").replace("}", "\\}") + "x"]


def test_newlines_and_backslash_n_are_line_breaks() -> None:
    assert ass_text("one\ntwo\\nthree\\Nfour") == ["one", "two", "three", "four"]


def test_control_characters_cannot_end_the_line_early() -> None:
    assert ass_text("a\x00b\x0bc") == ["abc"]


def test_a_font_name_with_control_characters_is_not_kept_as_a_style() -> None:
    assert ass_text("{\\fnA\x00B}x") == ["\\{\\fnAB\\}x"]
    assert ass_text("{\\fnNoto Sans}x") == ["{\\fnNoto Sans}x"]


def test_hostile_text_stays_on_one_dialogue_line() -> None:
    ass = document(Content=HOSTILE)
    assert sum(line.startswith("Dialogue:") for line in ass.splitlines()) == 1
    assert "\\{\\pos(0,0)\\}" in dialogue(ass)


def test_alignment_position_and_timing_are_written() -> None:
    line = dialogue(document(Content="x", X=0.5, Y=20, TimelineIn=0.5, TimelineOut=1.25))
    assert line.startswith("Dialogue: 0,0:00:00.50,0:00:01.25,S0,")
    assert "\\pos(80,20)" in line  # no Alignment: X/Y place the text's top-left corner
    aligned = dialogue(document(Content="x", X=0.5, Y=20, Alignment="BottomCenter"))
    assert "\\pos" not in aligned and ",S0,,80,80,20,," in aligned  # Alignment: X/Y are margins
    style = next(s for s in document(Alignment="BottomCenter", Content="x").splitlines() if s.startswith("Style:"))
    assert style.split(",")[18] == "2"  # \an2


def test_font_size_scales_with_the_design_canvas() -> None:
    doc = AssDocument(160, 128)
    doc.add("k", text_clip(Content="x", FontSize=40), 1.0, Canvas(Width=320, Height=256), EngineSettings())
    assert doc.styles[0].split(",")[2] == "20.00"


def test_unknown_fonts_fall_back_to_the_cjk_default() -> None:
    assert ",WenQuanYi Zen Hei," in document(Content="x", Font="NoSuchFont")


def test_cjk_text_wraps_between_glyphs() -> None:
    assert wrap("你好你好你好", 45, lambda t: estimated_width(t, 20)) == ["你好", "你好", "你好"]


def test_latin_text_wraps_at_spaces() -> None:
    assert wrap("aa bb cc", 13, lambda t: estimated_width(t, 10)) == ["aa", "bb", "cc"]


def test_unsupported_text_fields_are_reported() -> None:
    doc = AssDocument(160, 128)
    doc.add("k", text_clip(Content="x", BubbleStyleId="BS1"), 1.0, None, EngineSettings())
    assert doc.ignored == ["k.BubbleStyleId: not supported"]


# ---- real renders --------------------------------------------------------------------------


def bright(region: npt.NDArray[np.uint8]) -> int:
    return int((region.min(axis=-1) > 200).sum())


def draw_without_cjk_fonts(ass_file: Path, tmp_path: Path) -> npt.NDArray[np.uint8]:
    """The ASS file drawn where fontconfig knows only DejaVu (no CJK): what a missing CJK
    font looks like (libass draws notdef boxes or nothing)."""
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd"><fontconfig>'
        f"<dir>/usr/share/fonts/truetype/dejavu</dir><cachedir>{tmp_path}/fc</cachedir>"
        "</fontconfig>"
    )
    raw = subprocess.run(
        [
            "ffmpeg",
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=black:s=160x128:d=1",
            "-vf",
            f("ass", filename=str(ass_file)).render(),
            "-frames:v",
            "1",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgb24",
            "-",
        ],
        check=True,
        capture_output=True,
        env={**os.environ, "FONTCONFIG_FILE": str(conf)},
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(128, 160, 3)


async def render_text(resolver: MediaResolver, media_dir: Path, workdir: Path, out: Path, **text: Any) -> Path:
    corner = {"MediaURL": str(media_dir / "red.mp4"), "X": 150, "Y": 120, "Width": 8, "Height": 6}
    timeline = {
        "VideoTracks": [{"VideoTrackClips": [corner]}],
        "SubtitleTracks": [
            {"SubtitleTrackClips": [{"Type": "Text", "FontSize": 32, "X": 10, "Y": 10, "FontColor": "#FFFFFF", **text}]}
        ],
    }
    await render_timeline(timeline, {"Width": 160, "Height": 128}, resolver=resolver, workdir=workdir, destination=out)
    return out


async def test_text_is_drawn_inside_its_box(resolver: MediaResolver, media_dir: Path, tmp_path: Path) -> None:
    out = await render_text(resolver, media_dir, tmp_path / "job", tmp_path / "o.mp4", Content="HI")
    frame = frame_at(out, 1.0)
    assert bright(frame[10:50, 10:80]) > 50
    assert bright(frame[60:, :]) == 0


async def test_hostile_text_and_paths_render_and_show_the_text(
    resolver: MediaResolver, media_dir: Path, tmp_path: Path
) -> None:
    workdir = tmp_path / "job '[x];y,z:\\%{pts}"
    out = await render_text(resolver, media_dir, workdir, tmp_path / "o.mp4", Content=HOSTILE, FontSize=12)
    assert bright(frame_at(out, 1.0)[5:40, :]) > 20


async def test_cjk_glyphs_differ_from_tofu(resolver: MediaResolver, media_dir: Path, tmp_path: Path) -> None:
    out = await render_text(resolver, media_dir, tmp_path / "job", tmp_path / "o.mp4", Content="你好")
    real = frame_at(out, 1.0)
    tofu = draw_without_cjk_fonts(tmp_path / "job" / "text.ass", tmp_path)
    region = (slice(5, 60), slice(5, 90))
    assert bright(real[region]) > 50
    diff = np.abs(real[region].astype(int) - tofu[region].astype(int)).mean()
    assert diff > 10


def draw(doc: AssDocument, tmp_path: Path) -> npt.NDArray[np.uint8]:
    """`doc` drawn by libass over black, exactly as rendered (RGB, no video encoding)."""
    path = tmp_path / "doc.ass"
    path.write_text(doc.render())
    size = f"{doc.width}x{doc.height}"
    raw = subprocess.run(
        [
            *("ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"color=black:s={size}:d=1"),
            *("-vf", f("ass", filename=str(path)).render(), "-frames:v", "1"),
            *("-f", "rawvideo", "-pix_fmt", "rgb24", "-"),
        ],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(doc.height, doc.width, 3)


def ink(frame: npt.NDArray[np.uint8]) -> tuple[int, int, int, int]:
    """Bounding box (left, top, right, bottom; inclusive) of everything not black."""
    rows, cols = np.nonzero(frame.max(axis=-1) > 64)
    return int(cols.min()), int(rows.min()), int(cols.max()), int(rows.max())


async def test_a_documented_colour_code_colours_its_part_and_a_bare_code_restores_the_clip_colour(
    resolver: MediaResolver, media_dir: Path, tmp_path: Path
) -> None:
    """document_detail/451632 (设置字幕局部效果): "覆写代码会作用于其后的字幕上,如果想要结束该覆写代码,
    需要加一个与之对应的结束覆写代码来取消该效果" with the example "这里设置{\\1c&00FF7F&}绿{\\1c}色"
    (colour &BBGGRR& without H; the bare \\1c ends it). Green part, then the clip's red again, and the
    line stays right-aligned (TopRight, X=0: its right end at the frame's right edge)."""
    content = "{\\1c&00FF00&}HH{\\1c}HH"
    out = await render_text(
        resolver, media_dir, tmp_path / "job", tmp_path / "o.mp4",
        Content=content, FontColor="#FF0000", Alignment="TopRight", X=0, Y=0, FontSize=24,
    )  # fmt: skip
    frame = frame_at(out, 1.0)[:60].astype(int)
    r, g, b = frame[..., 0], frame[..., 1], frame[..., 2]
    green = np.nonzero((g > 160) & (r < 90) & (b < 90))[1]
    red = np.nonzero((r > 160) & (g < 90) & (b < 90))[1]
    assert len(green) > 30 and len(red) > 30
    assert green.max() < red.min()  # the green part comes first, the rest is the clip's colour
    assert red.max() >= 150  # TopRight kept: the line ends at the right edge (160 wide)
    assert "\\{" not in (tmp_path / "job" / "text.ass").read_text()  # nothing shown as literal code


def test_top_center_with_x_and_y_is_centred_with_y_as_its_top_margin(tmp_path: Path) -> None:
    """https://alibabacloud.com/help/en/vod/use-cases/timeline-configuration-examples: "To add a
    subtitle in the center at the top of a video, specify "Alignment": "TopCenter" and set Y to the
    distance between the subtitle text and the top of the screen." (zh page, per the brief: "当Effects
    中包含Alignment属性时,字幕的X、Y坐标表示margin"). The subtitles-and-subtitle-templates example uses
    "X": 0, "Y": 200, "Alignment": "TopCenter": drawn at \\pos(0,200) it would hang half off-frame.
    Inferred: X on a centre column is a margin on both sides, so the line stays centred."""
    doc = AssDocument(270, 480)
    clip = text_clip(Content="HHHH", FontSize=80, X=0, Y=200, Alignment="TopCenter")
    doc.add("k", clip, 1.0, Canvas(Width=1080, Height=1920), EngineSettings())
    left, top, right, _ = ink(draw(doc, tmp_path))
    assert abs((left + right) / 2 - 135) <= 1.5  # centred on the 270-wide frame
    assert 50 <= top <= 50 + 0.3 * 20  # Y=200 of 1920 -> 50 px; the H's top sits just below the line's top


def test_bottom_right_with_x_and_y_sits_that_far_from_the_corner(tmp_path: Path) -> None:
    """timeline-configuration-examples (as above): with an Alignment, X and Y are margins from the
    aligned edges. Inferred for the bottom-right corner: X from the right edge, Y from the bottom."""
    doc = AssDocument(160, 128)
    doc.add("k", text_clip(Content="HH", X=20, Y=30, Alignment="BottomRight"), 1.0, None, EngineSettings())
    _, _, right, bottom = ink(draw(doc, tmp_path))
    assert 160 - 20 - 3 <= right <= 160 - 20  # the glyph's side bearing is all that separates it
    assert 128 - 30 - 0.35 * 20 <= bottom <= 128 - 30  # the H sits on the baseline, above the descent


def test_without_alignment_x_and_y_still_place_the_top_left_corner(tmp_path: Path) -> None:
    doc = AssDocument(160, 128)
    doc.add("k", text_clip(Content="HH", X=40, Y=30), 1.0, None, EngineSettings())
    left, top, _, _ = ink(draw(doc, tmp_path))
    assert 40 <= left <= 43 and 30 <= top <= 30 + 0.3 * 20


# ---- AutoWrap / AutoScale measured with the font file libass draws with ----------------------


def column_mass_centre(frame: npt.NDArray[np.uint8]) -> float:
    mass = frame.astype(float).sum(axis=(0, 2))
    return float((mass * np.arange(len(mass))).sum() / mass.sum())


def libass_advance(
    text: str, tmp_path: Path, size: float = 40, settings: EngineSettings | None = None, **fields: Any
) -> float:
    """How far libass moves the pen over `text` (its advance width), from drawn pixels alone:
    `text` twice is `text` once plus a copy one advance to the right, so the horizontal centre of
    the ink moves by half an advance."""
    centres = []
    for content in (text, text + text):
        doc = AssDocument(1600, 120)
        clip = text_clip(Content=content, FontSize=size, X=10, Y=10, **fields)
        doc.add("k", clip, 1.0, None, settings or EngineSettings())
        centres.append(column_mass_centre(draw(doc, tmp_path)))
    return 2 * (centres[1] - centres[0])


def text_rows(frame: npt.NDArray[np.uint8]) -> list[tuple[int, int]]:
    """(top, bottom) of each band of rows holding text, top to bottom."""
    inked = np.nonzero((frame.max(axis=-1) > 64).any(axis=1))[0]
    bands: list[tuple[int, int]] = []
    for row in inked:
        if bands and row == bands[-1][1] + 1:
            bands[-1] = (bands[-1][0], int(row))
        else:
            bands.append((int(row), int(row)))
    return bands


def inside_rows(frame: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """A rendered frame without its bottom rows, where render_text's red corner clip sits."""
    return frame[:115]


@pytest.mark.parametrize(
    ("family", "bold", "text"),
    [
        ("WenQuanYi Zen Hei", False, "Subtitles 自动换行, wrapped at TextWidth."),
        # A real bold face (DejaVuSans-Bold.ttf), and CJK drawn from the fallback face.
        ("DejaVu Sans", True, "AVAWAToTaYo 中文字幕 office fluffy"),
    ],
)
def test_the_measured_width_is_the_advance_libass_draws(family: str, bold: bool, text: str, tmp_path: Path) -> None:
    settings = EngineSettings(fonts={family: family})
    drawn = libass_advance(text, tmp_path, 40, settings, Font=family, FontFace={"Bold": bold})
    measured = text_width(text, family, 40, bold=bold)
    assert measured is not None
    assert drawn > 400  # long enough that a per-glyph error would show
    assert abs(measured - drawn) <= 0.75


def test_the_ink_of_an_unwrapped_line_spans_the_measured_width_less_its_side_bearings(tmp_path: Path) -> None:
    doc = AssDocument(800, 80)
    doc.add("k", text_clip(Content="Measured 宽度 AutoScale", FontSize=40, X=10, Y=10), 1.0, None, EngineSettings())
    left, _, right, _ = ink(draw(doc, tmp_path))
    measured = text_width("Measured 宽度 AutoScale", "WenQuanYi Zen Hei", 40)
    assert measured is not None
    assert left >= 10 and right + 1 <= 10 + measured  # ink sits inside the advance box
    assert (right + 1 - left) >= measured - 4  # short of it only by the first and last side bearings


def test_the_font_file_measured_is_the_one_libass_draws_with(tmp_path: Path) -> None:
    doc = AssDocument(320, 80)
    settings = EngineSettings(fonts={"DejaVu Sans": "DejaVu Sans"})
    doc.add("k", text_clip(Content="Ab", Font="DejaVu Sans", FontFace={"Bold": True}), 1.0, None, settings)
    path = tmp_path / "doc.ass"
    path.write_text(doc.render())
    log = subprocess.run(
        [
            *("ffmpeg", "-v", "debug", "-f", "lavfi", "-i", "color=black:s=320x80:d=1"),
            *("-vf", f("ass", filename=str(path)).render(), "-frames:v", "1", "-f", "null", "-"),
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stderr
    chosen = re.search(r"fontselect: \(DejaVu Sans, 700, 0\) -> (.+?), (\d+),", log)
    assert chosen is not None
    assert font_file("DejaVu Sans", bold=True) == FontFile(chosen[1], int(chosen[2]))
    assert chosen[1].endswith("DejaVuSans-Bold.ttf")


async def test_autowrap_breaks_cjk_where_the_drawn_glyphs_fill_the_text_width(
    resolver: MediaResolver, media_dir: Path, tmp_path: Path
) -> None:
    """Room for four and a half glyphs as libass draws them: twelve glyphs make three rows of
    four, all inside the TextWidth box that starts at X."""
    box = round(4.5 * libass_advance("你", tmp_path, 20))
    out = await render_text(
        resolver, media_dir, tmp_path / "job", tmp_path / "o.mp4",
        Content="你好世界你好世界你好世界", FontSize=20, AdaptMode="AutoWrap", TextWidth=box,
    )  # fmt: skip
    frame = inside_rows(frame_at(out, 1.0))
    left, _, right, _ = ink(frame)
    assert len(text_rows(frame)) == 3
    assert left >= 10 and right < 10 + box


async def test_autowrap_breaks_latin_at_the_last_space_that_fits(
    resolver: MediaResolver, media_dir: Path, tmp_path: Path
) -> None:
    """Room for three and a half "HH " as libass draws them: seven words make rows of 3, 3, 1."""
    box = round(3.5 * libass_advance("HH ", tmp_path, 20))
    out = await render_text(
        resolver, media_dir, tmp_path / "job", tmp_path / "o.mp4",
        Content="HH HH HH HH HH HH HH", FontSize=20, AdaptMode="AutoWrap", TextWidth=box,
    )  # fmt: skip
    frame = inside_rows(frame_at(out, 1.0))
    left, _, right, _ = ink(frame)
    assert len(text_rows(frame)) == 3
    assert left >= 10 and right < 10 + box
    assert "\\NHH HH HH\\NHH" in (tmp_path / "job" / "text.ass").read_text()


async def test_autoscale_shrinks_the_line_until_its_ink_spans_the_text_width(
    resolver: MediaResolver, media_dir: Path, tmp_path: Path
) -> None:
    out = await render_text(
        resolver, media_dir, tmp_path / "job", tmp_path / "o.mp4",
        Content="AutoScale fits this line", FontSize=32, AdaptMode="AutoScale", TextWidth=120,
    )  # fmt: skip
    frame = inside_rows(frame_at(out, 1.0))
    left, _, right, _ = ink(frame)
    assert len(text_rows(frame)) == 1
    assert left >= 10 and right < 10 + 120  # not overflowing the box
    assert right + 1 - left >= 120 - 3  # nor much smaller: short only by the side bearings


def test_a_measured_wrap_or_scale_is_not_listed_as_approximated() -> None:
    doc = AssDocument(160, 128)
    for mode in ("AutoWrap", "AutoScale"):
        doc.add("k", text_clip(Content="你好 world " * 5, AdaptMode=mode, TextWidth=100), 1.0, None, EngineSettings())
    assert doc.approximated == []


def test_without_a_font_file_wrap_and_scale_are_estimated_and_say_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(subtitles, "text_width", lambda *args, **kwargs: None)
    doc = AssDocument(160, 128)
    for mode in ("AutoWrap", "AutoScale"):
        doc.add("k", text_clip(Content="你好你好你好", AdaptMode=mode, TextWidth=45), 1.0, None, EngineSettings())
    assert doc.approximated == [
        "k.AdaptMode: AutoWrap breaks by estimated width (no font file for 'WenQuanYi Zen Hei')",
        "k.AdaptMode: AutoScale fits by estimated width (no font file for 'WenQuanYi Zen Hei')",
    ]
    assert "你好\\N你好\\N你好" in doc.events[0]  # the estimate still wraps: 20 px per CJK glyph


SERIF_BOLD = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf")


def _libass_choice(job: Path, name: str) -> str:
    """What libass drew the job's text named `name` with: a file path, or a loaded font's name."""
    log = subprocess.run(
        [*("ffmpeg", "-v", "debug", "-f", "lavfi", "-i", "color=black:s=160x128:d=1", "-vf"),
         f("ass", filename=str(job / "text.ass"), fontsdir=str(job / "fonts")).render(),
         *("-frames:v", "1", "-f", "null", "-")],
        check=True, capture_output=True, text=True,
    ).stderr  # fmt: skip
    chosen = re.search(rf"fontselect: \({re.escape(name)}, \d+, \d\) -> (.+?), \d+,", log)
    assert chosen is not None, log[-2000:]
    return chosen[1]


def _ink(frame: Any) -> Any:
    return frame[5:60, 5:155].astype(int).sum(axis=-1) > 600


async def test_a_font_url_draws_the_text_with_that_font_file(
    resolver: MediaResolver, media_dir: Path, tmp_path: Path
) -> None:
    """Timeline configuration, SubtitleTrackClip FontUrl: the text is drawn with the font file at
    that URL instead of `Font`. libass's own log shows the face it drew with: the render's copy
    (a memory font, not an installed file)."""
    shutil.copyfile(SERIF_BOLD, media_dir / "brand.ttf")
    job = tmp_path / "a"
    by_url = frame_at(await render_text(resolver, media_dir, job, tmp_path / "a.mp4",
                                        Content="Rg", FontURL=str(media_dir / "brand.ttf")), 1.0)  # fmt: skip
    default = frame_at(await render_text(resolver, media_dir, tmp_path / "c", tmp_path / "c.mp4", Content="Rg"), 1.0)
    assert (_ink(by_url) != _ink(default)).mean() > 0.03  # another font drawn
    assert filecmp.cmp(job / "fonts" / "request-0.ttf", SERIF_BOLD, shallow=False)
    assert _libass_choice(job, "DejaVu Serif Bold") == "DejaVuSerif-Bold"  # a memory font: the copy


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"\x89PNG\r\n\x1a\n" + b"0" * 64, "is not a TrueType or OpenType font file"),
     (b"wOFF" + b"0" * 64, "is a WOFF web font; give a TTF or OTF file"),
     (b"\x00\x01\x00\x00" + b"0" * 64, "is a font file FreeType cannot read")],
)  # fmt: skip
async def test_a_font_url_that_is_not_a_font_is_refused_naming_the_field(
    resolver: MediaResolver, media_dir: Path, tmp_path: Path, content: bytes, problem: str
) -> None:
    (media_dir / "fake.ttf").write_bytes(content)
    with pytest.raises(ImsError) as refused:
        await render_text(resolver, media_dir, tmp_path / "j", tmp_path / "o.mp4",
                          Content="x", FontURL=str(media_dir / "fake.ttf"))  # fmt: skip
    assert refused.value.message == f"Timeline.SubtitleTracks[0].SubtitleTrackClips[0].FontURL: {problem}"


async def test_a_font_url_outside_the_media_roots_is_refused(
    resolver: MediaResolver, media_dir: Path, tmp_path: Path
) -> None:
    with pytest.raises(ImsError) as refused:
        await render_text(resolver, media_dir, tmp_path / "j", tmp_path / "o.mp4", Content="x", FontURL=str(SERIF_BOLD))
    assert refused.value.message.startswith("Timeline.SubtitleTracks[0].SubtitleTrackClips[0].FontURL: ")
    assert "outside the configured media roots" in refused.value.message
