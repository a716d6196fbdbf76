"""Request-named files are read as plain media only: never as lists of other files to open.

An HLS playlist or ffconcat script saved under a media name inside a media root would make an
unrestricted ffmpeg open the files it lists, outside the roots. Each hostile file here is first
shown to escape with a plain ffprobe, so a passing refusal is never vacuous.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from imsd.engine.media import LruMemo, MediaResolver, Prober, file_guard, run_ffmpeg
from imsd.engine.planning.analysis import analysis_command
from imsd.engine.planning.asr import decode_speech
from imsd.engine.planning.imagetext import ImageTextError, frame_command, read_frames
from imsd.engine.render import RenderResult, render_timeline
from imsd.engine.render.graph import Input
from imsd.errors import ImsError
from imsd.settings import EngineSettings

from .conftest import FPS
from .sampling import frame_at

FIELD = "Timeline.VideoTracks[0].VideoTrackClips[0].MediaURL"
SUBTITLE_FIELD = "Timeline.SubtitleTracks[0].SubtitleTrackClips[0].FileURL"
SRT = "1\n00:00:00,000 --> 00:00:01,500\nHello\n"
ASS = """[Script Info]
ScriptType: v4.00+
PlayResX: 160
PlayResY: 128

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, \
Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, \
MarginV, Encoding
Style: Default,DejaVu Sans,20,&H00FFFFFF,&H00FFFFFF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,0,0,2,0,0,0,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.00,0:00:01.50,Default,,0,0,0,,Hello
"""
# name -> ffmpeg arguments making a small file of that kind
ORDINARY: dict[str, list[str]] = {
    "still.png": ["-f", "lavfi", "-i", "color=red:s=32x24", "-frames:v", "1"],
    "still.jpg": ["-f", "lavfi", "-i", "color=red:s=32x24", "-frames:v", "1"],
    "still.webp": ["-f", "lavfi", "-i", "color=red:s=32x24", "-frames:v", "1"],
    "still.bmp": ["-f", "lavfi", "-i", "color=red:s=32x24", "-frames:v", "1"],
    "still.gif": ["-f", "lavfi", "-i", "color=red:s=32x24", "-frames:v", "1"],
    "clip.mkv": ["-f", "lavfi", "-i", f"color=red:s=32x24:r={FPS}:d=1", "-c:v", "libx264", "-preset", "ultrafast"],
    "clip.webm": ["-f", "lavfi", "-i", f"color=red:s=32x24:r={FPS}:d=1", "-c:v", "libvpx"],
    "sound.mp3": ["-f", "lavfi", "-i", "sine=duration=1", "-c:a", "libmp3lame"],
    "sound.m4a": ["-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac"],
    "sound.flac": ["-f", "lavfi", "-i", "sine=duration=1"],
    "sound.ogg": ["-f", "lavfi", "-i", "sine=duration=1", "-c:a", "libvorbis"],
}


@pytest.fixture
def outside(tmp_path: Path, media_dir: Path) -> Path:
    """A directory outside every media root holding real media: what a hostile file points at."""
    directory = tmp_path / "outside"
    directory.mkdir()
    for name in ("red.mp4", "tone.wav"):
        (directory / name).write_bytes((media_dir / name).read_bytes())
    return directory


@pytest.fixture
def root(tmp_path: Path) -> Path:
    directory = tmp_path / "root"
    directory.mkdir()
    return directory


@pytest.fixture
def guarded(settings: EngineSettings, root: Path, media_dir: Path) -> MediaResolver:
    """A resolver whose media roots are `root` (hostile files) and the ordinary test media."""
    return MediaResolver(settings.model_copy(update={"media_roots": [root, media_dir]}))


def _unrestricted_format(path: Path) -> str:
    """The demuxer a plain ffprobe reads `path` with, after opening what the file names."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-print_format", "json", "-show_format", str(path)],
        check=True,
        capture_output=True,
    ).stdout
    return str(json.loads(out)["format"]["format_name"])


