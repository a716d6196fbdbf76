"""Rendering whole timelines and checking what comes out, by probing and by sampling."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from imsd.engine.media import ChildStopped, MediaResolver, ffmpeg_output, run_ffmpeg
from imsd.engine.render import render_timeline
from imsd.errors import ImsError

from .conftest import FPS, audio, video
from .sampling import close, frame_at, frames, rms, samples, stream

FRAME = 1 / FPS
RED, GREEN, BLUE, BLACK = (255, 0, 0), (0, 255, 0), (0, 0, 255), (0, 0, 0)


async def test_one_video_clip_renders_an_mp4_of_its_length(render: Any, m: Any) -> None:
    result = await render({"VideoTracks": [video({"MediaURL": m("red.mp4")})]})
    assert (result.width, result.height) == (160, 128)
    assert abs(result.duration - 2.0) <= FRAME
    assert len(frames(result.output)) == 2 * FPS
    assert close(frame_at(result.output, 1.0)[64, 80], RED)
    assert stream(result.output, "audio")["codec_name"] == "aac"


async def test_the_graph_leaves_the_cores_to_the_encoder(render: Any, m: Any) -> None:
    command = (await render({"VideoTracks": [video({"MediaURL": m("red.mp4")})]})).command
    assert command[command.index("-filter_complex_threads") + 1] == "1"


async def test_clips_without_timeline_in_play_back_to_back(render: Any, m: Any) -> None:
    result = await render({"VideoTracks": [video({"MediaURL": m("red.mp4")}, {"MediaURL": m("blue.mp4")})]})
    assert abs(result.duration - 4.0) <= FRAME
    assert close(frame_at(result.output, 1.9)[64, 80], RED)
    assert close(frame_at(result.output, 2.1)[64, 80], BLUE)


async def test_explicit_timeline_in_out_places_the_clip_and_leaves_black_before(render: Any, m: Any) -> None:
    clip = {"MediaURL": m("red.mp4"), "TimelineIn": 1, "TimelineOut": 2.5}
    result = await render({"VideoTracks": [video(clip)]})
    assert abs(result.duration - 2.5) <= FRAME
    assert close(frame_at(result.output, 0.5)[64, 80], BLACK)
    assert close(frame_at(result.output, 1.5)[64, 80], RED)


async def test_in_out_trim_sets_the_clip_length(render: Any, m: Any) -> None:
    result = await render({"VideoTracks": [video({"MediaURL": m("testsrc.mp4"), "In": 1, "Out": 2.2})]})
    assert abs(result.duration - 1.2) <= FRAME


async def test_a_transition_overlaps_the_clips_and_shortens_the_timeline(render: Any, m: Any) -> None:
    fade = {"Type": "Transition", "SubType": "fade", "Duration": 0.6}
    result = await render(
        {"VideoTracks": [video({"MediaURL": m("red.mp4"), "Effects": [fade]}, {"MediaURL": m("blue.mp4")})]}
    )
    assert abs(result.duration - 3.4) <= FRAME
    middle = frame_at(result.output, 1.7)[64, 80].astype(int)
    assert middle[0] > 60 and middle[2] > 60  # red and blue mixed
    assert close(frame_at(result.output, 3.0)[64, 80], BLUE)


async def test_the_main_track_sets_the_output_length(render: Any, m: Any) -> None:
    bgm = {"MediaURL": m("tone.wav"), "LoopMode": True, "TimelineIn": 0, "TimelineOut": 3}
    result = await render(
        {"VideoTracks": [video({"MediaURL": m("red.mp4")}, MainTrack=True)], "AudioTracks": [audio(bgm)]}
    )
    assert abs(result.duration - 2.0) <= FRAME


async def test_without_a_main_track_audio_past_the_video_is_cut_at_its_end(render: Any, m: Any) -> None:
    """document_detail/447492: "如果音频的尾部超过了视频轨的总时长,则将对音频进行截断" — the video
    tracks, not the longest track, set the length (more in tests/engine/test_timing.py)."""
    bgm = {"MediaURL": m("tone.wav"), "LoopMode": True, "TimelineIn": 0, "TimelineOut": 3}
    result = await render({"VideoTracks": [video({"MediaURL": m("red.mp4")})], "AudioTracks": [audio(bgm)]})
    assert abs(result.duration - 2.0) <= FRAME
    assert close(frame_at(result.output, 1.9)[64, 80], RED)


async def test_max_duration_caps_the_output(render: Any, m: Any) -> None:
    result = await render(
        {"VideoTracks": [video({"MediaURL": m("red.mp4")}, {"MediaURL": m("blue.mp4")})]},
        MaxDuration=1.5,
    )
    assert abs(result.duration - 1.5) <= FRAME


async def test_an_image_is_held_for_its_duration(render: Any, m: Any) -> None:
    clip = {"MediaURL": m("yellow.png"), "Type": "Image", "Duration": 1.5}
    result = await render({"VideoTracks": [video(clip)]})
    assert abs(result.duration - 1.5) <= FRAME
    assert close(frame_at(result.output, 1.0)[64, 80], (255, 255, 0))


async def test_speed_two_halves_the_clip_length(render: Any, m: Any) -> None:
    result = await render({"VideoTracks": [video({"MediaURL": m("testsrc.mp4"), "Speed": 2})]})
    assert abs(result.duration - 1.5) <= FRAME


async def test_fractional_x_y_width_height_place_the_clip(render: Any, m: Any) -> None:
    clip = {"MediaURL": m("red.mp4"), "X": 0.5, "Y": 0.5, "Width": 0.25, "Height": 0.25}
    frame = frame_at((await render({"VideoTracks": [video(clip)]})).output, 1.0)
    assert close(frame[80, 100], RED)  # inside 80..120 x 64..96
    assert close(frame[20, 20], BLACK)
    assert close(frame[110, 150], BLACK)


async def test_pixel_x_y_width_height_place_the_clip(render: Any, m: Any) -> None:
    clip = {"MediaURL": m("red.mp4"), "X": 10, "Y": 20, "Width": 40, "Height": 30}
    frame = frame_at((await render({"VideoTracks": [video(clip)]})).output, 1.0)
    assert close(frame[35, 30], RED)
    assert close(frame[35, 60], BLACK)


async def test_contain_pads_with_the_background_colour(render: Any, m: Any) -> None:
    clip = {
        "MediaURL": m("wide.mp4"),
        "AdaptMode": "Contain",
        "Effects": [{"Type": "Background", "SubType": "Color", "Color": "#0000FF"}],
    }
    frame = frame_at((await render({"VideoTracks": [video(clip)]})).output, 1.0)
    assert close(frame[5, 80], BLUE)  # 360x180 in 160x128 -> 160x80 band in the middle
    assert close(frame[64, 80], GREEN)


async def test_contain_without_background_shows_black(render: Any, m: Any) -> None:
    clip = {"MediaURL": m("wide.mp4"), "AdaptMode": "Contain"}
    frame = frame_at((await render({"VideoTracks": [video(clip)]})).output, 1.0)
    assert close(frame[5, 80], BLACK)
    assert close(frame[64, 80], GREEN)


async def test_cover_fills_the_box(render: Any, m: Any) -> None:
    clip = {"MediaURL": m("wide.mp4"), "AdaptMode": "Cover"}
    frame = frame_at((await render({"VideoTracks": [video(clip)]})).output, 1.0)
    assert close(frame[3, 80], GREEN) and close(frame[124, 80], GREEN)


@pytest.fixture(scope="session")
def full_range_grey(media_dir: Path) -> Path:
    """RGB 200 grey as full-range yuv420p (as HEVC and VP9 decoders give it; H.264's yuvj420p is
    another format, converted by `format`): read as limited range it would show as 214."""
    path = media_dir / "grey200-full-range.mkv"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"color=0xC8C8C8:s=160x128:r={FPS}:d=1",
         "-vf", "scale=out_range=pc,format=yuv420p", "-color_range", "pc", "-c:v", "ffv1", str(path)],
        check=True,
    )  # fmt: skip
    return path


async def test_a_full_range_clip_keeps_its_levels_beside_a_limited_range_one(
    render: Any, m: Any, full_range_grey: Path
) -> None:
    clips = [{"MediaURL": m("red.mp4"), "Out": 1}, {"MediaURL": str(full_range_grey)}]
    result = await render({"VideoTracks": [video(*clips)]})
    assert close(frame_at(result.output, 1.5)[64, 80], (200, 200, 200), tol=5)


async def test_opacity_blends_with_the_layer_below(render: Any, m: Any) -> None:
    clip = {"MediaURL": m("red.mp4"), "Opacity": 0.5}
    frame = frame_at((await render({"VideoTracks": [video(clip)]})).output, 1.0)
    assert 90 < int(frame[64, 80][0]) < 170


async def test_later_tracks_are_drawn_on_top(render: Any, m: Any) -> None:
    top = {"MediaURL": m("blue.mp4"), "X": 0, "Y": 0, "Width": 0.5, "Height": 0.5}
    frame = frame_at((await render({"VideoTracks": [video({"MediaURL": m("red.mp4")}), video(top)]})).output, 1.0)
    assert close(frame[20, 20], BLUE)
    assert close(frame[100, 140], RED)


async def test_flip_mirrors_the_clip(render: Any, m: Any) -> None:
    plain = frame_at((await render({"VideoTracks": [video({"MediaURL": m("testsrc.mp4")})]})).output, 1)
    flipped = frame_at(
        (
            await render(
                {
                    "VideoTracks": [
                        video({"MediaURL": m("testsrc.mp4"), "Effects": [{"Type": "Flip", "Direction": "horizontal"}]})
                    ]
                }
            )
        ).output,
        1,
    )
    assert np.abs(plain[:, ::-1].astype(int) - flipped.astype(int)).mean() < 12


async def test_gain_zero_silences_the_clip(render: Any, m: Any) -> None:
    clip = {"MediaURL": m("red.mp4"), "Effects": [{"Type": "Volume", "Gain": 0}]}
    result = await render({"VideoTracks": [video(clip)]})
    assert rms(samples(result.output)) < 1e-3


async def test_a_video_clip_keeps_its_own_audio(render: Any, m: Any) -> None:
    result = await render({"VideoTracks": [video({"MediaURL": m("red.mp4")})]})
    assert rms(samples(result.output)) > 0.03  # lavfi sine: amplitude 1/8


async def test_loop_mode_fills_the_span_with_the_audio(render: Any, m: Any) -> None:
    bgm = {"MediaURL": m("tone.wav"), "LoopMode": True, "TimelineIn": 0.5, "TimelineOut": 3}
    clip = {"MediaURL": m("red.mp4"), "TimelineIn": 0, "TimelineOut": 3, "Effects": [{"Type": "Volume", "Gain": 0}]}
    result = await render({"VideoTracks": [video(clip)], "AudioTracks": [audio(bgm)]})
    pcm = samples(result.output)
    windows = [pcm[int(t * 48000) : int((t + 0.25) * 48000)] for t in (0.1, 0.8, 1.6, 2.4, 2.7)]
    assert rms(windows[0]) < 1e-3  # before TimelineIn
    assert all(rms(w) > 0.03 for w in windows[1:])


async def test_an_audio_only_timeline_renders_an_mp3(render: Any, m: Any) -> None:
    bgm = {"MediaURL": m("tone.wav"), "LoopMode": True, "TimelineIn": 0, "TimelineOut": 2}
    result = await render({"AudioTracks": [audio(bgm)]}, out="mp3")
    assert stream(result.output, "audio")["codec_name"] == "mp3"
    assert abs(result.duration - 2.0) < 0.1


async def test_unknown_clip_types_and_effects_are_listed_not_dropped(render: Any, m: Any) -> None:
    result = await render(
        {
            "VideoTracks": [
                video(
                    {"MediaURL": m("red.mp4"), "Effects": [{"Type": "VFX", "SubType": "sparkle_storm"}]},
                    {"Type": "AI_Avatar", "AvatarId": "x"},
                )
            ]
        }
    )
    assert abs(result.duration - 2.0) <= FRAME
    assert any("AI_Avatar" in item for item in result.ignored)
    assert any("VFX" in item for item in result.ignored)


async def test_progress_is_reported_up_to_100(resolver: MediaResolver, m: Any, tmp_path: Path) -> None:
    seen: list[int] = []
    await render_timeline(
        {"VideoTracks": [video({"MediaURL": m("red.mp4")})]},
        {"Width": 160, "Height": 128},
        resolver=resolver,
        workdir=tmp_path / "job",
        destination=tmp_path / "o.mp4",
        progress=seen.append,
    )
    assert seen == sorted(seen) and seen[-1] == 100


async def test_an_output_media_url_is_written_under_the_storage_root(
    resolver: MediaResolver, m: Any, tmp_path: Path
) -> None:
    url = "https://out-bucket.oss-cn-shanghai.aliyuncs.com/renders/a.mp4"
    result = await render_timeline(
        {"VideoTracks": [video({"MediaURL": m("red.mp4")})]},
        {"MediaURL": url, "Width": 160, "Height": 128},
        resolver=resolver,
        workdir=tmp_path / "job",
    )
    assert result.output == (resolver.settings.storage_root / "out-bucket/renders/a.mp4").resolve()
    assert result.output.is_file()


async def test_the_default_output_size_is_the_largest_input(resolver: MediaResolver, m: Any, tmp_path: Path) -> None:
    result = await render_timeline(
        {"VideoTracks": [video({"MediaURL": m("red.mp4")}, {"MediaURL": m("wide.mp4")})]},
        {},
        resolver=resolver,
        workdir=tmp_path / "job",
        destination=tmp_path / "o.mp4",
    )
    assert (result.width, result.height) == (360, 240)


async def test_ffmpeg_failure_is_produce_failed_with_its_stderr() -> None:
    with pytest.raises(ImsError) as err:
        await run_ffmpeg(["ffmpeg", "-hide_banner", "-f", "lavfi", "-i", "nosuchsource", "-f", "null", "-"], 1.0)
    assert err.value.code == "ProduceFailed"
    assert "nosuchsource" in err.value.message


def _pid_running(marker: str, timeout_s: float = 30.0) -> int:
    """The pid of the process whose command line holds `marker`, once it runs."""
    deadline = time.monotonic() + timeout_s
    while not (pids := subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True).stdout.split()):
        assert time.monotonic() < deadline, f"no process of {marker} within {timeout_s} s"
        time.sleep(0.05)
    return int(pids[0])


@pytest.mark.parametrize("run", ["run_ffmpeg", "ffmpeg_output"])
async def test_an_ffmpeg_that_catches_a_stop_signal_was_stopped_not_failed(tmp_path: Path, run: str) -> None:
    """ffmpeg catches SIGTERM, ends its output and exits 255: every way the engine runs it says
    the child was stopped (the job is then handed back), as for a signal that killed it."""
    marker = str(tmp_path / "stopped.nut")
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-progress", "pipe:1", "-re", "-f", "lavfi",
           "-i", "testsrc=size=16x16", "-t", "30", "-y", marker]  # fmt: skip
    running = asyncio.create_task(run_ffmpeg(cmd, 60.0) if run == "run_ffmpeg" else ffmpeg_output(cmd, "a test"))
    pid = await asyncio.to_thread(_pid_running, marker)
    await asyncio.sleep(0.5)  # past ffmpeg's start, where it installs its handler
    os.kill(pid, signal.SIGTERM)
    with pytest.raises(ChildStopped):
        await running


@pytest.mark.parametrize(
    ("timeline", "output", "field"),
    [
        ({"VideoTracks": [video({"MediaURL": "x.mp4", "In": 2, "Out": 1})]}, {}, "Out"),
        ({"VideoTracks": [video({"MediaURL": "x.mp4", "TimelineIn": -1})]}, {}, "TimelineIn"),
        ({"VideoTracks": [video({"MediaURL": "x.mp4"})]}, {"Width": 5000, "Height": 5000}, "Width"),
        ({"VideoTracks": [], "AudioTracks": []}, {}, "Both video tracks and audio tracks are empty"),
    ],
    ids=["in-after-out", "negative-time", "5000x5000-output", "both-tracks-empty"],
)
async def test_bad_timelines_are_refused_naming_the_field(
    resolver: MediaResolver, tmp_path: Path, timeline: Any, output: Any, field: str
) -> None:
    with pytest.raises(ImsError) as err:
        await render_timeline(timeline, output, resolver=resolver, workdir=tmp_path)
    assert err.value.code == "InvalidParameter"
    assert field in err.value.message


async def test_a_render_that_stops_progressing_is_stopped_and_fails(tmp_path: Path) -> None:
    fifo = tmp_path / "never-written"
    os.mkfifo(fifo)  # ffmpeg waits on it forever: no frame ever comes out
    cmd = ["ffmpeg", "-nostdin", "-loglevel", "error", "-progress", "pipe:1", "-i", str(fifo), "-f", "null", "-"]
    with pytest.raises(ImsError) as caught:
        await run_ffmpeg(cmd, 1.0, stall_s=1.0)
    assert caught.value.code == "ProduceFailed" and "no progress" in caught.value.message
