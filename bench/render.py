"""The local engine's render speed on a realistic short video, against two yardsticks.

    .venv/bin/python bench/render.py [--no-moviepy] [--keep DIR] [--preset veryfast] [--crf 23]

The job (docs/engine-notes.md B2): 15 s of 1080x1920 at 30 fps from four clips - a 1920x1080 testsrc2
video cropped to fill (Cover), a 1600x1200 PNG with a KenBurns pan/zoom, a 1280x720 mandelbrot
video letterboxed (Contain) over a blurred copy of itself, a native 1080x1920 "life" video -
joined by three 0.5 s transitions (fade, slideleft, circleopen), a CJK title, CJK subtitles from
an SRT file, a 6 s music bed looped under the whole video and ducked (Volume with In/Out, the
Timeline's own way to duck) while an espeak-ng voice-over plays, the voice loudness-normalised
(ALoudNorm). All media is made with ffmpeg lavfi / espeak-ng in a temp dir before timing.

It is rendered by `render_timeline`, the daemon's own code path (timeline JSON -> one ffmpeg
graph), and compared in the same run with:

- the encode floor: ffmpeg encoding 15 s of a 1080x1920 testsrc with the same video and audio
  encoder settings and nothing else. testsrc is mostly still and encodes to a fraction of the
  bits of real pictures (0.3 against 4.5 Mbit/s here), so the run also reports
- the pixels floor: the same encode of the engine's own output pixels and samples, read from a
  raw file decoded beforehand - what encoding exactly this video costs, with no decoding and no
  composition at all. No renderer that ends in libx264 with these settings can be faster;
  `pixels_over_floor` says how far above the testsrc floor that bound itself lies;
- MoviePy 2.x (`pip install -e '.[bench]'`) composing the same clips, title, subtitles and
  crossfades per frame in NumPy and piping them to the same ffmpeg - the common Python way. It
  does no ducking and no loudness normalisation (MoviePy has neither), so it is measured doing
  less than the engine.

Ratios measured in one run are what matter; on a shared 2-core machine absolute seconds are
noisy. The last line printed is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "daemon"))

from imsd.engine.media import MediaResolver
from imsd.engine.render import render_timeline
from imsd.settings import EngineSettings

W, H, FPS, SECONDS = 1080, 1920, 30, 15.0
FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc")
TITLE = "夏日新品 限时八折"
VOICE_TEXT = "Our summer collection is here. Light fabrics, bright colours, and free delivery today."
SUBTITLES = [(0.5, 4.0, "轻盈面料 清爽一夏"), (5.0, 9.5, "多款颜色 任你挑选"), (10.5, 14.5, "今天下单 包邮到家")]
VOICE_AT = 2.0
MUSIC_GAIN, DUCKED_GAIN = 0.35, 0.3  # the bed under the voice plays at 0.35 * 0.3
X264 = ["-c:v", "libx264", "-pix_fmt", "yuv420p"]

# name -> ffmpeg input arguments and encoder arguments (after -y, before the output path)
MEDIA: dict[str, list[str]] = {
    "city.mp4": ["-f", "lavfi", "-i", "testsrc2=s=1920x1080:r=30:d=5", *X264, "-preset", "veryfast"],
    "fractal.mp4": ["-f", "lavfi", "-i", "mandelbrot=s=1280x720:r=30", "-t", "4.5", *X264, "-preset", "veryfast"],
    # Cells of 4x4 px: one-pixel cells make a 100 Mbit/s noise video no camera produces.
    "life.mp4": ["-f", "lavfi", "-i", "life=s=270x480:r=30:mold=10:ratio=0.3:death_color=#203040:life_color=#f0c040",
                 "-vf", "scale=1080:1920:flags=neighbor", "-t", "4.5", *X264, "-preset", "veryfast"],
    "poster.png": ["-f", "lavfi", "-i", "gradients=s=1600x1200:c0=0x2040a0:c1=0xf08030:n=4:d=1",
                   "-frames:v", "1"],
    "music.mp3": ["-f", "lavfi", "-i", "aevalsrc=0.3*sin(2*PI*220*t)*(0.6+0.4*sin(2*PI*0.5*t))"
                  "|0.3*sin(2*PI*(277+53*gt(t\\,3))*t):d=6:s=44100",
                  "-c:a", "libmp3lame", "-b:a", "128k"],
}  # fmt: skip


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def seconds_of(path: Path) -> float:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", str(path)],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    return float(out.strip())


def make_media(root: Path) -> dict[str, Path]:
    media = {name: root / name for name in MEDIA}
    for name, args in MEDIA.items():
        if not media[name].is_file():  # --keep reuses what an earlier run made
            ffmpeg(*args, str(media[name]))
    raw = root / "voice-raw.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-s", "150", "-w", str(raw), VOICE_TEXT], check=True)
    media["voice.wav"] = root / "voice.wav"
    ffmpeg("-i", str(raw), "-ar", "48000", "-ac", "1", str(media["voice.wav"]))
    media["subs.srt"] = root / "subs.srt"
    media["subs.srt"].write_text(
        "\n".join(f"{i}\n{_srt(a)} --> {_srt(b)}\n{text}\n" for i, (a, b, text) in enumerate(SUBTITLES, 1)),
        encoding="utf-8",
    )
    return media


def _srt(t: float) -> str:
    ms = round(t * 1000)
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def timeline(media: dict[str, Path], voice_len: float) -> dict[str, Any]:
    """The job as IMS Timeline JSON: 4.5 + 4 + 4 + 4 - 3 x 0.5 = 15 s."""

    def transition(name: str) -> dict[str, Any]:
        return {"Type": "Transition", "SubType": name, "Duration": 0.5}

    clips = [
        {"MediaURL": str(media["city.mp4"]), "In": 0, "Out": 4.5, "AdaptMode": "Cover",
         "Effects": [transition("fade")]},
        {"MediaURL": str(media["poster.png"]), "Type": "Image", "Duration": 4, "AdaptMode": "Cover",
         "Effects": [{"Type": "KenBurns", "Start": "0,0,1,1", "End": "0.25,0.25,0.6,0.6"},
                     transition("slideleft")]},
        {"MediaURL": str(media["fractal.mp4"]), "In": 0, "Out": 4, "AdaptMode": "Contain",
         "Effects": [{"Type": "Background", "SubType": "Blur", "Radius": 0.1}, transition("circleopen")]},
        {"MediaURL": str(media["life.mp4"]), "In": 0, "Out": 4},
    ]  # fmt: skip
    duck_in, duck_out = VOICE_AT - 0.2, VOICE_AT + voice_len + 0.2
    music = {
        "MediaURL": str(media["music.mp3"]), "LoopMode": True, "TimelineIn": 0, "TimelineOut": SECONDS,
        "Effects": [{"Type": "Volume", "Gain": MUSIC_GAIN},
                    {"Type": "Volume", "Gain": DUCKED_GAIN, "In": duck_in, "Out": duck_out},
                    {"Type": "AFade", "SubType": "Out", "Duration": 1.0, "Curve": "tri"}],
    }  # fmt: skip
    voice = {
        "MediaURL": str(media["voice.wav"]), "TimelineIn": VOICE_AT,
        "Effects": [{"Type": "ALoudNorm", "Loudness": -16, "TruePeak": -1.5}],
    }  # fmt: skip
    title = {
        "Type": "Text", "Content": TITLE, "X": 0.5, "Y": 0.12, "Alignment": "TopCenter", "Font": "SimHei",
        "FontSize": 96, "FontColor": "#FFEE00", "Outline": 4, "OutlineColour": "#000000",
        "TimelineIn": 0, "TimelineOut": 6, "AaiMotionInEffect": "fade_in", "AaiMotionIn": 0.5,
    }  # fmt: skip
    return {
        "VideoTracks": [{"VideoTrackClips": clips, "MainTrack": True}],
        "AudioTracks": [{"AudioTrackClips": [music]}, {"AudioTrackClips": [voice]}],
        "SubtitleTracks": [
            {"SubtitleTrackClips": [title]},
            {"SubtitleTrackClips": [{"Type": "Subtitle", "FileURL": str(media["subs.srt"])}]},
        ],
    }


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def all_cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return own.ru_utime + own.ru_stime + children_cpu()


def render_engine(media: dict[str, Path], work: Path, preset: str, crf: int) -> dict[str, Any]:
    settings = EngineSettings(
        media_roots=[work],
        storage_root=work / "storage",
        cache_dir=work / "cache",
        work_dir=work / "work",
        default_preset=preset,
        default_crf=crf,
    )
    resolver = MediaResolver(settings)
    tl = timeline(media, seconds_of(media["voice.wav"]))
    out = work / "engine.mp4"
    cpu0, t0 = children_cpu(), time.perf_counter()
    result = asyncio.run(
        render_timeline(
            tl,
            {"Width": W, "Height": H, "Video": {"Fps": FPS}},
            resolver=resolver,
            workdir=work / "work" / "engine",
            destination=out,
        )
    )
    wall = time.perf_counter() - t0
    return {
        "wall_s": wall,
        "cpu_s": children_cpu() - cpu0,
        "duration_s": result.duration,
        "size": (result.width, result.height),
        "mb": out.stat().st_size / 1e6,
        "ignored": result.ignored,
        "approximated": result.approximated,
        "graph": (work / "work" / "engine" / "graph.txt").read_text(),
        "command": result.command,
    }


def encode_floor(work: Path, preset: str, crf: int) -> dict[str, Any]:
    """15 s of 1080x1920 testsrc + a sine, encoded with the engine's encoder arguments."""
    out = work / "floor.mp4"
    cpu0, t0 = children_cpu(), time.perf_counter()
    ffmpeg(
        "-f", "lavfi", "-i", f"testsrc=s={W}x{H}:r={FPS}:d={SECONDS}",
        "-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:duration={SECONDS}",
        "-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p", "-crf", str(crf), "-r", str(FPS),
        "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2", "-movflags", "+faststart", str(out),
    )  # fmt: skip
    return {"wall_s": time.perf_counter() - t0, "cpu_s": children_cpu() - cpu0, "mb": out.stat().st_size / 1e6}


