"""Media analysis on synthetic clips with known cuts, a loud cut-dense section and a black stretch."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from imsd.engine.media import FaceSample
from imsd.engine.planning import analysis
from imsd.engine.planning.analysis import (
    Analyzer,
    HighlightWeights,
    MediaAnalysis,
    Rejected,
    analysis_command,
    frame_quality,
    parse_metadata,
    per_second_faces,
    pick_highlights,
    voiced_per_second,
)
from imsd.engine.planning.shots import SHOT_MODEL, STEP, WINDOW, ShotNetwork, transition_cuts
from imsd.settings import EngineSettings

REPO = Path(__file__).resolve().parents[2]
#: TransNetV2 as scripts/export-models writes it with the default cache_dir (at setup).
SHOT_NETWORK = REPO / "var" / "cache" / "models" / SHOT_MODEL

FPS = 25
FRAME = 1 / FPS
SIZE = "320x180"

# Visibly different moving sources, so every junction is a hard cut and nothing is frozen.
_SOURCES = [
    f"testsrc2=s={SIZE}:r={FPS}",
    f"mandelbrot=s={SIZE}:r={FPS}",
    f"life=s={SIZE}:r={FPS}:mold=10:ratio=0.1:life_color=#00ff00:death_color=#c83232",
    f"gradients=s={SIZE}:r={FPS}:c0=0x2040ff:c1=0xffe020:seed=1:speed=0.05",
    f"testsrc2=s={SIZE}:r={FPS},hue=h=180,vflip",
]
_X264 = ["-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p"]


def _make(path: Path, segments: list[tuple[str, float]], volume: str) -> Path:
    """Concatenate (lavfi source, seconds) segments; a 440 Hz tone with a `volume` expression of t."""
    args: list[str] = []
    for source, seconds in segments:
        args += ["-f", "lavfi", "-i", f"{source},trim=duration={seconds},setpts=PTS-STARTPTS"]
    total = sum(s for _, s in segments)
    args += ["-f", "lavfi", "-i", f"sine=f=440:sample_rate=44100:d={total},volume='{volume}':eval=frame"]
    n = len(segments)
    graph = "".join(f"[{i}:v]" for i in range(n)) + f"concat=n={n}:v=1:a=0,format=yuv420p[v]"
    subprocess.run(
        ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", *args, "-filter_complex", graph,
         "-map", "[v]", "-map", f"{n}:a", *_X264, "-c:a", "aac", "-t", str(total), str(path)],
        check=True,
    )  # fmt: skip
    return path


@pytest.fixture(scope="module")
def clips(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("analysis-media")
    cuts = _make(root / "cuts.mp4", [(s, d) for s, d in zip(_SOURCES, [3, 2.6, 2.4, 2, 2], strict=True)], "0.3")
    # 0-10 s calm single shot, 10-16 s six 1 s shots with a loud tone, 16-18 s black, 18-22 s calm.
    busy = [(_SOURCES[1 + i % 4], 1.0) for i in range(6)]
    black = f"color=black:s={SIZE}:r={FPS}"
    highlight = _make(
        root / "highlight.mp4",
        [(_SOURCES[0], 10), *busy, (black, 2), (_SOURCES[4], 4)],
        "if(between(t,10,16),0.9,0.02)",
    )
    return {"cuts": cuts, "highlight": highlight}


@pytest.fixture
def engine_settings(tmp_path: Path) -> EngineSettings:
    return EngineSettings(cache_dir=tmp_path / "cache", work_dir=tmp_path / "work")


async def test_shots_at_the_known_cuts(clips: dict[str, Path], engine_settings: EngineSettings) -> None:
    result = await Analyzer(engine_settings).analyze(clips["cuts"])
    assert result.duration == pytest.approx(12.0, abs=FRAME)
    assert [round(c, 2) for c in result.cuts] == pytest.approx([3.0, 5.6, 8.0, 10.0], abs=2 * FRAME)
    assert result.shots[0][0] == 0.0 and result.shots[-1][1] == result.duration
    assert all(a[1] == b[0] for a, b in zip(result.shots, result.shots[1:], strict=False))
    n = 12
    assert len(result.loudness_db) == len(result.cut_density) == len(result.motion) == len(result.blur) == n
    assert result.rejected == []  # every segment moves, nothing is black or blurred
    assert max(result.loudness_db) - min(result.loudness_db) < 1  # a steady tone, about -32 dB RMS


async def test_highlight_picks_the_loud_cut_dense_section_and_skips_black(
    clips: dict[str, Path], engine_settings: EngineSettings
) -> None:
    result = await Analyzer(engine_settings).analyze(clips["highlight"])
    black = [r for r in result.rejected if r.reason == "black"]
    assert len(black) == 1
    assert (black[0].start, black[0].end) == pytest.approx((16.0, 18.0), abs=2 * FRAME)
    assert max(result.loudness_db[10:16]) > min(result.loudness_db[10:16]) - 3 > max(result.loudness_db[:10]) + 20

    picks = pick_highlights({"mid-1": result}, target_duration=5)
    assert picks, "nothing picked"
    assert sum(p.end - p.start for p in picks) == pytest.approx(5, abs=0.01)
    for p in picks:
        assert p.media == "mid-1"
        assert p.start >= 10 - 2 * FRAME and p.end <= 16 + 2 * FRAME, p
        assert p.as_dict()["signals"]["loudnessDb"] > -30  # the loud tone is ~-22 dB, the rest ~-56 dB

    # Asking for more than the good part: the black stretch is still never used.
    for p in pick_highlights({"mid-1": result}, target_duration=result.duration):
        assert p.end <= black[0].start + 1e-6 or p.start >= black[0].end - 1e-6, p


async def test_second_analysis_comes_from_the_cache(
    clips: dict[str, Path], engine_settings: EngineSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[list[str]] = []
    real = analysis.run_ffmpeg

    async def counting(cmd: list[str], *args: Any, **kwargs: Any) -> None:
        runs.append(cmd)
        await real(cmd, *args, **kwargs)

    monkeypatch.setattr(analysis, "run_ffmpeg", counting)
    first = await Analyzer(engine_settings).analyze(clips["cuts"])
    second = await Analyzer(engine_settings).analyze(clips["cuts"])  # new instance: served from disk
    assert len(runs) == 1
    assert runs[0][0] == engine_settings.ffmpeg and "-filter_complex" in runs[0]  # an argv list, no shell
    assert second == first
    assert list((engine_settings.cache_dir / "analysis").glob("*.json")) != []

    # Same content under another name shares the entry; other parameters do not.
    copy = engine_settings.work_dir / "copy.mp4"
    copy.write_bytes(clips["cuts"].read_bytes())
    assert await Analyzer(engine_settings).analyze(copy) == first
    assert len(runs) == 1
    other = engine_settings.model_copy(update={"scdet_threshold": 20.0})
    await Analyzer(other).analyze(copy)
    assert len(runs) == 2


def test_json_round_trip() -> None:
    a = MediaAnalysis(
        key="k",
        duration=3.5,
        shots=[(0.0, 1.5), (1.5, 3.5)],
        loudness_db=[-20.0, -90.0, -10.5, -12.0],
        cut_density=[0.0, 0.2, 0.2, 0.0],
        motion=[0.1, 0.0, 0.3, 0.2],
        blur=[3.0, 0.0, 4.0, 4.0],
        rejected=[Rejected(1.0, 2.0, "black")],
    )
    assert MediaAnalysis.from_json(a.to_json()) == a


def _flat(duration: int, **signals: list[float]) -> MediaAnalysis:
    values = {"loudness_db": [-40.0] * duration, "cut_density": [0.0] * duration, "motion": [0.0] * duration}
    values.update(signals)
    return MediaAnalysis(
        key="k", duration=float(duration), shots=[(0.0, float(duration))], blur=[0.0] * duration, **values
    )


def test_highlights_across_media_and_long_shots() -> None:
    quiet = _flat(30)
    loud = _flat(30, loudness_db=[-40.0] * 20 + [-6.0] * 10)  # one 30 s shot, loud from 20 s
    picks = pick_highlights({"a": quiet, "b": loud}, target_duration=10, max_window=6)
    assert [(p.media, p.start, p.end) for p in picks] == [("b", 20.0, 26.0), ("b", 26.0, 30.0)]
    assert picks[0].score == pytest.approx(HighlightWeights().loudness)  # loudness weight x fully loud
    assert pick_highlights({"a": quiet}, target_duration=0) == []
    assert pick_highlights({}, target_duration=10) == []


def test_a_stretch_where_someone_speaks_to_the_camera_is_the_highlight() -> None:
    # Equal in loudness, cuts and motion: the seconds with a face in view and a voice win (issue 17).
    plain = _flat(20)
    talking = _flat(20, speech=[0.0] * 10 + [0.9] * 5 + [0.0] * 5, faces=[0.0] * 10 + [0.2] * 5 + [0.0] * 5)
    picks = pick_highlights({"a": plain, "b": talking}, target_duration=5, max_window=5)
    assert [(p.media, p.start, p.end) for p in picks] == [("b", 10.0, 15.0)]
    assert picks[0].speech == pytest.approx(0.9) and picks[0].faces == pytest.approx(0.2)


def test_signals_not_measured_count_as_zero() -> None:
    old_cache = _flat(10, loudness_db=[-40.0] * 5 + [-6.0] * 5)  # analysed before speech and faces
    picks = pick_highlights({"a": old_cache}, target_duration=5, max_window=5)
    assert [(p.start, p.end, p.speech, p.faces) for p in picks] == [(5.0, 10.0, 0.0, 0.0)]


def test_speech_is_the_share_of_voiced_30_ms_frames_in_each_second() -> None:
    class MarkedFrames:  # stands in for webrtcvad.Vad: a frame of 1s is voice
        def is_speech(self, frame: bytes, rate: int) -> bool:
            return frame[0] == 1

    frame = 16000 * 30 // 1000 * 2
    # 66 frames of 30 ms: 34 start in second 0, 32 in second 1; the last 16 are voice.
    pcm = b"".join((b"\x01" if i >= 50 else b"\x00") * frame for i in range(66))
    assert voiced_per_second(pcm, MarkedFrames(), 2) == [0.0, 0.5]


def test_faces_per_second_keep_the_largest_face() -> None:
    samples = [FaceSample(0.0, ()), FaceSample(0.5, ((0, 0, 0.1, 0.2),)),
               FaceSample(1.0, ((0, 0, 0.1, 0.1), (0, 0, 0.3, 0.3)))]  # fmt: skip
    assert per_second_faces(samples, 2.5) == [0.02, 0.09, 0.0]


@pytest.fixture
def talk(tmp_path: Path) -> Path:
    """8 s of moving picture: silence, from 2 s a voice (espeak-ng), silence again."""
    voice = tmp_path / "voice.wav"
    subprocess.run(["espeak-ng", "-w", str(voice), "Welcome to the new shop, we are open all week."], check=True)
    clip = tmp_path / "talk.mp4"
    subprocess.run(  # 2 s of silence, then the voice, then silence to 8 s
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc2=s={SIZE}:r={FPS}:d=8", "-i", str(voice),
         "-filter_complex", "[1:a]adelay=2000|2000,apad=whole_dur=8[a]", "-map", "0:v", "-map", "[a]",
         "-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac", str(clip)],
        check=True,
    )  # fmt: skip
    return clip


async def test_the_analysis_hears_where_someone_speaks(talk: Path, tmp_path: Path) -> None:
    settings = EngineSettings(media_roots=[tmp_path], cache_dir=tmp_path / "cache", work_dir=tmp_path / "work")
    analysis = await Analyzer(settings).analyze(talk)
    assert len(analysis.speech) == 8 and max(analysis.speech[:2]) < 0.2
    assert max(analysis.speech[2:5]) > 0.6 and len(analysis.faces) == 8


def test_frame_quality_wants_sharp_lit_detailed_frames() -> None:
    sharp = frame_quality(blur=4.0, luma=120, low=40, high=200, blur_threshold=10)
    assert sharp == pytest.approx(0.6)  # blurdetect 4 of 10: sharpness 0.6; lit and detailed
    assert frame_quality(blur=12.0, luma=120, low=40, high=200, blur_threshold=10) == 0.0  # blurred
    assert frame_quality(blur=0.0, luma=16, low=16, high=16, blur_threshold=10) == 0.0  # black
    assert frame_quality(blur=4.0, luma=36, low=20, high=60, blur_threshold=10) == pytest.approx(0.3)  # dark
    assert frame_quality(blur=0.0, luma=128, low=126, high=130, blur_threshold=10) == pytest.approx(0.1)  # flat


@pytest.fixture(scope="module")
def looks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The same moving picture and tone three times: softened (gblur, not enough to be rejected),
    darkened, and sharp; listed sharp last, so a tie would go to another."""
    root = tmp_path_factory.mktemp("looks")
    source = f"testsrc2=s={SIZE}:r={FPS}"
    return {
        name: _make(root / f"{name}.mp4", [(source + look, 6)], "0.3")
        for name, look in [("soft", ",gblur=sigma=1.5"), ("dark", ",lutyuv=y=16+(val-16)*0.25"), ("sharp", "")]
    }


