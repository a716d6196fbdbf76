"""The timing rules of the IMS documentation, each proved on rendered frames and samples.

Each test cites the page and sentence that states its rule; "Inferred" marks what a page only
implies. Media (tests/engine/conftest.py): red.mp4 and blue.mp4 are 2 s with a 440 / 880 Hz
tone, testsrc.mp4 is 3 s of moving test pattern with a 660 Hz tone, tone.wav is 1 s at 1000 Hz,
yellow.png is a still; every render here is 10 fps.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from imsd.engine.render import RenderResult
from imsd.errors import ImsError

from .conftest import FPS, audio, video
from .sampling import close, frame_at, frames, rms, samples

FRAME = 1 / FPS
RED, BLUE, YELLOW, BLACK = (255, 0, 0), (0, 0, 255), (255, 255, 0), (0, 0, 0)
MUTE = [{"Type": "Volume", "Gain": 0}]

# Timeline configuration: the VideoTrackClip / AudioTrackClip tables of
# https://help.aliyun.com/zh/ims/developer-reference/timeline-configuration-description, whose
# field texts the IMS WebSDK typings carry word for word (quoted from there).


def loudness(result: RenderResult, start: float, end: float) -> float:
    pcm = samples(result.output)
    return rms(pcm[int(start * 48000) : int(end * 48000)])


def same_frames(a: RenderResult, b: RenderResult) -> bool:
    fa, fb = frames(a.output), frames(b.output)
    return fa.shape == fb.shape and float(np.mean(np.abs(fa.astype(int) - fb.astype(int)))) < 2


# ---- 1. audio past the video ----------------------------------------------------------------


async def test_audio_past_the_end_of_the_video_track_is_cut_at_its_end(render: Any, m: Any) -> None:
    """https://help.aliyun.com/document_detail/447492.html (AudioTrackClip TimelineOut):
    "如果音频的尾部超过了视频轨的总时长,则将对音频进行截断"; the official skills reference
    (aliyun/alibabacloud-aiops-skills, references/01-timeline-basics.md) says the same: "if
    `TimelineOut` is omitted, the audio is mixed for its whole duration but truncated when it
    exceeds the total duration of the video tracks"."""
    voice = {"MediaURL": m("testsrc.mp4")}  # 3 s of sound under 2 s of picture
    result = await render(
        {"VideoTracks": [video({"MediaURL": m("red.mp4"), "Effects": MUTE})], "AudioTracks": [audio(voice)]}
    )
    assert abs(result.duration - 2.0) <= FRAME
    assert len(frames(result.output)) == 2 * FPS
    assert loudness(result, 1.5, 1.9) > 0.03  # the voice plays up to the cut
    assert len(samples(result.output)) <= 2.05 * 48000


async def test_audio_clip_with_timeline_out_past_the_video_is_cut_too(render: Any, m: Any) -> None:
    """Same page; a TimelineOut past the video does not lengthen the output (Inferred: the
    sentence names the audio's end, wherever it comes from)."""
    bgm = {"MediaURL": m("tone.wav"), "LoopMode": True, "TimelineIn": 0, "TimelineOut": 3}
    result = await render({"VideoTracks": [video({"MediaURL": m("red.mp4")})], "AudioTracks": [audio(bgm)]})
    assert abs(result.duration - 2.0) <= FRAME


async def test_without_video_the_longest_audio_track_sets_the_length(render: Any, m: Any) -> None:
    """The cut is at the video's end, so it needs video (Inferred): an audio-only timeline lasts
    as long as its longest audio track."""
    result = await render(
        {"AudioTracks": [audio({"MediaURL": m("tone.wav")}), audio({"MediaURL": m("testsrc.mp4")})]}, out="mp3"
    )
    assert abs(result.duration - 3.0) < 0.1


async def test_a_main_audio_track_still_sets_the_length_past_the_video(render: Any, m: Any) -> None:
    """https://help.aliyun.com/zh/ims/use-cases/control-the-clip-duration:
    "最终成片时长与指定的主轨道时长相同" — unchanged by the cut above."""
    result = await render(
        {
            "VideoTracks": [video({"MediaURL": m("red.mp4"), "Effects": MUTE})],
            "AudioTracks": [audio({"MediaURL": m("testsrc.mp4")}, MainTrack=True)],
        }
    )
    assert abs(result.duration - 3.0) <= FRAME
    assert loudness(result, 2.5, 2.9) > 0.03


# ---- 2. TrackShortenMode / TrackExpandMode = AutoSpeed ---------------------------------------


