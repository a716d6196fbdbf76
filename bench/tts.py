"""Chinese voice-over intelligibility: the character error rate of the engine's own ASR on it.

    .venv/bin/python bench/tts.py

20 Chinese sentences of product and event copy are spoken by the engine's Synthesizer twice in
the same process, with espeak-ng's `cmn-latn-pinyin` voice (the fallback) and with Kokoro-82M
through misaki's G2P (planning/kokoro.py, the default when installed), and transcribed by the
engine's whisper-base (planning/asr.py). CER = edit distance between the sentence and the
transcript, punctuation and spaces left out, over the sentence's characters (summed over the 20).
Whisper writes Chinese in traditional or simplified characters as it likes; the transcript is
turned into simplified characters (OpenCC's t2s table, opencc-python-reimplemented) before it is
compared, so only what was heard wrong counts. Cost: CPU seconds (the process's and its
children's, e.g. espeak-ng) spent synthesising, per second of speech made. The last line is one
JSON object: `zh_cer` and `zh_cpu_s_per_speech_s` of the default Mandarin voice (`zh_engine`),
`zh_cer_espeak` and `zh_cpu_s_per_speech_s_espeak` of the fallback.
"""

from __future__ import annotations

import asyncio
import json
import re
import resource
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imsd.engine.planning.asr import Transcriber
from imsd.engine.planning.tts import Synthesizer
from imsd.settings import EngineSettings
from opencc import OpenCC

SENTENCES = [
    "这款夏季新品轻盈透气，今天下单即可享受包邮服务。", "欢迎大家光临我们的新店。", "本周末全场商品五折优惠。",
    "新鲜咖啡每天早上现磨现做。", "这台手机的电池可以用两天。", "我们的餐厅提供正宗的四川菜。",
    "活动将在下午三点准时开始。", "请大家排好队，依次入场。", "这款面霜适合干性皮肤使用。",
    "孩子们在公园里开心地玩耍。", "今天的天气非常适合户外运动。", "感谢您一直以来的支持与信任。",
    "新款汽车搭载了智能驾驶系统。", "这本书讲述了一个动人的故事。", "会员购物可以享受双倍积分。",
    "我们的客服二十四小时在线。", "这家酒店的早餐非常丰富。", "比赛进入了最后的关键时刻。",
    "现在购买还可以获得精美礼品。", "祝大家节日快乐，万事如意。",
]  # fmt: skip
SIMPLIFIED = OpenCC("t2s")
_DROP = re.compile(r"[\s，。！？、,.!?；;：:]")


def distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def cpu_s() -> float:
    """CPU seconds so far of this process and its waited-for children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


async def cer(voice: str, settings: EngineSettings) -> tuple[float, float, str]:
    """(CER, synthesis CPU seconds per second of speech, engine) of the sentences spoken by `voice`
    ("espeak" or the default)."""
    if voice == "espeak":
        settings = settings.model_copy(update={"tts_voices": {"bench": "espeak:cmn-latn-pinyin"}})
    synthesizer = Synthesizer(settings)
    transcriber = Transcriber(settings)
    errors = total = 0
    spent = spoken = 0.0
    engine = ""
    for sentence in SENTENCES:
        started = cpu_s()
        speech = await synthesizer.synthesize(sentence, voice="bench" if voice == "espeak" else None)
        spent += cpu_s() - started
        spoken += speech.duration
        engine = speech.engine
        heard = "".join(w.text for w in await transcriber.transcribe(speech.path))
        truth = _DROP.sub("", sentence)
        errors += distance(truth, _DROP.sub("", SIMPLIFIED.convert(heard)))
        total += len(truth)
    return errors / total, spent / spoken, engine


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = EngineSettings(storage_root=Path(tmp) / "storage", cache_dir=Path(tmp) / "cache",
                              work_dir=Path(tmp) / "work")  # fmt: skip
        espeak = await cer("espeak", base)
        default = await cer("default", base)
    print(f"{len(SENTENCES)} Chinese sentences, CER by the engine's whisper-base (lower is better)")
    print(f"espeak-ng cmn-latn-pinyin: CER {espeak[0]:.3f} ({espeak[1]:.3f} CPU-s per s of speech)")
    print(f"{default[2]} (the default): CER {default[0]:.3f} ({default[1]:.3f} CPU-s per s of speech)")
    print(json.dumps({"sentences": len(SENTENCES), "zh_engine": default[2], "zh_cer": round(default[0], 3),
                      "zh_cer_espeak": round(espeak[0], 3), "zh_cpu_s_per_speech_s": round(default[1], 3),
                      "zh_cpu_s_per_speech_s_espeak": round(espeak[1], 3)}))  # fmt: skip

if __name__ == "__main__":
    asyncio.run(main())
