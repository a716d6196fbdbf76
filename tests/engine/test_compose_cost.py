"""The graph shapes that keep a render near the cost of encoding: checked as data, then rendered.

Each shape is a choice the composer (engine/render/) makes for speed (see bench/render.py); the render tests show
that the faster shape still draws the same picture where the cheap path meets the general one.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
from imsd.engine.media import MediaResolver
from imsd.engine.render import render_timeline

from .sampling import close, frames, samples
from .test_compose import IMAGE, VIDEO, clips, plan

RED, BLUE, BLACK = (255, 0, 0), (0, 0, 255), (0, 0, 0)
LONG = VIDEO.model_copy(update={"duration": 10.0})
RGBA = IMAGE.model_copy(update={"streams": [{"codec_type": "video", "pix_fmt": "rgba"}]})
BLUR = {"Type": "Background", "SubType": "Blur"}


def test_a_still_is_decoded_once_and_repeated() -> None:
    p = plan(clips({"Type": "Image", "Duration": 2}), info=IMAGE)
    assert p.graph.find("trim")[0].arg("end_frame") == 1
    (loop,) = p.graph.find("loop")
    assert loop.arg("loop") == 19 and loop.arg("size") == 1


def test_a_still_is_composed_once_and_the_finished_layer_repeated() -> None:
    p = plan(clips({"Type": "Image", "Duration": 2, "AdaptMode": "Contain", "Effects": [BLUR]}), info=IMAGE)
    (repeat,) = [c for c in p.graph.chains if c.filters[0].name == "loop"]
    (stack,) = [c for c in p.graph.chains if c.filters[0].name == "vstack"]
    assert repeat.inputs == stack.outputs


def test_shots_of_one_file_in_source_order_share_one_input() -> None:
    p = plan(clips({"In": 1, "Out": 3}, {"In": 3, "Out": 4}, {"In": 5, "Out": 6}), info=LONG)
    assert [i.options for i in p.inputs] == [("-ss", "1", "-t", "5")]
    assert p.graph.find("split")[0].args == ((None, 3),)
    cuts = [(x.arg("start"), x.arg("end")) for x in p.graph.find("trim") if x.arg("end") is not None]
    assert cuts == [(None, 2), (2, 3), (4, 5)]


def test_each_shot_cuts_its_own_audio_from_a_shared_input() -> None:
    p = plan(clips({"In": 0, "Out": 1}, {"In": 1, "Out": 2}), info=LONG)
    assert p.graph.find("asplit")[0].args == ((None, 2),)
    assert [(x.arg("start"), x.arg("end")) for x in p.graph.find("atrim") if x.arg("end")] == [(None, 1), (1, 2)]


def test_a_shot_from_earlier_in_the_file_seeks_with_an_input_of_its_own() -> None:
    p = plan(clips({"In": 2, "Out": 3}, {"In": 0, "Out": 1}), info=LONG)
    assert [i.options for i in p.inputs] == [("-ss", "2", "-t", "1"), ("-t", "1")]
    assert not p.graph.find("split")


def test_a_shot_far_past_the_read_seeks_with_an_input_of_its_own() -> None:
    p = plan(clips({"In": 0, "Out": 1}, {"In": 3.5, "Out": 4}), info=LONG)
    assert [i.options for i in p.inputs] == [("-t", "1"), ("-ss", "3.5", "-t", "0.5")]


def test_a_letterboxed_clip_over_its_blur_is_stacked_between_two_bands() -> None:
    p = plan(clips({"AdaptMode": "Contain", "Effects": [BLUR]}), Width=160, Height=200)
    assert not p.graph.find("overlay")
    (stack,) = p.graph.find("vstack")
    assert stack.arg("inputs") == 3
    assert [x.args for x in p.graph.find("crop") if x.args[0] == (None, 160)] == [
        ((None, 160), (None, 40), (None, 0), (None, 0)),  # above the 160x120 clip
        ((None, 160), (None, 40), (None, 0), (None, 160)),  # below it
    ]


def test_a_pillarboxed_clip_over_its_blur_is_stacked_between_two_columns() -> None:
    p = plan(clips({"AdaptMode": "Contain", "Effects": [BLUR]}), Width=400, Height=240)
    assert p.graph.find("hstack")[0].arg("inputs") == 3
    assert (None, 320) in [x.args[0] for x in p.graph.find("scale")]


def test_a_letterbox_is_placed_where_overlay_would_centre_it() -> None:
    p = plan(clips({"AdaptMode": "Contain", "Effects": [BLUR]}), Width=192, Height=150)  # 192x144 in 192x150
    assert [x.args[1] for x in p.graph.find("crop") if x.args[0] == (None, 192)] == [(None, 2), (None, 4)]


def test_a_clip_covering_the_canvas_is_not_blurred_behind() -> None:
    p = plan(clips({"AdaptMode": "Cover", "Effects": [BLUR]}))
    assert not p.graph.find("gblur") and not p.graph.find("overlay")


def test_a_see_through_still_is_overlaid_on_its_blur() -> None:
    p = plan(clips({"Type": "Image", "Duration": 1, "AdaptMode": "Contain", "Effects": [BLUR]}), info=RGBA)
    assert p.graph.find("overlay") and not p.graph.find("vstack")
    assert p.graph.find("format")[0].args == ((None, "yuva420p"),)


def test_a_see_through_still_that_covers_the_canvas_drops_its_alpha_when_decoded() -> None:
    p = plan(clips({"Type": "Image", "Duration": 1, "AdaptMode": "Cover"}), info=RGBA)
    assert {x.args for x in p.graph.find("format")} == {((None, "yuv420p"),)}


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


def test_a_transition_alike_on_every_plane_runs_on_each_420_plane() -> None:
    p = plan(clips({"Effects": [{**FADE, "SubType": "wipeleft"}]}, {}), Width=192, Height=144)  # opaque: 4:3
    assert len(p.graph.find("xfade")) == 3
    assert [x.args for x in p.graph.find("mergeplanes")] == [((None, "0x001020"), (None, "yuv420p"))]


def test_a_transition_between_see_through_layers_also_blends_their_alpha_planes() -> None:
    p = plan(clips({"Width": 0.5, "Effects": [FADE]}, {"Width": 0.5}))
    assert len(p.graph.find("xfade")) == 4
    assert p.graph.find("mergeplanes")[0].args == ((None, "0x00102030"), (None, "yuva420p"))


def test_a_transition_that_mixes_planes_runs_once_on_the_whole_picture() -> None:
    p = plan(clips({"Effects": [{**FADE, "SubType": "fadeblack"}]}, {}))
    assert len(p.graph.find("xfade")) == 1 and not p.graph.find("extractplanes")


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
    audio = {"MainTrack": True, "AudioTrackClips": [bgm]}  # the output lasts as long as the audio
    result = await _render(resolver, tmp_path, {"VideoTracks": [{"VideoTrackClips": [clip]}], "AudioTracks": [audio]})
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


async def test_shots_sharing_an_input_render_the_frames_and_sound_of_the_clip_they_split(
    resolver: MediaResolver, media_dir: Path, tmp_path: Path
) -> None:
    source = str(media_dir / "testsrc.mp4")
    whole = {"VideoTracks": [{"VideoTrackClips": [{"MediaURL": source, "In": 0.5, "Out": 2.5}]}]}
    shots = [{"MediaURL": source, "In": a, "Out": b} for a, b in ((0.5, 1.2), (1.2, 1.9), (1.9, 2.5))]
    one = await _render(resolver, tmp_path / "one", whole)
    split = await _render(resolver, tmp_path / "split", {"VideoTracks": [{"VideoTrackClips": shots}]})
    assert np.array_equal(frames(split.output), frames(one.output))
    assert np.allclose(samples(split.output), samples(one.output), atol=1e-3)


async def test_a_letterbox_over_its_blur_shows_the_clip_as_padding_would_and_blur_around_it(
    resolver: MediaResolver, media_dir: Path, tmp_path: Path
) -> None:
    clip = {"MediaURL": str(media_dir / "testsrc.mp4"), "Out": 1, "AdaptMode": "Contain"}  # 160x120 in 160x128
    padded = await _render(resolver, tmp_path / "padded", {"VideoTracks": [{"VideoTrackClips": [clip]}]})
    blurred = {**clip, "Effects": [BLUR]}
    stacked = await _render(resolver, tmp_path / "stacked", {"VideoTracks": [{"VideoTrackClips": [blurred]}]})
    a, b = frames(padded.output)[5].astype(int), frames(stacked.output)[5].astype(int)
    assert np.abs(a[8:120] - b[8:120]).mean() < 2  # the clip, rows 4-123, away from codec bleed at its edges
    assert close(a[1, 80], BLACK) and not close(b[1, 80], BLACK, tol=10)  # the band above it
