"""Visual effects (VFX) drawn in their window, and nothing else changed.

Sources: the IMS effects page (alibabacloud.com/help/en/ims/developer-reference/example-of-common-effects)
and VOD's special effect examples (alibabacloud.com/help/en/vod/developer-reference/special-effect-examples,
the groups after Atmosphere) name the SubTypes and show previews only; ims-api.md §2.7 gives
mosaic_rect its X/Y/Width/Height box; the timeline page (help.aliyun.com/document_detail/447495.htm)
puts a VFX in a clip's Effects or on an EffectTracks item with TimelineIn/TimelineOut. What each is
drawn as is inferred, listed under Approximated, and tabled in docs/effects.md.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from imsd.engine.render.graph import FilterGraph
from imsd.engine.render.vfx import CATALOGUE, Window, _layer, effects_table

from tests.engine.conftest import video
from tests.engine.sampling import frames
from tests.helpers import REPO

WINDOW = {"TimelineIn": 0.5, "TimelineOut": 1.5}
BEFORE, INSIDE, AFTER = 2, 12, 25  # frames at 0.2 s, 1.2 s, 2.5 s (10 fps)
Frame = npt.NDArray[np.float64]


#: A frame where each effect is at work, where that is not in the middle of the window.
ACTIVE = {"bluropen": 7, "photograph": 6, "stormlaser": 5}


def sharpness(frame: Frame, axes: tuple[int, ...] = (0, 1)) -> float:
    """How steep the picture's edges are: the 99th percentile of the steps between neighbouring
    pixels, down (axis 0) and across (axis 1)."""
    grey = frame.mean(axis=2)
    return float(sum(np.percentile(np.abs(np.diff(grey, axis=axis)), 99) for axis in axes))


def saturation(frame: Frame) -> float:
    return float((frame.max(axis=2) - frame.min(axis=2)).mean())


async def rendered(
    render: Any, m: Any, effect: dict[str, Any] | None, track: bool = False, **output: int
) -> tuple[Any, Any]:
    """testsrc with `effect` on the clip (or on an EffectTracks item) over WINDOW; `output` as
    Width/Height=320/240 renders the clip at its own size, so the picture's geometry is the
    effect's."""
    clip: dict[str, Any] = {"MediaURL": m("testsrc.mp4")}
    timeline: dict[str, Any] = {"VideoTracks": [video(clip)]}
    if effect and track:
        timeline["EffectTracks"] = [{"EffectTrackItems": [{**effect, **WINDOW}]}]
    elif effect:
        clip["Effects"] = [{**effect, **WINDOW}]
    result = await render(timeline, **output)
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


async def test_an_unknown_subtype_is_listed_as_ignored_with_why(render: Any, m: Any) -> None:
    plain, _ = await rendered(render, m, None)
    drawn, result = await rendered(render, m, {"Type": "VFX", "SubType": "no_such_effect"})
    why = "not a SubType the IMS effects pages list"
    assert any("VFX 'no_such_effect' is not drawn" in note and why in note for note in result.ignored), result.ignored
    assert np.abs(drawn - plain).mean() < 1.0


#: Every SubType of the effects pages, by the pages' groups (VOD's special effect examples).
DOCUMENTED = {
    "basics": "open close h_blur v_blur blur slightshake zoominout movie zoomslight zoom withcircleopen "
    "withcircleclose withcircleshake withcircleflashlight disappear shock bluropen blurclose photograph black "
    "blurring color_to_grey grey_to_color slightrectshow slightshow wipecross whiteshow image_in_image "
    "color_difference",
    "atmosphere": "colorfulradial colorfulstarry flyfire heartfireworks meteorshower moons_and_stars "
    "sparklestarfield spotfall starexplosion starry",
    "dynamic": "white minus_glitter jitter soulout scanlight swing heartbeat flashingscreen illusion segmentation "
    "neolighting curl shine smalljitter flashinglight windowblur windowblur2 kaleidoscope",
    "light": "moon_projection star_projection heart_projection sunset_projection carwindow_projection "
    "shinningstar_light anglelight darknight_rainbow fallingcircle lightcenter lightsweep moon rotationspotlight",
    "retro": "blackwhitetv edgescan oldtv oldtvshine nightvision tvshow",
    "dreamy": "colorfulsun bigsun fallingheart colorfulfireworks heartshot starfieldshinee starfieldshinee2 "
    "fireworks heartsurround risingheartbubble starfield colorfulripples colorfulbubbles heartbubbleshinee "
    "starsparkle",
    "nature": "rainy waterripple snow foggy meteor stormlaser simpleripple fadeshadow",
    "split screen": "marquee livesplit splitstill2 splitstill3 splitstill4 splitstill9 splitstill6 blackwhitesplit "
    "blurthreesplit",
    "colour": "colorful blackfade rainbowfilter movingrainbow discolights",
    "deform": "fisheye mosaic_rect glass planet",
}


