"""Prepared clips: a shared shot decoded and fitted once, then read raw by every render that plays it.

The graph is checked as data first (what is prepared, what the render reads instead), then the
store and real renders: a render from prepared clips must draw exactly the frames a render from
the sources draws.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from imsd.api.timeline import parse_output, parse_timeline
from imsd.engine.media import MediaResolver
from imsd.engine.planning.batch import shared_clips
from imsd.engine.render import RenderResult, prepared, render_timeline
from imsd.engine.render.compose import Plan, compose, media_refs
from imsd.engine.render.prepared import PREPARED_INPUT, SUFFIX, ClipId, Preparation, PreparedStore, SharedClips, clip_id
from imsd.errors import ImsError
from imsd.settings import EngineSettings

from .sampling import stream
from .test_compose import IMAGE, SETTINGS, VIDEO, clips

DIR = Path("/cache/prepared")
SHOT = {"MediaURL": "v.mp4", "In": 0.5, "Out": 1.5, "AdaptMode": "Cover"}
SHOT_ID = clip_id("v.mp4", 0.5, 1.5)
MUTE = {"Type": "Volume", "Gain": 0}
BLUR = {"Type": "Background", "SubType": "Blur"}


def plan(timeline: dict[str, Any], *shared: ClipId, info: Any = VIDEO) -> Plan:
    tl = parse_timeline(timeline)
    media = {r.key: info for r in media_refs(tl)}
    out = parse_output({"Width": 160, "Height": 128})
    return compose(tl, out, media, Path("/work"), SETTINGS, SharedClips(DIR, frozenset(shared)))


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


# ---- rendering from prepared clips ----------------------------------------------------------------


def make_media(path: Path, *args: str) -> Path:
    if not path.exists():
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args, str(path)], check=True)
    return path


@pytest.fixture
def moving(media_dir: Path) -> Path:
    """Moving pictures at 25 fps with sound, colour-tagged: which source frame lands in which
    output frame shows, and so do the tags the output carries."""
    return make_media(
        media_dir / "moving25.mp4",
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3",
        "-f", "lavfi", "-i", "sine=frequency=500:sample_rate=48000:duration=3",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-g", "12",
        "-color_range", "pc", "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
        "-c:a", "aac", "-shortest",
    )  # fmt: skip


@pytest.fixture
def coarse(media_dir: Path) -> Path:
    """25 fps counted in 1/600 s, as phones write it: timestamps round differently in a finer base."""
    return make_media(
        media_dir / "coarse600.mp4",
        "-f", "lavfi", "-i", "testsrc2=s=320x240:r=25:d=3",
        "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-video_track_timescale", "600",
    )  # fmt: skip


def board(moving: Path, media_dir: Path) -> dict[str, Any]:
    """Three shots as a Script batch lays them out: cropped, sped up, letterboxed over blur."""
    fade = {"Type": "Transition", "SubType": "wipeleft", "Duration": 0.3}
    return {"VideoTracks": [{"VideoTrackClips": [
        {"MediaURL": str(moving), "In": 0.2, "Out": 1.4, "AdaptMode": "Cover", "Effects": [fade]},
        {"MediaURL": str(moving), "In": 1.0, "Out": 2.6, "Speed": 1.25, "AdaptMode": "Contain",
         "Effects": [BLUR, MUTE, fade]},
        {"MediaURL": str(media_dir / "wide.mp4"), "In": 0, "Out": 1.5, "AdaptMode": "Cover"},
    ]}]}  # fmt: skip


def every_clip(timeline: dict[str, Any]) -> frozenset[ClipId]:
    return frozenset(clip for clips in shared_clips([timeline, timeline]) for clip in clips)


def frame_digests(path: Path) -> list[str]:
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0", "-f", "framemd5", "-"],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return [line.rsplit(",", 1)[1].strip() for line in out.splitlines() if not line.startswith("#")]


def colour_tags(path: Path) -> list[Any]:
    video = stream(path, "video")
    return [video.get(k) for k in ("color_range", "color_space", "color_primaries", "color_transfer")]


@pytest.fixture
def shared_dir(settings: EngineSettings) -> Path:
    return settings.cache_dir / "prepared"


@pytest.fixture
def render(resolver: MediaResolver, tmp_path: Path, shared_dir: Path) -> Any:
    async def run(timeline: dict[str, Any], name: str, clips: frozenset[ClipId] | None) -> RenderResult:
        return await render_timeline(
            timeline, {"Width": 180, "Height": 320, "Video": {"Fps": 30}}, resolver=resolver,
            workdir=tmp_path / name, destination=tmp_path / f"{name}.mp4",
            shared=SharedClips(shared_dir, clips) if clips is not None else None,
        )  # fmt: skip

    return run


def prepared_files(directory: Path, *, parts: bool = False) -> list[Path]:
    """The prepared files in `directory` (and, with `parts`, those being made)."""
    return sorted(p for p in directory.glob(f"*{SUFFIX}") if parts or not p.name.startswith("."))


def read_prepared(result: RenderResult) -> list[str]:
    """The prepared files the render's ffmpeg read."""
    cmd = result.command
    return [cmd[i + 1] for i in range(len(cmd) - 1) if cmd[i] == "-i" and cmd[i - 1] == "nut"]


