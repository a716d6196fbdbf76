"""The quality signal's weight in the highlight score, chosen on a labelled fixture (issue 17 item 4).

    .venv/bin/python bench/highlights.py

Six cases of generated media, each labelled with the stretch a person would pick as its
highlight. Two ask quality to decide (a sharp picture beside a softened or a darkened copy of it,
same sound); four ask it not to overrule a stronger moment (a loud, cut-dense section that is a
little soft or dim, someone speaking in a slightly soft shot, beside calm, sharp, quiet footage).
For each quality weight w from 0 to 0.5 the other weights keep their ratios (0.3 loudness, 0.2
cuts, 0.2 motion, 0.15 speech, 0.15 faces) scaled by 1 - w; a case is right when the best 4 s pick
lies at least half inside its label. The weight chosen is the middle of the widest run of w that
gets the most cases right (rounded to 0.05): as far as the fixture allows from both kinds of
mistake. The last line is one JSON object.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imsd.engine.planning.analysis import Analyzer, HighlightWeights, MediaAnalysis, pick_highlights
from imsd.settings import EngineSettings

from tests.engine.test_analysis import _SOURCES, _make

SHARP = _SOURCES[0]
SOFT, SLIGHTLY_SOFT = ",gblur=sigma=1.5", ",gblur=sigma=1"
DARK, DIM = ",lutyuv=y=16+(val-16)*0.25", ",lutyuv=y=16+(val-16)*0.5"
QUIET, LOUD = "0.02", "0.9"
GRID = [round(0.05 * i, 2) for i in range(11)]


@dataclass(frozen=True)
class Case:
    """Media (name -> segments of (lavfi source, seconds), and the tone's volume) and the label."""

    name: str
    media: dict[str, tuple[list[tuple[str, float]], str]]
    label: tuple[str, float, float]  # media, start, end


def _busy(look: str) -> list[tuple[str, float]]:
    return [(_SOURCES[1 + i % 4] + look, 1.0) for i in range(6)]


CASES = [
    Case("soft copy", {"soft": ([(SHARP + SOFT, 6)], "0.3"), "sharp": ([(SHARP, 6)], "0.3")}, ("sharp", 0, 6)),
    Case("dark copy", {"dark": ([(SHARP + DARK, 6)], "0.3"), "sharp": ([(SHARP, 6)], "0.3")}, ("sharp", 0, 6)),
    Case("loud, cut-dense, a little soft", {"calm": ([(SHARP, 8)], QUIET), "lively": (_busy(SLIGHTLY_SOFT), LOUD)},
         ("lively", 0, 6)),
    Case("loud, cut-dense, dim", {"calm": ([(SHARP, 8)], QUIET), "party": (_busy(DIM), LOUD)}, ("party", 0, 6)),
    Case("loud, cut-dense, soft", {"calm": ([(SHARP, 8)], QUIET), "lively": (_busy(SOFT), LOUD)}, ("lively", 0, 6)),
    Case("speech in a slightly soft shot",
         {"plain": ([(SHARP, 8)], QUIET), "talk": ([(SHARP + SLIGHTLY_SOFT, 8)], "voice")}, ("talk", 2, 6)),
]  # fmt: skip


def weights_with(quality: float) -> HighlightWeights:
    """The other weights' ratios as they were before quality, scaled to leave `quality`."""
    base = HighlightWeights(loudness=0.3, cut_density=0.2, motion=0.2, speech=0.15, faces=0.15, quality=0.0)
    scaled = {k: v * (1 - quality) for k, v in dataclasses.asdict(base).items()}
    return HighlightWeights(**{**scaled, "quality": quality})


def make_media(root: Path, name: str, segments: list[tuple[str, float]], volume: str) -> Path:
    """`volume` "voice": a spoken sentence (espeak-ng) from 2 s on instead of the tone."""
    path = _make(root / f"{name}.mp4", segments, QUIET if volume == "voice" else volume)
    if volume != "voice":
        return path
    voice = root / f"{name}.wav"
    subprocess.run(["espeak-ng", "-w", str(voice), "Welcome to the new shop, we are open all week."], check=True)
    spoken = root / f"{name}-spoken.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(path), "-i", str(voice), "-filter_complex",
         "[1:a]adelay=2000|2000,apad[a]", "-map", "0:v", "-map", "[a]", "-c:v", "copy", "-c:a", "aac", "-shortest",
         str(spoken)],
        check=True,
    )  # fmt: skip
    return spoken


def right(case: Case, analyses: dict[str, MediaAnalysis], weights: HighlightWeights) -> bool:
    picks = pick_highlights(analyses, target_duration=4, max_window=4, weights=weights)
    if not picks:
        return False
    best = max(picks, key=lambda p: p.score)
    media, start, end = case.label
    inside = max(0.0, min(best.end, end) - max(best.start, start))
    return best.media == media and inside >= (best.end - best.start) / 2


def chosen(hits: list[int]) -> float:
    """The middle of the widest run of GRID values with the most hits, rounded to 0.05."""
    most = max(hits)
    runs: list[list[float]] = []
    for w, h in zip(GRID, hits, strict=True):
        if h == most and runs and runs[-1][-1] == round(w - 0.05, 2):
            runs[-1].append(w)
        elif h == most:
            runs.append([w])
    widest = max(runs, key=len)
    return round(round((widest[0] + widest[-1]) / 2 / 0.05) * 0.05, 2)


async def main() -> None:
    with tempfile.TemporaryDirectory(prefix="imsd-bench-highlights-") as tmp:
        root = Path(tmp)
        settings = EngineSettings(cache_dir=root / "cache", work_dir=root / "work", media_roots=[root])
        analysed = []
        for c, case in enumerate(CASES):
            analyses = {}
            for name, (segments, volume) in case.media.items():
                path = make_media(root, f"{c}-{name}", segments, volume)
                analyses[name] = await Analyzer(settings).analyze(path)
            analysed.append(analyses)
    table = {w: [right(case, a, weights_with(w)) for case, a in zip(CASES, analysed, strict=True)] for w in GRID}
    hits = [sum(table[w]) for w in GRID]
    for w in GRID:
        print(f"quality {w:.2f}: {hits[GRID.index(w)]}/{len(CASES)} " + " ".join("+" if r else "-" for r in table[w]))
    for case, analyses in zip(CASES, analysed, strict=True):
        means = {n: round(sum(a.quality) / len(a.quality), 3) for n, a in analyses.items()}
        print(f"  {case.name}: mean quality {means}")
    weight = chosen(hits)
    print(f"chosen quality weight {weight} ({hits[GRID.index(weight)]}/{len(CASES)} right): {weights_with(weight)}")
    print(json.dumps({"cases": len(CASES), "quality_weight": weight, "right": hits[GRID.index(weight)],
                      "right_by_weight": dict(zip([str(w) for w in GRID], hits, strict=True))}))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
