"""Stills of every common type, made by Pillow as a camera or an editor would write them.

Each is rendered as an Image clip and its colour read back from the output. ffmpeg would pick
image2 for a `.jpg` name (refused: it reads numbered sequences), so a still is opened through the
single-image demuxer its first bytes name; EXIF orientation is applied here, as ffmpeg 5 does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import PIL.Image
import pytest
from imsd.engine.media import MediaResolver, Prober
from imsd.engine.render import RenderResult, render_timeline
from imsd.errors import ImsError

from .sampling import close, frame_at

ORANGE = (240, 120, 20)
TEAL = (20, 160, 160)
EXIF_ORIENTATION = 0x0112


def _image(colour: tuple[int, int, int], size: tuple[int, int] = (160, 120)) -> PIL.Image.Image:
    return PIL.Image.new("RGB", size, colour)


def _camera_jpeg(path: Path, image: PIL.Image.Image, orientation: int = 1) -> Path:
    """A JPEG with an EXIF block before the picture, as phones and cameras write them."""
    exif = PIL.Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    exif[0x010F] = "imsd test camera"  # Make
    image.save(path, exif=exif.tobytes(), quality=92)
    return path


@pytest.fixture
def render(resolver: MediaResolver, tmp_path: Path) -> Any:
    async def run(path: Path, width: int = 256, height: int = 192, **fields: Any) -> RenderResult:
        clip = {"MediaURL": str(path), "Type": "Image", "Duration": 1.0, **fields}
        return await render_timeline(
            {"VideoTracks": [{"VideoTrackClips": [clip]}]},
            {"Width": width, "Height": height},
            resolver=resolver,
            workdir=tmp_path / "job",
            destination=tmp_path / "out.mp4",
        )

    return run


@pytest.mark.parametrize(
    ("name", "options"),
    [
        ("still.jpg", {"quality": 92}),
        ("still.jpeg", {"quality": 92, "progressive": True}),
        ("still.png", {}),
        ("still.webp", {"quality": 90}),
        ("still.bmp", {}),
        ("still.gif", {}),
        ("still.tif", {}),
    ],
)
async def test_a_still_of_each_common_type_renders_its_picture(
    render: Any, media_dir: Path, name: str, options: dict[str, Any]
) -> None:
    path = media_dir / name
    _image(ORANGE).save(path, **options)
    result = await render(path)
    assert close(frame_at(result.output, 0.5)[96, 128], ORANGE, tol=30)


async def test_a_camera_jpeg_with_an_exif_block_renders(render: Any, media_dir: Path) -> None:
    path = _camera_jpeg(media_dir / "camera.jpg", _image(TEAL, (640, 480)))
    result = await render(path)
    assert close(frame_at(result.output, 0.5)[96, 128], TEAL, tol=30)


@pytest.mark.parametrize("kind", ["jpg", "png", "webp", "tif"])
@pytest.mark.parametrize(("orientation", "corner"), [(1, (0, 0)), (2, (0, 1)), (3, (1, 1)), (6, (0, 1)), (8, (1, 0))])
async def test_exif_orientation_turns_the_picture_upright(
    render: Any, media_dir: Path, kind: str, orientation: int, corner: tuple[int, int]
) -> None:
    """A marker stored top-left shows where the EXIF Orientation tag says it belongs.

    2 is mirrored; 6 means "turn 90° clockwise to view": the stored top-left lands top-right; 8
    the other way (bottom-left); 3 is upside down. A landscape picture stored on its side shows
    as landscape. ffmpeg turns JPEGs itself and leaves the others (measured), so both paths run.
    """
    image = _image((0, 0, 0), (120, 160) if orientation in (6, 8) else (160, 120))
    image.paste(TEAL, (0, 0, 40, 40))
    path = media_dir / f"turned-{orientation}.{kind}"
    exif = PIL.Image.Exif()
    exif[EXIF_ORIENTATION] = orientation
    image.save(path, exif=exif.tobytes(), **({"lossless": True} if kind == "webp" else {}))
    info = await Prober().probe(path)
    assert (info.width, info.height) == (160, 120)
    frame = frame_at((await render(path)).output, 0.5)
    row, col = corner
    marker = frame[16 if row == 0 else 176, 16 if col == 0 else 240]  # the 1.6x marker's middle
    assert close(marker, TEAL, tol=40)
    assert close(frame[96, 128], (0, 0, 0), tol=30)


async def test_an_animated_gif_plays_as_video(render: Any, media_dir: Path, resolver: MediaResolver) -> None:
    path = media_dir / "moving.gif"
    frames = [_image(c) for c in (ORANGE, TEAL)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=500, loop=0)
    info = await resolver.resolve(str(path), "MediaURL")
    assert not info.is_image and info.duration == pytest.approx(1.0, abs=0.05)
    output = (await render(path, Type="Video", Duration=None)).output
    assert close(frame_at(output, 0.2)[96, 128], ORANGE, tol=40)
    assert close(frame_at(output, 0.8)[96, 128], TEAL, tol=40)


async def test_an_animated_webp_plays_as_video(render: Any, media_dir: Path, resolver: MediaResolver) -> None:
    """ffmpeg 5.1 cannot decode animated WebP; it is played from a cached video of its frames."""
    path = media_dir / "moving.webp"
    frames = [_image(c) for c in (ORANGE, TEAL)]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=500, loop=0, lossless=True)
    info = await resolver.resolve(str(path), "MediaURL")
    assert not info.is_image and info.duration == pytest.approx(1.0, abs=0.05)
    assert info.path.parent == resolver.settings.cache_dir / "animations"
    output = (await render(path, Type="Video", Duration=None)).output
    assert close(frame_at(output, 0.2)[96, 128], ORANGE, tol=40)
    assert close(frame_at(output, 0.8)[96, 128], TEAL, tol=40)
    again = await resolver.resolve(str(path), "MediaURL")
    assert again.path == info.path


async def test_a_still_named_like_a_sequence_pattern_is_read_as_the_one_file(render: Any, media_dir: Path) -> None:
    """image2 would read `frame%d.png` as frame1.png, frame2.png...; the file itself is shown."""
    _image(TEAL).save(media_dir / "frame%d.png")
    _image(ORANGE).save(media_dir / "frame1.png")
    result = await render(media_dir / "frame%d.png")
    assert close(frame_at(result.output, 0.5)[96, 128], TEAL, tol=30)


async def test_a_file_that_is_no_still_stays_refused(resolver: MediaResolver, media_dir: Path) -> None:
    path = media_dir / "list.jpg"
    path.write_text("#EXTM3U\n#EXTINF:1,\nhttp://127.0.0.1/a.ts\n")
    with pytest.raises(ImsError) as err:
        await resolver.resolve(str(path), "VideoTracks[0].VideoTrackClips[0].MediaURL")
    assert err.value.code == "InvalidMaterial.Unsupported"
