"""The OpenAPI endpoint beside the Redis-stream path: submit + get round trips per second.

    .venv/bin/python bench/openapi.py [--requests 300] [--clients 8]

One `imsd run` (local backend, limiter off, the OpenAPI endpoint on) on a private redis-server.
The same number of clients, threads of this process, make round trips two ways:

- sdk: the official SDK (`alibabacloud-ice20201109`, sync client, V3 signatures):
  SubmitMediaProducingJob (answered once the daemon submitted it) then GetMediaProducingJob;
- stream: what a producer does without the endpoint: XADD the same request to imsd:requests,
  read its record every PRODUCER_POLL_S until it holds the job id, then read the job once (the
  record again). The endpoint itself looks when the request is announced (imsd/updates.py).

Beside the rates, Redis's own count of commands per round trip (INFO commandstats, all clients:
the daemon's work included), which the machine's load does not blur.

The jobs name a media file that does not exist, so the engine fails each at once and the figures
are the daemon's and the endpoint's, not ffmpeg's. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alibabacloud_ice20201109 import models as ice
from alibabacloud_ice20201109.client import Client
from alibabacloud_tea_openapi.models import Config
from redis import Redis

from tests.conftest import RedisServer, free_port

IMSD = Path(sys.executable).with_name("imsd")
KEY, SECRET = "bench-key", "bench-Secret-1"
PRODUCER_POLL_S = 0.05  # how often the stream path's producer reads its record
OSS = "https://demo.oss-cn-shanghai.aliyuncs.com"
TIMELINE = json.dumps({"VideoTracks": [{"VideoTrackClips": [{"MediaURL": f"{OSS}/in/absent.mp4"}]}]})


def output(name: str) -> str:
    return json.dumps({"MediaURL": f"{OSS}/out/{name}.mp4", "Width": 176, "Height": 144})


def start_daemon(redis_url: str, work: Path, http_port: int, api_port: int) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IMSD_")} | {
        "IMSD_BACKEND": "local",
        "IMSD_REDIS__URL": redis_url,
        "IMSD_HTTP__PORT": str(http_port),
        "IMSD_LIMITER__ENABLED": "false",
        "IMSD_OPENAPI__ENABLED": "true",
        "IMSD_OPENAPI__PORT": str(api_port),
        "IMSD_OPENAPI__ACCESS_KEYS": json.dumps({KEY: SECRET}),
        "IMSD_ENGINE__MEDIA_ROOTS": json.dumps([str(work / "media")]),
        "IMSD_ENGINE__STORAGE_ROOT": str(work / "storage"),
        "IMSD_ENGINE__CACHE_DIR": str(work / "cache"),
        "IMSD_ENGINE__WORK_DIR": str(work / "work"),
        "IMSD_LOG__LEVEL": "warning",
    }
    (work / "media").mkdir(parents=True)
    log = (work / "daemon.log").open("ab")
    daemon = subprocess.Popen([str(IMSD), "run"], cwd=work, env=env, stdout=log, stderr=log)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/readyz", timeout=1):
                return daemon
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the daemon did not get ready, see {work / 'daemon.log'}")


def sdk_round_trip(client: Client, index: int) -> None:
    request = ice.SubmitMediaProducingJobRequest(
        timeline=TIMELINE, output_media_config=output(f"sdk-{index}"), client_token=f"bench-sdk-{index}"
    )
    job_id = client.submit_media_producing_job(request).body.job_id
    client.get_media_producing_job(ice.GetMediaProducingJobRequest(job_id=job_id))


def stream_round_trip(redis: Redis, index: int) -> None:
    request_id = f"bench-stream-{index}"
    params = {"Timeline": TIMELINE, "OutputMediaConfig": output(f"stream-{index}")}
    redis.xadd("imsd:requests", {"request": json.dumps({"request_id": request_id, "api": "SubmitMediaProducingJob",
                                                        "params": params})})  # fmt: skip
    while not redis.hget(f"imsd:req:{request_id}", "job_id"):
        time.sleep(PRODUCER_POLL_S)
    redis.hgetall(f"imsd:req:{request_id}")


def commands(redis: Redis) -> int:
    """Commands the server has run so far (INFO commandstats)."""
    return sum(int(stats["calls"]) for stats in redis.info("commandstats").values())


def timed(redis: Redis, clients: int, count: int, trip: Callable[[int], None]) -> tuple[float, float]:
    """Round trips per second, and Redis commands per round trip: `count` trips by `clients` threads."""
    before = commands(redis)
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(trip, range(count)))
    return count / (time.perf_counter() - started), (commands(redis) - before) / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "redis").mkdir()
        server = RedisServer(Path(tmp) / "redis")
        api_port = free_port()
        daemon = start_daemon(server.url, Path(tmp) / "work", free_port(), api_port)
        try:
            redis = Redis.from_url(server.url)
            config = Config(access_key_id=KEY, access_key_secret=SECRET, endpoint=f"127.0.0.1:{api_port}",
                            protocol="HTTP", region_id="cn-shanghai")  # fmt: skip
            client = Client(config)
            timed(redis, args.clients, 20, lambda i: sdk_round_trip(client, -1 - i))  # warm both paths up
            stream, stream_commands = timed(redis, args.clients, args.requests, lambda i: stream_round_trip(redis, i))
            sdk, sdk_commands = timed(redis, args.clients, args.requests, lambda i: sdk_round_trip(client, i))
        finally:
            daemon.terminate()
            daemon.wait(30)
            server.stop()
    print(f"{args.requests} round trips by {args.clients} clients: stream {stream:.1f}/s, SDK {sdk:.1f}/s; "
          f"Redis commands a trip: stream {stream_commands:.1f}, SDK {sdk_commands:.1f}")
    print(json.dumps({"requests": args.requests, "clients": args.clients, "stream_round_trips_per_s": round(stream, 1),
                      "sdk_round_trips_per_s": round(sdk, 1), "sdk_vs_stream": round(sdk / stream, 3),
                      "stream_redis_commands_per_trip": round(stream_commands, 1),
                      "sdk_redis_commands_per_trip": round(sdk_commands, 1)}))  # fmt: skip


if __name__ == "__main__":
    main()
