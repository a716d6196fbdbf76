"""AI_TTS audio clips inside a Timeline, voiced by the engine's TTS and rendered through the worker.

docs/ims-api.md §2.4: an AudioTrackClip of Type AI_TTS speaks `Content` with `Voice` at
`SpeechRate`. Chinese text is spoken by the local Kokoro voice (planning/kokoro.py, in a Japanese
timbre), which makes every render say so under Approximated.

Sources ([O] = official but not the API reference; the tests quote the sentence each proves):
- https://www.alibabacloud.com/help/en/ims/use-cases/text-to-video: "Track 1 (MainTrack: true):
  4 AI_TTS clips that generate voice-over narration."
- https://cnblogs.com/VideoCloudTech/p/18003601 (Alibaba Cloud video team, [O]): "客户只需要在音频轨道
  添加一个片段,设置上口播的文本内容和口播音色就好了。在实际合成中,引擎会先做语音合成,再把语音合成的结果合成到成片里"
- [O] 07-smart-media-features.md, the official skills repo (docs/ims-api.md sources): github.com/
  aliyun/alibabacloud-aiops-skills/blob/90464bc091dc2eb74e4209b123865c6bc9840a7a/skills/mediaservices/
  ice/alibabacloud-video-editor/references/07-smart-media-features.md: "Put the clip on an
  `AudioTracks` track with `Voice` and `Content` directly on the clip"
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from imsd.api.wire import Api
from imsd.backends.local import LocalBackend
from imsd.engine.service import Engine

from .conftest import OSS
from .sampling import frame_at, samples

ZH = "今天天气很好，我们一起去公园散步吧。"


def _timeline(media_dir: Path, *speech: dict[str, Any]) -> dict[str, Any]:
    """12 s of silent picture (testsrc muted), with the speech clips on an audio track."""
    muted = {"MediaURL": str(media_dir / "testsrc.mp4"), "Effects": [{"Type": "Volume", "Gain": 0}]}
    return {
        "VideoTracks": [{"VideoTrackClips": [muted] * 4}],
        "AudioTracks": [{"AudioTrackClips": list(speech)}],
    }


async def _render(engine: Engine, backend: LocalBackend, timeline: dict[str, Any], name: str) -> dict[str, Any]:
    params = {
        "Timeline": timeline,
        "OutputMediaConfig": {"MediaURL": f"{OSS}/out/{name}.mp4", "Width": 320, "Height": 240},
    }
    job_id = (await backend.submit(Api.SUBMIT_MEDIA_PRODUCING_JOB, params, name)).job_id
    await engine.render_media_job(job_id)
    job = await engine.store.get(job_id) or {}
    assert job["Status"] == "Success", job
    return job


def _output(engine: Engine, name: str) -> Path:
    return Path(engine.settings.engine.storage_root) / "demo" / "out" / f"{name}.mp4"


def _loud(pcm: np.ndarray[Any, Any], start: float, end: float) -> float:
    part = pcm[int(start * 48000) : int(end * 48000)]
    return float(np.sqrt(np.mean(np.square(part)))) if len(part) else 0.0


def _speech_span(pcm: np.ndarray[Any, Any]) -> tuple[float, float]:
    """From the first to the last 50 ms window with sound (the picture's own sound is muted)."""
    window = 2400
    levels = [float(np.sqrt(np.mean(np.square(pcm[i : i + window])))) for i in range(0, len(pcm) - window, window)]
    loud = [i for i, level in enumerate(levels) if level > 0.01]
    return loud[0] * window / 48000, (loud[-1] + 1) * window / 48000


async def test_an_ai_tts_clip_is_heard_from_its_timeline_in_for_the_length_of_its_speech(
    engine: Engine, backend: LocalBackend, media_dir: Path
) -> None:
    """The engine "会先做语音合成,再把语音合成的结果合成到成片里" (cnblogs.com/VideoCloudTech/p/18003601):
    the speech is heard where its clip is placed. Inferred: from TimelineIn with no lead silence of
    its own (IMS's cloud TTS adds 1-5 s, which [O] 07-smart-media-features.md measures, not documents)."""
    timeline = _timeline(media_dir, {"Type": "AI_TTS", "Content": ZH, "TimelineIn": 2})
    job = await _render(engine, backend, timeline, "tts-heard")
    pcm = samples(_output(engine, "tts-heard"))
    start, end = _speech_span(pcm)
    assert 1.95 <= start <= 2.4  # espeak starts speaking almost at once
    assert end - start > 1.5  # a whole sentence, not a click
    assert _loud(pcm, 0.0, 1.9) < 0.005
    assert any("AudioTracks[0].AudioTrackClips[0]: spoken by the local voice" in n for n in job["Approximated"])


async def test_a_faster_speech_rate_makes_the_speech_shorter(
    engine: Engine, backend: LocalBackend, media_dir: Path
) -> None:
    """SpeechRate on the Alibaba TTS scale: "语速 [-500,500]之间整数。默认值为 0。大于 0 表示加快语速。"
    (https://help.aliyun.com/zh/outboundbot/developer-reference/api-outboundbot-2019-12-26-describettsdemo,
    the same TTS behind another product; inferred for IMS, whose Timeline page gives no range). [O]
    07-smart-media-features.md measured "`0 / 100 / 200` → speech span `3.05 / 2.52 / 2.16` s"."""
    spans = []
    for name, rate in (("tts-rate-0", 0), ("tts-rate-400", 400)):
        timeline = _timeline(media_dir, {"Type": "AI_TTS", "Content": ZH, "SpeechRate": rate})
        await _render(engine, backend, timeline, name)
        start, end = _speech_span(samples(_output(engine, name)))
        spans.append(end - start)
    assert spans[1] < spans[0] * 0.8


async def test_a_volume_effect_on_an_ai_tts_clip_changes_its_level(
    engine: Engine, backend: LocalBackend, media_dir: Path
) -> None:
    """[O] 07-smart-media-features.md: "The synthesized voice occupies the clip's render time and mixes
    like normal audio; combine with `Volume` effects to balance it against BGM." """
    levels = []
    for name, gain in (("tts-gain-1", 1.0), ("tts-gain-03", 0.3)):
        clip = {"Type": "AI_TTS", "Content": ZH, "Effects": [{"Type": "Volume", "Gain": gain}]}
        await _render(engine, backend, _timeline(media_dir, clip), name)
        levels.append(_loud(samples(_output(engine, name)), 0.0, 2.0))
    assert abs(levels[1] / levels[0] - 0.3) < 0.05


async def test_a_second_render_of_the_same_speech_synthesizes_nothing(
    engine: Engine, backend: LocalBackend, media_dir: Path
) -> None:
    """Inferred (no IMS sentence: a local-engine rule): speech is cached by content, voice and rate, so
    a retaken or repeated render synthesizes nothing again."""
    synthesizer = engine.planner.synthesizer
    clip = {"Type": "AI_TTS", "Content": ZH, "Voice": "zhitian_emo"}
    await _render(engine, backend, _timeline(media_dir, clip), "tts-once")
    runs = synthesizer.engine_runs
    await _render(engine, backend, _timeline(media_dir, clip), "tts-twice")
    assert synthesizer.engine_runs == runs


async def test_a_voice_that_cannot_be_honoured_is_listed_as_approximated(
    engine: Engine, backend: LocalBackend, media_dir: Path
) -> None:
    """zhitian_emo is an Alibaba voice ("Zhimiao_Multi-emotional zhimiao_emo Multi-emotional female
    voice", https://help.aliyun.com/en/isi/developer-reference/overview-5, which also "Lets you set
    the speech rate, pitch, and volume"); no local voice is mapped to it here. docs/architecture.md
    invariant 7: where the engine cannot render as IMS does, "the job lists the departure under
    `Approximated` / `Ignored`"."""
    clip = {"Type": "AI_TTS", "Content": ZH, "Voice": "zhitian_emo", "PitchRate": 100}
    job = await _render(engine, backend, _timeline(media_dir, clip), "tts-voice")
    notes = "\n".join(job["Approximated"])
    assert "voice 'zhitian_emo' is not mapped to an installed local voice" in notes
    assert "AudioTracks[0].AudioTrackClips[0].PitchRate: not supported" in notes
    assert not job.get("Ignored")


async def test_an_ai_tts_clip_without_content_fails_naming_the_field(
    engine: Engine, backend: LocalBackend, media_dir: Path
) -> None:
    """[O] 07-smart-media-features.md: `Content` is "The text to synthesize". Inferred: a clip without
    it cannot be voiced, so the job fails naming the field (docs/architecture.md invariant 4)."""
    params = {
        "Timeline": _timeline(media_dir, {"Type": "AI_TTS", "Voice": "zhiru"}),
        "OutputMediaConfig": {"MediaURL": f"{OSS}/out/tts-empty.mp4", "Width": 320, "Height": 240},
    }
    job_id = (await backend.submit(Api.SUBMIT_MEDIA_PRODUCING_JOB, params, "tts-empty")).job_id
    await engine.render_media_job(job_id)
    job = await engine.store.get(job_id) or {}
    assert job["Status"] == "Failed"
    assert job["Code"] == "InvalidParameter"
    assert "Timeline.AudioTracks[0].AudioTrackClips[0].Content" in job["Message"]


@pytest.fixture
def talk(media_dir: Path) -> Path:
    """A black picture; from 1.5 s a voice says one English sentence."""
    wav = media_dir / "asr-speech.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), "The green door opens slowly."], check=True)
    talk = media_dir / "asr-talk.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=black:s=320x240:r=10:d=4", "-i", str(wav),
         "-af", "adelay=1500|1500,apad", "-t", "4", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
         "-c:a", "aac", str(talk)],
        check=True,
    )  # fmt: skip
    return talk


