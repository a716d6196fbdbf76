"""The engine's start-up checks name what its machine lacks, before any job fails for it."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from imsd.engine.service import preflight
from imsd.engine.service.preflight import REQUIRED_FILTERS, engine_problems
from imsd.settings import EngineSettings

ENGINE = Path(__file__).resolve().parents[2] / "daemon" / "imsd" / "engine"


def _filters_in_code() -> set[str]:
    """The first argument of every f("name", ...) call in the engine: the filters its graphs use."""
    names = set()
    for path in ENGINE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "f"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                names.add(node.args[0].value)
    return names


def test_every_filter_the_engine_uses_is_checked_at_start_up() -> None:
    used = _filters_in_code()
    assert used and used <= REQUIRED_FILTERS, sorted(used - REQUIRED_FILTERS)


def _settings(tmp_path: Path, **overrides: object) -> EngineSettings:
    folders = {name: tmp_path / name for name in ("storage_root", "work_dir", "cache_dir")}
    return EngineSettings(**{**folders, **overrides})  # type: ignore[arg-type]


async def test_this_machine_has_everything_the_engine_needs(tmp_path: Path) -> None:
    assert await engine_problems(_settings(tmp_path)) == []


async def test_a_missing_ffmpeg_is_named_with_its_setting(tmp_path: Path) -> None:
    problems = await engine_problems(_settings(tmp_path, ffmpeg="ffmpeg-not-installed"))
    assert problems == ["ffmpeg-not-installed: not found (engine.ffmpeg / engine.ffprobe)"]


async def test_a_missing_default_font_is_named(tmp_path: Path) -> None:
    problems = await engine_problems(_settings(tmp_path, default_font="No Such Family"))
    assert problems == ["font 'No Such Family' (engine.default_font): not installed"]


async def test_a_picture_transitions_read_that_the_install_lacks_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = tmp_path / "spiral-2.png"
    monkeypatch.setattr(preflight, "transition_textures", lambda: frozenset({gone}))
    problems = await engine_problems(_settings(tmp_path))
    assert problems == [f"{gone}: missing (a picture the luma and displacement transitions read)"]


async def test_a_folder_the_engine_cannot_write_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    problems = await engine_problems(_settings(tmp_path, work_dir=blocker / "work"))
    assert len(problems) == 1 and problems[0].startswith(f"engine.work_dir {blocker / 'work'}: not writable")