@pytest.fixture
async def copies(looks: dict[str, Path], engine_settings: EngineSettings) -> dict[str, MediaAnalysis]:
    return {name: await Analyzer(engine_settings).analyze(path) for name, path in looks.items()}


async def test_a_soft_or_dark_copy_measures_lower_quality_without_being_rejected(
    copies: dict[str, MediaAnalysis],
) -> None:
    assert all(not a.rejected for a in copies.values())
    quality = {name: sum(a.quality) / len(a.quality) for name, a in copies.items()}
    assert quality["sharp"] > 0.45  # measured .53
    assert 0.3 < quality["dark"] < quality["sharp"] - 0.1  # measured .39
    assert quality["soft"] < 0.25  # measured .17


async def test_highlights_pick_the_sharp_copy(copies: dict[str, MediaAnalysis]) -> None:
    [pick] = pick_highlights(copies, target_duration=4, max_window=4)
    sharp = copies["sharp"].quality
    assert pick.media == "sharp" and pick.quality == pytest.approx(sum(sharp) / len(sharp), abs=0.02)


async def test_without_the_quality_signal_a_soft_copy_is_as_good_as_the_sharp_one(
    copies: dict[str, MediaAnalysis],
) -> None:
    # Listed before the sharp copy, so a tie goes to it.
    blind = HighlightWeights(quality=0)
    assert pick_highlights(copies, target_duration=4, max_window=4, weights=blind)[0].media != "sharp"


