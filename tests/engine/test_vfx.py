"""Visual effects (VFX) drawn in their window, and nothing else changed.

Sources: the IMS effects page (alibabacloud.com/help/en/ims/developer-reference/example-of-common-effects)
names the SubTypes and shows previews only; the timeline page (help.aliyun.com/document_detail/447495.htm)
puts a VFX in a clip's Effects or on an EffectTracks item with TimelineIn/TimelineOut. What each is
drawn as is inferred, listed under Approximated, and tabled in docs/effects.md.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from imsd.engine.render.vfx import CATALOGUE, NOT_DRAWN, effects_table

from tests.engine.conftest import video
from tests.engine.sampling import frames
from tests.helpers import REPO

WINDOW = {"TimelineIn": 0.5, "TimelineOut": 1.5}
BEFORE, INSIDE, AFTER = 2, 12, 25  # frames at 0.2 s, 1.2 s, 2.5 s (10 fps)
Frame = npt.NDArray[np.float64]


#: A frame where each effect is at work, where that is not in the middle of the window.
ACTIVE = {"bluropen": 7, "photograph": 6}


def sharpness(frame: Frame, axes: tuple[int, ...] = (0, 1)) -> float:
    """How steep the picture's edges are: the 99th percentile of the steps between neighbouring
    pixels, down (axis 0) and across (axis 1)."""
    grey = frame.mean(axis=2)
    return float(sum(np.percentile(np.abs(np.diff(grey, axis=axis)), 99) for axis in axes))


def saturation(frame: Frame) -> float:
    return float((frame.max(axis=2) - frame.min(axis=2)).mean())


async def rendered(render: Any, m: Any, effect: dict[str, Any] | None, track: bool = False) -> tuple[Any, Any]:
    clip: dict[str, Any] = {"MediaURL": m("testsrc.mp4")}
    timeline: dict[str, Any] = {"VideoTracks": [video(clip)]}
    if effect and track:
        timeline["EffectTracks"] = [{"EffectTrackItems": [{**effect, **WINDOW}]}]
    elif effect:
        clip["Effects"] = [{**effect, **WINDOW}]
    result = await render(timeline)
    return frames(result.output).astype(np.float64), result


def test_the_effects_table_in_the_docs_is_current() -> None:
    assert (REPO / "docs" / "effects.md").read_text() == effects_table()


@pytest.mark.parametrize("name", sorted(CATALOGUE))
async def test_an_effect_changes_its_window_and_leaves_the_rest_as_it_was(render: Any, m: Any, name: str) -> None:
    plain, _ = await rendered(render, m, None)
    drawn, result = await rendered(render, m, {"Type": "VFX", "SubType": name})
    assert any(f"VFX {name!r} drawn as" in note for note in result.approximated), result.approximated
    assert len(drawn) == len(plain)
    for outside in (BEFORE, AFTER):
        assert np.abs(drawn[outside] - plain[outside]).mean() < 2.0, (name, outside)
    at = ACTIVE.get(name, INSIDE)
    assert np.abs(drawn[at] - plain[at]).mean() > 2.5, name


@pytest.mark.parametrize(
    ("name", "axes"),
    [("blur", (0, 1)), ("h_blur", (1,)), ("v_blur", (0,)), ("blurring", (0, 1)), ("bluropen", (0, 1))],
)
async def test_a_blur_effect_softens_the_picture_the_way_it_says(
    render: Any, m: Any, name: str, axes: tuple[int, ...]
) -> None:
    plain, _ = await rendered(render, m, None)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": name})
    at = ACTIVE.get(name, INSIDE)
    assert sharpness(drawn[at], axes) < 0.75 * sharpness(plain[at], axes)


async def test_colour_to_grey_ends_grey(render: Any, m: Any) -> None:
    plain, _ = await rendered(render, m, None)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": "color_to_grey"})
    assert saturation(drawn[14]) < 0.15 * saturation(plain[14])


@pytest.mark.parametrize(("name", "at", "darker"), [("close", 14, True), ("whiteshow", 6, False), ("black", 10, True)])
async def test_a_fade_effect_goes_to_its_colour(render: Any, m: Any, name: str, at: int, darker: bool) -> None:
    plain, _ = await rendered(render, m, None)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": name})
    assert (drawn[at].mean() < plain[at].mean() - 30) if darker else (drawn[at].mean() > plain[at].mean() + 30)


async def test_a_zoom_effect_enlarges_the_picture(render: Any, m: Any) -> None:
    """zoom: towards 130% by the window's end; testsrc's pattern gets coarser."""
    plain, _ = await rendered(render, m, None)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": "zoom"})
    assert sharpness(drawn[14]) < sharpness(plain[14])


async def test_an_effect_track_vfx_applies_over_the_output_time(render: Any, m: Any) -> None:
    plain, _ = await rendered(render, m, None)
    drawn, result = await rendered(render, m, {"Type": "VFX", "SubType": "blur"}, track=True)
    assert any("EffectTracks[0].EffectTrackItems[0]: VFX 'blur'" in n for n in result.approximated)
    assert sharpness(drawn[INSIDE]) < 0.7 * sharpness(plain[INSIDE])
    assert np.abs(drawn[AFTER] - plain[AFTER]).mean() < 2.0


@pytest.mark.parametrize("name", ["meteorshower", "heartfireworks", "no_such_effect"])
async def test_an_effect_not_drawn_is_listed_as_ignored(render: Any, m: Any, name: str) -> None:
    _, result = await rendered(render, m, {"Type": "VFX", "SubType": name})
    assert any(f"VFX {name!r} is not drawn" in note for note in result.ignored), result.ignored
    assert (name in NOT_DRAWN) is (name != "no_such_effect")


async def test_an_effect_on_a_still_runs_on_every_frame_it_plays(render: Any, m: Any) -> None:
    """A still is drawn once and repeated; an effect that changes with time runs after the repeat."""
    still = {"MediaURL": m("yellow.png"), "Duration": 3, "Effects": [{"Type": "VFX", "SubType": "close", **WINDOW}]}
    result = await render({"VideoTracks": [video(still)]})
    shown = frames(result.output).astype(np.float64).mean(axis=(1, 2, 3))
    assert shown[14] < shown[BEFORE] - 40  # fading out near the window's end
    assert abs(shown[AFTER] - shown[BEFORE]) < 2  # and itself again after it


async def test_an_effect_before_a_zoom_on_a_still_sees_every_frame(render: Any, m: Any) -> None:
    """(From the VFX helper's tests.) A Zoom after it would expand the still: it repeats first."""
    effects = [{"Type": "VFX", "SubType": "slightshow"}, {"Type": "Zoom", "StartRate": 1, "EndRate": 1.1}]
    clip = {"MediaURL": m("yellow.png"), "Type": "Image", "Duration": 1, "Effects": effects}
    result = await render({"VideoTracks": [video(clip)]})
    out = frames(result.output).astype(np.float64)
    assert out[1].mean() < out[5].mean() < out[9].mean()