@pytest.fixture
def playlist(root: Path, outside: Path) -> Path:
    """An `.mp4` in the root that is an HLS playlist of a video outside the roots."""
    path = root / "playlist.mp4"
    path.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n{outside / 'red.mp4'}\n#EXT-X-ENDLIST\n")
    assert _unrestricted_format(path) == "hls"  # it does escape when nothing restricts it
    return path


@pytest.fixture
def concat_script(root: Path, outside: Path) -> Path:
    """An `.mp4` in the root that is an ffconcat script of a sound outside the roots.

    ffconcat's own "safe" mode refuses absolute names, not a relative one through a link.
    """
    (root / "shared").symlink_to(outside, target_is_directory=True)
    path = root / "script.mp4"
    path.write_text("ffconcat version 1.0\nfile 'shared/tone.wav'\n")
    assert _unrestricted_format(path) == "concat"
    return path


@pytest.fixture
def render(guarded: MediaResolver, tmp_path: Path) -> Any:
    async def run(timeline: dict[str, Any]) -> RenderResult:
        return await render_timeline(
            timeline,
            {"Width": 160, "Height": 128},
            resolver=guarded,
            workdir=tmp_path / "job",
            destination=tmp_path / "out.mp4",
        )

    return run


def _clip(path: Path) -> dict[str, Any]:
    return {"VideoTracks": [{"VideoTrackClips": [{"MediaURL": str(path)}]}]}


def _subtitled(media_dir: Path, subtitle: Path) -> dict[str, Any]:
    return {
        **_clip(media_dir / "red.mp4"),
        "SubtitleTracks": [{"SubtitleTrackClips": [{"Type": "Subtitle", "FileURL": str(subtitle)}]}],
    }


async def _refused(resolver: MediaResolver, path: Path) -> ImsError:
    with pytest.raises(ImsError) as err:
        await resolver.resolve(str(path), FIELD)
    return err.value


async def test_probe_refuses_an_mp4_that_is_an_hls_playlist(guarded: MediaResolver, playlist: Path) -> None:
    error = await _refused(guarded, playlist)
    assert error.code == "InvalidMaterial.Unsupported"
    assert FIELD in error.message
    assert "hls is not an accepted media format" in error.message


async def test_probe_refuses_an_mp4_that_is_an_ffconcat_script(guarded: MediaResolver, concat_script: Path) -> None:
    error = await _refused(guarded, concat_script)
    assert error.code == "InvalidMaterial.Unsupported"
    assert FIELD in error.message
    assert "concat is not an accepted media format" in error.message


async def test_render_refuses_an_mp4_that_is_an_hls_playlist(render: Any, playlist: Path) -> None:
    with pytest.raises(ImsError) as err:
        await render(_clip(playlist))
    assert err.value.code == "InvalidMaterial.Unsupported"
    assert FIELD in err.value.message


async def test_render_refuses_an_mp4_that_is_an_ffconcat_script(render: Any, concat_script: Path) -> None:
    with pytest.raises(ImsError) as err:
        await render(_clip(concat_script))
    assert err.value.code == "InvalidMaterial.Unsupported"
    assert FIELD in err.value.message


async def test_render_inputs_refuse_a_playlist_that_was_never_probed(playlist: Path) -> None:
    # A MediaId registered before the file was replaced reaches ffmpeg without a new probe.
    with pytest.raises(ImsError) as err:
        await run_ffmpeg(["ffmpeg", "-v", "error", *Input(playlist).args(), "-f", "null", "-"], 2.0)
    assert "not on whitelist" in err.value.message


async def test_subtitle_file_that_is_a_playlist_is_refused(
    render: Any, media_dir: Path, root: Path, outside: Path
) -> None:
    subtitle = root / "captions.srt"
    subtitle.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n{outside / 'red.mp4'}\n#EXT-X-ENDLIST\n")
    with pytest.raises(ImsError) as err:
        await render(_subtitled(media_dir, subtitle))
    assert err.value.code == "InvalidMaterial.Unsupported"
    assert SUBTITLE_FIELD in err.value.message


