"""Cost of the scene groundwork: media analysis per minute of source, matching throughput and accuracy.

    .venv/bin/python bench/scene.py [--seconds 60] [--size 1280x720] [--sentences 20] [--shots 200]

- analysis_s_per_min: wall seconds of `Analyzer.analyze` per minute of a synthetic 25 fps clip
  with seven shots, a black stretch and a blurred tail, with every signal the installed packages
  give (one ffmpeg pass for shots, loudness, motion, quality and the face samples; the faces; the
  VAD on the sound); analysis_cpu_s_per_min: CPU seconds of this process and its children for it;
- transnetv2_s_per_min: what `engine.shot_detector = "transnetv2"` adds to that, wall seconds per
  minute (the frames at 48x27 and the network); absent without var/cache/models/transnetv2.onnx
  (scripts/export-models);
- cached_s_per_min: the same file analysed again by a fresh Analyzer (content hash + JSON read);
- pairs_per_s: sentence x shot-description similarities per second with the default text
  scorer (model already loaded); the cost is the embedding of sentences + shots, so the
  figure grows with the matrix size;
- accuracy: top-1 topic accuracy on the test fixture (tests/engine/test_matching.py);
  heldout_accuracy: the same on a second set written after the scorer was tuned;
- nometa_top1, nometa_top3: bench/vision.py's footage without metadata (its functions, run
  here), scored with every visual signal (labels when var/cache/models holds the classifier);
  nometa_top1_text_only, nometa_top3_text_only: the same sentences with the shots' text alone.

The last line is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imsd.engine.planning.analysis import Analyzer
from imsd.engine.planning.matching import E5TextScorer, similarities
from imsd.engine.planning.scoring import Passage
from imsd.engine.planning.shots import SHOT_MODEL
from imsd.settings import EngineSettings

from bench.vision import MODEL, make_library, ranks
from tests.engine.test_matching import SENTENCES, TOPICS

SHOT_NETWORK = MODEL.with_name(SHOT_MODEL)

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


def cpu_seconds() -> float:
    """CPU seconds of this process and its waited-for children (ffmpeg) so far."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


async def timed_analysis(clip: Path, settings: EngineSettings) -> tuple[float, float]:
    """(wall, CPU) seconds of a first analysis of `clip` under `settings`."""
    cpu, wall = cpu_seconds(), time.perf_counter()
    await Analyzer(settings).analyze(clip)
    return time.perf_counter() - wall, cpu_seconds() - cpu


async def no_metadata() -> tuple[tuple[float, float], tuple[float, float]]:
    """bench/vision.py's fixture: ((top-1, top-3) text only, (top-1, top-3) with the visual signals)."""
    with tempfile.TemporaryDirectory(prefix="imsd-bench-nometa-") as tmp:
        library, base = make_library(Path(tmp))
        text_only = await ranks(base.model_copy(update={"visual_signals": False}), library)
        seeing = await ranks(base.model_copy(update={"label_model_path": MODEL}), library)
    return text_only[:2], seeing[:2]


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
        wall, cpu = await timed_analysis(clip, settings)
        t1 = time.perf_counter()
        first = await Analyzer(settings).analyze(clip)
        t2 = time.perf_counter()
        network = settings.model_copy(update={"cache_dir": root / "cache-tn", "shot_detector": "transnetv2",
                                              "shot_model_path": SHOT_NETWORK})  # fmt: skip
        transnet = await timed_analysis(clip, network) if SHOT_NETWORK.is_file() else None
    per_min = 60.0 / first.duration
    print(
        f"analysis of {first.duration:.1f} s {args.size}: {wall:.2f} s first ({cpu:.2f} s CPU), "
        f"{t2 - t1:.3f} s cached; signals {[k for k in ('speech', 'faces', 'quality') if getattr(first, k)]}"
    )
    if transnet:
        print(f"  with TransNetV2: {transnet[0]:.2f} s ({transnet[1]:.2f} s CPU)")
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
    text_only, seeing = await no_metadata()
    print(
        f"no metadata: top-1 {seeing[0]:.3f} top-3 {seeing[1]:.3f}; text only {text_only[0]:.3f} / {text_only[1]:.3f}"
        + ("" if MODEL.is_file() else f" (no {MODEL}: without labels)")
    )
    figures = {
        "nometa_top1": round(seeing[0], 3),
        "nometa_top1_text_only": round(text_only[0], 3),
        "nometa_top3": round(seeing[1], 3),
        "nometa_top3_text_only": round(text_only[1], 3),
        "analysis_s_per_min": round(wall * per_min, 2),
        "analysis_cpu_s_per_min": round(cpu * per_min, 2),
        "cached_s_per_min": round((t2 - t1) * per_min, 3),
        "pairs_per_s": round(pairs / (t6 - t5)),
        "accuracy": round(fixture, 3),
        "heldout_accuracy": round(heldout, 3),
    }
    if transnet:
        figures["transnetv2_s_per_min"] = round((transnet[0] - wall) * per_min, 2)
        figures["transnetv2_cpu_s_per_min"] = round((transnet[1] - cpu) * per_min, 2)
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
