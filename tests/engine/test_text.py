"""Text banners: the generated ASS file, and what libass draws from it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from imsd.api.timeline import SubtitleTrackClip
from imsd.engine.media import MediaResolver
from imsd.engine.render import render_timeline
from imsd.engine.render.graph import f
from imsd.engine.render.subtitles import AssDocument, ass_colour, ass_text, wrap
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
    line = dialogue(document(Content="x", X=0.5, Y=20, Alignment="BottomCenter", TimelineIn=0.5, TimelineOut=1.25))
    assert line.startswith("Dialogue: 0,0:00:00.50,0:00:01.25,S0,")
    assert "\\pos(80,20)" in line
    style = next(s for s in document(Alignment="BottomCenter", Content="x").splitlines() if s.startswith("Style:"))
    assert style.split(",")[18] == "2"  # \an2


def test_font_size_scales_with_the_design_canvas() -> None:
    from imsd.api.timeline import Canvas

    doc = AssDocument(160, 128)
    doc.add("k", text_clip(Content="x", FontSize=40), 1.0, Canvas(Width=320, Height=256), EngineSettings())
    assert doc.styles[0].split(",")[2] == "20.00"


def test_unknown_fonts_fall_back_to_the_cjk_default() -> None:
    assert ",WenQuanYi Zen Hei," in document(Content="x", Font="NoSuchFont")


def test_cjk_text_wraps_between_glyphs() -> None:
    assert wrap("你好你好你好", 20, 45) == ["你好", "你好", "你好"]


def test_latin_text_wraps_at_spaces() -> None:
    assert wrap("aa bb cc", 10, 13) == ["aa", "bb", "cc"]


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
