"""How much of the 30 QPS quota N daemon processes use together, without being throttled.

    .venv/bin/python bench/quota.py [--daemons 4] [--requests 1500] [--load | --hogs N] [--kills 10]

Starts a private redis-server, the strict fake IMS in its own process (30 accepted calls per
action in any sliding second, Throttling.User beyond) and N `imsd run` processes with the
default limiter, puts all requests (SubmitMediaProducingJob) on the stream at once and waits
until every one is submitted. `--hogs` adds busy-looping processes (a loaded machine: daemons
wake late and their calls arrive late); `--kills` kill -9 a daemon, in turn, that many times
spread over the run, each restarted at once (calls cut off mid-flight, fresh processes' first
connections). Figures:

- rate: submissions per second over the steady window (the middle 90% of submissions, by the
  time each daemon recorded its submit reply, `submitted_at` of the record),
- utilization: rate / quota,
- max_in_1s: the most submits the fake accepted in any sliding second (its own count),
- throttles: Throttling.User replies the fake sent for the submit action,
- lateness: how late after its limiter slot each daemon actually sent (imsd_send_lateness_seconds;
  with kills, only what the last process of each daemon saw),
- daemon CPU per submit: user + system CPU of every daemon process, killed ones included (read
  right before each kill), over the submissions.

The last line is one JSON object with these figures.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from imsd.settings import LimiterSettings
from prometheus_client.parser import text_string_to_metric_families
from redis import Redis

from tests.conftest import RedisServer
from tests.helpers import CALLBACK_KEY, DaemonProcess, FakeImsProcess, single_job_request, start_daemons

SUBMIT = "SubmitMediaProducingJob"


def scrape(daemon: DaemonProcess) -> dict[str, list[tuple[dict[str, str], float]]]:
    import urllib.request

    with urllib.request.urlopen(f"http://127.0.0.1:{daemon.http_port}/metrics", timeout=10) as reply:
        text = reply.read().decode()
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def value(samples: dict[str, list[tuple[dict[str, str], float]]], name: str, **labels: str) -> float:
    return sum(v for ls, v in samples.get(name, []) if all(ls.get(k) == x for k, x in labels.items()))


def histogram(
    per_daemon: list[dict[str, list[tuple[dict[str, str], float]]]], name: str, action: str
) -> dict[str, float]:
    """Mean and bucket-bound quantiles of a histogram summed over the daemons."""
    buckets: dict[float, float] = {}
    total = count = 0.0
    for samples in per_daemon:
        total += value(samples, f"{name}_sum", action=action)
        count += value(samples, f"{name}_count", action=action)
        for labels, v in samples.get(f"{name}_bucket", []):
            if labels.get("action") == action:
                bound = float(labels["le"])
                buckets[bound] = buckets.get(bound, 0.0) + v
    def quantile(q: float) -> float:
        for bound in sorted(buckets):
            if buckets[bound] >= q * count:
                return bound
        return float("inf")
    return {
        "count": count,
        "mean_ms": 1000 * total / count if count else 0.0,
        "p50_le_ms": 1000 * quantile(0.5),
        "p99_le_ms": 1000 * quantile(0.99),
        "max_le_ms": 1000 * quantile(1.0),
    }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def max_in_window(times: list[float], window_s: float = 1.0) -> int:
    best = start = 0
    for end, t in enumerate(times):
        while t - times[start] >= window_s:
            start += 1
        best = max(best, end - start + 1)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--daemons", type=int, default=4)
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--quota", type=int, default=30, help="the fake's calls per action per second")
    parser.add_argument("--submit-rate", type=float, help="IMSD_LIMITER__SUBMIT_RATE (default: the daemon's)")
    parser.add_argument("--hogs", type=int, default=0, help="busy-looping processes beside the daemons")
    parser.add_argument("--load", action="store_true", help="a busy-looping process per core (--hogs cores)")
    parser.add_argument("--kills", type=int, default=0, help="kill -9 and restart a daemon this many times")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs)")
    args = parser.parse_args()
    if args.load:
        args.hogs = os.cpu_count() or 1

    workdir = Path(tempfile.mkdtemp(prefix="imsd-bench-quota-"))
    redis_server = RedisServer(workdir)
    redis = Redis.from_url(redis_server.url, decode_responses=True)
    fake = FakeImsProcess(
        "--qps", str(args.quota), "--callback-key", CALLBACK_KEY, "--job-seconds", "2",
        log_path=workdir / "fake.log",
    )
    settings: dict[str, Any] = {"IMSD_WORKER__STOP_GRACE_S": 1, "IMSD_LOG__LEVEL": "error"}
    if args.submit_rate:
        settings["IMSD_LIMITER__SUBMIT_RATE"] = args.submit_rate
    daemons: list[DaemonProcess] = []
    hogs = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.hogs)]
    kills = 0
    killed_cpu_s = 0.0
    try:
        daemons = start_daemons(args.daemons, redis_server.url, fake.endpoint, settings, workdir)
        ids = [f"bench-{i}" for i in range(args.requests)]
        started = time.time()
        pipe = redis.pipeline(transaction=False)
        for request_id in ids:
            pipe.xadd("imsd:requests", {"request": json.dumps(single_job_request(request_id))})
        pipe.execute()
        expected_s = args.requests / args.quota
        deadline = time.monotonic() + 3 * expected_s + 60
        kill_every_s = expected_s / (args.kills + 1)
        next_kill = time.monotonic() + kill_every_s
        while time.monotonic() < deadline and fake.stats()["jobs"] < args.requests:
            time.sleep(0.25)
            if kills < args.kills and time.monotonic() >= next_kill:
                victim = daemons[kills % len(daemons)]
                assert victim.process is not None
                killed_cpu_s += cpu_seconds(victim.process.pid)  # read just before the kill
                victim.process.kill()
                victim.process.wait()
                victim.start()
                kills += 1
                next_kill += kill_every_s
        for daemon in daemons:
            daemon.wait_ready()
        per_daemon = [scrape(d) for d in daemons]
        cpu_s = killed_cpu_s + sum(cpu_seconds(d.process.pid) for d in daemons if d.process is not None)
        pipe = redis.pipeline(transaction=False)
        for request_id in ids:
            pipe.hget(f"imsd:req:{request_id}", "submitted_at")
        times = sorted(float(t) for t in pipe.execute() if t)
        if args.keep:
            (workdir / "submitted_at.json").write_text(json.dumps({"enqueued": started, "times": times}))
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
        for daemon in daemons:
            daemon.stop()
        stats = fake.stats() if fake.process.poll() is None else {}
        fake.stop()
        redis.close()
        redis_server.stop()

    n = len(times)
    cut = max(1, n // 20)
    steady = times[cut : n - cut]
    window_s = steady[-1] - steady[0]
    rate = (len(steady) - 1) / window_s
    fake_max = stats["max_in_1s_by_action"].get(SUBMIT, 0)
    throttles = stats["throttles_by_action"].get(SUBMIT, 0)
    lateness = histogram(per_daemon, "imsd_send_lateness_seconds", SUBMIT)
    waits = histogram(per_daemon, "imsd_limiter_wait_seconds", SUBMIT)
    by_daemon = [int(value(s, "imsd_submits_total", api=SUBMIT, outcome="ok")) for s in per_daemon]
    gaps = [b - a for a, b in itertools.pairwise(steady)]
    print(f"daemons                 {args.daemons} (submits each: {by_daemon}), "
          f"{args.hogs} CPU hogs, {kills} kill -9 + restarts")
    print(f"submissions             {n} of {args.requests} requests, jobs at the fake: {stats.get('jobs')}")
    print(f"first..last submit      {times[0] - started:.2f}s .. {times[-1] - started:.2f}s after enqueue")
    print(f"steady window           {len(steady)} submits over {window_s:.2f}s (middle 90%)")
    limiter_rate = args.submit_rate or LimiterSettings().submit_rate
    print(f"rate                    {rate:.3f}/s  (limiter {limiter_rate}/s, quota {args.quota}/s)")
    print(f"utilization             {rate / args.quota:.4f}")
    print(f"max in any 1 s          fake: {fake_max}, by reply times: {max_in_window(times)}")
    print(f"throttles               {throttles}")
    print(f"inter-submit gap        median {1000 * statistics.median(gaps):.2f} ms, "
          f"min {1000 * min(gaps):.2f} ms, max {1000 * max(gaps):.2f} ms")
    print(f"send lateness           mean {lateness['mean_ms']:.2f} ms, p50 <= {lateness['p50_le_ms']:g} ms, "
          f"p99 <= {lateness['p99_le_ms']:g} ms, max <= {lateness['max_le_ms']:g} ms")
    print(f"limiter wait            mean {waits['mean_ms']:.0f} ms over {int(waits['count'])} slots")
    print(f"daemon CPU              {cpu_s:.1f} s ({1000 * cpu_s / n:.2f} ms per submit; killed processes included)")
    if not args.keep:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"logs in {workdir}")
    print(json.dumps({
        "rate": round(rate, 3),
        "utilization": round(rate / args.quota, 4),
        "max_in_1s": fake_max,
        "throttles": throttles,
        "submissions": n,
        "daemons": args.daemons,
        "hogs": args.hogs,
        "kills": kills,
        "window_s": round(window_s, 2),
        "max_in_1s_by_reply_times": max_in_window(times),
        "send_lateness_mean_ms": round(lateness["mean_ms"], 3),
        "send_lateness_p99_le_ms": lateness["p99_le_ms"],
        "limiter_slots": int(waits["count"]),
        "daemon_cpu_ms_per_submit": round(1000 * cpu_s / n, 2),
    }))


if __name__ == "__main__":
    main()
