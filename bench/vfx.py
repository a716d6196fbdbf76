"""What each VFX costs a 1080x1920 frame, against what a plain render spends on one.

A 1 s 1080x1920 testsrc2 clip is decoded once to a file; then, for each SubType, its filters
(`vfx.CATALOGUE`, over the whole second) run on that file's frames with the output thrown away,
and the CPU time of that run, less the same run with no effect, is the effect's. The reference,
"a plain frame", is the CPU the same clip costs to encode with libx264 veryfast (the engine's
default), which every render pays. The issue asks each effect to cost at most a few plain
frames; the table gives the ratio.

    .venv/bin/python bench/vfx.py [--repeat 2] [NAME ...]

Last line: JSON.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "daemon"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imsd.engine.render.graph import FilterGraph, f
from imsd.engine.render.vfx import CATALOGUE, Window

from bench.render import children_cpu, ffmpeg

W, H, FPS, SECONDS = 1080, 1920, 30, 1.0


def cpu_of(args: list[str], repeat: int) -> float:
    """The least CPU seconds of `repeat` runs of ffmpeg with `args`."""
    best = float("inf")
    for _ in range(repeat):
        before = children_cpu()
        ffmpeg(*args)
        best = min(best, children_cpu() - before)
    return best


def filtered(source: Path, name: str | None, repeat: int) -> float:
    graph = FilterGraph()
    window = Window(0.0, SECONDS, W, H, str(FPS))
    steps = CATALOGUE[name].draw(window) if name else ()
    out = graph.steps(["0:v"], (f("setpts", "PTS-STARTPTS"), *steps), "x")
    return cpu_of(["-i", str(source), "-filter_complex", graph.render(), "-map", f"[{out}]", "-f", "null", "-"], repeat)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("names", nargs="*")
    args = parser.parse_args()
    names = args.names or list(CATALOGUE)
    frames = round(SECONDS * FPS)
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "src.nut"
        ffmpeg("-f", "lavfi", "-i", f"testsrc2=s={W}x{H}:r={FPS}:d={SECONDS}", "-c:v", "rawvideo", "-pix_fmt",
               "yuv420p", str(source))  # fmt: skip
        encode = cpu_of(["-i", str(source), "-c:v", "libx264", "-preset", "veryfast", "-f", "null", "-"], args.repeat)
        base = filtered(source, None, args.repeat)
        plain_ms = 1000 * encode / frames
        costs = {}
        print(f"plain frame (libx264 veryfast encode): {plain_ms:.1f} ms")
        for name in names:
            ms = max(0.0, 1000 * (filtered(source, name, args.repeat) - base) / frames)
            costs[name] = round(ms, 1)
            print(f"{name:20s} {ms:7.1f} ms/frame  {ms / plain_ms:5.2f} plain frames  {CATALOGUE[name].drawn_as}")
    dearest = max(costs, key=lambda n: costs[n])
    print(json.dumps({"plain_ms": round(plain_ms, 1), "dearest": dearest, "ms": costs}))


if __name__ == "__main__":
    main()