def pixels_floor(video: Path, work: Path, preset: str, crf: int) -> dict[str, Any]:
    """Encode `video`'s own frames and samples, decoded to raw files first (untimed), as the engine does."""
    raw, wav, out = work / "pixels.yuv", work / "pixels.wav", work / "pixels-floor.mp4"
    ffmpeg("-i", str(video), "-map", "0:v", "-f", "rawvideo", "-pix_fmt", "yuv420p", str(raw), "-map", "0:a", str(wav))
    try:
        cpu0, t0 = children_cpu(), time.perf_counter()
        ffmpeg(
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{W}x{H}", "-r", str(FPS), "-i", str(raw), "-i", str(wav),
            "-c:v", "libx264", "-preset", preset, "-pix_fmt", "yuv420p", "-crf", str(crf), "-r", str(FPS),
            "-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2", "-movflags", "+faststart", str(out),
        )  # fmt: skip
        return {"wall_s": time.perf_counter() - t0, "cpu_s": children_cpu() - cpu0, "mb": out.stat().st_size / 1e6}
    finally:
        raw.unlink()
        wav.unlink()


def render_moviepy(media: dict[str, Path], work: Path, preset: str, crf: int) -> dict[str, Any]:
    """The same composition in MoviePy 2.x: crossfades for every transition, no ducking/loudnorm."""
    os.environ.setdefault("FFMPEG_BINARY", shutil.which("ffmpeg") or "ffmpeg-imageio")  # same encoder binary
    import numpy as np
    from moviepy import (
        AudioFileClip,
        ColorClip,
        CompositeAudioClip,
        CompositeVideoClip,
        ImageClip,
        TextClip,
        VideoFileClip,
        afx,
        vfx,
    )
    from PIL import Image, ImageFilter

    cpu0, t0 = all_cpu(), time.perf_counter()
    fade = 0.5

    def cover(clip: Any) -> Any:
        scale = max(W / clip.w, H / clip.h)
        return clip.resized(scale).cropped(x_center=clip.w * scale / 2, y_center=clip.h * scale / 2, width=W, height=H)

    def blur(frame: Any) -> Any:
        # blurred at 1/8 size and scaled back, as the engine does: a fair MoviePy user would too
        small = Image.fromarray(frame).resize((W // 8, H // 8), Image.Resampling.BILINEAR)
        return np.asarray(small.filter(ImageFilter.GaussianBlur(54 / 8)).resize((W, H), Image.Resampling.BILINEAR))

    city = cover(VideoFileClip(str(media["city.mp4"]), audio=False).subclipped(0, 4.5))
    poster = ImageClip(str(media["poster.png"])).with_duration(4)
    base = max(W / poster.w, H / poster.h)
    poster = poster.resized(lambda t: base * (1 + 0.66 * t / 4)).with_position("center")
    poster = CompositeVideoClip([poster], size=(W, H)).with_duration(4)
    fractal = VideoFileClip(str(media["fractal.mp4"]), audio=False).subclipped(0, 4)
    backdrop = cover(fractal).image_transform(blur)
    front = fractal.resized(width=W).with_position("center")
    fractal = CompositeVideoClip([backdrop, front], size=(W, H)).with_duration(4)
    life = VideoFileClip(str(media["life.mp4"]), audio=False).subclipped(0, 4)

    layers, start = [], 0.0
    for index, clip in enumerate([city, poster, fractal, life]):
        if index:
            clip = clip.with_effects([vfx.CrossFadeIn(fade)])
        layers.append(clip.with_start(start))
        start += clip.duration - fade
    total = start + fade
    font = str(FONT_FILE)
    title = (
        TextClip(font=font, text=TITLE, font_size=96, color="#FFEE00", stroke_color="black", stroke_width=4)
        .with_start(0)
        .with_duration(6)
        .with_position(("center", int(H * 0.12)))
        .with_effects([vfx.CrossFadeIn(0.5)])
    )
    subs = [
        TextClip(font=font, text=text, font_size=64, color="white", stroke_color="black", stroke_width=3)
        .with_start(a)
        .with_duration(b - a)
        .with_position(("center", int(H * 0.85)))
        for a, b, text in SUBTITLES
    ]
    video = CompositeVideoClip([ColorClip((W, H), (0, 0, 0), duration=total), *layers, title, *subs], size=(W, H))
    music = (
        AudioFileClip(str(media["music.mp3"]))
        .with_effects([afx.AudioLoop(duration=total), afx.MultiplyVolume(MUSIC_GAIN), afx.AudioFadeOut(1.0)])
    )
    voice = AudioFileClip(str(media["voice.wav"])).with_start(VOICE_AT)
    video = video.with_duration(total).with_audio(CompositeAudioClip([music, voice]).with_duration(total))
    built = time.perf_counter() - t0
    out = work / "moviepy.mp4"
    t1 = time.perf_counter()
    video.write_videofile(
        str(out), fps=FPS, codec="libx264", preset=preset, audio_codec="aac", audio_bitrate="128k",
        ffmpeg_params=["-crf", str(crf), "-pix_fmt", "yuv420p"], threads=2, logger=None,
    )  # fmt: skip
    write = time.perf_counter() - t1
    return {
        "wall_s": built + write,
        "build_s": built,
        "write_s": write,
        "cpu_s": all_cpu() - cpu0,  # this process (NumPy compositing) and its ffmpeg readers/writer
        "mb": out.stat().st_size / 1e6,
        "duration_s": seconds_of(out),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-moviepy", action="store_true", help="skip the MoviePy render (the slow part)")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep the outputs")
    parser.add_argument("--preset", default="veryfast", help="x264 preset for all renders (engine default)")
    parser.add_argument("--crf", type=int, default=23, help="x264 CRF for all renders (engine default)")
    parser.add_argument("--show-graph", action="store_true", help="print the engine's filter graph")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="imsd-bench-") as tmp:
        work = args.keep or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        work = work.resolve()
        t0 = time.perf_counter()
        media = make_media(work)
        print(f"media made in {time.perf_counter() - t0:.1f}s in {work}")

        engine = render_engine(media, work, args.preset, args.crf)
        if args.show_graph:
            print(engine["graph"])
        print(
            f"engine:  {engine['wall_s']:.2f}s wall, {engine['cpu_s']:.2f}s CPU, "
            f"{engine['duration_s']:.2f}s {engine['size'][0]}x{engine['size'][1]}, {engine['mb']:.1f} MB"
        )
        for note in engine["ignored"] + engine["approximated"]:
            print(f"  note: {note}")
        floor = encode_floor(work, args.preset, args.crf)
        print(f"floor:   {floor['wall_s']:.2f}s wall, {floor['cpu_s']:.2f}s CPU (encode only), {floor['mb']:.1f} MB")
        pixels = pixels_floor(work / "engine.mp4", work, args.preset, args.crf)
        print(f"pixels:  {pixels['wall_s']:.2f}s wall, {pixels['cpu_s']:.2f}s CPU (encode of the output's raw frames)")
        figures: dict[str, Any] = {
            "wall_s": round(engine["wall_s"], 2),
            "cpu_s": round(engine["cpu_s"], 2),
            "realtime_factor": round(SECONDS / engine["wall_s"], 2),
            "floor_s": round(floor["wall_s"], 2),
            "floor_ratio": round(engine["wall_s"] / floor["wall_s"], 3),
            "floor_cpu_ratio": round(engine["cpu_s"] / floor["cpu_s"], 3),
            "pixels_floor_s": round(pixels["wall_s"], 2),
            "pixels_floor_ratio": round(engine["wall_s"] / pixels["wall_s"], 3),
            "pixels_floor_cpu_ratio": round(engine["cpu_s"] / pixels["cpu_s"], 3),
            "pixels_over_floor": round(pixels["wall_s"] / floor["wall_s"], 3),
            "pixels_over_floor_cpu": round(pixels["cpu_s"] / floor["cpu_s"], 3),
            "load_avg_1m": round(os.getloadavg()[0], 2),
            "preset": args.preset,
            "crf": args.crf,
        }
        if not args.no_moviepy:
            mp = render_moviepy(media, work, args.preset, args.crf)
            print(
                f"moviepy: {mp['wall_s']:.2f}s wall ({mp['build_s']:.2f}s build + {mp['write_s']:.2f}s write), "
                f"{mp['duration_s']:.2f}s, {mp['mb']:.1f} MB - no ducking, no loudnorm, crossfades only"
            )
            figures["moviepy_s"] = round(mp["wall_s"], 2)
            figures["moviepy_speedup"] = round(mp["wall_s"] / engine["wall_s"], 2)
            figures["moviepy_cpu_s"] = round(mp["cpu_s"], 2)
            figures["moviepy_cpu_speedup"] = round(mp["cpu_s"] / engine["cpu_s"], 2)
        print(json.dumps(figures))


if __name__ == "__main__":
    main()
