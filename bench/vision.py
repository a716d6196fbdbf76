"""Scene matching on footage without metadata: text-only beside what the pictures show.

    .venv/bin/python bench/vision.py

A library of 20 clips under meaningless names, with no description and no speech: 8 signs or
captions (on-screen text, Chinese and English), 3 scenes of people (one face close up, two
people, a group of four; drawn faces, which OpenCV's cascade finds as it finds photographed
ones), 7 photographs of things and 2 pictures of nothing recognisable (distractors). The things
are every photograph of a nameable thing that scikit-image ships (`skimage.data`, public domain
or CC0; the `bench` extra) but the coffee cup (a second coffee scene beside the sign's), the
astronaut (a face and a flag) and the moon (no ImageNet class), whatever the classifier makes
of them: the clock is motion-blurred, the coins and the horse's silhouette are grey. 36
sentences, two per scene, written for the scenes in other words than the signs use. Each
sentence is scored against every shot by the default text scorer three times in the same
process: with the shots' text as before (file name only: the baseline, at chance), with
`engine.visual_signals` but no label model (on-screen text, people), and with all three signals
(ImageNet labels too). A sentence counts for top-1 when its best shot is of its scene, for top-3
when its scene is among the three best scenes. The labels' cost is the classifier's alone on
each picture, CPU seconds (all threads) and wall time. The last line is one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from imsd.engine.media import MediaResolver
from imsd.engine.planning.labels import LABEL_MODEL, Labeller
from imsd.engine.planning.matching import similarities
from imsd.engine.planning.scene_selector import SceneSelector, passage
from imsd.settings import EngineSettings
from PIL import Image, ImageDraw
from skimage import data

from tests.engine.test_reframing import BACKDROP, drawn_face
from tests.engine.test_vision import sign

SIGNS = {
    "coffee": "FRESH COFFEE 现磨咖啡", "sale": "SALE 50% OFF 全场五折", "soup": "HOT SOUP 热汤",
    "football": "FOOTBALL MATCH 足球赛", "opening": "GRAND OPENING 盛大开业", "phone": "PHONE REPAIR 手机维修",
    "books": "BOOK FAIR 书展", "airport": "DEPARTURES 航班出发",
}  # fmt: skip
PEOPLE = {"presenter": 1, "pair": 2, "crowd": 4}
THINGS = {
    "cat": data.chelsea, "rocket": data.rocket, "motorbike": lambda: data.stereo_motorcycle()[0],
    "photographer": data.camera, "clock": data.clock, "coins": data.coins, "horse": data.horse,
}  # fmt: skip
#: Where scripts/export-models writes the classifier with the default cache_dir.
MODEL = Path(__file__).resolve().parents[1] / "var" / "cache" / "models" / LABEL_MODEL
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
    ("Our kitten naps on the sofa all afternoon.", "cat"), ("小猫咪在窗边晒太阳。", "cat"),
    ("Liftoff! The spacecraft heads for orbit.", "rocket"), ("火箭发射升空的那一刻。", "rocket"),
    ("Ride through the city on two wheels.", "motorbike"), ("骑着摩托车去兜风。", "motorbike"),
    ("A photographer sets up his shot in the park.", "photographer"), ("摄影师在公园里架起相机。", "photographer"),
    ("Time is running out, every second counts.", "clock"), ("墙上的钟指向了三点。", "clock"),
    ("Save your spare change for a rainy day.", "coins"), ("存下每一枚硬币。", "coins"),
    ("The stallion gallops across the field.", "horse"), ("一匹马在草原上奔跑。", "horse"),
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


def thing(path: Path, name: str) -> Path:
    picture = np.asarray(THINGS[name]())
    Image.fromarray(picture.astype(np.uint8) * 255 if picture.dtype == bool else picture).convert("RGB").save(path)
    return path


def label_cost(pictures: list[Path]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) the classifier takes a picture, the mean of 10 rounds over `pictures`."""
    labeller = Labeller(MODEL)
    frames = [np.asarray(Image.open(p).convert("RGB")) for p in pictures]
    labeller.words(frames[0])  # loads the model
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(10):
        for frame in frames:
            labeller.words(frame)
    runs = 10 * len(frames)
    return (time.process_time() - cpu) / runs, (time.perf_counter() - wall) / runs