@pytest.mark.skipif(not SHOT_NETWORK.is_file(), reason="TransNetV2 not exported (scripts/export-models)")
async def test_scdet_and_transnetv2_find_the_same_known_cuts(
    clips: dict[str, Path], engine_settings: EngineSettings
) -> None:
    scdet = await Analyzer(engine_settings).analyze(clips["cuts"])
    network = engine_settings.model_copy(update={"shot_detector": "transnetv2", "shot_model_path": SHOT_NETWORK})
    transnet = await Analyzer(network).analyze(clips["cuts"])
    assert (scdet.shot_detector, transnet.shot_detector) == ("scdet", "transnetv2")
    for found in (scdet, transnet):
        assert found.cuts == pytest.approx([3.0, 5.6, 8.0, 10.0], abs=2 * FRAME)


async def test_without_the_network_the_shots_come_from_scdet_and_say_so(
    clips: dict[str, Path], engine_settings: EngineSettings
) -> None:
    asked = engine_settings.model_copy(update={"shot_detector": "transnetv2", "shot_model_path": Path("/absent.onnx")})
    result = await Analyzer(asked).analyze(clips["cuts"])
    assert result.shot_detector == "scdet" and len(result.cuts) == 4


async def test_a_shot_network_that_does_not_run_gives_way_to_scdet_and_says_so(
    clips: dict[str, Path], engine_settings: EngineSettings, tmp_path: Path
) -> None:
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not an onnx model")
    asked = engine_settings.model_copy(update={"shot_detector": "transnetv2", "shot_model_path": garbage})
    result = await Analyzer(asked).analyze(clips["cuts"])
    assert result.shot_detector == "scdet"
    assert result.cuts == pytest.approx([3.0, 5.6, 8.0, 10.0], abs=2 * FRAME)