async def test_ai_asr_captions_the_speech_of_its_media_while_it_is_spoken(
    engine: Engine, backend: LocalBackend, talk: Path
) -> None:
    """§2.5: AI_ASR makes captions from the speech of its MediaURL; they show while it is spoken,
    in the clip's style (white, 24 px, over a black picture), and nowhere before.
    https://www.alibabacloud.com/help/en/ims/use-cases/participate-in-video-synthesis-after-intelligent-processing:
    'Set "Type" to "AI_ASR" to convert speech in audio or video to text. You can also set caption
    styles, such as font and color.' The subtitle-track form is [O] (07-smart-media-features.md prints
    `"SubtitleTrackClips": [{"Type": "AI_ASR", "MediaURL": ..., "FontSize": 80, ...}]`)."""
    caption = {"Type": "AI_ASR", "MediaURL": str(talk), "FontSize": 24, "Alignment": "BottomCenter"}
    timeline = {
        "VideoTracks": [{"VideoTrackClips": [{"MediaURL": str(talk)}]}],
        "SubtitleTracks": [{"SubtitleTrackClips": [caption]}],
    }
    job = await _render(engine, backend, timeline, "asr-captions")
    output = _output(engine, "asr-captions")
    assert int((frame_at(output, 0.8).max(axis=-1) > 128).sum()) == 0  # before the speech
    lit = frame_at(output, 2.2).max(axis=-1) > 128  # while it is spoken
    assert int(lit[120:].sum()) > 30 and int(lit[:120].sum()) == 0  # at the bottom
    assert not job.get("Ignored")


