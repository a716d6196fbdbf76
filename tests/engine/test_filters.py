"""Filter presets (`Type: Filter`): one colour look per documented ID, on clips and over time ranges.

IDs and their names: https://www.alibabacloud.com/help/ja/ims/developer-reference/filter-effect-example
(m1 vintage, m2 grey, pf3 warm, pf6 invert, pfb greyscale, pl4 sunny, ...). The page shows each look
only as a sample picture, so the colours are inferred from the names (approximated). A Filter in a
clip's Effects with TimelineIn/TimelineOut applies to that part of the clip:
https://help.aliyun.com/document_detail/447495.htm ("添加滤镜支持在视频轨(对素材添加滤镜)...中配置",
filter pl4 from 5 s to 7 s).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from imsd.engine.render.effects import filter_look, filter_table

from tests.engine.conftest import video
from tests.engine.sampling import frames

DOCUMENTED = [
    "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8", "pf1", "pf2", "pf3", "pf4", "pf5", "pf6", "pf7", "pf8",
    "pf9", "pfa", "pfb", "pfc", "pi1", "pi2", "pi3", "pi4", "pl1", "pl2", "pl3", "pl4", "pj1", "pj2", "pj3",
    "pj4", "delta", "electric", "faded", "slowlived", "tokoyo", "urbex", "warm", "f1", "f2", "f3", "f4", "f5",
    "f6", "f7", "pv1", "pv2", "pv3", "pv4", "pv5", "pv6", "a1", "a2", "a3", "a4", "a5", "a6",
]  # fmt: skip


@pytest.mark.parametrize("name", DOCUMENTED)
def test_every_documented_filter_id_has_a_look(name: str) -> None:
    assert filter_look(name)


def test_the_filter_table_lists_every_documented_id_once_with_its_look_as_approximated() -> None:
    """docs/effects.md's Filter-ID table (effects.filter_table): each ID of the page, what it is
    rendered as (the filters filter_look gives), and that the look is inferred (approximated)."""
    rows = {row.split("|")[1].strip(" `"): row for row in filter_table()[2:]}
    assert sorted(rows) == sorted(DOCUMENTED)
    for name, row in rows.items():
        assert all(f"`{x.render()}`" in row for x in filter_look(name) or ()), row
        assert row.rstrip(" |").endswith("(approximated)"), row


def test_ids_with_different_names_have_different_looks() -> None:
    """Each family used to share a handful of looks; now m3 (cyan) and m4 (blue) differ, and so on."""
    assert filter_look("m3") != filter_look("m4")
    assert filter_look("pl1") != filter_look("pl4")
    assert filter_look("pf3") == filter_look("warm")  # both are named warm


async def _mean_rgb(render: Any, m: Any, sub_type: str) -> np.ndarray[Any, Any]:
    clip = {"MediaURL": m("testsrc.mp4"), "Out": 1, "Effects": [{"Type": "Filter", "SubType": sub_type}]}
    result = await render({"VideoTracks": [video(clip)]}, Width=192, Height=144)
    return frames(result.output)[5].astype(float)


async def test_a_warm_filter_moves_colour_towards_red(render: Any, m: Any) -> None:
    plain, warm = await _mean_rgb(render, m, "m8"), await _mean_rgb(render, m, "pf3")
    assert (warm[..., 0] - warm[..., 2]).mean() > (plain[..., 0] - plain[..., 2]).mean() + 5


async def test_a_greyscale_filter_leaves_no_colour(render: Any, m: Any) -> None:
    grey = await _mean_rgb(render, m, "pfb")
    assert (grey.max(axis=2) - grey.min(axis=2)).mean() < 6


async def test_a_ranged_clip_filter_applies_only_in_its_range(render: Any, m: Any) -> None:
    effect = {"Type": "Filter", "SubType": "pfb", "TimelineIn": 0.5, "TimelineOut": 1}
    clip = {"MediaURL": m("testsrc.mp4"), "TimelineIn": 0.5, "Out": 2, "Effects": [effect]}
    result = await render({"VideoTracks": [video(clip)]}, Width=192, Height=144)
    out = frames(result.output).astype(float)
    colour = (out.max(axis=3) - out.min(axis=3)).mean(axis=(1, 2))
    # The clip starts at 0.5 s: its 0.5..1 s are 1..1.5 s on the output.
    assert colour[12] < 6  # 1.2 s: grey
    assert colour[7] > 30 and colour[17] > 30  # 0.7 s and 1.7 s: in colour