@pytest.fixture
def variable_rate(tmp_path: Path) -> Path:
    """4 s of variable frame rate: testsrc2 at 25 fps, then from 2 s mandelbrot at 10 fps."""
    clip = tmp_path / "vfr.mp4"
    parts = [_SOURCES[0], _SOURCES[1].replace(f"r={FPS}", "r=10")]
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y",
         *(arg for part in parts for arg in ("-f", "lavfi", "-i", f"{part},trim=duration=2,setpts=PTS-STARTPTS")),
         "-filter_complex", "[0:v][1:v]concat=n=2:v=1:a=0,format=yuv420p[v]", "-map", "[v]", "-fps_mode", "vfr",
         *_X264, str(clip)],
        check=True,
    )  # fmt: skip
    return clip


@pytest.mark.skipif(not SHOT_NETWORK.is_file(), reason="TransNetV2 not exported (scripts/export-models)")
async def test_transnetv2_dates_a_cut_in_variable_frame_rate_footage(
    variable_rate: Path, engine_settings: EngineSettings
) -> None:
    network = engine_settings.model_copy(update={"shot_detector": "transnetv2", "shot_model_path": SHOT_NETWORK})
    result = await Analyzer(network).analyze(variable_rate)
    assert result.shot_detector == "transnetv2"
    assert result.cuts == pytest.approx([2.0], abs=0.1)  # one 10 fps frame