async def test_an_ai_asr_effect_captions_its_video_clips_speech_while_the_clip_plays(
    engine: Engine, backend: LocalBackend, talk: Path
) -> None:
    """https://www.alibabacloud.com/help/en/ims/use-cases/participate-in-video-synthesis-after-intelligent-processing:
    'Set "Type" to "AI_ASR" to convert speech in audio or video to text. You can also set caption
    styles, such as font and color.' The page's Timeline example puts {"Type": "AI_ASR", "Font": ...,
    "FontSize": 60, ...} in a video clip's "Effects", with no MediaURL of its own: it captions that clip.
    Inferred: the captions follow the clip's place and trim (In) as its picture does. The voice starts
    at 1.5 s of the file (Whisper hears it from ~1.2 s); the captioned clip plays it from its In 1 at
    1 s of the output, so it is spoken from ~1.5 s (~2.2 s if In were not honoured)."""
    silent = {"MediaURL": str(talk), "Out": 1.0}  # the file's first second: black, no speech
    caption = {"Type": "AI_ASR", "FontSize": 24, "Alignment": "BottomCenter"}
    clip = {"MediaURL": str(talk), "In": 1.0, "Effects": [caption]}
    job = await _render(engine, backend, {"VideoTracks": [{"VideoTrackClips": [silent, clip]}]}, "asr-effect")
    output = _output(engine, "asr-effect")
    assert int((frame_at(output, 0.9).max(axis=-1) > 128).sum()) == 0  # before the captioned clip
    lit = frame_at(output, 1.6).max(axis=-1) > 128  # while it is spoken
    assert int(lit[120:].sum()) > 30 and int(lit[:120].sum()) == 0  # at the bottom
    assert not job.get("Ignored")
