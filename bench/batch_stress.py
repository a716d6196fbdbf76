"""Script batches with random settings, rendered small, until one fails or hangs.

The render benchmark's media in two groups; per batch a random SingleShotDuration, ImageDuration,
TransitionDuration, AlignmentMode, speech (none, one or three scripts), MaxDuration,
FixedDuration and frame rate; Count 3 at 180x320 through the local backend and a real engine
worker (concurrency 2) on a private redis-server, with `engine.render_stall_s` at 20 s so a
graph that deadlocks fails fast. Found so far: a planner that looped forever on shots shorter
than the transition, a Transition of Duration 0, an xfade that waited forever when the output
ended inside its window.

    .venv/bin/python bench/batch_stress.py [--batches 25] [--seed 1]

Prints one line per batch (the whole request when it failed); last line: JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imsd.api.wire import Api
from imsd.backends.local import LocalBackend
from imsd.engine.service import EngineRunner
from imsd.logs import configure_logging
from imsd.queue import TaskQueue
from imsd.settings import Settings
from redis.asyncio import Redis

from bench.batch import SCRIPTS
from bench.render import make_media
from tests.conftest import RedisServer


def random_params(rng: random.Random, media: dict[str, Path], index: int) -> dict[str, Any]:
    speech = rng.choice([None, SCRIPTS[:1], SCRIPTS])
    inputs: dict[str, Any] = {
        "MediaGroupArray": [
            {"GroupName": "a", "MediaArray": [str(media["city.mp4"]), str(media["poster.png"])]},
            {"GroupName": "b", "MediaArray": [str(media["fractal.mp4"]), str(media["life.mp4"])]},
        ],
        "TitleArray": ["标题"],
        "BackgroundMusicArray": [str(media["music.mp3"])],
    }
    if speech:
        inputs["SpeechTextArray"] = speech
    process = {
        "SingleShotDuration": rng.choice([0.7, 1, 1.5, 2, 3]),
        "ImageDuration": rng.choice([0.5, 1, 2]),
        "AllowTransition": rng.random() < 0.8,
        "TransitionDuration": rng.choice([0.2, 0.5, 0.9, 1.5]),
        "AlignmentMode": rng.choice(["AutoSpeed", "Cut"]),
    }
    output: dict[str, Any] = {
        "MediaURL": f"https://stress.oss-cn-shanghai.aliyuncs.com/b{index}/v_{{index}}.mp4",
        "Count": 3, "Width": 180, "Height": 320, "Video": {"Fps": rng.choice([24, 25, 30])},
    }  # fmt: skip
    if rng.random() < 0.7:
        output["MaxDuration"] = rng.choice([2.3, 4, 5.55, 7.7, 12])
    if not speech and rng.random() < 0.5:
        output["FixedDuration"] = rng.choice([3.3, 6, 9.1])
    return {"InputConfig": inputs, "EditingConfig": {"ProcessConfig": process}, "OutputConfig": output}


async def run(work: Path, batches: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    media = make_media(work / "media")
    (work / "redis").mkdir()
    server = RedisServer(work / "redis")
    settings = Settings(
        redis={"url": server.url},
        engine={"media_roots": [work / "media"], "storage_root": work / "storage", "cache_dir": work / "cache",
                "work_dir": work / "work", "default_preset": "ultrafast", "concurrency": 2, "render_stall_s": 20},
        log={"level": "warning"},
    )  # fmt: skip
    configure_logging(settings.log)
    redis = Redis.from_url(server.url, decode_responses=True)
    queue = await TaskQueue.connect(server.url, settings.engine_queue)
    runner = EngineRunner(settings, redis, queue)
    runner.start()
    backend = LocalBackend(settings, redis)
    failed = outputs = 0
    t0 = time.perf_counter()
    try:
        for index in range(batches):
            params = random_params(rng, media, index)
            submission = await backend.submit(Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB, params, f"stress-{seed}-{index}")
            while True:
                batch = (await backend.get_batch_media_producing_job(submission.job_id))["EditingBatchJob"]
                if batch["Status"] in ("Finished", "Failed"):
                    break
                await asyncio.sleep(0.2)
            subs = batch.get("SubJobList") or []
            bad = [(s.get("ErrorCode"), s.get("ErrorMessage")) for s in subs if s["Status"] != "Success"]
            outputs += len(subs)
            if batch["Status"] != "Finished" or bad:
                failed += 1
                print("FAILED", index, json.dumps({"params": params, "status": batch["Status"], "errors": bad}))
            else:
                print("ok", index, len(subs), "outputs")
    finally:
        await runner.stop(5)
        await backend.close()
        await queue.close()
        await redis.aclose()
        server.stop()
    return {"batches": batches, "outputs": outputs, "failed_batches": failed, "seed": seed,
            "seconds": round(time.perf_counter() - t0, 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="imsd-bench-stress-") as tmp:
        (Path(tmp) / "media").mkdir()
        figures = asyncio.run(run(Path(tmp), args.batches, args.seed))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
