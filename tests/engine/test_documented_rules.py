"""Rules of the IMS documentation the local engine follows, each proved on rendered pixels.

Each test cites the page that states its rule; "inferred" marks what the page only implies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from imsd.api.wire import Api
from imsd.backends.local import LocalBackend
from imsd.engine.media import MediaResolver
from imsd.engine.render import RenderResult, render_timeline
from imsd.engine.service import Engine
from imsd.errors import ImsError

from .conftest import OSS
from .sampling import close, frame_at

GREEN, BLACK, YELLOW, RED = (0, 255, 0), (0, 0, 0), (255, 255, 0), (255, 0, 0)


@pytest.fixture
def m(media_dir: Path) -> Any:
    return lambda name: str(media_dir / name)


@pytest.fixture
def render(resolver: MediaResolver, tmp_path: Path) -> Any:
    async def run(timeline: dict[str, Any], **output: Any) -> RenderResult:
        return await render_timeline(
            timeline, output, resolver=resolver, workdir=tmp_path / "job", destination=tmp_path / "out.mp4"
        )

    return run


async def test_a_landscape_clip_in_a_portrait_output_is_centred_whole_between_black_bars(render: Any, m: Any) -> None:
    """document_detail/451632 (视频横转竖——补充上下黑边): with only OutputMediaConfig Width and
    Height set to portrait, "系统会根据素材和成片的宽高设置将素材居中展示" — the clip is centred,
    whole, with black above and below (not stretched)."""
    result = await render({"VideoTracks": [{"VideoTrackClips": [{"MediaURL": m("wide.mp4")}]}]}, Width=180, Height=320)
    frame = frame_at(result.output, 1.0)
    # wide.mp4 is 360x180 (2:1): 180x90 in the middle rows 115..205 of a 180x320 frame.
    assert close(frame[160, 90], GREEN)
    assert close(frame[160, 5], GREEN) and close(frame[160, 174], GREEN)  # full width: not cropped
    assert close(frame[40, 90], BLACK) and close(frame[280, 90], BLACK)  # bars: not stretched
    assert not result.approximated and not result.ignored


async def test_a_clip_given_a_box_still_fills_it_by_default(render: Any, m: Any) -> None:
    """Timeline configuration, VideoTrackClip AdaptMode: the default is Fill (stretch to the box)."""
    clip = {"MediaURL": m("wide.mp4"), "X": 0, "Y": 0, "Width": 180, "Height": 320}
    frame = frame_at((await render({"VideoTracks": [{"VideoTrackClips": [clip]}]}, Width=180, Height=320)).output, 1.0)
    assert close(frame[40, 90], GREEN) and close(frame[280, 90], GREEN)


async def test_media_url_is_accepted_in_its_documented_spelling_media_url(render: Any, m: Any) -> None:
    """The Timeline reference's examples write "MediaUrl"; the API parameter is "MediaURL"."""
    result = await render({"VideoTracks": [{"VideoTrackClips": [{"MediaUrl": m("red.mp4")}]}]}, Width=320, Height=240)
    assert close(frame_at(result.output, 1.0)[120, 160], RED)
    assert not result.ignored


async def test_image_tracks_are_drawn_above_the_video_tracks(render: Any, m: Any) -> None:
    """Timeline configuration: "Image tracks must be placed above video tracks"; without TimelineIn
    and TimelineOut the image shows over the entire video (doc-detail/95485, image overlay)."""
    timeline = {
        "VideoTracks": [{"VideoTrackClips": [{"MediaURL": m("red.mp4")}]}],
        "ImageTracks": [{"ImageTrackClips": [{"MediaURL": m("yellow.png"), "Width": 80, "Height": 60}]}],
    }
    result = await render(timeline, Width=320, Height=240)
    for t in (0.1, 1.9):
        frame = frame_at(result.output, t)
        assert close(frame[30, 40], YELLOW)
        assert close(frame[150, 200], RED)
    assert any(note.startswith("ImageTracks: deprecated") for note in result.approximated)
    assert not result.ignored


async def test_every_image_of_one_image_track_shows_over_the_whole_video(render: Any, m: Any) -> None:
    """doc-detail/95485 (全程叠加图片 — 单视频叠加): two ImageTrackClips without TimelineIn/Out in one
    ImageTrack, at two positions; "全程叠加图片指从片头到片尾叠加图片" — both stay from start to end."""
    images = [
        {"MediaURL": m("yellow.png"), "X": 0, "Y": 0, "Width": 80, "Height": 60},
        {"MediaURL": m("yellow.png"), "X": 240, "Y": 180, "Width": 80, "Height": 60},
    ]
    timeline = {
        "VideoTracks": [{"VideoTrackClips": [{"MediaURL": m("red.mp4")}]}],
        "ImageTracks": [{"ImageTrackClips": images}],
    }
    result = await render(timeline, Width=320, Height=240)
    for t in (0.1, 1.9):
        frame = frame_at(result.output, t)
        assert close(frame[30, 40], YELLOW) and close(frame[210, 280], YELLOW)
        assert close(frame[120, 160], RED)


