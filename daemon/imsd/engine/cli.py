"""`imsd render TIMELINE.json OUT.mp4`: one timeline straight to a file, for operators.

The timeline file may be a bare Timeline or `{"Timeline": ..., "OutputMediaConfig": ...}`.
The operator chose OUT, so it is not confined to the storage root, and the timeline's own
directory is added to the media roots so references relative to it work.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from imsd.engine.media import MediaResolver
from imsd.engine.render import render_timeline
from imsd.engine.settings import EngineSettings
from imsd.errors import ImsError


def _load(timeline_file: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    doc = json.loads(timeline_file.read_text(encoding="utf-8"))
    if isinstance(doc, dict) and "Timeline" in doc:
        timeline, output = doc["Timeline"], doc.get("OutputMediaConfig") or {}
        timeline = json.loads(timeline) if isinstance(timeline, str) else timeline
        output = json.loads(output) if isinstance(output, str) else output
        return timeline, output
    return doc, {}


def render_command(timeline_file: Path, out: Path, settings: EngineSettings) -> int:
    """Render and print what was ignored or approximated and what came out; exit status."""
    try:
        timeline, output = _load(timeline_file)
    except (OSError, ValueError) as exc:
        print(f"cannot read {timeline_file}: {exc}", file=sys.stderr)
        return 2
    output.pop("MediaURL", None)
    local = settings.model_copy(update={"media_roots": [*settings.media_roots, timeline_file.resolve().parent]})
    resolver = MediaResolver(local)
    local.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=local.work_dir) as workdir:
        try:
            result = asyncio.run(
                render_timeline(
                    timeline,
                    output,
                    resolver=resolver,
                    workdir=Path(workdir),
                    destination=out.resolve(),
                    progress=lambda p: print(f"\rprogress {p:3d}%", end="", file=sys.stderr),
                )
            )
        except ImsError as exc:
            print(f"\n{exc.code}: {exc.message}", file=sys.stderr)
            return 1
    print(file=sys.stderr)
    for item in result.ignored:
        print(f"ignored: {item}")
    for item in result.approximated:
        print(f"approximated: {item}")
    print(
        json.dumps(
            {"output": str(result.output), "duration": result.duration, "width": result.width, "height": result.height}
        )
    )
    return 0
