"""Golden-frame checks of transitions: what a frame shows before, inside and after the window.

Two 1 s clips at 160x128, 20 fps, joined by a 0.5 s Transition: the output is 1.5 s (30 frames),
frames 0-9 are the first clip alone, 10-19 the transition window, 20-29 the second clip. Solid
colours make every expectation a colour at a pixel; the slide test uses a clip whose halves
differ, the only way to tell a slide (the first clip moves) from a wipe (it stays put).
Each transition is rendered once per module and shared by the tests that look at it.
"""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pytest
from imsd.engine.media import MediaResolver
from imsd.engine.render import RenderResult, render_timeline
from imsd.settings import EngineSettings

from .sampling import close, frames

FPS = 20
W, H = 160, 128
ROW = H // 2
BEFORE, MIDDLE, AFTER = 9, 15, 20  # last frame of A alone, middle of the window, first of B alone
RED, BLUE, LIME = (255, 0, 0), (0, 0, 255), (0, 255, 0)

_CLIPS = {
    "red.mp4": f"color=red:s={W}x{H}:r={FPS}:d=1",
    "blue.mp4": f"color=blue:s={W}x{H}:r={FPS}:d=1",
    # left half lime, right half red
    "split.mp4": f"color=lime:s={W // 2}x{H}:r={FPS}:d=1[l];color=red:s={W // 2}x{H}:r={FPS}:d=1[r];[l][r]hstack",
}


@dataclass(frozen=True)
class Rendered:
    result: RenderResult
    frames: npt.NDArray[np.uint8]

    def at(self, frame: int, x: int, y: int = ROW) -> npt.NDArray[np.uint8]:
        return self.frames[frame][y, x]


@pytest.fixture(scope="module")
def transition(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Rendered]:
    """Render `first` -> blue with a 0.5 s Transition of `sub_type`, once per argument set."""
    root = tmp_path_factory.mktemp("transitions")
    for name, graph in _CLIPS.items():
        subprocess.run(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i", graph,
             "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(root / name)],
            check=True,
        )  # fmt: skip
    settings = EngineSettings(
        media_roots=[root],
        storage_root=root / "storage",
        cache_dir=root / "cache",
        work_dir=root / "work",
        default_preset="ultrafast",
        default_fps=FPS,
        render_stall_s=20,  # a graph that deadlocks fails in seconds, not minutes
    )
    resolver = MediaResolver(settings)
    done: dict[tuple[str, str, float | None], Rendered] = {}

    def render(sub_type: str, first: str = "red.mp4", max_duration: float | None = None) -> Rendered:
        if (sub_type, first, max_duration) not in done:
            effect = {"Type": "Transition", "SubType": sub_type, "Duration": 0.5}
            clips = [{"MediaURL": str(root / first), "Effects": [effect]}, {"MediaURL": str(root / "blue.mp4")}]
            out = root / f"{sub_type}-{first}-{max_duration}.mp4"
            result = asyncio.run(
                render_timeline(
                    {"VideoTracks": [{"VideoTrackClips": clips}]},
                    {"Width": W, "Height": H, "MaxDuration": max_duration},
                    resolver=resolver,
                    workdir=root / "work" / out.stem,
                    destination=out,
                )
            )
            done[(sub_type, first, max_duration)] = Rendered(result, frames(result.output))
        return done[(sub_type, first, max_duration)]

    return render


NAMES = ["fade", "wipeleft", "slideleft", "circleopen", "windowslice"]


@pytest.mark.parametrize("sub_type", NAMES)
def test_a_transition_shortens_the_timeline_by_its_duration(transition: Callable[..., Rendered], sub_type: str) -> None:
    out = transition(sub_type)
    assert len(out.frames) == 30
    assert abs(out.result.duration - 1.5) <= 1 / FPS


@pytest.mark.parametrize("sub_type", NAMES)
def test_before_the_window_only_the_first_clip_shows(transition: Callable[..., Rendered], sub_type: str) -> None:
    frame = transition(sub_type).frames[BEFORE]
    assert all(close(frame[y, x], RED) for y in (2, ROW, H - 3) for x in (2, W // 2, W - 3))


@pytest.mark.parametrize("sub_type", NAMES)
def test_after_the_window_only_the_second_clip_shows(transition: Callable[..., Rendered], sub_type: str) -> None:
    frame = transition(sub_type).frames[AFTER]
    assert all(close(frame[y, x], BLUE) for y in (2, ROW, H - 3) for x in (2, W // 2, W - 3))


def test_fade_blends_both_colours_evenly_at_mid_window(transition: Callable[..., Rendered]) -> None:
    out = transition("fade")
    assert close(out.at(MIDDLE, 20), (128, 0, 128), tol=20)
    assert close(out.at(MIDDLE, W - 20), (128, 0, 128), tol=20)  # the same everywhere


def test_fade_moves_from_the_first_colour_to_the_second(transition: Callable[..., Rendered]) -> None:
    out = transition("fade")
    reds = [int(out.at(n, W // 2)[0]) for n in range(BEFORE, AFTER + 1)]
    assert reds == sorted(reds, reverse=True) and reds[0] > 240 and reds[-1] < 15


def test_wipeleft_reveals_the_second_clip_from_the_right(transition: Callable[..., Rendered]) -> None:
    out = transition("wipeleft")
    assert close(out.at(MIDDLE, 20), RED)
    assert close(out.at(MIDDLE, W - 20), BLUE)


def test_wipeleft_leaves_the_first_clip_in_place(transition: Callable[..., Rendered]) -> None:
    out = transition("wipeleft", first="split.mp4")
    assert close(out.at(MIDDLE, 20), LIME)  # the first clip's own left half, not moved


def test_slideleft_pushes_the_first_clip_out_to_the_left(transition: Callable[..., Rendered]) -> None:
    out = transition("slideleft", first="split.mp4")
    assert close(out.at(BEFORE, 20), LIME)
    assert close(out.at(MIDDLE, 20), RED)  # the first clip's right half, moved left by half the width
    assert close(out.at(MIDDLE, W - 20), BLUE)


def test_circleopen_grows_the_second_clip_from_the_centre(transition: Callable[..., Rendered]) -> None:
    out = transition("circleopen")
    assert close(out.at(MIDDLE, W // 2), BLUE)
    assert close(out.at(MIDDLE, 0, 0), RED)  # corners last
    assert close(out.at(MIDDLE, W - 1, H - 1), RED)


def test_an_approximated_name_renders_its_stand_in_and_says_so(transition: Callable[..., Rendered]) -> None:
    out = transition("windowslice")
    assert any("'windowslice'" in note and "hlslice" in note for note in out.result.approximated)
    middle = out.frames[MIDDLE][ROW]
    assert any(close(p, RED) for p in middle) and any(close(p, BLUE) for p in middle)


def test_exact_names_are_not_reported_as_approximated(transition: Callable[..., Rendered]) -> None:
    assert all(transition(name).result.approximated == [] for name in ("fade", "wipeleft", "slideleft", "circleopen"))


@pytest.mark.parametrize("sub_type", ["fade", "circleopen", "dissolve"])
def test_a_length_cap_inside_the_window_ends_the_video_mid_transition(
    transition: Callable[..., Rendered], sub_type: str
) -> None:
    out = transition(sub_type, max_duration=0.8)  # the window runs 0.5-1.0 s
    assert len(out.frames) == 16
    assert close(out.at(BEFORE, W // 2), RED)
    assert not close(out.at(15, W // 2), RED)  # the transition has begun: blue is coming in
