"""What a shot shows, as words the matcher scores (planning/vision.py, issue 17).

Footage is made here without descriptions or speech and under meaningless file names, so only
what the picture shows can match it: a sign (on-screen text, read by PP-OCR through rapidocr), a
drawn face (OpenCV's cascade, as in tests/engine/test_reframing.py) and a red picture that
test_labels.py's colour 'classifier' names a fire engine.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from imsd.engine.media import MediaResolver
from imsd.engine.planning.scene_selector import SceneSelector
from imsd.engine.planning.selection import Sentence
from imsd.engine.planning.vision import ShotVision, face_words
from imsd.settings import EngineSettings
from PIL import Image

from .test_labels import colour_classifier
from .test_reframing import BACKDROP, drawn_face

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


def sign(path: Path, text: str, seconds: float = 2.0) -> Path:
    """A clip of `text` in white on a dark backdrop, as a shop sign or a caption shows it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draw = f"drawtext=fontfile={FONT}:text='{text}':fontsize=56:fontcolor=white:x=(w-tw)/2:y=(h-th)/2"
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"color=c=0x2b3a4a:s=640x360:r=10:d={seconds}",
                    "-vf", draw, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path)],
                   check=True)  # fmt: skip
    return path


def portrait(path: Path) -> Path:
    """A still of a face, as a talking-head frame shows it."""
    picture = Image.new("RGB", (640, 360), BACKDROP)
    face = drawn_face(180)
    picture.paste(face, ((640 - face.width) // 2, (360 - face.height) // 2), face)
    picture.save(path)
    return path


@pytest.fixture(scope="module")
def library(media_dir: Path) -> dict[str, Path]:
    return {
        "soup": sign(media_dir / "v1" / "a8f3.mp4", "HOT SOUP 热汤"),
        "football": sign(media_dir / "v1" / "c21d.mp4", "FOOTBALL MATCH 足球赛"),
        "face": portrait(media_dir / "v1" / "e07b.png"),
    }


def test_faces_become_words_in_english_and_chinese() -> None:
    assert face_words(()) == ""
    assert face_words(((0.1, 0.1, 0.1, 0.1),)).startswith("a person")
    assert "人脸特写" in face_words(((0.2, 0.1, 0.4, 0.5),))
    assert face_words(((0.1, 0.1, 0.1, 0.1),) * 2).startswith("two people")
    assert face_words(((0.1, 0.1, 0.1, 0.1),) * 4).startswith("a group of people")


async def test_on_screen_text_and_faces_are_read_from_the_middle_frame(
    library: dict[str, Path], settings: EngineSettings
) -> None:
    resolver = MediaResolver(settings)
    vision = ShotVision(settings.cache_dir, settings.ffmpeg)
    soup = await vision.words(await resolver.resolve(str(library["soup"]), "m"), 0.0, 2.0)
    face = await vision.words(await resolver.resolve(str(library["face"]), "m"), 0.0, 0.0)
    assert "HOT SOUP" in soup and "热汤" in soup and "person" not in soup
    assert "a person" in face and "close-up" in face


async def test_footage_without_metadata_is_matched_by_what_it_shows(
    library: dict[str, Path], settings: EngineSettings
) -> None:
    settings = settings.model_copy(update={"visual_signals": True})
    selector = SceneSelector(settings, MediaResolver(settings))
    refs = [str(library[name]) for name in ("soup", "football", "face")]
    sentences = [
        Sentence("1", "What a goal in the football match!", 2.0),
        Sentence("2", "她对着镜头微笑。", 2.0),
        Sentence("3", "一碗热汤，暖暖的晚餐。", 2.0),
    ]
    selection = await selector.smart_mix([sentences], refs, {})
    matched = selection["textMatchMediaOutputList"][0]["textMatchMediaSentenceOutputList"]
    assert [m["matchClipList"][0]["mediaId"] for m in matched] == [refs[1], refs[2], refs[0]]


async def test_things_join_the_words_and_the_result_names_the_signals_used(
    media_dir: Path, settings: EngineSettings, tmp_path: Path
) -> None:
    red = media_dir / "v1" / "5b0e.png"
    red.parent.mkdir(exist_ok=True)  # not left to another test's library: tests run in any order
    Image.new("RGB", (640, 360), (230, 20, 20)).save(red)
    model = colour_classifier(tmp_path / "colours.onnx")
    resolver = MediaResolver(settings)
    vision = ShotVision(settings.cache_dir, settings.ffmpeg, model)
    assert "fire engine" in await vision.words(await resolver.resolve(str(red), "m"), 0.0, 0.0)
    sentences = [Sentence("1", "消防车赶到了现场。", 2.0)]
    used = {}
    for name, path in (("with", model), ("without", tmp_path / "absent.onnx")):
        seeing = settings.model_copy(update={"visual_signals": True, "label_model_path": path})
        selection = await SceneSelector(seeing, MediaResolver(seeing)).smart_mix([sentences], [str(red)], {})
        used[name] = selection["scorer"]["visualSignals"]
    assert used == {"with": ["ocr", "faces", "labels"], "without": ["ocr", "faces"]}


async def test_models_that_do_not_run_are_skipped_and_the_smart_mix_record_says_so(
    media_dir: Path, library: dict[str, Path], settings: EngineSettings, tmp_path: Path
) -> None:
    red = media_dir / "v1" / "5b0e.png"
    Image.new("RGB", (640, 360), (230, 20, 20)).save(red)
    garbage = tmp_path / "garbage.onnx"
    garbage.write_bytes(b"not an onnx model")
    asked = {"visual_signals": True, "label_model_path": garbage, "shot_detector": "transnetv2",
             "shot_model_path": garbage}  # fmt: skip
    seeing = settings.model_copy(update=asked)
    selection = await SceneSelector(seeing, MediaResolver(seeing)).smart_mix(
        [[Sentence("1", "消防车赶到了现场。", 2.0)]], [str(red), str(library["soup"])], {}
    )
    assert selection["scorer"]["visualSignals"] == ["ocr", "faces"]
    assert selection["scorer"]["shotDetectors"] == ["scdet"]  # what the analysis used, not what was asked
    assert selection["textMatchMediaOutputList"][0]["textMatchMediaSentenceOutputList"][0]["matchClipList"]