async def test_track_shorten_mode_auto_speed_speeds_a_longer_track_up_to_end_with_the_main_track(
    render: Any, m: Any
) -> None:
    """https://help.aliyun.com/zh/ims/developer-reference/timeline-configuration-description
    VideoTrack TrackShortenMode: "若当前视频轨道时长比主轨道时长长时,
    自适应缩短当前轨道,从而实现和主轨道对齐效果,支持设置:AutoSpeed:对视频自动做加速处理。"
    Inferred: the whole track is sped by one ratio, each clip keeping its share of it."""
    top = video(
        {"MediaURL": m("blue.mp4"), "Out": 1.5},
        {"MediaURL": m("yellow.png"), "Type": "Image", "Duration": 1.5},
        TrackShortenMode="AutoSpeed",
    )  # 3 s, on a 2 s main track: 1.5x, so blue 0..1, yellow 1..2
    result = await render({"VideoTracks": [video({"MediaURL": m("red.mp4")}, MainTrack=True), top]})
    assert abs(result.duration - 2.0) <= FRAME
    assert close(frame_at(result.output, 0.8)[64, 80], BLUE)
    assert close(frame_at(result.output, 1.2)[64, 80], YELLOW)
    assert not any("TrackShortenMode" in note for note in result.ignored)


async def test_track_shorten_mode_auto_speed_plays_the_clip_faster_by_its_speed(render: Any, m: Any) -> None:
    """Same rule: the clip is sped up, not cut — its frames are those of the same clip with
    Speed 1.5 (the one Speed mechanism), and its sound is tempo-shifted to the same end."""
    main = video({"MediaURL": m("red.mp4"), "Effects": MUTE}, MainTrack=True)
    auto = await render({"VideoTracks": [main, video({"MediaURL": m("testsrc.mp4")}, TrackShortenMode="AutoSpeed")]})
    fast = await render({"VideoTracks": [video({"MediaURL": m("testsrc.mp4"), "Speed": 1.5})]}, MaxDuration=2)
    assert abs(auto.duration - 2.0) <= FRAME
    assert same_frames(auto, fast)
    assert loudness(auto, 1.6, 1.95) > 0.03


async def test_track_shorten_mode_auto_speed_keeps_a_transition_in_proportion(render: Any, m: Any) -> None:
    """Inferred (as above): a transition keeps its share of the clips it joins when their track
    is sped up — 2 + 2 - 0.5 s = 3.5 s of track onto a 3 s main track."""
    fade = [{"Type": "Transition", "SubType": "fade", "Duration": 0.5}]
    top = video({"MediaURL": m("blue.mp4"), "Effects": fade}, {"MediaURL": m("red.mp4")}, TrackShortenMode="AutoSpeed")
    main = video({"MediaURL": m("testsrc.mp4"), "Effects": MUTE}, MainTrack=True)
    result = await render({"VideoTracks": [main, top]})
    assert abs(result.duration - 3.0) <= FRAME
    assert close(frame_at(result.output, 0.5)[64, 80], BLUE)
    assert close(frame_at(result.output, 2.9)[64, 80], RED)
    assert not result.ignored


async def test_track_expand_mode_auto_speed_slows_a_shorter_track_down_to_end_with_the_main_track(
    render: Any, m: Any
) -> None:
    """https://help.aliyun.com/zh/ims/developer-reference/timeline-configuration-description
    VideoTrack TrackExpandMode: "若当前视频轨道时长比主轨道时长短时,
    自适应扩展当前轨道,从而实现和主轨道对齐效果,支持设置:AutoSpeed:对视频自动做减速处理"."""
    main = video({"MediaURL": m("testsrc.mp4"), "Effects": MUTE}, MainTrack=True)  # 3 s
    top = video(
        {"MediaURL": m("red.mp4"), "Out": 1}, {"MediaURL": m("blue.mp4"), "Out": 1}, TrackExpandMode="AutoSpeed"
    )  # 2 s to 3 s: red 0..1.5, blue 1.5..3
    result = await render({"VideoTracks": [main, top]})
    assert abs(result.duration - 3.0) <= FRAME
    assert close(frame_at(result.output, 1.3)[64, 80], RED)
    assert close(frame_at(result.output, 2.8)[64, 80], BLUE)


