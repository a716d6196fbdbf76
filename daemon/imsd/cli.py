"""The `imsd` command: run the daemon, enqueue requests, inspect state, render a timeline."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from imsd.client import enqueue_request, status, wait_for_results
from imsd.logs import configure_logging
from imsd.settings import Settings, load_settings


def _settings(args: argparse.Namespace) -> Settings:
    settings = load_settings(args.config)
    configure_logging(settings.log)
    return settings


def cmd_run(args: argparse.Namespace) -> int:
    from imsd.daemon import Daemon

    asyncio.run(Daemon(_settings(args)).run())
    return 0


def _requests_of(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text())
    requests = data if isinstance(data, list) else [data]
    if not all(isinstance(r, dict) for r in requests):
        raise SystemExit(f"{path}: expected a request object or a list of them")
    return requests


async def _enqueue(settings: Settings, files: list[Path], wait_s: float | None) -> int:
    redis = Redis.from_url(settings.redis.url, decode_responses=True)
    try:
        start = "$"
        last = await redis.xrevrange(settings.key("results"), count=1)
        start = last[0][0] if last else "0"
        ids: set[str] = set()
        for path in files:
            for request in _requests_of(path):
                entry_id = await enqueue_request(redis, request, settings.redis.prefix)
                ids.add(str(request.get("request_id")))
                print(json.dumps({"enqueued": request.get("request_id"), "entry_id": entry_id}))
        if wait_s is None:
            return 0
        results = await wait_for_results(
            redis, ids, prefix=settings.redis.prefix, timeout_s=wait_s, start=start
        )
        for result in results.values():
            print(json.dumps(result, ensure_ascii=False))
        missing = ids - results.keys()
        if missing:
            print(json.dumps({"timed_out": sorted(missing)}), file=sys.stderr)
        failed = [r for r in results.values() if r["status"] != "SUCCEEDED"]
        return 1 if missing or failed else 0
    finally:
        await redis.aclose()


def cmd_enqueue(args: argparse.Namespace) -> int:
    return asyncio.run(_enqueue(_settings(args), args.files, args.wait))


async def _status(settings: Settings) -> dict[str, Any]:
    redis = Redis.from_url(settings.redis.url, decode_responses=True)
    try:
        return await status(redis, settings)
    finally:
        await redis.aclose()


def cmd_status(args: argparse.Namespace) -> int:
    print(json.dumps(asyncio.run(_status(_settings(args))), indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="imsd", description=__doc__)
    parser.add_argument("--config", type=Path, default=None, help="TOML settings file")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("run", help="run the daemon").set_defaults(func=cmd_run)

    enqueue = sub.add_parser("enqueue", help="put requests (JSON files) on the requests stream")
    enqueue.add_argument("files", type=Path, nargs="+")
    enqueue.add_argument(
        "--wait", type=float, nargs="?", const=600.0, default=None, metavar="SECONDS",
        help="wait for the results and print them (exit 1 unless all succeeded)",
    )
    enqueue.set_defaults(func=cmd_enqueue)

    sub.add_parser("status", help="queue depth, in flight, results, dead letters, limiter").set_defaults(
        func=cmd_status
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
