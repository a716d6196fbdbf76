"""The graph shapes that keep a render near the cost of encoding: checked as data, then rendered.

Each shape is a choice compose.py makes for speed (see bench/render.py); the render tests show
that the faster shape still draws the same picture where the cheap path meets the general one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from imsd.engine.media import MediaResolver
from imsd.engine.render import render_timeline

from .sampling import close, frames
from .test_compose import IMAGE, clips, plan

RED, BLUE, BLACK = (255, 0, 0), (0, 0, 255), (0, 0, 0)


def test_a_still_is_decoded_once_and_repeated() -> None:
    p = plan(clips({"Type": "Image", "Duration": 2}), info=IMAGE)
    assert p.graph.find("trim")[0].arg("end_frame") == 1
    (loop,) = p.graph.find("loop")
    assert loop.arg("loop") == 19 and loop.arg("size") == 1


def test_ken_burns_on_a_still_makes_all_its_frames_from_one() -> None:
    kb = {"Type": "KenBurns", "Start": "0,0,1,1", "End": "0.25,0.25,0.5,0.5"}
    p = plan(clips({"Type": "Image", "Duration": 2, "Effects": [kb]}), info=IMAGE)
    (zp,) = p.graph.find("zoompan")
    assert zp.arg("d") == 20
    assert not p.graph.find("loop")


def test_cover_crops_to_the_box_aspect_before_scaling() -> None:
    names = [x.name for x in plan(clips({"AdaptMode": "Cover"})).graph.filters()]
    assert names.index("crop") < names.index("scale")


def test_a_blurred_background_is_blurred_at_a_fraction_of_the_canvas() -> None:
    p = plan(clips({"AdaptMode": "Contain", "Effects": [{"Type": "Background", "Radius": 0.2}]}), Width=320, Height=640)
    sizes = [(x.args[0][1], x.args[1][1]) for x in p.graph.find("scale") if x.args and x.args[0][0] is None]
    assert (40, 80) in sizes  # sigma 32 -> 1/8 size
    assert p.graph.find("gblur")[0].arg("sigma") == 4


def test_a_clip_in_a_smaller_box_is_overlaid_without_padding_it_first() -> None:
    p = plan(clips({"AdaptMode": "Contain", "Width": 0.5, "Height": 0.5}))
    assert not p.graph.find("pad")
    assert p.graph.find("overlay")


def _render(resolver: MediaResolver, tmp_path: Path, timeline: dict[str, Any]) -> Any:
    output = {"Width": 160, "Height": 128}
    out = tmp_path / "o.mp4"
    return render_timeline(timeline, output, resolver=resolver, workdir=tmp_path / "job", destination=out)


async def test_a_transition_from_a_small_clip_to_a_full_one_keeps_the_small_clips_surroundings_black(
    resolver: MediaResolver, media_dir: Path, tmp_path: Path
) -> None:
    fade = {"Type": "Transition", "SubType": "fade", "Duration": 0.5}
    small = {"MediaURL": str(media_dir / "red.mp4"), "Width": 0.5, "Height": 0.5, "Effects": [fade]}
    result = await _render(
        resolver, tmp_path, {"VideoTracks": [{"VideoTrackClips": [small, {"MediaURL": str(media_dir / "blue.mp4")}]}]}
    )
    video = frames(result.output)
    assert len(video) == 35
    assert close(video[10][30, 40], RED) and close(video[10][100, 120], BLACK)
    assert close(video[30][30, 40], BLUE) and close(video[30][100, 120], BLUE)


async def test_a_short_opaque_bottom_track_is_followed_by_black(
    resolver: MediaResolver, media_dir: Path, tmp_path: Path
) -> None:
    clip = {"MediaURL": str(media_dir / "red.mp4")}
    bgm = {"MediaURL": str(media_dir / "tone.wav"), "LoopMode": True, "TimelineIn": 0, "TimelineOut": 3}
    result = await _render(
        resolver, tmp_path, {"VideoTracks": [{"VideoTrackClips": [clip]}], "AudioTracks": [{"AudioTrackClips": [bgm]}]}
    )
    video = frames(result.output)
    assert len(video) == 30
    assert close(video[15][64, 80], RED) and close(video[25][64, 80], BLACK)


async def test_a_still_over_a_blurred_background_lasts_its_whole_duration(
    resolver: MediaResolver, media_dir: Path, tmp_path: Path
) -> None:
    still = _blurred_still(media_dir)
    timeline = {"VideoTracks": [{"VideoTrackClips": [still, {"MediaURL": str(media_dir / "blue.mp4")}]}]}
    result = await asyncio.wait_for(_render(resolver, tmp_path, timeline), 120)  # it used to hang
    video = frames(result.output)
    assert len(video) == 35
    assert close(video[5][64, 80], (255, 255, 0)) and close(video[30][64, 80], BLUE)


async def test_a_still_between_transitions_over_a_blurred_background_renders(
    resolver: MediaResolver, media_dir: Path, tmp_path: Path
) -> None:
    still = _blurred_still(media_dir)
    red = {"MediaURL": str(media_dir / "red.mp4"), "Effects": [FADE]}
    timeline = {"VideoTracks": [{"VideoTrackClips": [red, still, {"MediaURL": str(media_dir / "blue.mp4")}]}]}
    result = await asyncio.wait_for(_render(resolver, tmp_path, timeline), 120)  # this used to stall
    video = frames(result.output)
    assert len(video) == 50
    assert close(video[5][64, 80], RED) and close(video[25][64, 80], (255, 255, 0)) and close(video[45][64, 80], BLUE)


FADE = {"Type": "Transition", "SubType": "fade", "Duration": 0.5}


def _blurred_still(media_dir: Path) -> dict[str, object]:
    """A 2 s image, letterboxed over its own blurred copy, fading into the next clip."""
    blur = {"Type": "Background", "SubType": "Blur"}
    return {"MediaURL": str(media_dir / "yellow.png"), "Type": "Image", "Duration": 2, "AdaptMode": "Contain",
            "Width": 160, "Height": 128, "Effects": [blur, FADE]}  # fmt: skip
