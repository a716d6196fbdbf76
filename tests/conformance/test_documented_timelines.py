"""Every example Timeline of the IMS documentation, rendered and checked against what its page says.

The corpus is `cases/*.json` (see cases/INDEX.md): each holds the page's URL, its Timeline as
printed, the documented effect in a sentence, stand-in properties for the media it names, and
checks written from the page. This module makes the stand-ins, renders each case and runs its
checks; it is the specification of the local engine's conformance.

Stand-ins: each media reference gets a colour of its own (a palette indexed by the order the case
lists its media), drawn as 24 vertical stripes of that colour and a darker shade, so a region
shows *which* media is there and whether it is blurred (the stripes vanish); audio and the sound
of a video are a sine tone of a frequency of their own, so the sound at an instant names its source.

Small renders: an output is rendered at a quarter of its documented size, with FECanvas set to the
documented size when the case has none. FECanvas is the documented way to write pixel values for
one canvas and render them on another (docs/ims-api.md §2), so the picture is the documented one,
scaled. Text is found by rendering the case a second time without its text and comparing.
"""

from __future__ import annotations

import asyncio
import copy
import json
import math
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import numpy.typing as npt
import PIL.Image
import pytest
from imsd.engine.media import MediaInfo, MediaResolver, MediaText, Prober
from imsd.engine.planning import Synthesizer, TimelineSpeech, Transcriber
from imsd.engine.render import RenderResult, render_timeline
from imsd.settings import EngineSettings

from ..engine.sampling import frames, samples

CASES = Path(os.environ.get("IMSD_CONFORMANCE_CASES", Path(__file__).parent / "cases"))
FPS = 10
SCALE = 4  # outputs are rendered at 1/SCALE of their documented size
DEFAULT_SIZE = (1280, 720)  # a case without an output size: what the stand-ins are rendered as
PALETTE = [(230, 60, 40), (40, 160, 230), (60, 200, 80), (230, 200, 40), (180, 70, 220), (240, 130, 30),
           (40, 200, 190), (220, 90, 150), (120, 120, 240), (150, 200, 60)]  # fmt: skip
TONES = [330.0, 440.0, 550.0, 660.0, 770.0, 880.0, 990.0, 1100.0, 1210.0, 1320.0]
DARKER = 0.55  # the shade of every other stripe
STRIPE = 8
STRIPES = 24  # across the width of a stand-in, at least STRIPE px each
TEXT_KEYS = ("SubtitleTracks",)
STAND_IN_FONT = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")


def _cases() -> list[Path]:
    return sorted(CASES.glob("*.json"))


@dataclass
class StandIn:
    ref: str
    kind: str
    colour: tuple[int, int, int]
    tone: float

    @property
    def mean_colour(self) -> npt.NDArray[np.float64]:
        return np.array(self.colour, dtype=np.float64) * (1 + DARKER) / 2

    @property
    def stripe_std(self) -> float:
        """The std of column luma across sharp stripes: half the luma step between the shades."""
        return float(_luma(np.array(self.colour, dtype=np.uint8))) * (1 - DARKER) / 2


class Registry:
    """MediaIds of a case's stand-ins (the MediaRegistry protocol, in memory)."""

    def __init__(self, prober: Prober) -> None:
        self.prober = prober
        self.paths: dict[str, Path] = {}

    async def get(self, media_id: str) -> MediaInfo | None:
        path = self.paths.get(media_id)
        return None if path is None else await self.prober.probe(path)

    async def add(self, path: Path, media_id: str | None = None, text: MediaText | None = None) -> str:
        media_id = media_id or path.name
        self.paths[media_id] = path
        return media_id

    async def text(self, media_id: str) -> MediaText:
        return MediaText()


