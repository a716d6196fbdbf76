"""The 16-bit building blocks remapped.py draws transitions with, run through ffmpeg: what a
16-bit lut can give, masks taken to 8 bits exactly, the signed blends that push a read, and
fields unfolded from a quarter. (Found when swap and cube were drawn: a gray16 lut clips at
255 << 8, so a mask of weight 1 had been 254 and a map value of 65535 was never seen by the luts
that looked for it.)"""

from __future__ import annotations

import math
import subprocess

import pytest
from imsd.engine.render.clock import Clock
from imsd.engine.render.graph import FilterGraph, f
from imsd.engine.render.remapped import (
    _CORNER,
    _K,
    _TABLE,
    _TOP,
    _lut16,
    _mask,
    _signed_distances,
    drawn_window,
    parametric_window,
)
from imsd.engine.render.transitions import Parametric, transition_names, xfade_transition


def _run(field: str, steps: str, width: int, pix_fmt: str) -> list[int]:
    """The values of one row of `width` drawn by the geq `field` (16 bits), through `steps`."""
    graph = f"color=black:s={width}x1:d=0.04,format=gray16le,geq=lum={field},format=gray16le,{steps}"
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", graph, "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", pix_fmt,
         "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    size = 2 if pix_fmt == "gray16le" else 1
    return [int.from_bytes(raw[i : i + size], "little") for i in range(0, len(raw), size)]


def _steps(build: str) -> str:
    """The filters of a one-input graph built by remapped.py, as one chain."""
    graph = FilterGraph()
    {"mask": lambda: _mask(graph, "in", "val/65535"), "lut": lambda: graph.one(["in"], _lut16("65535"))}[build]()
    return ",".join(x.render() for x in graph.filters())


def test_a_16_bit_lut_gives_at_most_top() -> None:
    assert _run("X", _steps("lut"), 4, "gray16le") == [_TOP] * 4


def test_a_mask_takes_every_weight_to_its_own_8_bit_level() -> None:
    """Weight k / 255 (a field of 257 k) is k: 255 too, though the lut stops at `_TOP`."""
    assert _run("257*X", _steps("mask"), 256, "gray") == list(range(256))


def _values(graph: FilterGraph, label: str, w: int, h: int, unused: tuple[str, ...] = ()) -> list[list[int]]:
    """The first frame of `label` (gray16) in `graph`, row by row (the `unused` outputs sunk)."""
    script = graph.render() + f";[{label}]format=gray16le[out]" + "".join(f";[{u}]nullsink" for u in unused)
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-filter_complex", script, "-map", "[out]", "-frames:v", "1", "-f", "rawvideo", "-"],
        check=True, capture_output=True,
    ).stdout  # fmt: skip
    flat = [int.from_bytes(raw[i : i + 2], "little") for i in range(0, len(raw), 2)]
    return [flat[y * w : (y + 1) * w] for y in range(h)]


def _row_of(graph: FilterGraph, expr: str, width: int) -> str:
    return graph.one([], [f("color", "black", s=f"{width}x1", d=0.04), f("format", "gray16le"), f("geq", lum=expr)])


_SIGNED = [-32768, -16384, -16383, -1, 0, 1, 16383, 16384, 32767]


@pytest.mark.parametrize(
    ("mode", "by", "expected"),
    [
        # K + (A - K) B / 8192 with B = 16384: twice the signed value, clipped to 16 bits
        ("multiply128", 16384, [0, 0, 2, _K - 2, _K, _K + 2, 65534, 65535, 65535]),
        # A + B - K: the signed value moved by B - K, clipped
        ("grainmerge", _K + 16384, [16384, _K, _K + 1, 49151, 49152, 49153, 65535, 65535, 65535]),
        ("grainmerge", _K - 16384, [0, 0, 1, 16383, 16384, 16385, _K - 1, _K, 49151]),
    ],
)
def test_a_signed_blend_moves_by_a_signed_value_and_saturates(mode: str, by: int, expected: list[int]) -> None:
    """CrazyParametricFun's pushes rely on both: a shift past 16 bits stops at 0 or 65535."""
    graph = FilterGraph()
    top = _row_of(graph, "+".join(f"{_K + v}*eq(X,{i})" for i, v in enumerate(_SIGNED)), len(_SIGNED))
    blended = graph.one([top, _row_of(graph, str(by), len(_SIGNED))], [f("blend", all_mode=mode)])
    assert _values(graph, blended, len(_SIGNED), 1) == [expected]


@pytest.mark.parametrize(("w", "h"), [(8, 6), (12, 10), (7, 5), (5, 7)])
def test_the_signed_distances_unfolded_from_a_quarter_are_the_distance_signed_by_each_side(w: int, h: int) -> None:
    """Odd sides' middle column (X) or row (Y), where the push it signs is 0, take the side before
    the middle."""
    graph = FilterGraph()
    signed = _signed_distances(graph, Clock.at(25), 2, w, h)
    for axis, label in signed.items():
        got = _values(graph, label, w, h, tuple(other for other in signed.values() if other != label))
        for y in range(h):
            for x in range(w):
                dist = math.hypot((x + 0.5) / w - 0.5, (y + 0.5) / h - 0.5)
                side = (x + 0.5 - w / 2) if axis == "X" else (y + 0.5 - h / 2)
                exact = (math.copysign(dist, side or -1) + _CORNER) / (2 * _CORNER) * (_TABLE - 1)
                assert abs(got[y][x] - exact) <= 0.5 + 1e-6, (axis, x, y, got[y][x], exact)


#: The transitions drawn by remapped.py (drawn_window), by name.
_DRAWN = {
    name: choice.drawn
    for name in transition_names()
    if (choice := xfade_transition(name, "seed")) is not None and choice.drawn is not None
}


@pytest.mark.parametrize("size", [(128, 130), (130, 128)], ids=str)
@pytest.mark.parametrize("name", sorted(_DRAWN))
def test_a_transition_drawn_by_its_formula_runs_on_the_smallest_outputs(name: str, size: tuple[int, int]) -> None:
    """Outputs are 128 pixels a side or more (api/timeline.py MIN_SIDE); at 130 the chroma planes
    have an odd side, where fields unfold round a middle column or row."""
    choice = xfade_transition(name, "seed")
    assert choice is not None and choice.drawn is not None
    graph = FilterGraph()
    out = drawn_window(graph, Clock.at(25), "a", "b", choice.drawn, 5, size, alpha=False)
    w, h = size
    pictures = "".join(
        f"color={c}:s={w}x{h}:r=25:d=0.2,format=yuv420p[{label}];" for c, label in (("red", "a"), ("blue", "b"))
    )
    subprocess.run(
        ["ffmpeg", "-v", "error", "-filter_complex", pictures + graph.render(), "-map", f"[{out}]", "-f", "null", "-"],
        check=True, capture_output=True,
    )  # fmt: skip


def test_a_push_further_than_a_16_bit_shift_holds_is_refused_when_the_graph_is_built() -> None:
    """A smoothness under 1/16 magnifies the sine past what multiply128's shift holds: the graph
    is not drawn wrong, it is refused (the shipped crazyparametricfun, .1, fits)."""
    fits, too_fine = Parametric(a=4, b=1, amplitude=120, smoothness=0.1), Parametric(4, 1, 120, 0.05)
    parametric_window(FilterGraph(), Clock.at(25), "a", "b", fits, 25, (1080, 1920), alpha=False)
    with pytest.raises(ValueError, match=r"smoothness 0\.05"):
        parametric_window(FilterGraph(), Clock.at(25), "a", "b", too_fine, 25, (1080, 1920), alpha=False)
