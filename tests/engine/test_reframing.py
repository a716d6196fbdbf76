"""Face-aware reframing: a Cover crop keeps the faces in the window, else the most salient region
(issue 17, media/faces.py, media/saliency.py).

The footage is made here: a drawn face (skin-toned oval, brows, eyes, nose, mouth) on a blue
backdrop, which OpenCV's frontal-face cascade finds as it finds a photographed one; no face
photograph ships in any package reachable here. Footage without a face shows a red ball instead.
The crop is IMS's AdaptMode Cover (docs/ims-api.md §2.3: scale and crop); where the window sits is
the engine's choice, listed under Approximated.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from imsd.engine.media import FaceFinder, MediaResolver, focus_path
from imsd.engine.media.faces import FaceSample
from imsd.engine.media.saliency import salient_point
from imsd.settings import EngineSettings
from PIL import Image, ImageDraw, ImageFilter

from .conftest import video
from .sampling import frame_at

SKIN = (224, 180, 150)
RED = (220, 60, 40)
BACKDROP = (70, 110, 160)
WIDTH, HEIGHT, FPS = 640, 360, 10


def drawn_face(size: int) -> Image.Image:
    face = Image.new("RGBA", (size, round(size * 1.25)), (0, 0, 0, 0))
    d = ImageDraw.Draw(face)
    w, h = face.size
    d.ellipse([w * 0.1, h * 0.05, w * 0.9, h * 0.95], fill=SKIN)
    for left in (0.25, 0.57):
        d.rectangle([w * left, h * 0.33, w * (left + 0.18), h * 0.36], fill=(60, 40, 30))  # brow
        d.ellipse([w * (left + 0.03), h * 0.39, w * (left + 0.17), h * 0.46], fill=(40, 30, 30))  # eye
    d.polygon([(w * 0.5, h * 0.45), (w * 0.44, h * 0.62), (w * 0.56, h * 0.62)], fill=(200, 150, 120))
    d.ellipse([w * 0.38, h * 0.7, w * 0.62, h * 0.77], fill=(150, 60, 60))
    return face.filter(ImageFilter.GaussianBlur(1.5))


def ball(size: int) -> Image.Image:
    """A red ball with a highlight: a subject without a face."""
    picture = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(picture)
    draw.ellipse([0, 0, size - 1, size - 1], fill=RED)
    draw.ellipse([size * 0.2, size * 0.15, size * 0.4, size * 0.3], fill=(250, 230, 220))
    return picture


def footage(path: Path, seconds: float, centre_x: Callable[[float], float], subject: Image.Image | None = None) -> Path:
    """`seconds` of a face (or `subject`) whose centre is at `centre_x(t)` (a fraction of the width), at mid height."""
    face = subject or drawn_face(110)
    frames = []
    for index in range(round(seconds * FPS)):
        picture = Image.new("RGB", (WIDTH, HEIGHT), BACKDROP)
        x = round(centre_x(index / FPS) * WIDTH - face.width / 2)
        picture.paste(face, (x, (HEIGHT - face.height) // 2), face)
        frames.append(picture.tobytes())
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{WIDTH}x{HEIGHT}",
         "-r", str(FPS), "-i", "-", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)],
        input=b"".join(frames), check=True,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def off_centre(media_dir: Path) -> Path:
    return footage(media_dir / "off_centre.mp4", 3.0, lambda t: 0.82)


@pytest.fixture(scope="module")
def faceless(media_dir: Path) -> Path:
    return footage(media_dir / "faceless.mp4", 3.0, lambda t: 0.82, ball(100))


@pytest.fixture(scope="module")
def walking(media_dir: Path) -> Path:
    return footage(media_dir / "walking.mp4", 4.0, lambda t: 0.15 + 0.7 * t / 4.0)


def skin_at_centre(frame: Any, colour: tuple[int, int, int] = SKIN) -> bool:
    h, w = frame.shape[:2]
    patch = frame[h // 2 - 4 : h // 2 + 4, w // 2 - 4 : w // 2 + 4].reshape(-1, 3).mean(axis=0)
    return bool(np.all(np.abs(patch - np.array(colour)) < 45))


async def test_the_face_finder_locates_an_off_centre_face(off_centre: Path, settings: EngineSettings) -> None:
    info = await MediaResolver(settings).resolve(str(off_centre), "clip")
    samples = await FaceFinder(settings.cache_dir, "ffmpeg").samples(info)
    assert len(samples) == 6  # 3 s at SAMPLE_FPS 2
    centres = [b[0] + b[2] / 2 for s in samples for b in s.boxes]
    assert len(centres) == 6 and all(abs(c - 0.82) < 0.05 for c in centres)


async def test_a_cover_crop_to_portrait_keeps_an_off_centre_face_in_the_window(
    render: Any, off_centre: Path
) -> None:
    clip = {"MediaURL": str(off_centre), "AdaptMode": "Cover"}
    result = await render({"VideoTracks": [video(clip)]}, Width=180, Height=320)
    frame = frame_at(result.output, 1.5)
    assert skin_at_centre(frame)  # a centred window would show the backdrop only
    assert any("follows the faces" in note for note in result.approximated)


async def test_without_a_face_the_cover_crop_keeps_the_off_centre_salient_thing_in_the_window(
    render: Any, faceless: Path
) -> None:
    clip = {"MediaURL": str(faceless), "AdaptMode": "Cover"}
    result = await render({"VideoTracks": [video(clip)]}, Width=180, Height=320)
    for t in (0.2, 1.5, 2.8):
        assert skin_at_centre(frame_at(result.output, t), RED)  # a centred window would show the backdrop only
    assert any("most salient region" in note for note in result.approximated)


async def test_the_window_follows_a_face_that_walks_across(render: Any, walking: Path) -> None:
    clip = {"MediaURL": str(walking), "AdaptMode": "Cover"}
    result = await render({"VideoTracks": [video(clip)]}, Width=180, Height=320)
    assert skin_at_centre(frame_at(result.output, 0.5)) and skin_at_centre(frame_at(result.output, 3.5))


async def test_without_reframing_the_cover_crop_stays_centred(
    resolver: MediaResolver, off_centre: Path, tmp_path: Path
) -> None:
    from imsd.engine.render import render_timeline

    centred = MediaResolver(resolver.settings.model_copy(update={"reframe_faces": False}))
    timeline = {"VideoTracks": [video({"MediaURL": str(off_centre), "AdaptMode": "Cover"})]}
    result = await render_timeline(timeline, {"Width": 180, "Height": 320}, resolver=centred,
                                   workdir=tmp_path / "w", destination=tmp_path / "centred.mp4")  # fmt: skip
    frame = frame_at(result.output, 1.5)
    assert not skin_at_centre(frame) and not any("faces" in note for note in result.approximated)


def test_a_still_face_gives_one_keyframe_and_jitter_is_smoothed_away() -> None:
    box = lambda x: ((x - 0.05, 0.4, 0.1, 0.2),)  # noqa: E731
    samples = [FaceSample(i / 2, box(0.8 + (0.01 if i % 2 else -0.01))) for i in range(12)]
    path = focus_path(samples, 0.0, 6.0)
    assert path is not None and len(path.points) == 1 and abs(path.points[0][1] - 0.8) < 0.011


def test_a_frame_without_a_face_holds_the_last_point() -> None:
    box = ((0.15, 0.4, 0.1, 0.2),)
    samples = [FaceSample(t, box if t in (0.0, 0.5, 2.0) else ()) for t in (0.0, 0.5, 1.0, 1.5, 2.0)]
    path = focus_path(samples, 0.0, 2.0)
    assert path is not None and [round(p[1], 2) for p in path.points] == [0.2]


def test_a_moving_face_gives_a_path_of_few_keyframes_that_follows_it() -> None:
    samples = [FaceSample(i / 2, ((0.1 + 0.05 * i - 0.05, 0.4, 0.1, 0.2),)) for i in range(16)]  # 0.1 -> 0.85
    path = focus_path(samples, 0.0, 7.5)
    assert path is not None and 2 <= len(path.points) <= 4
    assert abs(path.at(3.75)[0] - 0.475) < 0.03


def test_no_face_means_no_path() -> None:
    assert focus_path([FaceSample(t / 2, ()) for t in range(6)], 0.0, 3.0) is None


def test_faces_are_found_in_many_threads_at_once() -> None:
    """Renders detect faces concurrently (asyncio.to_thread); OpenCV's classifier is not safe to
    share between threads (a shared one failed an assertion in getScaleData)."""
    from concurrent.futures import ThreadPoolExecutor

    from imsd.engine.media import faces_in

    picture = Image.new("RGB", (WIDTH, HEIGHT), BACKDROP)
    face = drawn_face(110)
    picture.paste(face, (420, 100), face)
    gray = np.asarray(picture.convert("L"))
    with ThreadPoolExecutor(4) as pool:
        found = list(pool.map(faces_in, [gray] * 32))
    assert len(found[0]) == 1 and all(f == found[0] for f in found)


def backdrop_with(thing: Image.Image, centre_x: float, backdrop: Image.Image | None = None) -> Any:
    picture = backdrop or Image.new("RGB", (320, 180), BACKDROP)
    picture.paste(thing, (round(centre_x * 320 - thing.width / 2), (180 - thing.height) // 2), thing)
    return np.asarray(picture.convert("L"))


def test_the_salient_point_is_the_thing_that_stands_out() -> None:
    for x in (0.2, 0.5, 0.8):
        point = salient_point(backdrop_with(ball(50), x))
        assert point is not None and abs(point[0] - x) < 0.07 and abs(point[1] - 0.5) < 0.1  # the highlight lifts it
    lit_from_the_left = Image.fromarray(np.tile(np.linspace(200, 40, 320), (180, 1)).astype(np.uint8)).convert("RGB")
    point = salient_point(backdrop_with(ball(40), 0.8, lit_from_the_left))
    assert point is not None and abs(point[0] - 0.8) < 0.07  # the light is no subject


def test_a_flat_or_uniformly_busy_frame_has_no_salient_point() -> None:
    assert salient_point(np.full((180, 320), 90, np.uint8)) is None
    stripes = np.tile((np.arange(320) // 8 % 2 * 160 + 40).astype(np.uint8), (180, 1))
    assert salient_point(stripes) is None


def test_without_faces_the_path_follows_the_salient_point_smoothed() -> None:
    samples = [FaceSample(i / 2, (), (0.78 + (0.015 if i % 2 else -0.015), 0.5)) for i in range(12)]
    path = focus_path(samples, 0.0, 6.0)
    assert path is not None and path.subject == "salience"
    assert len(path.points) == 1 and abs(path.points[0][1] - 0.78) < 0.011  # the wobble is smoothed away


def test_a_face_anywhere_in_the_clip_wins_over_the_salient_point() -> None:
    samples = [FaceSample(i / 2, ((0.15, 0.4, 0.1, 0.2),) if i == 3 else (), (0.8, 0.5)) for i in range(8)]
    path = focus_path(samples, 0.0, 4.0)
    assert path is not None and path.subject == "faces" and path.points[0][1] == 0.2