async def test_a_render_from_prepared_clips_draws_the_frames_and_tags_a_render_from_the_sources_does(
    render: Any, shared_dir: Path, moving: Path, media_dir: Path
) -> None:
    timeline = board(moving, media_dir)
    direct = await render(timeline, "direct", None)
    from_prepared = await render(timeline, "prepared", every_clip(timeline))
    assert sorted(read_prepared(from_prepared)) == sorted(map(str, prepared_files(shared_dir)))
    assert len(prepared_files(shared_dir)) == 3 and not read_prepared(direct)
    digests = frame_digests(from_prepared.output)
    assert len(digests) > 100 and digests == frame_digests(direct.output)  # every video frame and audio packet
    assert colour_tags(from_prepared.output) == colour_tags(direct.output) == ["tv", "bt709", "bt709", "bt709"]


async def test_a_sped_up_clip_counted_in_a_coarse_time_base_picks_the_frames_the_source_gives(
    render: Any, coarse: Path
) -> None:
    timeline = {"VideoTracks": [{"VideoTrackClips": [{"MediaURL": str(coarse), "In": 0.12, "Out": 2.8, "Speed": 1.1}]}]}
    direct = await render(timeline, "direct", None)
    from_prepared = await render(timeline, "prepared", every_clip(timeline))
    assert read_prepared(from_prepared)
    assert frame_digests(from_prepared.output) == frame_digests(direct.output)


