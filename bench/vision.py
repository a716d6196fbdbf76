"""Scene matching on footage without metadata: text-only beside what the pictures show.

    .venv/bin/python bench/vision.py

A library of 13 clips under meaningless names, with no description and no speech: 8 signs or
captions (on-screen text, Chinese and English), 3 scenes of people (one face close up, two
people, a group of four; drawn faces, which OpenCV's cascade finds as it finds photographed
ones) and 2 pictures of nothing recognisable (distractors). 22 sentences, two per scene, written
for the scenes in other words than the signs use. Each sentence is scored against every shot by
the default text scorer twice in the same process: with the shots' text as before (file name
only: the baseline, at chance) and with `engine.visual_signals` (on-screen text, people). A
sentence counts for top-1 when its best shot is of its scene, for top-3 when its scene is among
the three best scenes. Object labels (an ImageNet classifier) are not among the signals yet, so
a scene recognisable only by its objects is not in the library. The last line is one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imsd.engine.media import MediaResolver
from imsd.engine.planning.matching import similarities
from imsd.engine.planning.scene_selector import SceneSelector, passage
from imsd.settings import EngineSettings
from PIL import Image, ImageDraw

from tests.engine.test_reframing import BACKDROP, drawn_face
from tests.engine.test_vision import sign

SIGNS = {
    "coffee": "FRESH COFFEE 现磨咖啡", "sale": "SALE 50% OFF 全场五折", "soup": "HOT SOUP 热汤",
    "football": "FOOTBALL MATCH 足球赛", "opening": "GRAND OPENING 盛大开业", "phone": "PHONE REPAIR 手机维修",
    "books": "BOOK FAIR 书展", "airport": "DEPARTURES 航班出发",
}  # fmt: skip
PEOPLE = {"presenter": 1, "pair": 2, "crowd": 4}
SENTENCES = [
    ("Start your morning with a freshly brewed latte.", "coffee"), ("来一杯刚磨好的咖啡。", "coffee"),
    ("Everything in the store is half price today!", "sale"), ("全场商品限时五折优惠。", "sale"),
    ("A warm bowl of soup on a cold evening.", "soup"), ("晚餐来一碗热腾腾的汤。", "soup"),
    ("The striker scores in the last minute!", "football"), ("今晚的足球比赛非常精彩。", "football"),
    ("Our new shop opens its doors this weekend.", "opening"), ("新店盛大开业，欢迎光临。", "opening"),
    ("Cracked screen? We fix it in an hour.", "phone"), ("手机屏幕坏了，一小时修好。", "phone"),
    ("Thousands of new books at the fair this week.", "books"), ("书展上有很多新书。", "books"),
    ("Check the board for your flight's gate.", "airport"), ("航班即将起飞，请前往登机口。", "airport"),
    ("She looks into the camera and smiles.", "presenter"), ("主持人对着镜头介绍产品。", "presenter"),
    ("Two friends chat across the table.", "pair"), ("两个人面对面聊天。", "pair"),
    ("A crowd of people gathers in the square.", "crowd"), ("一群人聚在一起庆祝。", "crowd"),
]  # fmt: skip


def people(path: Path, count: int) -> Path:
    picture = Image.new("RGB", (640, 360), BACKDROP)
    size = 200 if count == 1 else 120 if count == 2 else 90
    face = drawn_face(size)
    for index in range(count):
        x = round((index + 0.5) * 640 / count - face.width / 2)
        picture.paste(face, (x, (360 - face.height) // 2), face)
    picture.save(path)
    return path


def nothing(path: Path, colour: str) -> Path:
    picture = Image.new("RGB", (640, 360), (128, 128, 128))
    ImageDraw.Draw(picture).ellipse([220, 80, 420, 280], fill=colour)
    picture.save(path)
    return path


async def ranks(settings: EngineSettings, library: dict[str, Path]) -> tuple[float, float, float]:
    """(top-1, top-3, seconds) of the sentences against the library's shots under `settings`."""
    started = time.perf_counter()
    selector = SceneSelector(settings, MediaResolver(settings))
    refs = [str(path) for path in library.values()]
    scene_of = {str(path): name for name, path in library.items()}
    candidates = await selector.candidates(refs, {})
    scored = await similarities(selector.scorer, [s for s, _ in SENTENCES], [passage(c) for c in candidates])
    top1 = top3 = 0
    for row, (_, scene) in enumerate(SENTENCES):
        order = sorted(range(len(candidates)), key=lambda c: -scored.matrix[row][c])
        scenes: list[str] = []
        for c in order:
            name = scene_of[candidates[c].media]
            if name not in scenes:
                scenes.append(name)
        top1 += scenes[0] == scene
        top3 += scene in scenes[:3]
    return top1 / len(SENTENCES), top3 / len(SENTENCES), time.perf_counter() - started


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        media = root / "media"
        media.mkdir()
        library: dict[str, Path] = {}
        for index, (name, text) in enumerate(SIGNS.items()):
            library[name] = sign(media / f"{index:02x}9f.mp4", text)
        for index, (name, count) in enumerate(PEOPLE.items()):
            library[name] = people(media / f"{index:02x}7c.png", count)
        library["circle"] = nothing(media / "e1.png", "red")
        library["disc"] = nothing(media / "e2.png", "green")
        base = EngineSettings(media_roots=[media], storage_root=root / "storage", cache_dir=root / "cache",
                              work_dir=root / "work")  # fmt: skip
        text_only = await ranks(base.model_copy(update={"visual_signals": False}), library)
        seeing = await ranks(base, library)
    chance = 1 / len(library)
    print(f"{len(SENTENCES)} sentences, {len(library)} clips without metadata (chance top-1 {chance:.3f})")
    print(f"text only:           top-1 {text_only[0]:.3f}  top-3 {text_only[1]:.3f}  ({text_only[2]:.1f} s)")
    print(f"with visual signals: top-1 {seeing[0]:.3f}  top-3 {seeing[1]:.3f}  ({seeing[2]:.1f} s, OCR and faces "
          "read once, cached)")  # fmt: skip
    print(json.dumps({"sentences": len(SENTENCES), "clips": len(library), "chance_top1": round(chance, 3),
                      "text_only_top1": round(text_only[0], 3), "text_only_top3": round(text_only[1], 3),
                      "visual_top1": round(seeing[0], 3), "visual_top3": round(seeing[1], 3),
                      "visual_seconds": round(seeing[2], 1)}))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