async def test_an_image_track_clip_with_timeline_in_and_out_shows_only_then(render: Any, m: Any) -> None:
    shown = {"MediaUrl": m("yellow.png"), "Width": 80, "Height": 60, "TimelineIn": 1, "TimelineOut": 2}
    timeline = {
        "VideoTracks": [{"VideoTrackClips": [{"MediaURL": m("red.mp4")}]}],
        "ImageTracks": [{"ImageTrackClips": [shown]}],
    }
    result = await render(timeline, Width=320, Height=240)
    assert close(frame_at(result.output, 0.5)[30, 40], RED)
    assert close(frame_at(result.output, 1.5)[30, 40], YELLOW)


async def test_an_image_track_error_names_the_image_track_field(render: Any, m: Any) -> None:
    timeline = {
        "VideoTracks": [{"VideoTrackClips": [{"MediaURL": m("red.mp4")}]}],
        "ImageTracks": [{"ImageTrackClips": [{"Width": 80}]}],
    }
    with pytest.raises(ImsError) as err:
        await render(timeline, Width=320, Height=240)
    assert err.value.code == "InvalidParameter"
    assert "Timeline.ImageTracks[0].ImageTrackClips[0]" in err.value.message


async def test_cover_config_makes_the_cover_of_the_output(engine: Engine, backend: LocalBackend, m: Any) -> None:
    """EditingProduceConfig.CoverConfig (docs/ims-api.md §1.3: the snapshot time of the output's
    cover): the cover is made beside the output and named in the job, nothing is ignored (its
    pixels: tests/test_daemon_local.py)."""
    params = {
        "Timeline": {"VideoTracks": [{"VideoTrackClips": [{"MediaURL": m("red.mp4")}]}]},
        "OutputMediaConfig": {"MediaURL": f"{OSS}/out/covered.mp4", "Width": 320, "Height": 240},
        "EditingProduceConfig": {"CoverConfig": {"StartTime": 1}},
    }
    job_id = (await backend.submit(Api.SUBMIT_MEDIA_PRODUCING_JOB, params, "cover")).job_id
    await engine.render_media_job(job_id)
    job = await engine.store.get(job_id) or {}
    assert job["Status"] == "Success" and not job.get("Ignored")
    assert job["CoverURL"] == f"{OSS}/out/covered.mp4.cover.jpg"


def _white_pixels(frame: Any, rows: slice, cols: slice) -> int:
    return int((frame[rows, cols].min(axis=-1) > 200).sum())


async def test_a_text_effect_of_a_clip_is_drawn_while_that_clip_plays(render: Any, m: Any) -> None:
    """use-cases/subtitles-and-subtitle-templates: "字幕...也可以在视频Effects下设定字幕...在Effects下的字幕,
    则会预设按照当前Effects归属的视频素材的时间来产生" — text in a clip's Effects lasts as long as the clip."""
    text = {"Type": "Text", "Content": "HELLO", "FontSize": 40, "X": 10, "Y": 10}
    clips = [{"MediaURL": m("red.mp4"), "Effects": [text]}, {"MediaURL": m("blue.mp4")}]
    result = await render({"VideoTracks": [{"VideoTrackClips": clips}]}, Width=320, Height=240)
    top_left = (slice(0, 80), slice(0, 200))
    assert _white_pixels(frame_at(result.output, 1.0), *top_left) > 50
    assert _white_pixels(frame_at(result.output, 3.0), *top_left) == 0
    assert not result.ignored


async def test_a_text_effect_s_timeline_in_and_out_count_from_its_clip_s_start(render: Any, m: Any) -> None:
    """Inferred: the pages give a Text effect's TimelineIn/TimelineOut only on clips starting at 0."""
    text = {"Type": "Text", "Content": "HELLO", "FontSize": 40, "TimelineIn": 1, "TimelineOut": 1.5}
    clips = [{"MediaURL": m("red.mp4")}, {"MediaURL": m("blue.mp4"), "Effects": [text]}]
    result = await render({"VideoTracks": [{"VideoTrackClips": clips}]}, Width=320, Height=240)
    top_left = (slice(0, 80), slice(0, 200))
    assert _white_pixels(frame_at(result.output, 2.5), *top_left) == 0
    assert _white_pixels(frame_at(result.output, 3.2), *top_left) > 50
    assert _white_pixels(frame_at(result.output, 3.8), *top_left) == 0