def nothing(path: Path, colour: str) -> Path:
    picture = Image.new("RGB", (640, 360), (128, 128, 128))
    ImageDraw.Draw(picture).ellipse([220, 80, 420, 280], fill=colour)
    picture.save(path)
    return path


async def ranks(settings: EngineSettings, library: dict[str, Path]) -> tuple[float, float, float, list[str]]:
    """(top-1, top-3, seconds, the scenes of the sentences missed at top-1) under `settings`."""
    started = time.perf_counter()
    selector = SceneSelector(settings, MediaResolver(settings))
    refs = [str(path) for path in library.values()]
    scene_of = {str(path): name for name, path in library.items()}
    candidates = await selector.candidates(refs, {})
    scored = await similarities(selector.scorer, [s for s, _ in SENTENCES], [passage(c) for c in candidates])
    top1 = top3 = 0
    missed: list[str] = []
    for row, (_, scene) in enumerate(SENTENCES):
        order = sorted(range(len(candidates)), key=lambda c: -scored.matrix[row][c])
        scenes: list[str] = []
        for c in order:
            name = scene_of[candidates[c].media]
            if name not in scenes:
                scenes.append(name)
        top1 += scenes[0] == scene
        missed += [] if scenes[0] == scene else [scene]
        top3 += scene in scenes[:3]
    return top1 / len(SENTENCES), top3 / len(SENTENCES), time.perf_counter() - started, missed


def make_library(root: Path) -> tuple[dict[str, Path], EngineSettings]:
    """The 20 clips under meaningless names in `root`/media (scene -> file), and engine settings
    that may read them, with caches under `root`."""
    media = root / "media"
    media.mkdir()
    library: dict[str, Path] = {}
    for index, (name, text) in enumerate(SIGNS.items()):
        library[name] = sign(media / f"{index:02x}9f.mp4", text)
    for index, (name, count) in enumerate(PEOPLE.items()):
        library[name] = people(media / f"{index:02x}7c.png", count)
    for index, name in enumerate(THINGS):
        library[name] = thing(media / f"{index:02x}d4.png", name)
    library["circle"] = nothing(media / "e1.png", "red")
    library["disc"] = nothing(media / "e2.png", "green")
    settings = EngineSettings(media_roots=[media], storage_root=root / "storage", cache_dir=root / "cache",
                              work_dir=root / "work")  # fmt: skip
    return library, settings


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        library, base = make_library(root)
        text_only = await ranks(base.model_copy(update={"visual_signals": False}), library)
        unlabelled = await ranks(base.model_copy(update={"label_model_path": root / "absent.onnx"}), library)
        seeing = await ranks(base.model_copy(update={"label_model_path": MODEL}), library)
        cpu, wall = label_cost([library[name] for name in THINGS]) if MODEL.is_file() else (0.0, 0.0)
    chance = 1 / len(library)
    print(f"{len(SENTENCES)} sentences, {len(library)} clips without metadata (chance top-1 {chance:.3f})")
    print(f"text only:          top-1 {text_only[0]:.3f}  top-3 {text_only[1]:.3f}  ({text_only[2]:.1f} s)")
    print(f"OCR and faces:      top-1 {unlabelled[0]:.3f}  top-3 {unlabelled[1]:.3f}  ({unlabelled[2]:.1f} s)")
    if not MODEL.is_file():
        print(f"no {MODEL}: run scripts/export-models for the labels")
        return
    print(f"OCR, faces, labels: top-1 {seeing[0]:.3f}  top-3 {seeing[1]:.3f}  ({seeing[2]:.1f} s)")
    print(f"missed at top-1 without labels: {', '.join(unlabelled[3])}; with: {', '.join(seeing[3])}")
    print(f"labels: {cpu * 1000:.0f} ms of CPU, {wall * 1000:.0f} ms wall a picture")
    print(json.dumps({"sentences": len(SENTENCES), "clips": len(library), "chance_top1": round(chance, 3),
                      "text_only_top1": round(text_only[0], 3), "text_only_top3": round(text_only[1], 3),
                      "unlabelled_top1": round(unlabelled[0], 3), "unlabelled_top3": round(unlabelled[1], 3),
                      "visual_top1": round(seeing[0], 3), "visual_top3": round(seeing[1], 3),
                      "visual_seconds": round(seeing[2], 1), "label_cpu_ms": round(cpu * 1000, 1),
                      "label_wall_ms": round(wall * 1000, 1)}))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