async def test_track_expand_mode_auto_speed_slows_an_audio_track_to_the_main_track(render: Any, m: Any) -> None:
    """https://help.aliyun.com/zh/ims/developer-reference/timeline-configuration-description
    AudioTrack TrackExpandMode: "若当前音频轨道时长比主轨道时长短时,
    自适应扩展当前轨道,从而实现和主轨道对齐效果" — 1 s of tone fills a 3 s main video track."""
    main = video({"MediaURL": m("testsrc.mp4"), "Effects": MUTE}, MainTrack=True)
    result = await render(
        {"VideoTracks": [main], "AudioTracks": [audio({"MediaURL": m("tone.wav")}, TrackExpandMode="AutoSpeed")]}
    )
    assert abs(result.duration - 3.0) <= FRAME
    assert loudness(result, 2.5, 2.9) > 0.03  # without AutoSpeed it ends at 1 s


async def test_auto_speed_has_no_effect_on_a_track_with_loop_mode_clips(render: Any, m: Any) -> None:
    """Official skills reference (01-timeline-basics.md): "These two settings are ineffective
    when audio `LoopMode` is set"; the track is cut by the main track as without a mode."""
    main = video({"MediaURL": m("red.mp4"), "Effects": MUTE}, MainTrack=True)
    bgm = {"MediaURL": m("tone.wav"), "LoopMode": True, "TimelineIn": 0, "TimelineOut": 3}
    result = await render({"VideoTracks": [main], "AudioTracks": [audio(bgm, TrackShortenMode="AutoSpeed")]})
    assert abs(result.duration - 2.0) <= FRAME
    assert any("LoopMode" in note for note in result.ignored)


# ---- 3. MaxOut, In/Out/Duration/TimelineIn/TimelineOut ---------------------------------------


async def test_max_out_caps_the_out_point_when_out_is_left_out(render: Any, m: Any) -> None:
    """https://help.aliyun.com/zh/ims/developer-reference/timeline-configuration-description
    VideoTrackClip MaxOut: "素材片段相对于素材的最大出点值。如果设置该值,
    素材片段相对于素材的出点将会设置为素材时长与该值中的较小者"."""
    result = await render(
        {"VideoTracks": [video({"MediaURL": m("blue.mp4"), "MaxOut": 1}, {"MediaURL": m("red.mp4")})]}
    )
    assert abs(result.duration - 3.0) <= FRAME
    assert close(frame_at(result.output, 0.9)[64, 80], BLUE)
    assert close(frame_at(result.output, 1.1)[64, 80], RED)


async def test_max_out_past_the_media_end_plays_to_the_end(render: Any, m: Any) -> None:
    """Same sentence: the smaller of the media length and MaxOut."""
    result = await render({"VideoTracks": [video({"MediaURL": m("blue.mp4"), "MaxOut": 5})]})
    assert abs(result.duration - 2.0) <= FRAME
    assert not result.approximated


async def test_an_out_given_makes_max_out_void(render: Any, m: Any) -> None:
    """Same field: "如果填入Out值,MaxOut值将失效"."""
    result = await render({"VideoTracks": [video({"MediaURL": m("blue.mp4"), "Out": 1.5, "MaxOut": 0.5})]})
    assert abs(result.duration - 1.5) <= FRAME
    assert not result.ignored


async def test_max_out_caps_an_audio_clip_too(render: Any, m: Any) -> None:
    """Inferred: the MaxOut row stands in the VideoTrackClip table; the audio clip shares In/Out."""
    voice = {"MediaURL": m("testsrc.mp4"), "MaxOut": 1}
    result = await render(
        {"VideoTracks": [video({"MediaURL": m("red.mp4"), "Effects": MUTE})], "AudioTracks": [audio(voice)]}
    )
    assert loudness(result, 0.5, 0.9) > 0.03
    assert loudness(result, 1.2, 1.9) < 1e-3


async def test_timeline_out_alone_ends_the_clip_there(render: Any, m: Any) -> None:
    """https://help.aliyun.com/zh/ims/developer-reference/timeline-configuration-description
    TimelineOut: "素材片段相对于时间线的出点...如果TimelineOut不填,则会
    按照素材片段顺序相接的方式自动计算TimelineOut" — given, it is where the clip ends, while the
    clip still starts where the one before ended (TimelineIn left out)."""
    result = await render(
        {"VideoTracks": [video({"MediaURL": m("red.mp4"), "TimelineOut": 1}, {"MediaURL": m("blue.mp4")})]}
    )
    assert abs(result.duration - 3.0) <= FRAME
    assert close(frame_at(result.output, 0.9)[64, 80], RED)
    assert close(frame_at(result.output, 1.1)[64, 80], BLUE)


