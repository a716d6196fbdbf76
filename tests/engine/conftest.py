"""Tiny synthetic media made with ffmpeg lavfi, once per session, and an engine pointed at it.

Every clip is at most 3 s and 360 px at 10 fps, so a render takes a fraction of a second.
"""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from imsd.backends.local import LocalBackend
from imsd.engine.media import MediaResolver
from imsd.engine.render import RenderResult, render_timeline
from imsd.engine.service import Engine
from imsd.queue import TaskQueue
from imsd.settings import EngineSettings, Settings
from redis.asyncio import Redis

FPS = 10
#: The slow signals are off in the shared fixtures, on in the tests of their own (test_tts.py's
#: Mandarin voice ~2 s a sentence, test_vision.py's OCR ~1-2 s a shot): every Script batch and
#: scene test paying for them took the suite from ~8 to ~15 min.
FAST: dict[str, bool] = {"neural_mandarin": False, "visual_signals": False}
OSS = "https://demo.oss-cn-shanghai.aliyuncs.com"
_X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]
_AAC = ["-c:a", "aac", "-b:a", "64k"]

# name -> ffmpeg arguments after "-y"
_MEDIA: dict[str, list[str]] = {
    "red.mp4": ["-f", "lavfi", "-i", f"color=red:s=320x240:r={FPS}:d=2",
                "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=2",
                *_X264, *_AAC, "-shortest"],
    "blue.mp4": ["-f", "lavfi", "-i", f"color=blue:s=320x240:r={FPS}:d=2",
                 "-f", "lavfi", "-i", "sine=frequency=880:sample_rate=48000:duration=2",
                 *_X264, *_AAC, "-shortest"],
    "wide.mp4": ["-f", "lavfi", "-i", f"color=0x00FF00:s=360x180:r={FPS}:d=2", *_X264],
    "testsrc.mp4": ["-f", "lavfi", "-i", f"testsrc=s=320x240:r={FPS}:d=3",
                    "-f", "lavfi", "-i", "sine=frequency=660:sample_rate=48000:duration=3",
                    *_X264, *_AAC, "-shortest"],
    "tone.wav": ["-f", "lavfi", "-i", "sine=frequency=1000:sample_rate=48000:duration=1",
                 "-c:a", "pcm_s16le"],
    "yellow.png": ["-f", "lavfi", "-i", "color=yellow:s=200x150", "-frames:v", "1"],
    "magenta.png": ["-f", "lavfi", "-i", "color=magenta:s=200x150", "-frames:v", "1"],
}  # fmt: skip


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("media")
    for name, args in _MEDIA.items():
        subprocess.run(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args, str(root / name)],
            check=True,
        )
    return root


@pytest.fixture
def settings(media_dir: Path, tmp_path: Path) -> EngineSettings:
    return EngineSettings(
        media_roots=[media_dir],
        storage_root=tmp_path / "storage",
        cache_dir=tmp_path / "cache",
        prepared_free_gb=0,  # tests prepare small clips on whatever disk CI has
        work_dir=tmp_path / "work",
        default_preset="ultrafast",
        default_fps=FPS,
        **FAST,
    )


@pytest.fixture
def resolver(settings: EngineSettings) -> MediaResolver:
    return MediaResolver(settings)


@pytest.fixture
async def engine(media_dir: Path, tmp_path: Path, redis_url: str, redis: Redis) -> AsyncIterator[Engine]:
    settings = Settings(
        redis={"url": redis_url},
        engine={
            "media_roots": [media_dir],
            "storage_root": tmp_path / "storage",
            "cache_dir": tmp_path / "cache",
            "prepared_free_gb": 0,
            "work_dir": tmp_path / "work",
            "default_preset": "ultrafast",
            "default_fps": FPS,
            **FAST,
        },
    )
    queue = await TaskQueue.connect(redis_url, settings.engine_queue)
    engine = Engine(settings, redis, queue)
    yield engine
    await engine.close()
    await queue.close()


@pytest.fixture
async def backend(engine: Engine, redis: Redis) -> AsyncIterator[LocalBackend]:
    backend = LocalBackend(engine.settings, redis)
    yield backend
    await backend.close()


def video(*clips: dict[str, Any], **track: Any) -> dict[str, Any]:
    """A video track of `clips`."""
    return {"VideoTrackClips": list(clips), **track}


def audio(*clips: dict[str, Any], **track: Any) -> dict[str, Any]:
    """An audio track of `clips`."""
    return {"AudioTrackClips": list(clips), **track}


@pytest.fixture
def m(media_dir: Path) -> Any:
    """Media URL by file name."""
    return lambda name: str(media_dir / name)


@pytest.fixture
def render(resolver: MediaResolver, tmp_path: Path) -> Any:
    """Render a timeline at 160x128 unless told, each call into files of its own; `out` is the
    output's type."""
    count = iter(range(1000))

    async def run(timeline: dict[str, Any], out: str = "mp4", **output: Any) -> RenderResult:
        output.setdefault("Width", 160)
        output.setdefault("Height", 128)
        n = next(count)
        return await render_timeline(
            timeline, output, resolver=resolver, workdir=tmp_path / f"job{n}", destination=tmp_path / f"out{n}.{out}"
        )

    return run