async def test_a_second_render_reads_the_prepared_clips_without_making_them_again(
    render: Any, shared_dir: Path, moving: Path, media_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    timeline = board(moving, media_dir)
    first = await render(timeline, "first", every_clip(timeline))
    made = {p: p.stat().st_ino for p in prepared_files(shared_dir)}

    async def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("prepared again")

    monkeypatch.setattr(prepared, "run_ffmpeg", refuse)
    second = await render(timeline, "second", every_clip(timeline))
    assert {p: p.stat().st_ino for p in prepared_files(shared_dir)} == made
    assert sorted(read_prepared(second)) == sorted(map(str, made))
    assert frame_digests(second.output) == frame_digests(first.output)


async def test_a_clip_whose_preparation_fails_is_played_from_its_source(
    render: Any, shared_dir: Path, moving: Path, media_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def fail(*args: Any, **kwargs: Any) -> None:
        raise ImsError("ProduceFailed", "No space left on device")

    monkeypatch.setattr(prepared, "run_ffmpeg", fail)
    timeline = board(moving, media_dir)
    direct = await render(timeline, "direct", None)
    fallen_back = await render(timeline, "fallen-back", every_clip(timeline))
    assert not read_prepared(fallen_back) and not prepared_files(shared_dir, parts=True)
    assert frame_digests(fallen_back.output) == frame_digests(direct.output)


async def test_a_clip_there_is_no_room_for_is_played_from_its_source(
    render: Any, settings: EngineSettings, shared_dir: Path, moving: Path, media_dir: Path
) -> None:
    # 5 MiB: at 180x320 the shots take about 2.7, 3.5 and 1.4 MiB; the second does not fit
    settings.prepared_max_gb = 5 / 1024
    timeline = board(moving, media_dir)
    direct = await render(timeline, "direct", None)
    partly = await render(timeline, "partly", every_clip(timeline))
    assert len(read_prepared(partly)) == len(prepared_files(shared_dir)) == 2
    assert frame_digests(partly.output) == frame_digests(direct.output)


async def test_a_muted_clip_beside_one_that_plays_sound_renders(render: Any, moving: Path) -> None:
    timeline = {"VideoTracks": [{"VideoTrackClips": [
        {"MediaURL": str(moving), "In": 0, "Out": 1},
        {"MediaURL": str(moving), "In": 1, "Out": 2, "Effects": [MUTE]},
    ]}]}  # fmt: skip
    result = await render(timeline, "muted", None)
    assert len(frame_digests(result.output)) > 60


# ---- the store ------------------------------------------------------------------------------------

MiB = 1024**2


def fake_preparation(directory: Path, name: str, size: int) -> Preparation:
    template = plan(clips(SHOT), SHOT_ID).preparations[0]
    return Preparation(
        (name, None, None), directory / f"{name}{SUFFIX}", template.source, template.graph, template.label, 1.0, size
    )


@pytest.fixture
def fake_ffmpeg(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Preparations made by writing their estimated size, slowly enough for others to arrive."""
    made: list[Path] = []

    async def run(cmd: list[str], *args: Any, **kwargs: Any) -> None:
        part = Path(cmd[-1])
        made.append(part)
        await asyncio.sleep(0.2)
        await asyncio.to_thread(part.write_bytes, b"\0" * int(part.name.split(".")[-2]))

    monkeypatch.setattr(prepared, "run_ffmpeg", run)
    return made


def store(settings: EngineSettings, directory: Path, max_mib: float) -> PreparedStore:
    settings.prepared_max_gb = max_mib / 1024
    return PreparedStore(settings, directory, "ffmpeg")


def aged(path: Path, size: int, seconds_ago: float) -> Path:
    path.write_bytes(b"\0" * size)
    when = time.time() - seconds_ago
    os.utime(path, (when, when))
    return path


async def test_renders_wanting_one_clip_at_once_make_it_once(
    settings: EngineSettings, tmp_path: Path, fake_ffmpeg: list[Path]
) -> None:
    prep = fake_preparation(tmp_path, "a", MiB)
    stores = [store(settings, tmp_path, 10) for _ in range(3)]

    async def render_with(s: PreparedStore) -> set[ClipId]:
        async with s.ready([prep]) as ready:
            return ready

    results = await asyncio.gather(*(render_with(s) for s in stores))
    assert len(fake_ffmpeg) == 1 and results == [{prep.clip}] * 3 and prep.path.stat().st_size == MiB


async def test_renders_starting_together_prepare_different_clips_first(
    settings: EngineSettings, tmp_path: Path, fake_ffmpeg: list[Path]
) -> None:
    preps = [fake_preparation(tmp_path, name, MiB) for name in ("a", "b")]

    async def render_with(s: PreparedStore) -> None:
        async with s.ready(preps):
            pass

    started = time.monotonic()
    await asyncio.gather(*(render_with(store(settings, tmp_path, 10)) for _ in range(2)))
    assert sorted(p.name.split(".")[1] for p in fake_ffmpeg) == ["a", "b"]
    assert time.monotonic() - started < 0.35  # side by side, not one after the other (0.4 s)


async def test_the_least_recently_used_prepared_files_make_room(
    settings: EngineSettings, tmp_path: Path, fake_ffmpeg: list[Path]
) -> None:
    ages = (("x", 300), ("y", 200), ("z", 10))
    oldest, older, recent = (aged(tmp_path / f"{name}{SUFFIX}", MiB, ago) for name, ago in ages)
    async with store(settings, tmp_path, 3.5).ready([fake_preparation(tmp_path, "new", int(2.5 * MiB))]) as ready:
        assert ready == {("new", None, None)}
    assert not oldest.exists() and not older.exists() and recent.exists()


async def test_a_prepared_file_a_render_is_reading_is_never_removed(
    settings: EngineSettings, tmp_path: Path, fake_ffmpeg: list[Path]
) -> None:
    reading = fake_preparation(tmp_path, "read", MiB)
    aged(reading.path, MiB, 3600)
    async with store(settings, tmp_path, 10).ready([reading]):
        async with store(settings, tmp_path, 1.5).ready([fake_preparation(tmp_path, "new", MiB)]) as ready:
            assert ready == set()  # no room: it plays from its source
        assert reading.path.exists()
    async with store(settings, tmp_path, 1.5).ready([fake_preparation(tmp_path, "new", MiB)]) as ready:
        assert ready == {("new", None, None)} and not reading.path.exists()  # no longer read: it made room


async def test_nothing_is_removed_when_removing_everything_would_not_make_room(
    settings: EngineSettings, tmp_path: Path, fake_ffmpeg: list[Path]
) -> None:
    kept = aged(tmp_path / f"old{SUFFIX}", MiB, 3600)
    async with store(settings, tmp_path, 2).ready([fake_preparation(tmp_path, "huge", 5 * MiB)]) as ready:
        assert ready == set()
    assert kept.exists() and not fake_ffmpeg


async def test_no_clip_is_prepared_into_the_disk_space_kept_free(
    settings: EngineSettings, tmp_path: Path, fake_ffmpeg: list[Path]
) -> None:
    settings.prepared_free_gb = 1e6  # more than any disk has
    async with PreparedStore(settings, tmp_path, "ffmpeg").ready([fake_preparation(tmp_path, "a", 1)]) as ready:
        assert ready == set() and not fake_ffmpeg


async def test_what_a_dead_maker_left_is_removed_and_no_longer_counted(
    settings: EngineSettings, tmp_path: Path, fake_ffmpeg: list[Path]
) -> None:
    orphan = aged(tmp_path / f".dead.{'0' * 32}.{2 * MiB}{SUFFIX}", 2 * MiB, 5)  # its maker holds no lock
    async with store(settings, tmp_path, 2.5).ready([fake_preparation(tmp_path, "a", MiB)]) as ready:
        assert ready == {("a", None, None)}
    assert not orphan.exists()


def test_a_render_prepares_only_clips_the_planner_found_other_outputs_play(settings: EngineSettings) -> None:
    assert SharedClips.from_job(settings, None) is None
    assert SharedClips.from_job(settings.model_copy(update={"prepared_max_gb": 0}), [list(SHOT_ID)]) is None
    shared = SharedClips.from_job(settings, [list(SHOT_ID), ["bad"], "worse", [1, 2, 3], ["v.mp4", "x", None]])
    assert shared is not None and shared.clips == {SHOT_ID} and shared.directory == settings.cache_dir / "prepared"