def test_every_documented_subtype_is_drawn() -> None:
    documented = {name for group in DOCUMENTED.values() for name in group.split()}
    assert len(documented) == 117
    assert set(CATALOGUE) == documented


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


def cell(length: int, n: int) -> int:
    """The even cell size vfx.py tiles `length` into `n` with (the last cell is cut)."""
    return 2 * math.ceil(length / n / 2)


def tiles(frame: Frame, cols: int, rows: int) -> list[Frame]:
    """The cells of a cols x rows split screen of `frame`."""
    h, w = cell(frame.shape[0], rows), cell(frame.shape[1], cols)
    return [frame[r * h : (r + 1) * h, c * w : (c + 1) * w] for r in range(rows) for c in range(cols)]


def block_std(frame: Frame, box: tuple[int, int, int, int], block: int) -> float:
    """How much the pixels vary inside each block x block square of a box, on average."""
    x, y, w, h = box
    grey = frame[y : y + h, x : x + w].mean(axis=2)
    squares = grey.reshape(h // block, block, w // block, block)
    return float(squares.std(axis=(1, 3)).mean())


def luma(frame: Frame) -> Frame:
    weights: Frame = np.array([0.299, 0.587, 0.114])
    return frame @ weights


SAME = {"Width": 320, "Height": 240}  # testsrc's own size


@pytest.mark.parametrize(
    ("name", "cols", "rows"),
    [("splitstill4", 2, 2), ("splitstill9", 3, 3), ("splitstill2", 1, 2), ("splitstill6", 2, 3)],
)
async def test_a_split_screen_shows_the_same_copy_in_every_cell(
    render: Any, m: Any, name: str, cols: int, rows: int
) -> None:
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": name}, **SAME)
    first, *others = tiles(drawn[INSIDE], cols, rows)
    for other in others:
        assert np.abs(other - first[: other.shape[0], : other.shape[1]]).mean() < 4.0, name


async def test_a_four_way_split_cell_is_the_picture_at_half_size(render: Any, m: Any) -> None:
    plain, _ = await rendered(render, m, None, **SAME)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": "splitstill4"}, **SAME)
    h, w = plain.shape[1] // 2, plain.shape[2] // 2
    half = plain[INSIDE].reshape(h, 2, w, 2, 3).mean(axis=(1, 3))
    assert np.abs(drawn[INSIDE][:h, :w] - half).mean() < 8.0


async def test_a_split_screen_without_a_window_covers_the_whole_clip(render: Any, m: Any) -> None:
    clip = {"MediaURL": m("testsrc.mp4"), "Effects": [{"Type": "VFX", "SubType": "splitstill4"}]}
    drawn = frames((await render({"VideoTracks": [video(clip)]}, **SAME)).output).astype(np.float64)
    for at in (0, BEFORE, AFTER, len(drawn) - 1):
        top_left, _, _, bottom_right = tiles(drawn[at], 2, 2)
        assert np.abs(top_left - bottom_right).mean() < 4.0, at


@pytest.mark.parametrize(("name", "outer"), [("blackwhitesplit", "grey"), ("blurthreesplit", "blurred")])
async def test_a_triptych_changes_its_outer_copies_and_keeps_the_middle(
    render: Any, m: Any, name: str, outer: str
) -> None:
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": name}, **SAME)
    top, middle, bottom = tiles(drawn[INSIDE], 1, 3)
    for part in (top, bottom):
        if outer == "grey":
            assert saturation(part) < 0.15 * saturation(middle)
        else:
            assert sharpness(part) < 0.6 * sharpness(middle)


async def test_kaleidoscope_mirrors_the_top_left_quarter_into_the_others(render: Any, m: Any) -> None:
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": "kaleidoscope"}, **SAME)
    frame = drawn[INSIDE]
    h, w = frame.shape[0] // 2, frame.shape[1] // 2
    assert np.abs(frame[:, w:] - frame[:, :w][:, ::-1]).mean() < 4.0
    assert np.abs(frame[h:] - frame[:h][::-1]).mean() < 4.0


async def test_night_vision_is_green(render: Any, m: Any) -> None:
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": "nightvision"}, **SAME)
    r, g, b = drawn[INSIDE].mean(axis=(0, 1))
    assert g > 1.3 * r and g > 1.3 * b, (r, g, b)


@pytest.mark.parametrize("track", [True, False])
async def test_mosaic_rect_pixelates_its_box_and_nothing_else(render: Any, m: Any, track: bool) -> None:
    """ims-api.md §2.7's example form: X/Y/Width/Height as fractions (here the middle half);
    blocks are 1/30 of the picture's short side, at least 4 px."""
    plain, _ = await rendered(render, m, None, **SAME)
    effect = {"Type": "VFX", "SubType": "mosaic_rect", "X": 0.25, "Y": 0.25, "Width": 0.5, "Height": 0.5}
    drawn, _ = await rendered(render, m, effect, track=track, **SAME)
    height, width = plain.shape[1:3]
    box = (width // 4, height // 4, width // 2, height // 2)
    block = max(4, round(min(width, height) / 30))
    assert block_std(drawn[INSIDE], box, block) < 0.3 * block_std(plain[INSIDE], box, block)
    outside = np.ones((height, width), dtype=bool)
    outside[box[1] : box[1] + box[3], box[0] : box[0] + box[2]] = False
    assert np.abs(drawn[INSIDE] - plain[INSIDE])[outside].mean() < 2.0


async def test_window_blur_blurs_round_a_sharp_centre(render: Any, m: Any) -> None:
    plain, _ = await rendered(render, m, None, **SAME)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": "windowblur"}, **SAME)
    height, width = plain.shape[1:3]
    centre = (slice(height // 4 + 2, 3 * height // 4 - 2), slice(width // 4 + 2, 3 * width // 4 - 2))
    assert np.abs(drawn[INSIDE][centre] - plain[INSIDE][centre]).mean() < 3.0
    top = slice(0, height // 4)
    assert sharpness(drawn[INSIDE][top]) < 0.5 * sharpness(plain[INSIDE][top])


@pytest.mark.parametrize("name", ["rainbowfilter", "movingrainbow", "discolights"])
async def test_a_colour_field_changes_colour_and_keeps_brightness(render: Any, m: Any, name: str) -> None:
    plain, _ = await rendered(render, m, None, **SAME)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": name}, **SAME)
    changed = np.abs(drawn[INSIDE] - plain[INSIDE]).mean()
    assert np.abs(luma(drawn[INSIDE]) - luma(plain[INSIDE])).mean() < 0.25 * changed


async def test_fisheye_leaves_the_corners_black(render: Any, m: Any) -> None:
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": "fisheye"}, **SAME)
    assert drawn[INSIDE][:6, :6].mean() < 25 and drawn[INSIDE][-6:, -6:].mean() < 25


@pytest.mark.parametrize("name", ["snow", "rainy", "starfieldshinee", "meteorshower"])
async def test_particles_add_light_points(render: Any, m: Any, name: str) -> None:
    plain, _ = await rendered(render, m, None, **SAME)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": name}, **SAME)
    brighter = (luma(drawn[INSIDE]) - luma(plain[INSIDE])) > 60
    assert 0.003 < brighter.mean() < 0.2


async def test_an_effect_track_vfx_without_an_end_runs_to_the_end_of_the_output(render: Any, m: Any) -> None:
    """open parts its band over the item's time: without TimelineOut or Duration, the output's."""
    plain, _ = await rendered(render, m, None)
    item = {"Type": "VFX", "SubType": "open"}
    timeline = {"VideoTracks": [video({"MediaURL": m("testsrc.mp4")})], "EffectTracks": [{"EffectTrackItems": [item]}]}
    drawn = frames((await render(timeline)).output).astype(np.float64)
    assert drawn[BEFORE].mean() < 0.3 * plain[BEFORE].mean()
    assert 0.3 * plain[15].mean() < drawn[15].mean() < 0.8 * plain[15].mean()
    assert np.abs(drawn[-1] - plain[-1]).mean() < 12.0


async def test_tv_noise_drains_the_colour(render: Any, m: Any) -> None:
    plain, _ = await rendered(render, m, None)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": "blackwhitetv"})
    assert saturation(drawn[INSIDE]) < 0.25 * saturation(plain[INSIDE])


async def test_negative_flicker_shows_the_negative_while_on(render: Any, m: Any) -> None:
    """On for the first half of each quarter second from 0.125 s into the window: 1.2 s is on."""
    plain, _ = await rendered(render, m, None)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": "minus_glitter"})
    assert np.abs(drawn[INSIDE] - (255 - plain[INSIDE])).mean() < 20.0


async def test_fog_flattens_the_picture(render: Any, m: Any) -> None:
    plain, _ = await rendered(render, m, None)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": "foggy"})
    assert luma(drawn[INSIDE]).std() < 0.75 * luma(plain[INSIDE]).std()


def changed(drawn: Frame, plain: Frame) -> npt.NDArray[np.bool_]:
    """The pixels an effect drew on: more than 30 levels off in each channel on average."""
    return np.abs(drawn - plain).sum(axis=2) > 90


def moved(before: npt.NDArray[np.bool_], after: npt.NDArray[np.bool_], reach: int) -> tuple[int, int]:
    """The shift (down, across; at most `reach` pixels) that best lays `before` on `after`."""
    shifts = [(dy, dx) for dy in range(-reach, reach + 1) for dx in range(-reach, reach + 1)]
    overlap = [(np.roll(before, shift, axis=(0, 1)) & after).sum() for shift in shifts]
    return shifts[int(np.argmax(overlap))]


@pytest.mark.parametrize(
    ("name", "at", "down", "across"),
    [
        ("snow", (10, 12), 1, 0),  # 2 cells of H/40 a second: 2.4 px in 0.2 s
        ("fallingheart", (10, 12), 1, 0),  # 1.5 cells of H/12 a second: 6 px
        ("risingheartbubble", (10, 12), -1, 0),
        ("meteorshower", (11, 12), 1, -1),  # 20 cells of H/40 a second, 0.6 px across a px down
    ],
)
async def test_particles_move_their_way(
    render: Any, m: Any, name: str, at: tuple[int, int], down: int, across: int
) -> None:
    """The points drawn on one frame are found on a later one shifted down (or up) and, for the
    slanting streaks, across to the left."""
    plain, _ = await rendered(render, m, None, **SAME)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": name}, **SAME)
    dy, dx = moved(*(changed(drawn[i], plain[i]) for i in at), reach=14)
    assert np.sign(dy) == down and (np.sign(dx) == across or not across), (dy, dx)


async def test_an_effect_drawn_on_a_copy_works_on_a_still(render: Any, m: Any) -> None:
    """fisheye is a v360 copy laid over the picture (a Branch): on a repeated still it draws in
    its window, and the still is itself before and after."""
    still = {"MediaURL": m("yellow.png"), "Duration": 3, "Effects": [{"Type": "VFX", "SubType": "fisheye", **WINDOW}]}
    result = await render({"VideoTracks": [video(still)]}, Width=200, Height=150)  # the still's own size
    corner = frames(result.output).astype(np.float64)[:, :4, :4].mean(axis=(1, 2, 3))
    assert corner[INSIDE] < 30 < corner[BEFORE] - 100
    assert abs(corner[AFTER] - corner[BEFORE]) < 4


def zoomed(frame: Frame, zoom: float, angle: float = 0.0) -> Frame:
    """The frame enlarged `zoom` times about its centre and turned `angle` rad (nearest pixel),
    at its own size."""
    h, w = frame.shape[:2]
    y, x = np.mgrid[0:h, 0:w] + 0.5
    y, x = (y - h / 2) / zoom, (x - w / 2) / zoom
    cos, sin = math.cos(angle), math.sin(angle)
    rows = np.clip((-x * sin + y * cos + h / 2).astype(int), 0, h - 1)
    cols = np.clip((x * cos + y * sin + w / 2).astype(int), 0, w - 1)
    return frame[rows, cols]


async def test_heartbeat_pulses_the_picture_larger_and_back_within_its_window(render: Any, m: Any) -> None:
    """Zoom pulses 1.5 a second from the window's start: 111% at 0.3 s in (frame 8), back to 100%
    at 0.7 s in (frame 12), still inside the window."""
    plain, _ = await rendered(render, m, None)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": "heartbeat"})
    assert np.abs(drawn[8] - zoomed(plain[8], 1.11)).mean() < 0.5 * np.abs(drawn[8] - plain[8]).mean()
    # zoompan's own resampling leaves ~3 levels at 100%; at 111% the picture is ~50 levels off
    assert np.abs(drawn[12] - plain[12]).mean() < 0.2 * np.abs(drawn[8] - plain[8]).mean()


async def test_the_frame_at_timeline_out_is_after_the_window(render: Any, m: Any) -> None:
    """The window is [TimelineIn, TimelineOut): the frame shown from 1.5 s (frame 15) plays after
    it. Heartbeat is at a full pulse there, so a window that held its end would show it."""
    plain, _ = await rendered(render, m, None)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": "heartbeat"})
    assert np.abs(drawn[15] - plain[15]).mean() < 2.0


async def test_soul_out_s_ghost_grows_through_each_cycle(render: Any, m: Any) -> None:
    """A 40% copy growing from 100% to 130% every 0.8 s: it strays further from the picture at
    0.7 s into its cycle (frame 12) than at 0.1 s (frame 6)."""
    plain, _ = await rendered(render, m, None)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": "soulout"})
    early, late = (float(np.abs(drawn[i] - plain[i]).mean()) for i in (6, 12))
    assert late > 2 * early


@pytest.mark.parametrize(
    ("name", "lit", "clear", "ratio"),
    [
        ("bigsun", (0.6, 1, 0, 0.4), (0, 0.4, 0.6, 1), 3),  # a sun high on the right
        ("colorfulsun", (0, 0.4, 0, 0.4), (0.6, 1, 0.6, 1), 3),  # high on the left
        ("anglelight", (0.3, 0.7, 0, 0.2), (0.3, 0.7, 0.8, 1), 2),  # rays from above the top
        ("colorfulradial", (0, 0.15, 0.3, 0.7), (0.4, 0.6, 0.4, 0.6), 3),  # speed lines round a clear middle
        ("moon", (0.45, 0.55, 0.25, 0.35), (0, 0.2, 0.7, 1), 3),  # a moon in the top middle
        ("moons_and_stars", (0.7, 0.76, 0.13, 0.23), (0.3, 0.5, 0.4, 0.6), 3),  # its crescent's lit left side
        ("darknight_rainbow", (0.45, 0.55, 0.32, 0.43), (0.45, 0.55, 0.8, 0.95), 1.5),  # the arc over a dimmed picture
        ("heartsurround", (0, 1, 0, 0.15), (0.3, 0.7, 0.3, 0.7), 3),  # hearts round the edges only
        ("starexplosion", (0.2, 0.8, 0.1, 0.8), (0, 0.15, 0.85, 1), 3),  # a burst in the middle
    ],
)
async def test_artwork_is_drawn_where_its_shape_is(
    render: Any, m: Any, name: str, lit: tuple[float, ...], clear: tuple[float, ...], ratio: float
) -> None:
    """Boxes are (left, right, top, bottom) in fractions of the frame: the picture changes far
    more in the box the shape covers than in one it does not."""
    plain, _ = await rendered(render, m, None, **SAME)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": name}, **SAME)
    diff = np.abs(drawn[INSIDE] - plain[INSIDE]).mean(axis=2)
    height, width = diff.shape

    def box(b: tuple[float, ...]) -> float:
        return float(
            diff[round(b[2] * height) : round(b[3] * height), round(b[0] * width) : round(b[1] * width)].mean()
        )

    assert box(lit) > ratio * box(clear) + 2, (box(lit), box(clear))


async def test_a_lunar_eclipse_s_shadow_crosses_the_moon(render: Any, m: Any) -> None:
    """The moon (radius 0.16 of the height at the top middle) is pale as the window starts and
    dark red half-way, when the shadow covers it."""
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": "moon"}, **SAME)
    centre = (slice(66, 78), slice(154, 166))  # (0.5, 0.3) of 320x240
    pale, covered = (drawn[i][centre].mean(axis=(0, 1)) for i in (5, 10))
    assert pale.min() > 200, pale
    r, g, b = covered
    assert r < 160 and r > 1.5 * g and r > 1.5 * b, covered


async def test_a_burst_s_sparks_fly_out(render: Any, m: Any) -> None:
    """starexplosion bursts from (0.5, 0.45) every second: 0.1 s after a burst (frame 11) its
    sparks are near the centre, 0.4 s after (frame 14) four times as far."""
    plain, _ = await rendered(render, m, None, **SAME)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": "starexplosion"}, **SAME)
    reach = []
    for at in (11, 14):
        rows, cols = np.nonzero(changed(drawn[at], plain[at]))
        reach.append(float(np.hypot(rows - 0.45 * 240, cols - 160).mean()))
    assert reach[1] > 2.5 * reach[0], reach


@pytest.mark.parametrize(
    "name", ["moon_projection", "star_projection", "heart_projection", "sunset_projection", "carwindow_projection"]
)
async def test_a_projection_lights_its_pattern_on_the_dimmed_picture(render: Any, m: Any, name: str) -> None:
    plain, _ = await rendered(render, m, None, **SAME)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": name}, **SAME)
    gain = luma(drawn[INSIDE]) - luma(plain[INSIDE])
    assert np.median(gain) < -15, np.median(gain)  # dimmed where no light falls
    assert (gain > 20).mean() > 0.003, (gain > 20).mean()  # and lit where it does


@pytest.mark.parametrize(("name", "scale"), [("tvshow", 0.78), ("image_in_image", 0.7)])
async def test_an_inset_shows_the_picture_shrunk_in_the_middle(render: Any, m: Any, name: str, scale: float) -> None:
    """The middle is the picture at `scale`; round it, a TV set's brown body or a blurred copy."""
    plain, _ = await rendered(render, m, None, **SAME)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": name}, **SAME)
    frame, shrunk = drawn[INSIDE], zoomed(plain[INSIDE], scale)
    middle = (slice(80, 160), slice(100, 220))
    assert np.abs(frame[middle] - shrunk[middle]).mean() < 0.3 * np.abs(frame[middle] - plain[INSIDE][middle]).mean()
    edge = frame[:, :8]
    if name == "tvshow":
        assert np.abs(edge - np.array([0x4A, 0x3B, 0x2E])).mean() < 12
    else:
        assert sharpness(edge) < 0.5 * sharpness(plain[INSIDE][:, :8])


async def test_swing_turns_the_picture_one_way_then_the_other(render: Any, m: Any) -> None:
    """Zoomed 115% and turned 0.1*sin(2*PI*s) rad, s seconds into the window: about +0.095 rad
    at 0.2 s (frame 7) and -0.095 at 0.8 s (frame 13). The turn is found by trying angles on
    the plain frame (the middle, clear of the turned picture's corners)."""
    plain, _ = await rendered(render, m, None, **SAME)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": "swing"}, **SAME)
    middle = (slice(60, 180), slice(80, 240))
    angles = np.linspace(-0.15, 0.15, 13)
    found = []
    for at in (7, 13):
        errors = [np.abs(drawn[at][middle] - zoomed(plain[at], 1.15, a)[middle]).mean() for a in angles]
        found.append(float(angles[int(np.argmin(errors))]))
    assert abs(found[0]) >= 0.05 and abs(found[1]) >= 0.05 and found[0] * found[1] < 0, found


def band_centre(profile: Frame) -> float:
    """Where a bright band is along a profile: the mean place of its values over half its peak."""
    return float(np.flatnonzero(profile > 0.5 * profile.max()).mean())


@pytest.mark.parametrize(
    ("name", "axis", "at", "green"),
    [
        ("scanlight", 0, (6, 8), False),  # an 8th of the height, down twice a window
        ("lightsweep", 1, (7, 12), False),  # a quarter of the width, across once
        ("edgescan", 0, (6, 8), True),  # a green bar down twice, over the edges picture
    ],
)
async def test_a_light_sweep_s_band_moves_its_way(
    render: Any, m: Any, name: str, axis: int, at: tuple[int, int], green: bool
) -> None:
    """The band (the light added to the picture, or the green over the edges picture) along the
    rows (axis 0) or columns (axis 1) is further down or right on the later frame."""
    plain, _ = await rendered(render, m, None, **SAME)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": name}, **SAME)
    other = 1 - axis
    if green:
        profiles = [(d[..., 1] - (d[..., 0] + d[..., 2]) / 2).mean(axis=other) for d in (drawn[i] for i in at)]
    else:
        profiles = [(luma(drawn[i]) - luma(plain[i])).mean(axis=other) for i in at]
    first, then = (band_centre(p) for p in profiles)
    assert then > first + 0.2 * drawn.shape[1 + axis], (first, then)


@pytest.mark.parametrize(("name", "once"), [("bigsun", True), ("moon_projection", True), ("starry", False)])
def test_a_drawing_that_does_not_change_in_time_is_drawn_once_and_repeated(name: str, once: bool) -> None:
    """A layer whose expressions never read T (a still sun) costs one geq for the window, not
    one a frame (bench/vfx.py: bigsun 17.6 -> 2.0 ms a 1080x1920 frame); a twinkling one still
    draws every frame."""
    graph = FilterGraph()
    graph.steps(["0:v"], CATALOGUE[name].draw(Window(0.5, 1.5, 1080, 1920, "30")), "x")
    chain = [(x.name, dict(x.args)) for x in graph.filters()]
    geq = next(i for i, (filter_name, _) in enumerate(chain) if filter_name == "geq")
    first_only = ("trim", {"end_frame": 1}) in chain[:geq]
    repeated = any(n == "overlay" and args.get("eof_action") == "repeat" for n, args in chain)
    assert (first_only, repeated) == (once, once), chain


@pytest.mark.parametrize(
    ("alpha", "once"),
    [
        ("255*lt(X,W/2)", True),
        ("255*lt(X,W*T)", False),
        ("255*eq(mod(N,2),0)", False),
        ("255*gt(random(0),0.5)", False),
        ("255*gt(lum(X,Y),128)", False),
    ],
)
def test_a_layer_reading_time_frame_number_random_numbers_or_the_picture_is_drawn_every_frame(
    alpha: str, once: bool
) -> None:
    graph = FilterGraph()
    graph.steps(["0:v"], _layer(Window(0.5, 1.5, 1080, 1920, "30"), "235", "128", "128", alpha), "x")
    assert (("trim", {"end_frame": 1}) in [(x.name, dict(x.args)) for x in graph.filters()]) == once


async def test_a_drawing_drawn_once_shows_through_its_whole_window_and_not_after(render: Any, m: Any) -> None:
    """bigsun's sun, drawn on the window's first frame, is on its last (1.4 s) and gone at
    TimelineOut (1.5 s) and before TimelineIn."""
    plain, _ = await rendered(render, m, None)
    drawn, _ = await rendered(render, m, {"Type": "VFX", "SubType": "bigsun"})
    changed = [float(np.abs(drawn[i] - plain[i]).mean()) for i in range(len(plain))]
    assert changed[5] > 2.5 and changed[14] > 2.5, changed
    assert changed[4] < 2.0 and changed[15] < 2.0, changed
