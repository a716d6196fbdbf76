"""`imsd render`: one timeline file straight to an output file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from imsd.engine.cli import render_command
from imsd.engine.settings import EngineSettings


def test_render_command_renders_and_prints_ignored_features_and_the_probe(
    settings: EngineSettings, media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    timeline = {
        "VideoTracks": [
            {"VideoTrackClips": [{"MediaURL": "red.mp4", "Effects": [{"Type": "VFX", "SubType": "starry"}]}]}
        ]
    }
    doc = tmp_path / "job.json"
    doc.write_text(json.dumps({"Timeline": timeline, "OutputMediaConfig": {"Width": 160, "Height": 128}}))
    out = tmp_path / "elsewhere" / "out.mp4"
    assert render_command(doc, out, settings) == 0
    printed = capsys.readouterr().out.splitlines()
    assert any(line.startswith("ignored: ") and "starry" in line for line in printed)
    assert json.loads(printed[-1])["width"] == 160
    assert out.is_file()


def test_render_command_reports_ims_errors_with_a_failing_status(
    settings: EngineSettings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "bad.json"
    doc.write_text(json.dumps({"VideoTracks": [], "AudioTracks": []}))
    assert render_command(doc, tmp_path / "o.mp4", settings) == 1
    assert "InvalidParameter" in capsys.readouterr().err
