"""What each transition costs a 1080x1920 render: CPU milliseconds per transition frame.

Two 2 s 1080x1920 clips (testsrc2 and a hue-turned copy) joined by a 1 s transition, rendered by
`render_timeline` (the engine's own path, encode included: a transition whose pixels are hard to
encode costs bits as well as filter time), against the same clips joined by a cut, rendered
in the same run (the cut at the middle of the transition window, so both videos last 3 s).
Each figure is the least CPU time of --repeat renders, minus the cut's, per
frame of the transition window. The Script defaults (engine/planning/script.py DEFAULT_TRANSITIONS)
were chosen from these figures.

    .venv/bin/python bench/transitions.py [--repeat 3] [--all] [NAME ...]

Without names: the Script defaults, a few others and the gl-transitions drawn by their formula
(engine/render/transitions.py); --all: every IMS transition name. The table says how each is
drawn, and the JSON names the dearest built-in beside the dearest formula.

Last line: JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "daemon"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imsd.engine.media import MediaResolver
from imsd.engine.planning.script import DEFAULT_TRANSITIONS
from imsd.engine.render import render_timeline
from imsd.engine.render.transitions import transition_names
from imsd.settings import EngineSettings

from bench.render import children_cpu, ffmpeg

W, H, FPS, CLIP_S, TRANSITION_S = 1080, 1920, 30, 2.0, 1.0
OTHERS = ("dissolve", "fadeblack", "pixelize", "directional", "waterdrop", "perlin", "pinwheel", "simplezoom")


def make_clips(root: Path) -> list[Path]:
    clips = [root / "a.mp4", root / "b.mp4"]
    for path, extra in zip(clips, ["", ",hue=h=150"], strict=True):
        source = f"testsrc2=s={W}x{H}:r={FPS}:d={CLIP_S}{extra}"
        ffmpeg("-f", "lavfi", "-i", source, "-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", str(path))
    return clips


def timeline(clips: list[Path], transition: str | None) -> dict[str, Any]:
    first: dict[str, Any] = {"MediaURL": str(clips[0])}
    second: dict[str, Any] = {"MediaURL": str(clips[1])}
    if transition:
        first["Effects"] = [{"Type": "Transition", "SubType": transition, "Duration": TRANSITION_S}]
    else:
        first["Out"], second["In"] = CLIP_S - TRANSITION_S / 2, TRANSITION_S / 2
    return {"VideoTracks": [{"VideoTrackClips": [first, second]}]}


def render_cpu(resolver: MediaResolver, work: Path, clips: list[Path], transition: str | None, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        cpu0 = children_cpu()
        result = asyncio.run(
            render_timeline(
                timeline(clips, transition),
                {"Width": W, "Height": H, "Video": {"Fps": FPS}},
                resolver=resolver,
                workdir=work / "work",
                destination=work / "out.mp4",
            )
        )
        best = min(best, children_cpu() - cpu0)
        if result.ignored:  # a name the engine does not take renders as a cut: no figure at all
            raise SystemExit(f"{transition}: {result.ignored}")
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--all", action="store_true", help="every IMS transition name")
    args = parser.parse_args()
    drawn = transition_names()
    names = args.names or (list(drawn) if args.all else [*DEFAULT_TRANSITIONS, *OTHERS])
    with tempfile.TemporaryDirectory(prefix="imsd-bench-transitions-") as tmp:
        work = Path(tmp)
        settings = EngineSettings(
            media_roots=[work], storage_root=work / "storage", cache_dir=work / "cache", work_dir=work / "work"
        )
        resolver = MediaResolver(settings)
        clips = make_clips(work)
        cut = render_cpu(resolver, work, clips, None, args.repeat)
        frames = TRANSITION_S * FPS
        print(f"cut: {cut:.2f} s CPU for {2 * CLIP_S - TRANSITION_S:.0f} s of video")
        cost: dict[str, float] = {}
        for name in names:
            cost[name] = round(1000 * (render_cpu(resolver, work, clips, name, args.repeat) - cut) / frames, 1)
            print(f"{name:26s} {cost[name]:6.1f} ms CPU per transition frame  ({drawn[name]})", flush=True)
    defaults = [cost[n] for n in DEFAULT_TRANSITIONS if n in cost]
    # xfade's own ("xfade NAME"); the rest are drawn by the engine's filters.
    built_in = {n: c for n, c in cost.items() if "xfade" in drawn[n]}
    formula = {n: c for n, c in cost.items() if n not in built_in}
    figures = {
        "ms_per_frame": cost,
        "defaults_mean_ms": round(sum(defaults) / len(defaults), 1) if defaults else None,
        "dearest_built_in": max(built_in.items(), key=lambda kv: kv[1], default=None),
        "dearest_formula": max(formula.items(), key=lambda kv: kv[1], default=None),
        "cut_cpu_s": round(cut, 3),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