async def test_subtitle_file_that_is_not_a_subtitle_format_is_refused(render: Any, media_dir: Path) -> None:
    with pytest.raises(ImsError) as err:
        await render(_subtitled(media_dir, media_dir / "tone.wav"))
    assert err.value.code == "InvalidParameter"
    assert SUBTITLE_FIELD in err.value.message


@pytest.mark.parametrize(("name", "content"), [("captions.srt", SRT), ("captions.ass", ASS)])
async def test_srt_and_ass_subtitle_files_still_render(
    render: Any, media_dir: Path, root: Path, name: str, content: str
) -> None:
    subtitle = root / name
    subtitle.write_text(content)
    result = await render(_subtitled(media_dir, subtitle))
    assert abs(result.duration - 2.0) <= 1 / FPS
    picture = frame_at(result.output, 0.5)
    assert (picture[..., 1] > 100).any()  # the white "Hello" lightens the red clip somewhere


async def test_the_subtitles_filter_reads_the_checked_copy_not_the_named_file(
    render: Any, media_dir: Path, root: Path, tmp_path: Path
) -> None:
    subtitle = root / "captions.srt"
    subtitle.write_text(SRT)
    await render(_subtitled(media_dir, subtitle))
    graph = (tmp_path / "job" / "graph.txt").read_text()
    assert str(subtitle) not in graph  # a file swapped after the check would be read otherwise
    assert str(tmp_path / "job" / "copy-1.srt") in graph


@pytest.fixture(params=ORDINARY)
def ordinary(request: pytest.FixtureRequest, root: Path) -> Path:
    path = root / request.param
    subprocess.run(["ffmpeg", "-v", "error", "-y", *ORDINARY[request.param], str(path)], check=True)
    return path


async def test_ordinary_media_is_still_read(guarded: MediaResolver, ordinary: Path) -> None:
    info = await guarded.resolve(str(ordinary), FIELD)
    assert info.has_video or info.has_audio


async def test_analysis_command_refuses_a_playlist(playlist: Path, tmp_path: Path) -> None:
    out = {name: tmp_path / f"{name}.txt" for name in ("video", "motion", "blur", "audio")}
    with pytest.raises(ImsError) as err:
        await run_ffmpeg(analysis_command("ffmpeg", playlist, False, 10.0, out), 2.0)
    assert "not on whitelist" in err.value.message


def test_image_text_sampling_refuses_a_playlist(playlist: Path) -> None:
    with pytest.raises(ImageTextError, match="not on whitelist"):
        list(read_frames(frame_command("ffmpeg", playlist, file_guard(playlist), False, 32, 1.0), 32))


def test_speech_decoding_refuses_a_playlist(playlist: Path) -> None:
    with pytest.raises(ImsError, match="not on whitelist"):
        decode_speech("ffmpeg", playlist)


async def test_probe_cache_keeps_only_the_most_recently_used_files(
    media_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prober = Prober(cache_size=2)
    runs: list[str] = []
    real_run = prober._run

    async def counting(path: Path, ref: str, guard: tuple[str, ...]) -> dict[str, Any]:
        runs.append(path.name)
        return await real_run(path, ref, guard)

    monkeypatch.setattr(prober, "_run", counting)
    for name in ("red.mp4", "blue.mp4", "red.mp4", "tone.wav", "red.mp4", "blue.mp4"):
        await prober.probe(media_dir / name)
    # red stays cached while in use; blue, least recently used when tone.wav came, is probed again.
    assert runs == ["red.mp4", "blue.mp4", "tone.wav", "blue.mp4"]


def test_lru_memo_never_holds_more_than_its_size() -> None:
    memo: LruMemo[int, int] = LruMemo(3)
    for i in range(10):
        memo.put(i, i)
    assert len(memo) == 3
    assert [memo.get(i) for i in (6, 7, 8, 9)] == [None, 7, 8, 9]