async def test_timeline_out_alone_sets_an_image_clips_length(render: Any, m: Any) -> None:
    """Same rule for an Image clip: TimelineOut gives its end, so no Duration is needed."""
    clips = video(
        {"MediaURL": m("red.mp4"), "Out": 1}, {"MediaURL": m("yellow.png"), "Type": "Image", "TimelineOut": 2}
    )
    result = await render({"VideoTracks": [clips]})
    assert abs(result.duration - 2.0) <= FRAME
    assert close(frame_at(result.output, 1.5)[64, 80], YELLOW)


async def test_timeline_in_alone_places_the_clip_for_its_in_to_out_length(render: Any, m: Any) -> None:
    """https://help.aliyun.com/zh/ims/developer-reference/timeline-configuration-description
    TimelineIn: "素材片段相对于时间线的入点"; its end follows from
    In..Out (the skills reference: TimelineOut "default is TimelineIn + Out - In")."""
    result = await render({"VideoTracks": [video({"MediaURL": m("red.mp4"), "TimelineIn": 1, "Out": 1.5})]})
    assert abs(result.duration - 2.5) <= FRAME
    assert close(frame_at(result.output, 0.5)[64, 80], BLACK)
    assert close(frame_at(result.output, 2.0)[64, 80], RED)


async def test_timeline_in_and_out_shorter_than_in_to_out_cut_the_clip(render: Any, m: Any) -> None:
    """TimelineIn and TimelineOut place the clip on the output; In..Out longer than that is cut
    (docs/ims-api.md §2.3: trimmed, not sped — Inferred)."""
    result = await render(
        {"VideoTracks": [video({"MediaURL": m("testsrc.mp4"), "Out": 3, "TimelineIn": 0, "TimelineOut": 1})]}
    )
    plain = await render({"VideoTracks": [video({"MediaURL": m("testsrc.mp4"), "Out": 1})]})
    assert abs(result.duration - 1.0) <= FRAME
    assert same_frames(result, plain)


async def test_timeline_in_and_out_longer_than_in_to_out_hold_the_last_frame_and_say_so(render: Any, m: Any) -> None:
    """Not documented: the last frame is held, and the job lists it under Approximated."""
    result = await render({"VideoTracks": [video({"MediaURL": m("red.mp4"), "TimelineIn": 0, "TimelineOut": 3})]})
    assert abs(result.duration - 3.0) <= FRAME
    assert close(frame_at(result.output, 2.8)[64, 80], RED)
    assert any("last frame is held" in note for note in result.approximated)


# ---- 4. ClipId / ReferenceClipId -------------------------------------------------------------


async def test_reference_clip_id_gives_a_clip_the_place_and_length_of_the_clip_it_names(render: Any, m: Any) -> None:
    """https://help.aliyun.com/zh/ims/use-cases/inter-track-material-alignment:
    "视频轨的第二个素材的时长及时间线入出点,自动根据音频轨第一个素材来配置" (the
    page's own example: head 0..1, the aligned clip, then the end clip after it). Here an image
    lasts exactly as long as its voice-over, with no Duration of its own."""
    clips = video(
        {"MediaURL": m("red.mp4"), "Out": 1},
        {"MediaURL": m("yellow.png"), "Type": "Image", "ReferenceClipId": "voice"},
        {"MediaURL": m("blue.mp4"), "Out": 1},
    )
    voice = {"MediaURL": m("testsrc.mp4"), "ClipId": "voice", "TimelineIn": 1, "In": 0, "Out": 1.5}
    result = await render({"VideoTracks": [clips], "AudioTracks": [audio(voice)]})
    assert abs(result.duration - 3.5) <= FRAME
    assert close(frame_at(result.output, 0.5)[64, 80], RED)
    assert close(frame_at(result.output, 1.1)[64, 80], YELLOW)
    assert close(frame_at(result.output, 2.4)[64, 80], YELLOW)
    assert close(frame_at(result.output, 2.6)[64, 80], BLUE)
    assert not result.ignored


