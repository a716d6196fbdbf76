"""Cost of the scene groundwork: media analysis per minute of source, matching throughput and accuracy.

    .venv/bin/python bench/scene.py [--seconds 60] [--size 1280x720] [--sentences 20] [--shots 200]

- analysis_s_per_min: wall seconds of `Analyzer.analyze` (one ffmpeg pass) per minute of a
  synthetic 25 fps clip with seven shots, a black stretch and a blurred tail;
- cached_s_per_min: the same file analysed again by a fresh Analyzer (content hash + JSON read);
- pairs_per_s: sentence x shot-description similarities per second with the default text
  scorer (model already loaded); the cost is the embedding of sentences + shots, so the
  figure grows with the matrix size;
- accuracy: top-1 topic accuracy on the test fixture (tests/engine/test_matching.py);
  heldout_accuracy: the same on a second set written after the scorer was tuned.

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imsd.engine.planning.analysis import Analyzer
from imsd.engine.planning.matching import E5TextScorer, similarities
from imsd.engine.planning.scoring import Passage
from imsd.settings import EngineSettings

from tests.engine.test_matching import SENTENCES, TOPICS

HELDOUT_TOPICS = {
    "phone": "新款智能手机，超长续航和高清摄像头",
    "car": "An SUV driving along a mountain road",
    "coffee": "咖啡师在吧台手冲一杯拿铁",
    "hiking": "Hikers climbing a rocky trail at sunrise",
    "toy": "孩子们在客厅里玩积木玩具",
    "skincare": "Applying moisturizing face cream in front of a mirror",
}
HELDOUT = [
    ("The battery lasts two full days on a single charge.", "phone"),
    ("拍照清晰，夜景模式也很出色。", "phone"),
    ("一次充电能用两天。", "phone"),
    ("这辆车在山路上开起来非常稳。", "car"),
    ("Plenty of room for the whole family and the luggage.", "car"),
    ("Smooth handling even on winding roads.", "car"),
    ("每天早上来一杯香浓的咖啡。", "coffee"),
    ("Freshly ground beans make all the difference.", "coffee"),
    ("拿铁的奶泡细腻绵密。", "coffee"),
    ("我们凌晨出发，在山顶看日出。", "hiking"),
    ("Lace up your boots and hit the trail.", "hiking"),
    ("登山杖和背包都准备好了。", "hiking"),
    ("宝宝最喜欢这套彩色积木了。", "toy"),
    ("Safe, colourful blocks that keep kids busy for hours.", "toy"),
    ("Building towers with blocks teaches kids patience.", "toy"),
    ("这款面霜保湿效果特别好。", "skincare"),
    ("Your skin feels soft and hydrated all day.", "skincare"),
    ("睡前涂一层，第二天皮肤水润。", "skincare"),
]


def make_clip(path: Path, seconds: float, size: str) -> None:
    """Seven sources in turn (one black, the last blurred), a tone; ultrafast so setup stays short."""
    sources = [
        f"testsrc2=s={size}:r=25",
        f"mandelbrot=s={size}:r=25",
        f"life=s={size}:r=25:mold=10:ratio=0.1:life_color=#00ff00:death_color=#c83232",
        f"testsrc2=s={size}:r=25,hue=h=180,vflip",
        f"color=black:s={size}:r=25",
        f"gradients=s={size}:r=25:seed=1:speed=0.05",
        f"testsrc2=s={size}:r=25,gblur=sigma=12",
    ]
    part = seconds / len(sources)
    args: list[str] = []
    for source in sources:
        args += ["-f", "lavfi", "-i", f"{source},trim=duration={part:.2f},setpts=PTS-STARTPTS"]
    args += ["-f", "lavfi", "-i", f"sine=f=300:d={seconds}:sample_rate=44100"]
    n = len(sources)
    graph = "".join(f"[{i}:v]" for i in range(n)) + f"concat=n={n}:v=1:a=0,format=yuv420p[v]"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args, "-filter_complex", graph, "-map", "[v]",
         "-map", f"{n}:a", "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", "-shortest", str(path)],
        check=True,
    )  # fmt: skip


async def accuracy(topics: dict[str, str], sentences: list[tuple[str, str]]) -> float:
    names = list(topics)
    result = await similarities(E5TextScorer(), [s for s, _ in sentences], [Passage(t) for t in topics.values()])
    return sum(names[b] == t for b, (_, t) in zip(result.best(), sentences, strict=True)) / len(sentences)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--sentences", type=int, default=20)
    parser.add_argument("--shots", type=int, default=200)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="imsd-bench-scene-") as tmp:
        root = Path(tmp)
        clip = root / "clip.mp4"
        make_clip(clip, args.seconds, args.size)
        settings = EngineSettings(cache_dir=root / "cache", work_dir=root / "work")
        t0 = time.perf_counter()
        first = await Analyzer(settings).analyze(clip)
        t1 = time.perf_counter()
        await Analyzer(settings).analyze(clip)
        t2 = time.perf_counter()
    per_min = 60.0 / first.duration
    print(f"analysis of {first.duration:.1f} s {args.size}: {t1 - t0:.2f} s first, {t2 - t1:.3f} s cached")
    print(f"  shots {first.shots}")
    print(f"  rejected {[(r.start, r.end, r.reason) for r in first.rejected]}")

    scorer = E5TextScorer()
    t3 = time.perf_counter()
    await scorer.score(["warm-up"], [Passage("load the model")])
    t4 = time.perf_counter()
    pool = [s for s, _ in SENTENCES + HELDOUT]
    sentences = [pool[i % len(pool)] for i in range(args.sentences)]
    shots = [Passage(list(TOPICS.values())[i % len(TOPICS)] + f" #{i}") for i in range(args.shots)]
    t5 = time.perf_counter()
    await scorer.score(sentences, shots)
    t6 = time.perf_counter()
    pairs = args.sentences * args.shots
    print(f"matching: first call (load + reference centroids) {t4 - t3:.2f} s; "
          f"{args.sentences} x {args.shots} = {pairs} pairs in {t6 - t5:.2f} s "
          f"({(t6 - t5) / (args.sentences + args.shots) * 1000:.1f} ms per text)")  # fmt: skip
    fixture = await accuracy(TOPICS, SENTENCES)
    heldout = await accuracy(HELDOUT_TOPICS, HELDOUT)
    print(f"accuracy: fixture {fixture:.0%} ({len(SENTENCES)}), held-out {heldout:.0%} ({len(HELDOUT)})")
    print(
        json.dumps(
            {
                "analysis_s_per_min": round((t1 - t0) * per_min, 2),
                "cached_s_per_min": round((t2 - t1) * per_min, 3),
                "pairs_per_s": round(pairs / (t6 - t5)),
                "accuracy": round(fixture, 3),
                "heldout_accuracy": round(heldout, 3),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
