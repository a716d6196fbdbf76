"""Chinese voice-over intelligibility: the character error rate of the engine's own ASR on it.

    .venv/bin/python bench/tts.py

20 Chinese sentences of product and event copy are spoken by the engine's Synthesizer twice in
the same process, with espeak-ng's `cmn-latn-pinyin` voice (the fallback) and with Kokoro-82M
through misaki's G2P (planning/kokoro.py, the default when installed), and transcribed by the
engine's whisper-base (planning/asr.py). CER = edit distance between the sentence and the
transcript, punctuation and spaces left out, over the sentence's characters (summed over the 20).
Whisper writes Chinese in traditional or simplified characters as it likes; the transcript is
turned into simplified characters (OpenCC's t2s table, opencc-python-reimplemented) before it is
compared, so only what was heard wrong counts. The last line is one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
import tempfile
import time
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


async def cer(voice: str, settings: EngineSettings) -> tuple[float, float, str]:
    """(CER, synthesis seconds, engine) of the sentences spoken by `voice` ("espeak" or "neural")."""
    if voice == "espeak":
        settings = settings.model_copy(update={"tts_voices": {"bench": "espeak:cmn-latn-pinyin"}})
    synthesizer = Synthesizer(settings)
    transcriber = Transcriber(settings)
    errors = total = 0
    spent = 0.0
    engine = ""
    for sentence in SENTENCES:
        started = time.perf_counter()
        speech = await synthesizer.synthesize(sentence, voice="bench" if voice == "espeak" else None)
        spent += time.perf_counter() - started
        engine = speech.engine
        heard = "".join(w.text for w in await transcriber.transcribe(speech.path))
        truth = _DROP.sub("", sentence)
        errors += distance(truth, _DROP.sub("", SIMPLIFIED.convert(heard)))
        total += len(truth)
    return errors / total, spent, engine


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        base = EngineSettings(storage_root=Path(tmp) / "storage", cache_dir=Path(tmp) / "cache",
                              work_dir=Path(tmp) / "work")  # fmt: skip
        espeak = await cer("espeak", base)
        neural = await cer("neural", base)
    print(f"{len(SENTENCES)} Chinese sentences, CER by the engine's whisper-base (lower is better)")
    print(f"espeak-ng cmn-latn-pinyin: CER {espeak[0]:.3f} ({espeak[1]:.1f} s to speak)")
    print(f"{neural[2]}: CER {neural[0]:.3f} ({neural[1]:.1f} s to speak)")
    print(json.dumps({"sentences": len(SENTENCES), "espeak_cer": round(espeak[0], 3), "neural_engine": neural[2],
                      "neural_cer": round(neural[0], 3), "neural_vs_espeak": round(neural[0] / espeak[0], 3),
                      "espeak_s": round(espeak[1], 1), "neural_s": round(neural[1], 1)}))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