async def test_a_referencing_clip_too_short_is_slowed_to_last_as_long(render: Any, m: Any) -> None:
    """https://help.aliyun.com/zh/ims/use-cases/inter-track-material-alignment:
    "如果对齐时clip 时长不足,自动倍速补齐足够时长。例:clip A 对齐 clip B,clip B
    需要播放 20s 但是 clip A 总时长只有10s,会将clip A 做 0.5 倍速,补全20s。" """
    clip = {"MediaURL": m("testsrc.mp4"), "Out": 1, "ReferenceClipId": "a", "Effects": MUTE}
    aligned = await render(
        {"VideoTracks": [video(clip)], "AudioTracks": [audio({"MediaURL": m("red.mp4"), "ClipId": "a"})]}
    )
    slow = await render({"VideoTracks": [video({"MediaURL": m("testsrc.mp4"), "Out": 1, "Speed": 0.5})]})
    assert abs(aligned.duration - 2.0) <= FRAME
    assert same_frames(aligned, slow)


async def test_a_referencing_clip_too_long_is_cut(render: Any, m: Any) -> None:
    """https://help.aliyun.com/zh/ims/use-cases/inter-track-material-alignment:
    "如果对齐时clip 时长过长,自动截断"."""
    clip = {"MediaURL": m("testsrc.mp4"), "ReferenceClipId": "a", "Effects": MUTE}
    aligned = await render(
        {"VideoTracks": [video(clip)], "AudioTracks": [audio({"MediaURL": m("tone.wav"), "ClipId": "a"})]}
    )
    cut = await render({"VideoTracks": [video({"MediaURL": m("testsrc.mp4"), "Out": 1})]})
    assert abs(aligned.duration - 1.0) <= FRAME
    assert same_frames(aligned, cut)


async def test_an_audio_clip_aligned_to_a_video_clip_starts_and_ends_with_it(render: Any, m: Any) -> None:
    """https://help.aliyun.com/zh/ims/use-cases/inter-track-material-alignment:
    alignment works "音频向视频对齐" too; 1 s of tone slowed to the 2 s clip."""
    clips = video(
        {"MediaURL": m("red.mp4"), "Out": 1, "Effects": MUTE},
        {"MediaURL": m("blue.mp4"), "ClipId": "b", "Effects": MUTE},
    )
    result = await render(
        {"VideoTracks": [clips], "AudioTracks": [audio({"MediaURL": m("tone.wav"), "ReferenceClipId": "b"})]}
    )
    assert abs(result.duration - 3.0) <= FRAME
    assert loudness(result, 0.2, 0.8) < 1e-3
    assert loudness(result, 1.2, 1.8) > 0.03 and loudness(result, 2.3, 2.9) > 0.03


async def test_timeline_in_and_out_win_over_reference_clip_id(render: Any, m: Any) -> None:
    """https://help.aliyun.com/zh/ims/use-cases/inter-track-material-alignment:
    "当素材Clip同时配置了TimelineIn、TimelineOut 和 ReferenceClipId,对齐逻辑无效,
    以输入的TimelineIn、TimelineOut为准"."""
    clip = {"MediaURL": m("yellow.png"), "Type": "Image", "ReferenceClipId": "a", "TimelineIn": 0, "TimelineOut": 2}
    voice = {"MediaURL": m("tone.wav"), "ClipId": "a", "TimelineIn": 0.5}
    result = await render({"VideoTracks": [video(clip)], "AudioTracks": [audio(voice)]})
    assert abs(result.duration - 2.0) <= FRAME
    assert close(frame_at(result.output, 0.2)[64, 80], YELLOW)
    assert close(frame_at(result.output, 1.8)[64, 80], YELLOW)


async def test_a_reference_to_a_clip_of_the_same_track_is_invalid(render: Any, m: Any) -> None:
    """https://help.aliyun.com/zh/ims/use-cases/inter-track-material-alignment:
    "仅当素材位于不同轨道时,素材对齐才会生效,不然时间线视为非法,会导致合成失败"."""
    clips = video(
        {"MediaURL": m("red.mp4"), "ClipId": "a"},
        {"MediaURL": m("yellow.png"), "Type": "Image", "ReferenceClipId": "a"},
    )
    with pytest.raises(ImsError) as err:
        await render({"VideoTracks": [clips]})
    assert err.value.code == "InvalidParameter"
    assert "VideoTracks[0].VideoTrackClips[1].ReferenceClipId" in err.value.message


async def test_a_reference_to_no_clip_is_listed_as_ignored(render: Any, m: Any) -> None:
    """Not documented: a ReferenceClipId naming no ClipId leaves the clip where it would be, and
    the job says so."""
    clip = {"MediaURL": m("red.mp4"), "ReferenceClipId": "nowhere"}
    result = await render({"VideoTracks": [video(clip)]})
    assert abs(result.duration - 2.0) <= FRAME
    assert any("nowhere" in note for note in result.ignored)
