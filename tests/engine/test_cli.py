"""`imsd render`: one timeline file straight to an output file."""

from __future__ import annotations

import concurrent.futures
import json
from pathlib import Path

import pytest
from imsd.cli import render_command
from imsd.settings import EngineSettings


def test_render_command_renders_and_prints_ignored_features_and_the_probe(
    settings: EngineSettings, media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    timeline = {
        "VideoTracks": [
            {"VideoTrackClips": [{"MediaURL": "red.mp4", "Effects": [{"Type": "VFX", "SubType": "sparkle_storm"}]}]}
        ]
    }
    doc = tmp_path / "job.json"
    doc.write_text(json.dumps({"Timeline": timeline, "OutputMediaConfig": {"Width": 160, "Height": 128}}))
    out = tmp_path / "elsewhere" / "out.mp4"
    assert render_command(doc, out, settings) == 0
    printed = capsys.readouterr().out.splitlines()
    assert any(line.startswith("ignored: ") and "sparkle_storm" in line for line in printed)
    assert json.loads(printed[-1])["width"] == 160
    assert out.is_file()


def test_render_command_reports_ims_errors_with_a_failing_status(
    settings: EngineSettings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = tmp_path / "bad.json"
    doc.write_text(json.dumps({"VideoTracks": [], "AudioTracks": []}))
    assert render_command(doc, tmp_path / "o.mp4", settings) == 1
    assert "InvalidParameter" in capsys.readouterr().err


def test_render_command_returns_when_one_of_many_references_is_refused(
    settings: EngineSettings, media_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The other references were still being probed when the refusal ended the render; they used
    # to be left running and hang the event loop's shutdown.
    (tmp_path / "outside.mp4").write_bytes((media_dir / "red.mp4").read_bytes())
    clips = [{"MediaURL": "red.mp4"}] * 6 + [{"MediaURL": str(tmp_path / "outside.mp4")}]
    doc = tmp_path / "jobs" / "job.json"  # its folder is a media root for `imsd render`; tmp_path is not
    doc.parent.mkdir()
    doc.write_text(json.dumps({"VideoTracks": [{"VideoTrackClips": clips}]}))
    done = concurrent.futures.ThreadPoolExecutor(1).submit(render_command, doc, tmp_path / "o.mp4", settings)
    assert done.result(timeout=60) == 1
    assert "outside the configured media roots" in capsys.readouterr().err
