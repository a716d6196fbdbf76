"""The 16-bit building blocks remapped.py draws transitions with, run through ffmpeg: what a
16-bit lut can give, and masks taken to 8 bits exactly. (Found when swap and cube were drawn: a
gray16 lut clips at 255 << 8, so a mask of weight 1 had been 254 and a map value of 65535 was
never seen by the luts that looked for it.)"""

from __future__ import annotations

import subprocess

from imsd.engine.render.graph import FilterGraph
from imsd.engine.render.remapped import _TOP, _lut16, _mask


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