def _stripes(colour: tuple[int, int, int], width: int, height: int) -> PIL.Image.Image:
    stripe = max(STRIPE, width // STRIPES)  # still stripes once the output is rendered small
    row = np.array([colour if (x // stripe) % 2 == 0 else tuple(round(c * DARKER) for c in colour)
                    for x in range(width)], dtype=np.uint8)  # fmt: skip
    return PIL.Image.fromarray(np.repeat(row[None, :, :], height, axis=0))


def _make(stand_in: StandIn, spec: dict[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    kind = spec.get("kind", "video")
    duration = float(spec.get("duration", 5))
    if kind == "image":
        _stripes(stand_in.colour, int(spec.get("width", 640)), int(spec.get("height", 360))).save(path)
        return
    if kind == "font":  # a font file the page names (FontURL): an installed font stands in
        shutil.copyfile(STAND_IN_FONT, path)
        return
    tone = ["-f", "lavfi", "-i", f"sine=frequency={stand_in.tone}:sample_rate=48000:duration={duration}"]
    if kind == "audio":
        cmd = tone  # the codec follows the file's name (.wav, .mp3, .m4a ...)
    else:
        still = path.with_suffix(".stripes.png")
        _stripes(stand_in.colour, int(spec.get("width", 640)), int(spec.get("height", 360))).save(still)
        cmd = ["-loop", "1", "-framerate", str(FPS), "-t", str(duration), "-i", str(still), *tone, "-c:v",
               "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest"]  # fmt: skip
    subprocess.run(["ffmpeg", "-v", "error", "-y", *cmd, str(path)], check=True)


def _file_name(ref: str, kind: str, index: int) -> str:
    """A MediaId's stand-in file: a picture keeps the type its reference names, if a still's."""
    suffix = Path(urlsplit(ref).path).suffix.lower()
    if kind == "image":
        return f"media-{index}{suffix if suffix in ('.png', '.jpg', '.jpeg', '.webp', '.bmp') else '.png'}"
    return f"media-{index}{'.wav' if kind == 'audio' else '.mp4'}"


@dataclass
class Rendered:
    case: dict[str, Any]
    result: RenderResult
    plain: RenderResult | None  # the same case without its text, when a check looks for text
    stand_ins: dict[str, StandIn]
    width: int
    height: int

    def frame(self, seconds: float, plain: bool = False) -> npt.NDArray[np.uint8]:
        source = self.plain if plain else self.result
        assert source is not None
        video = frames(source.output)
        return video[min(len(video) - 1, round(seconds * FPS))]

    def box(self, frame: npt.NDArray[np.uint8], box: list[float]) -> npt.NDArray[np.uint8]:
        x, y, w, h = box
        h_px, w_px = frame.shape[:2]
        x0, y0 = round(x * w_px), round(y * h_px)
        return frame[y0 : max(y0 + 1, round((y + h) * h_px)), x0 : max(x0 + 1, round((x + w) * w_px))]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("conformance")


async def _render(case_path: Path, root: Path) -> Rendered:
    case = json.loads(await asyncio.to_thread(case_path.read_text, encoding="utf-8"))
    work = root / case_path.stem
    settings = EngineSettings(
        media_roots=[work / "media"], storage_root=work / "storage", cache_dir=work / "cache",
        work_dir=work / "work", default_preset="ultrafast", default_fps=FPS, prepared_free_gb=0,
    )  # fmt: skip
    prober = Prober()
    registry = Registry(prober)
    resolver = MediaResolver(settings, registry, prober)
    stand_ins: dict[str, StandIn] = {}
    offline: dict[str, Path] = {}  # web addresses the timeline is pointed away from, to their stand-ins
    for index, (ref, spec) in enumerate(case.get("media", {}).items()):
        stand_in = StandIn(ref, spec.get("kind", "video"), PALETTE[index % len(PALETTE)], TONES[index % len(TONES)])
        stand_ins[ref] = stand_in
        parts = urlsplit(ref)
        oss = resolver.oss_path(ref, "media") if parts.scheme in ("http", "https") else None
        if oss is not None and oss.suffix:
            path = oss
        elif parts.scheme in ("http", "https"):
            # Not OSS, or an object without a file type (a page that masks its address), which
            # could not sit beside a folder of the same name as OSS objects can: a local file.
            path = offline[ref] = work / "media" / _file_name(ref, stand_in.kind, index)
        else:
            path = work / "media" / _file_name(ref, stand_in.kind, index)
            await registry.add(path, ref)
        _make(stand_in, spec, path)
    timeline = _local(case["timeline"], offline)
    output = dict(case.get("output_media_config") or {})
    width, height = int(output.get("Width") or DEFAULT_SIZE[0]), int(output.get("Height") or DEFAULT_SIZE[1])
    if "FECanvas" not in timeline:
        timeline["FECanvas"] = {"Width": width, "Height": height}
    small = {"Width": _even(width / SCALE), "Height": _even(height / SCALE), "Video": {"Fps": FPS}}

    speech = TimelineSpeech(Synthesizer(settings), Transcriber(settings, prober), resolver)

    async def run(tl: dict[str, Any], name: str) -> RenderResult:
        prepared, notes = await speech.prepare(tl)  # AI_TTS and AI_ASR, as the worker does
        result = await render_timeline(
            prepared, small, resolver=resolver, workdir=work / name, destination=work / f"{name}.mp4"
        )
        result.approximated[:0] = notes
        return result

    result = await run(timeline, "out")
    wants_text = any(c["check"] in ("text", "no_text") for c in case.get("checks", []))
    plain = await run(_without_text(timeline), "plain") if wants_text else None
    return Rendered(case, result, plain, stand_ins, small["Width"], small["Height"])


def _even(value: float) -> int:
    return max(2, 2 * round(value / 2))


def _local(timeline: dict[str, Any], offline: dict[str, Path]) -> dict[str, Any]:
    """The case's timeline with the `offline` web addresses pointed at their stand-ins."""
    text = json.dumps(timeline)
    for ref, path in offline.items():
        text = text.replace(json.dumps(ref), json.dumps(str(path)))
    result: dict[str, Any] = json.loads(text)
    return result


def _without_text(timeline: dict[str, Any]) -> dict[str, Any]:
    plain = copy.deepcopy(timeline)
    plain.pop("SubtitleTracks", None)
    for track in plain.get("VideoTracks", []):
        for clip in track.get("VideoTrackClips", []):
            clip["Effects"] = [e for e in clip.get("Effects", []) if e.get("Type") != "Text"]
    return plain


# ---- checks -----------------------------------------------------------------------------------

_BLACK = 24  # mean level under which a region is black
# How much of a stand-in's stripe contrast a region keeps: sharp media keeps nearly all of it
# (scaled, ~0.95), a blurred copy at most this share (Radius 0.1 keeps ~0.5 of the coarsest stripes).
_SHARP = 0.8
_BLURRED = 0.6
_COLOUR_TOLERANCE = 45.0
_TEXT_DIFF = 60  # a pixel differing this much from the plain render is a text pixel
_TEXT_PIXELS = 6


def _luma(region: npt.NDArray[np.uint8]) -> npt.NDArray[np.float64]:
    rgb = region.astype(np.float64)
    return 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]


def _column_std(region: npt.NDArray[np.uint8]) -> float:
    """How striped the region is across: std of the mean luma of each column."""
    return float(np.std(_luma(region).mean(axis=0)))


def check(rendered: Rendered, spec: dict[str, Any]) -> str | None:
    """None when the output shows what `spec` says; else what it shows instead."""
    kind = spec["check"]
    if kind == "duration":
        got = rendered.result.duration
        return None if abs(got - spec["seconds"]) <= spec.get("tolerance", 0.2) else f"duration {got:.2f}s"
    if kind == "size":
        # rendered at 1/SCALE: the documented size is checked as the aspect and the scaled size
        want = (_even(spec["width"] / SCALE), _even(spec["height"] / SCALE))
        got = (rendered.result.width, rendered.result.height)
        return None if got == want else f"size {got} (want {want} at 1/{SCALE})"
    if kind == "note":
        return None
    if kind in ("region", "text", "no_text"):
        frame = rendered.frame(spec["t"])
        region = rendered.box(frame, spec["box"])
        if kind == "region":
            return _region(rendered, region, spec)
        plain = rendered.box(rendered.frame(spec["t"], plain=True), spec["box"])
        diff = np.abs(region.astype(int) - plain.astype(int)).max(axis=-1)
        text_pixels = int((diff > _TEXT_DIFF).sum())
        if kind == "text":
            return None if text_pixels >= _TEXT_PIXELS else f"{text_pixels} text pixels in the box"
        return None if text_pixels < _TEXT_PIXELS else f"{text_pixels} text pixels in the box"
    if kind == "audio":
        pcm = samples(rendered.result.output)
        part = pcm[int(spec["from"] * 48000) : int(spec["to"] * 48000)]
        level = float(np.sqrt(np.mean(np.square(part)))) if len(part) else 0.0
        sound = level > 0.01
        return None if sound == (spec["expect"] == "sound") else f"rms {level:.4f}"
    if kind == "audio_media":
        pcm = samples(rendered.result.output)
        start = int(spec["t"] * 48000)
        window = pcm[start : start + 9600]
        if len(window) < 9600:
            return "no audio there"
        spectrum = np.abs(np.fft.rfft(window * np.hanning(len(window))))
        peak = float(np.fft.rfftfreq(len(window), 1 / 48000)[int(np.argmax(spectrum))])
        want = rendered.stand_ins[spec["media"]].tone
        return None if math.isclose(peak, want, abs_tol=15) else f"dominant {peak:.0f} Hz, want {want:.0f} Hz"
    return f"unknown check {kind!r}"


def _region(rendered: Rendered, region: npt.NDArray[np.uint8], spec: dict[str, Any]) -> str | None:
    mean = region.reshape(-1, 3).astype(np.float64).mean(axis=0)
    expect = spec["expect"]
    seen = f"mean {np.round(mean).astype(int).tolist()}, stripes {_column_std(region):.1f}"
    if expect == "black":
        return None if mean.max() < _BLACK else seen
    if expect == "not_black":
        return None if mean.max() >= _BLACK else seen
    if expect == "colour":
        want = np.array([int(spec["colour"][i : i + 2], 16) for i in (1, 3, 5)], dtype=np.float64)
        return None if np.abs(mean - want).max() <= _COLOUR_TOLERANCE else seen
    stand_in = rendered.stand_ins[spec["media"]]
    near = np.abs(mean - stand_in.mean_colour).max() <= _COLOUR_TOLERANCE
    contrast = _column_std(region) / stand_in.stripe_std
    if expect == "media":
        return None if near and contrast >= _SHARP else seen
    if expect == "blurred_media":
        return None if near and contrast <= _BLURRED else seen
    return f"unknown region expectation {expect!r}"


def _ids() -> Iterator[str]:
    return (path.stem for path in _cases())


@pytest.mark.parametrize("case_path", _cases(), ids=list(_ids()))
async def test_a_documented_timeline_renders_as_its_page_shows(case_path: Path, workspace: Path) -> None:
    rendered = await _render(case_path, workspace)
    failures = [
        f"{spec}: {problem}" for spec in rendered.case.get("checks", []) if (problem := check(rendered, spec))
    ]
    assert not failures, f"{rendered.case['source']}\n" + "\n".join(failures)
    # A case may expect departures the engine lists (`listed`: the note's text and why): those
    # cases are counted as rendered with a listed departure, not as rendered as documented; an
    # entry marked `notice` (a deprecation) is not a departure.
    listed = rendered.case.get("listed", [])
    notes = [*rendered.result.ignored, *rendered.result.approximated]
    unexpected = [n for n in notes if not any(entry["note"] in n for entry in listed)]
    assert not unexpected, f"listed but not expected by the case: {unexpected}"
    departures = [n for n in notes if not any(e["note"] in n for e in listed if e.get("notice"))]
    TALLY["with listed departures" if departures else "as documented"].append(case_path.stem)


# Outcomes of the passing cases, printed at the end of the run (conftest.py).
TALLY: dict[str, list[str]] = {"as documented": [], "with listed departures": []}
