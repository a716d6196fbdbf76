"""Prepared clips: a shared shot decoded and fitted once, then read raw by every render that plays it.

The graph is checked as data first (what is prepared, what the render reads instead), then the
store and real renders: a render from prepared clips must draw exactly the frames a render from
the sources draws.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from imsd.api.timeline import parse_output, parse_timeline
from imsd.engine.compose import Plan, compose, media_refs
from imsd.engine.media import MediaResolver
from imsd.engine.prepared import (
    IN_USE_S,
    PREPARED_INPUT,
    SUFFIX,
    Preparation,
    PrepareClips,
    PreparedStore,
    clip_id,
    shared_clips,
)
from imsd.engine.render import render_timeline
from imsd.engine.settings import EngineSettings

from .test_compose import IMAGE, SETTINGS, VIDEO, clips

DIR = Path("/cache/prepared")
SHOT = {"MediaURL": "v.mp4", "In": 0.5, "Out": 1.5, "AdaptMode": "Cover"}
SHOT_ID = clip_id("v.mp4", 0.5, 1.5)
MUTE = {"Type": "Volume", "Gain": 0}
BLUR = {"Type": "Background", "SubType": "Blur"}


def plan(timeline: dict[str, Any], *shared: tuple[str, float | None, float | None], info: Any = VIDEO) -> Plan:
    tl = parse_timeline(timeline)
    media = {r.key: info for r in media_refs(tl)}
    out = parse_output({"Width": 160, "Height": 128})
    return compose(tl, out, media, Path("/work"), SETTINGS, PrepareClips(DIR, frozenset(shared)))


def prepared_inputs(p: Plan) -> list[Path]:
    return [i.path for i in p.inputs if i.guard == PREPARED_INPUT]


# ---- which clips are prepared, and what the render reads instead -------------------------------


def test_a_shared_clip_is_prepared_from_its_stretch_of_source() -> None:
    (prep,) = plan(clips(SHOT), SHOT_ID).preparations
    assert prep.clip == SHOT_ID and prep.path.parent == DIR and prep.path.suffix == SUFFIX
    assert prep.source.path == VIDEO.path and prep.source.options == ("-ss", "0.5", "-t", "1")
    assert [x.name for x in prep.graph.filters()][:1] == ["setpts"]
    assert prep.graph.find("crop") and prep.graph.find("scale")  # Cover: cropped and scaled there


def test_the_render_reads_a_prepared_clip_instead_of_decoding_and_fitting_it() -> None:
    p = plan(clips({**SHOT, "Effects": [MUTE]}), SHOT_ID)
    assert [i.path for i in p.inputs] == prepared_inputs(p) == [p.preparations[0].path]
    assert not p.graph.find("crop") and not p.graph.find("scale")


def test_a_prepared_clip_keeps_its_source_timestamps_and_the_render_retimes_it() -> None:
    p = plan(clips({**SHOT, "Speed": 2}), SHOT_ID)
    (prep,) = p.preparations
    assert not prep.graph.find("fps") and not prep.graph.find("settb")
    assert p.graph.find("fps") and "/2" in str(p.graph.find("setpts")[0].arg(None))


def test_a_letterboxed_clip_is_prepared_with_its_blurred_bands() -> None:
    (prep,) = plan(clips({**SHOT, "AdaptMode": "Contain", "Effects": [BLUR]}), SHOT_ID).preparations
    assert prep.graph.find("gblur") and prep.graph.find("vstack")


def test_a_clip_the_planner_did_not_name_is_played_from_its_source() -> None:
    p = plan(clips({**SHOT, "Effects": [MUTE]}, {"MediaURL": "v.mp4", "In": 0, "Out": 0.5, "Effects": [MUTE]}), SHOT_ID)
    assert [prep.clip for prep in p.preparations] == [SHOT_ID]
    assert len(p.inputs) == 2 and len(prepared_inputs(p)) == 1


def test_stills_zooms_and_clips_placed_in_a_box_are_not_prepared() -> None:
    zoom = {"Type": "Zoom", "StartRate": 1, "EndRate": 1.2}
    assert not plan(clips({**SHOT, "Effects": [zoom]}), SHOT_ID).preparations
    assert not plan(clips({**SHOT, "Width": 0.5}), SHOT_ID).preparations
    image = {"VideoTracks": [{"VideoTrackClips": [{"MediaURL": "v.mp4", "Type": "Image", "Duration": 1}]}]}
    assert not plan(image, clip_id("v.mp4", None, None), info=IMAGE).preparations


def test_a_prepared_file_is_named_by_everything_that_makes_its_frames() -> None:
    def path(clip: dict[str, Any], info: Any = VIDEO) -> Path:
        return plan(clips(clip), SHOT_ID, info=info).preparations[0].path

    assert path(SHOT) == path(SHOT)
    assert path(SHOT) != path({**SHOT, "AdaptMode": "Fill"})
    assert path(SHOT) != path(SHOT, VIDEO.model_copy(update={"version": "2:999"}))  # the file changed
    assert path(SHOT) == path({**SHOT, "Speed": 1.5})  # timing is the render's, not the preparation's


def test_a_prepared_clip_with_sound_still_reads_its_source_for_the_sound_alone() -> None:
    p = plan(clips(SHOT), SHOT_ID)
    source = [i for i in p.inputs if i.path == VIDEO.path]
    assert len(source) == 1 and source[0].options == ("-ss", "0.5", "-t", "1")
    assert p.graph.find("aresample") and not p.graph.find("crop")


def test_a_muted_clip_is_left_out_of_the_mix() -> None:
    p = plan(clips({**SHOT, "Effects": [MUTE]}))
    assert not p.graph.find("aresample") and not p.graph.find("volume")
    assert p.graph.find("anullsrc")  # the silent bed still sets the length


def test_a_muted_clip_takes_no_sound_from_the_input_it_shares_with_a_clip_that_plays_sound() -> None:
    p = plan(clips({"In": 0, "Out": 1}, {"In": 1, "Out": 2, "Effects": [MUTE]}))
    assert len(p.inputs) == 1 and p.graph.find("split")[0].args == ((None, 2),)
    assert not p.graph.find("asplit")
    assert [(x.arg("start"), x.arg("end")) for x in p.graph.find("atrim") if x.arg("end")] == [(None, 1)]


def test_clips_that_more_than_one_output_plays_are_shared() -> None:
    def timeline(*shots: tuple[float, float]) -> dict[str, Any]:
        items = [{"MediaURL": "a.mp4", "In": a, "Out": b} for a, b in shots]
        return {"VideoTracks": [{"VideoTrackClips": [*items, {"MediaURL": "p.png", "Type": "Image", "Duration": 1}]}]}

    shared = shared_clips([timeline((0, 2), (2, 4)), timeline((0, 2), (4, 5)), timeline((6, 7), (6, 7))])
    assert shared == [[clip_id("a.mp4", 0, 2)], [clip_id("a.mp4", 0, 2)], []]  # one output's repeat is its own


# ---- the store ------------------------------------------------------------------------------------


@pytest.fixture
def moving(media_dir: Path) -> Path:
    """Moving pictures at 25 fps with sound: which source frame lands in which output frame shows."""
    path = media_dir / "moving25.mp4"
    if not path.exists():
        subprocess.run(
            ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
             "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3",
             "-f", "lavfi", "-i", "sine=frequency=500:sample_rate=48000:duration=3",
             "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "12",
             "-c:a", "aac", "-shortest", str(path)],
            check=True,
        )  # fmt: skip
    return path


def board(moving: Path, media_dir: Path) -> dict[str, Any]:
    """Three shots as a Script batch lays them out: cropped, sped up, letterboxed over blur."""
    fade = {"Type": "Transition", "SubType": "wipeleft", "Duration": 0.3}
    return {"VideoTracks": [{"VideoTrackClips": [
        {"MediaURL": str(moving), "In": 0.2, "Out": 1.4, "AdaptMode": "Cover", "Effects": [fade]},
        {"MediaURL": str(moving), "In": 1.0, "Out": 2.6, "Speed": 1.25, "AdaptMode": "Contain",
         "Effects": [BLUR, MUTE, fade]},
        {"MediaURL": str(media_dir / "wide.mp4"), "In": 0, "Out": 1.5, "AdaptMode": "Cover"},
    ]}]}  # fmt: skip


def all_clips(timeline: dict[str, Any]) -> set[tuple[str, float | None, float | None]]:
    return {clip for clips in shared_clips([timeline, timeline]) for clip in clips}


def frame_digests(path: Path) -> list[str]:
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0", "-f", "framemd5", "-"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return [line.rsplit(",", 1)[1].strip() for line in out.splitlines() if not line.startswith("#")]


async def render(
    resolver: MediaResolver, tmp_path: Path, timeline: dict[str, Any], name: str, prepare: PrepareClips | None
) -> Path:
    output = {"Width": 180, "Height": 320, "Video": {"Fps": 30}}
    result = await render_timeline(
        timeline, output, resolver=resolver, workdir=tmp_path / name, destination=tmp_path / f"{name}.mp4",
        prepare=prepare,
    )  # fmt: skip
    return result.output


def prepared_files(directory: Path) -> list[Path]:
    return sorted(directory.glob(f"*{SUFFIX}"))


async def test_a_render_from_prepared_clips_draws_the_frames_a_render_from_the_sources_draws(
    resolver: MediaResolver, settings: EngineSettings, tmp_path: Path, moving: Path, media_dir: Path
) -> None:
    timeline = board(moving, media_dir)
    prepare = PrepareClips(settings.cache_dir / "prepared", frozenset(all_clips(timeline)))
    direct = await render(resolver, tmp_path, timeline, "direct", None)
    prepared = await render(resolver, tmp_path, timeline, "prepared", prepare)
    assert len(prepared_files(prepare.directory)) == 3
    digests = frame_digests(prepared)
    assert len(digests) > 100 and digests == frame_digests(direct)  # every video frame and audio packet


async def test_a_muted_clip_beside_one_that_plays_sound_renders(
    resolver: MediaResolver, tmp_path: Path, moving: Path
) -> None:
    timeline = {"VideoTracks": [{"VideoTrackClips": [
        {"MediaURL": str(moving), "In": 0, "Out": 1},
        {"MediaURL": str(moving), "In": 1, "Out": 2, "Effects": [MUTE]},
    ]}]}  # fmt: skip
    output = await render(resolver, tmp_path, timeline, "muted", None)
    assert len(frame_digests(output)) > 60


async def test_a_second_render_reads_the_prepared_clips_without_making_them_again(
    resolver: MediaResolver, settings: EngineSettings, tmp_path: Path, moving: Path, media_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    timeline = board(moving, media_dir)
    prepare = PrepareClips(settings.cache_dir / "prepared", frozenset(all_clips(timeline)))
    await render(resolver, tmp_path, timeline, "first", prepare)
    made = {p: p.stat().st_mtime_ns for p in prepared_files(prepare.directory)}

    async def refuse(self: PreparedStore, prep: Preparation) -> None:
        raise AssertionError(f"{prep.clip} prepared again")

    monkeypatch.setattr(PreparedStore, "_make", refuse)
    second = await render(resolver, tmp_path, timeline, "second", prepare)
    assert {p: p.stat().st_mtime_ns for p in prepared_files(prepare.directory)}.keys() == made.keys()
    assert frame_digests(second) == frame_digests(tmp_path / "first.mp4")


async def test_a_clip_there_is_no_room_for_is_played_from_its_source(
    resolver: MediaResolver, settings: EngineSettings, tmp_path: Path, moving: Path, media_dir: Path
) -> None:
    # 5 MiB: at 180x320 the shots take about 2.7, 3.5 and 1.4 MiB; the second does not fit
    settings.prepared_max_gb = 5 / 1024
    timeline = board(moving, media_dir)
    prepare = PrepareClips(settings.cache_dir / "prepared", frozenset(all_clips(timeline)))
    direct = await render(resolver, tmp_path, timeline, "direct", None)
    partly = await render(resolver, tmp_path, timeline, "partly", prepare)
    assert 1 <= len(prepared_files(prepare.directory)) < 3
    assert frame_digests(partly) == frame_digests(direct)


def fake_preparation(directory: Path, name: str, size: int) -> Preparation:
    plan_ = plan(clips(SHOT), SHOT_ID)
    prep = plan_.preparations[0]
    return Preparation(prep.clip, directory / f"{name}{SUFFIX}", prep.source, prep.graph, prep.output, 1.0, size)


def aged(path: Path, size: int, seconds_ago: float) -> Path:
    path.write_bytes(b"\0" * size)
    when = time.time() - seconds_ago
    os.utime(path, (when, when))
    return path


def test_the_least_recently_used_prepared_files_make_room(settings: EngineSettings, tmp_path: Path) -> None:
    settings.prepared_max_gb = 3000 / 1024**3  # 3000 bytes
    settings.prepared_free_gb = 0
    store = PreparedStore(settings, tmp_path)
    oldest = aged(tmp_path / f"a{SUFFIX}", 1000, IN_USE_S + 300)
    older = aged(tmp_path / f"b{SUFFIX}", 1000, IN_USE_S + 200)
    recent = aged(tmp_path / f"c{SUFFIX}", 1000, 10)
    assert store._make_room(1500)
    assert not oldest.exists() and not older.exists() and recent.exists()


def test_a_prepared_file_a_render_may_be_opening_is_never_removed(settings: EngineSettings, tmp_path: Path) -> None:
    settings.prepared_max_gb = 3000 / 1024**3
    settings.prepared_free_gb = 0
    store = PreparedStore(settings, tmp_path)
    in_use = [aged(tmp_path / f"{n}{SUFFIX}", 1000, 60) for n in "ab"]
    assert not store._make_room(1500)
    assert all(p.exists() for p in in_use)


def test_no_clip_is_prepared_into_the_disk_space_kept_free(settings: EngineSettings, tmp_path: Path) -> None:
    settings.prepared_free_gb = 1e6  # more than any disk has
    assert not PreparedStore(settings, tmp_path)._make_room(1)


async def test_renders_wanting_one_clip_at_once_make_it_once(
    settings: EngineSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[Path] = []

    async def make(self: PreparedStore, prep: Preparation) -> None:
        made.append(prep.path)
        await asyncio.sleep(0.2)  # others arrive while it is being made
        prep.path.write_bytes(b"frames")

    monkeypatch.setattr(PreparedStore, "_make", make)
    prep = fake_preparation(tmp_path, hashlib.sha256(b"x").hexdigest(), 6)
    stores = [PreparedStore(settings, tmp_path) for _ in range(3)]
    results = await asyncio.gather(*(store.ensure([prep]) for store in stores))
    assert made == [prep.path] and results == [{prep.clip}] * 3


async def test_renders_starting_together_prepare_different_clips_first(
    settings: EngineSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[tuple[int, Path]] = []

    async def make(self: PreparedStore, prep: Preparation) -> None:
        made.append((id(self), prep.path))
        await asyncio.sleep(0.2)
        prep.path.write_bytes(b"frames")

    monkeypatch.setattr(PreparedStore, "_make", make)
    preps = [fake_preparation(tmp_path, name, 6) for name in ("a", "b")]
    stores = [PreparedStore(settings, tmp_path) for _ in range(2)]
    await asyncio.gather(*(store.ensure(preps) for store in stores))
    assert sorted(path.name for _, path in made) == [f"a{SUFFIX}", f"b{SUFFIX}"]
    assert {store for store, _ in made} == {id(s) for s in stores}  # one each, side by side


def test_a_render_only_prepares_when_the_planner_found_clips_other_outputs_play(
    settings: EngineSettings,
) -> None:
    assert PrepareClips.shared(settings, []) is None
    assert PrepareClips.shared(settings.model_copy(update={"prepared_max_gb": 0}), [SHOT_ID]) is None
    policy = PrepareClips.shared(settings, [SHOT_ID])
    assert policy is not None and policy.clips == {SHOT_ID} and policy.directory == settings.cache_dir / "prepared"