async def test_frames_that_cannot_be_dated_give_way_to_scdet_and_say_so(
    clips: dict[str, Path], engine_settings: EngineSettings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def one_frame_short(path: Path) -> Any:
        return np.zeros((int(path.stat().st_size) // (27 * 48 * 3) - 1, 27, 48, 3), np.uint8)

    def no_network(self: ShotNetwork, window: Any) -> Any:
        raise AssertionError("TransNetV2 ran on frames without times")

    monkeypatch.setattr(analysis, "raw_frames", one_frame_short)
    monkeypatch.setattr(ShotNetwork, "_run", no_network)
    model = tmp_path / "model.onnx"
    model.write_bytes(b"never loaded")
    asked = engine_settings.model_copy(update={"shot_detector": "transnetv2", "shot_model_path": model})
    result = await Analyzer(asked).analyze(clips["cuts"])
    assert result.shot_detector == "scdet"
    assert result.cuts == pytest.approx([3.0, 5.6, 8.0, 10.0], abs=2 * FRAME)


def test_the_sound_is_measured_up_to_the_end_and_no_further(clips: dict[str, Path], tmp_path: Path) -> None:
    # Raw outputs keep the graph open until the encoder's padding is flushed: without the trim,
    # a 13th one-second chunk started at 12 s.
    out = {name: tmp_path / name for name in ("video", "motion", "blur", "audio", "faces", "shots")}
    command = analysis_command("ffmpeg", clips["cuts"], True, 10.0, out, faces=(1.0, 180), shot_frames=True,
                               duration=12.0)  # fmt: skip
    subprocess.run(command, check=True)
    starts = [t for t, _ in parse_metadata(out["audio"].read_text())]
    assert len(starts) == 12 and starts[-1] == pytest.approx(11.0, abs=0.05)


def test_each_frame_keeps_the_probability_of_the_window_it_is_central_in(monkeypatch: pytest.MonkeyPatch) -> None:
    # A stand-in network: a frame's probability is its value / 1000, unless it lies in a window's
    # first or last 25 frames (which TransNetV2 sees without enough context): then 1.
    def run(self: ShotNetwork, window: Any) -> Any:
        assert window.shape == (1, WINDOW, 27, 48, 3)
        values = window[0, :, 0, 0, 0].astype("float32") / 1000
        values[:25] = values[75:] = 1
        return values[None]

    monkeypatch.setattr(ShotNetwork, "_run", run)
    for count in (1, STEP, 2 * STEP + 7):
        frames = np.zeros((count, 27, 48, 3), np.uint8)
        frames[:, 0, 0, 0] = np.arange(count) % 250
        assert np.allclose(ShotNetwork(Path("unused")).probabilities(frames), (np.arange(count) % 250) / 1000)


def test_a_transition_ends_its_shot_at_its_peak() -> None:
    probabilities = np.array([0.0, 0.1, 0.6, 0.9, 0.7, 0.0, 0.0, 0.8, 0.0, 0.99], np.float32)
    times = [i / 10 for i in range(10)]
    assert transition_cuts(probabilities, times) == [0.4, 0.8]  # a run reaching the last frame ends no shot


def test_transitions_without_a_time_for_every_frame_are_refused() -> None:
    with pytest.raises(ValueError, match="10 frame probabilities for 9 frame times"):
        transition_cuts(np.zeros(10, np.float32), [i / 10 for i in range(9)])


async def test_the_analysis_finds_faces_in_the_frames_its_own_pass_decoded(
    tmp_path: Path, engine_settings: EngineSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imsd.engine.media import faces

    from tests.engine.test_reframing import footage

    async def no_second_decode(*args: Any) -> bytes:
        raise AssertionError("FaceFinder decoded the file again")

    monkeypatch.setattr(faces, "ffmpeg_output", no_second_decode)
    clip = footage(tmp_path / "face.mp4", 3.0, lambda t: 0.82)
    result = await Analyzer(engine_settings).analyze(clip)
    assert len(result.faces) == 3 and all(0.05 < f < 0.1 for f in result.faces)  # measured 0.07


async def test_the_analysis_counts_faces_without_seeking_the_salient_point(
    tmp_path: Path, engine_settings: EngineSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from imsd.engine.media import faces

    from tests.engine.test_reframing import footage

    def not_needed(*args: Any) -> None:
        raise AssertionError("the analysis computed a salient point it never uses")

    monkeypatch.setattr(faces, "salient_point", not_needed)
    clip = footage(tmp_path / "face.mp4", 3.0, lambda t: 0.82)
    result = await Analyzer(engine_settings).analyze(clip)
    assert len(result.faces) == 3 and all(f > 0 for f in result.faces)


@pytest.fixture
def dissolve(tmp_path: Path) -> Path:
    """5 s: testsrc2 dissolving into mandelbrot from 3 s to 4 s."""
    clip = tmp_path / "dissolve.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", _SOURCES[0] + ":d=5", "-f", "lavfi", "-i",
         _SOURCES[1] + ",trim=duration=5", "-filter_complex",
         "[0:v][1:v]xfade=transition=fade:duration=1:offset=3,format=yuv420p[v]", "-map", "[v]", *_X264, str(clip)],
        check=True,
    )  # fmt: skip
    return clip


@pytest.mark.skipif(not SHOT_NETWORK.is_file(), reason="TransNetV2 not exported (scripts/export-models)")
async def test_transnetv2_finds_a_dissolve_that_scdet_misses(dissolve: Path, engine_settings: EngineSettings) -> None:
    assert (await Analyzer(engine_settings).analyze(dissolve)).cuts == []
    network = engine_settings.model_copy(update={"shot_detector": "transnetv2", "shot_model_path": SHOT_NETWORK})
    [cut] = (await Analyzer(network).analyze(dissolve)).cuts
    assert 3.0 < cut < 4.0  # measured 3.56
