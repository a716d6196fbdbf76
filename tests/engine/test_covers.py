"""The cover and preview sheet of an output (render/covers.py), looked at as pixels.

IMS takes an output's cover at EditingProduceConfig.CoverConfig.StartTime, else its first frame
(docs/ims-api.md §1.3, doc 357745); the preview sheet is the engine's own (issue 16).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from imsd.engine.render import COVER_SUFFIX, PREVIEW_SUFFIX, make_stills
from imsd.engine.render.covers import PREVIEW_FRAMES, PREVIEW_WIDTH, stills_graph

from .sampling import close, frames

COLORS = {"red": (255, 0, 0), "lime": (0, 255, 0), "blue": (0, 0, 255), "white": (255, 255, 255)}


@pytest.fixture(scope="module")
def four_colors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s at 25 fps, 320x240: one second of each colour in COLORS, in order."""
    path = tmp_path_factory.mktemp("covers") / "out.mp4"
    sources = [arg for name in COLORS for arg in ("-f", "lavfi", "-i", f"color=c={name}:s=320x240:r=25:d=1")]
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", *sources, "-filter_complex", "concat=n=4:v=1:a=0",
         "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    return path


async def test_the_cover_is_the_frame_at_cover_config_start_time(four_colors: Path) -> None:
    stills = await make_stills(four_colors, 4.0, 25, 2.5, "ffmpeg")
    assert stills.cover == four_colors.with_name("out.mp4" + COVER_SUFFIX)
    (cover,) = frames(stills.cover)
    assert cover.shape == (240, 320, 3) and close(cover[120, 160], COLORS["blue"])


async def test_without_cover_config_the_cover_is_the_first_frame(four_colors: Path) -> None:
    (cover,) = frames((await make_stills(four_colors, 4.0, 25, 0.0, "ffmpeg")).cover)
    assert close(cover[120, 160], COLORS["red"])


async def test_a_start_time_past_the_end_takes_the_last_frame(four_colors: Path) -> None:
    (cover,) = frames((await make_stills(four_colors, 4.0, 25, 60.0, "ffmpeg")).cover)
    assert close(cover[120, 160], COLORS["white"])


async def test_the_preview_sheet_shows_frames_spread_over_the_output_in_order(four_colors: Path) -> None:
    (sheet,) = frames((await make_stills(four_colors, 4.0, 25, 0.0, "ffmpeg")).preview)
    assert sheet.shape == (PREVIEW_WIDTH * 240 // 320, PREVIEW_WIDTH * PREVIEW_FRAMES, 3)
    middles = [sheet[sheet.shape[0] // 2, PREVIEW_WIDTH * k + PREVIEW_WIDTH // 2] for k in range(PREVIEW_FRAMES)]
    assert all(close(pixel, rgb) for pixel, rgb in zip(middles, COLORS.values(), strict=True))
    assert four_colors.with_name("out.mp4" + PREVIEW_SUFFIX).is_file()


def test_the_preview_picks_the_first_frame_at_the_middle_of_each_part() -> None:
    graph = stills_graph(8.0, 0.0, 25)
    (select,) = graph.find("select")
    picks = [f"gte(t,{m:.3f})*lt(prev_pts*TB,{m:.3f})" for m in (1, 3, 5, 7)]  # 8 s in four parts
    assert select.arg(None) == "+".join(picks)
