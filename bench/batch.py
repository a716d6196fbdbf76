"""Batch production throughput: a seed-style 15 s 1080x1920 Script batch at Count 1, 5 and 20.

Two media groups (the render benchmark's clips and poster), Chinese titles and three voice-over
scripts of about 15 s, looped music ducked under the voice, Count outputs, MaxDuration 15. Each
batch runs through the local backend and a real engine worker (arq, --concurrency renders at a
time, the engine's default as shipped) on a private redis-server, from submit until GetBatchMediaProducingJob says
Finished. Every batch starts without synthesized speech (the speech cache is emptied), so each
pays its own TTS, as a first batch does.

Figures: seconds per output at each Count, the ratio of per-output time at Count 20 to Count 1
(shared planning work should make it <= 1.0), the same per second of video made (per_video_s),
and per-output time against the encode floor
(ffmpeg encoding 15 s of 1080x1920 testsrc with the same codec settings; the faster of one run
before the batches and one after) measured in this run:
wall seconds (floor_ratio), and CPU seconds of this process and every process it ran
(floor_cpu_ratio), which other work on a shared machine disturbs far less. A Count 1 batch makes
one output of one randomly chosen variant (their costs differ by up to a fifth), so Count 1 is
run --samples times, each batch with its own random start, and its figures are the mean.
Every batch also starts without prepared clips (engine/render/prepared.py: its shared shots decoded
and fitted once), so each pays its own preparation. What reading prepared clips saves a render is
measured apart, since this machine's speed drifts by more than that over a run: the last batch's
first --ab outputs are rendered again one after another, each with and without its prepared clips
(alternating which goes first), and `ab_prepared_over_direct` compares the two, wall and CPU.
The pixels floor (bench/render.py) of the last Count's first --samples outputs, their own frames
encoded from raw files, is what any renderer would pay for these videos: pixels_over_floor says
how far above the testsrc floor that bound lies.

    .venv/bin/python bench/batch.py [--counts 1 5 20] [--samples 4] [--concurrency N] [--ab 6]
                                    [--keep DIR]

Last line: JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imsd.api.wire import Api
from imsd.backends.local import LocalBackend
from imsd.engine.render import SharedClips, render_timeline
from imsd.engine.service import EngineRunner
from imsd.logs import configure_logging
from imsd.queue import TaskQueue
from imsd.settings import Settings
from redis.asyncio import Redis

from bench.render import all_cpu, encode_floor, make_media, pixels_floor
from tests.conftest import RedisServer

PRESET, CRF = "veryfast", 23
SCRIPTS = [  # each about 15 s when spoken
    "附近的商场新开了一家盒马鲜生,今天是第一天开业。商场里的人不少,零食和酒水都比较便宜,"
    "新鲜的水果也很多,大家也快来看看呀。",
    "夏天到了,新鲜的水果和海鲜都上架了。周末带上家人一起来逛逛,满一百元还送一份小礼物,"
    "停车也很方便,欢迎光临。",
    "这家店的面包每天现烤,咖啡也很香。早上路过买一份早餐,一整天都有好心情,"
    "晚上还有打折的熟食,下班顺路带回家。",
]


def batch_params(media: dict[str, Path], count: int, name: str) -> dict[str, Any]:
    return {
        "InputConfig": {
            "MediaGroupArray": [
                {"GroupName": "开场", "MediaArray": [str(media["city.mp4"]), str(media["poster.png"])]},
                {"GroupName": "细节", "MediaArray": [str(media["fractal.mp4"]), str(media["life.mp4"])]},
            ],
            "TitleArray": ["回龙观盒马鲜生开业啦", "盒马鲜生开业啦"],
            "SpeechTextArray": SCRIPTS,
            "BackgroundMusicArray": [str(media["music.mp3"])],
        },
        "EditingConfig": {
            "MediaConfig": {"Volume": 0},
            "BackgroundMusicConfig": {"Volume": 0.35},
            "ProcessConfig": {"SingleShotDuration": 2, "ImageDuration": 2, "AllowTransition": True},
        },
        "OutputConfig": {
            "MediaURL": f"https://bench.oss-cn-shanghai.aliyuncs.com/{name}/v_{{index}}.mp4",
            "Count": count, "MaxDuration": 15, "Width": 1080, "Height": 1920,
            "Video": {"Crf": CRF, "Preset": PRESET, "Fps": 30},
        },
    }  # fmt: skip


async def run_batch(backend: LocalBackend, media: dict[str, Path], count: int, token: str) -> dict[str, Any]:
    shutil.rmtree(backend.settings.engine.storage_root / "_imsd" / "speech", ignore_errors=True)
    shutil.rmtree(backend.settings.engine.cache_dir / "prepared", ignore_errors=True)
    cpu0, t0 = all_cpu(), time.perf_counter()
    params = batch_params(media, count, token)
    submission = await backend.submit(Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB, params, token)
    while True:
        batch = (await backend.get_batch_media_producing_job(submission.job_id))["EditingBatchJob"]
        if batch["Status"] in ("Finished", "Failed"):
            break
        await asyncio.sleep(0.2)
    wall, cpu = time.perf_counter() - t0, all_cpu() - cpu0
    subs = batch["SubJobList"]
    ok = [s for s in subs if s["Status"] == "Success"]
    if batch["Status"] != "Finished" or len(ok) != count:
        raise SystemExit(f"Count {count}: {batch['Status']} {batch.get('Extend')} {subs}")
    durations = sorted(float(s["Duration"]) for s in ok)
    outputs = [backend.resolver.output_path(s["MediaURL"]) for s in ok]
    job_ids = [str(s["JobId"]) for s in ok]
    return {"count": count, "wall_s": wall, "cpu_s": cpu, "durations": durations, "outputs": outputs,
            "job_ids": job_ids}  # fmt: skip


async def run_count(
    backend: LocalBackend, media: dict[str, Path], count: int, samples: int, name: str = "bench"
) -> dict[str, Any]:
    """Batches of `count` outputs, `samples` of them when one batch is one output; totals summed."""
    runs = samples if count == 1 else 1
    batches = [await run_batch(backend, media, count, f"{name}-{count}-{i}") for i in range(runs)]
    outputs = count * len(batches)
    wall, cpu = sum(b["wall_s"] for b in batches), sum(b["cpu_s"] for b in batches)
    durations = sorted(d for b in batches for d in b["durations"])
    files = [path for b in batches for path in b["outputs"]]
    job_ids = [job_id for b in batches for job_id in b["job_ids"]]
    return {"count": count, "batches": runs, "wall_s": wall / runs, "per_output_s": wall / outputs,
            "per_output_cpu_s": cpu / outputs, "durations": durations, "outputs": files,
            "per_video_s": wall / sum(durations), "job_ids": job_ids}  # fmt: skip


async def prepared_ab(backend: LocalBackend, job_ids: list[str], scratch: Path) -> dict[str, Any]:
    """Render finished sub-jobs again, each with and without its prepared clips (already made)."""
    timed: dict[str, list[tuple[float, float]]] = {"prepared": [], "direct": []}
    for n, job_id in enumerate(job_ids):
        job = await backend.store.get(job_id)
        assert job is not None
        shared = SharedClips.from_job(backend.settings.engine, job["_shared_clips"])
        for mode in ("prepared", "direct") if n % 2 == 0 else ("direct", "prepared"):
            cpu0, t0 = all_cpu(), time.perf_counter()
            await render_timeline(
                json.loads(job["Timeline"]), job["_output"], resolver=backend.resolver, workdir=scratch / mode,
                destination=scratch / f"{mode}.mp4", shared=shared if mode == "prepared" else None,
            )  # fmt: skip
            timed[mode].append((time.perf_counter() - t0, all_cpu() - cpu0))
    if not job_ids:
        return {}
    wall, cpu = ({m: statistics.mean(t[i] for t in timed[m]) for m in timed} for i in (0, 1))
    print(f"{len(job_ids)} outputs rendered again: {wall['prepared']:.2f} s ({cpu['prepared']:.2f} s CPU) from "
          f"prepared clips, {wall['direct']:.2f} s ({cpu['direct']:.2f} s CPU) from the sources")  # fmt: skip
    return {
        "ab_outputs": len(job_ids),
        "ab_prepared_over_direct": round(wall["prepared"] / wall["direct"], 3),
        "ab_prepared_over_direct_cpu": round(cpu["prepared"] / cpu["direct"], 3),
    }


async def main_async(args: argparse.Namespace, work: Path) -> dict[str, Any]:
    (work / "media").mkdir(parents=True, exist_ok=True)
    media = make_media(work / "media")
    floors = [encode_floor(work, PRESET, CRF)]
    (work / "redis").mkdir(exist_ok=True)
    server = RedisServer(work / "redis")
    settings = Settings(
        redis={"url": server.url},
        engine={"media_roots": [work / "media"], "storage_root": work / "storage", "cache_dir": work / "cache",
                "work_dir": work / "work", "default_preset": PRESET,
                **({"concurrency": args.concurrency} if args.concurrency else {})},
        log={"level": "warning"},
    )  # fmt: skip
    configure_logging(settings.log)
    redis = Redis.from_url(server.url, decode_responses=True)
    queue = await TaskQueue.connect(server.url, settings.engine_queue)
    runner = EngineRunner(settings, redis, queue)
    runner.start()
    backend = LocalBackend(settings, redis)
    try:
        runs = []
        for count in args.counts:
            run = await run_count(backend, media, count, args.samples)
            runs.append(run)
            lengths = f"{run['durations'][0]:.2f}-{run['durations'][-1]:.2f}s"
            per_output = f"{run['per_output_s']:5.2f} s ({run['per_output_cpu_s']:5.2f} s CPU) per output"
            mean = f" (mean of {run['batches']} batches)" if run["batches"] > 1 else ""
            print(f"Count {count:>2}: {run['wall_s']:7.1f} s{mean}, {per_output} ({lengths})")
        ab = await prepared_ab(backend, runs[-1]["job_ids"][: args.ab], work / "ab")
    finally:
        await runner.stop(5)
        await backend.close()
        await queue.close()
        await redis.aclose()
        server.stop()
    per_output = {str(r["count"]): round(r["per_output_s"], 3) for r in runs}
    first, last = runs[0], runs[-1]
    floors.append(encode_floor(work, PRESET, CRF))
    # The faster of a floor taken before the batches and one after: another load on the machine
    # while one ran would otherwise flatter every ratio.
    floor = {key: min(f[key] for f in floors) for key in ("wall_s", "cpu_s")}
    each = ", ".join(f"{f['wall_s']:.2f} s" for f in floors)
    print(f"encode floor (15 s 1080x1920 testsrc): {floor['wall_s']:.2f} s ({floor['cpu_s']:.2f} s CPU), "
          f"fastest of {each}")  # fmt: skip
    pixels = [pixels_floor(path, work, PRESET, CRF) for path in last["outputs"][: args.samples]]
    pixels_wall = statistics.mean(p["wall_s"] for p in pixels)
    pixels_cpu = statistics.mean(p["cpu_s"] for p in pixels)
    print(f"pixels floor (mean of {len(pixels)} outputs' own frames): {pixels_wall:.2f} s ({pixels_cpu:.2f} s CPU)")
    return {
        "per_output_s": per_output,
        f"count{last['count']}_over_count{first['count']}": round(last["per_output_s"] / first["per_output_s"], 3),
        # Outputs differ in length (variants, speech): the same ratio per second of video made.
        "per_video_s": {str(r["count"]): round(r["per_video_s"], 3) for r in runs},
        f"count{last['count']}_over_count{first['count']}_per_video_s": round(
            last["per_video_s"] / first["per_video_s"], 3
        ),
        "floor_s": round(floor["wall_s"], 3),
        "floor_ratio": round(last["per_output_s"] / floor["wall_s"], 3),
        "per_output_cpu_s": round(last["per_output_cpu_s"], 3),
        "floor_cpu_s": round(floor["cpu_s"], 3),
        "floor_cpu_ratio": round(last["per_output_cpu_s"] / floor["cpu_s"], 3),
        "pixels_floor_s": round(pixels_wall, 3),
        "pixels_floor_ratio": round(last["per_output_s"] / pixels_wall, 3),
        "pixels_over_floor": round(pixels_wall / floor["wall_s"], 3),
        "pixels_over_floor_cpu": round(pixels_cpu / floor["cpu_s"], 3),
        "output_s": last["durations"][-1],
        **ab,
        "count1_samples": args.samples,
        "concurrency": settings.engine.concurrency,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--samples", type=int, default=4, help="Count 1 batches to average")
    parser.add_argument("--concurrency", type=int, help="renders the engine worker runs at a time (engine default)")
    parser.add_argument("--ab", type=int, default=6, help="outputs rendered again with and without prepared clips")
    parser.add_argument("--keep", type=Path, help="work in this directory and keep it (media are reused)")
    args = parser.parse_args()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        figures = asyncio.run(main_async(args, args.keep.resolve()))
    else:
        with tempfile.TemporaryDirectory(prefix="imsd-bench-batch-") as tmp:
            figures = asyncio.run(main_async(args, Path(tmp)))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
