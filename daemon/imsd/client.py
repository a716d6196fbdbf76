"""A producer's and an operator's view of the daemon, over Redis only.

Producers in any language need nothing but XADD; this module is the Python convenience:
`enqueue_request` to send, `wait_for_results` to read results back, `request_state` to look
one request up, `status` for ops.
"""

from __future__ import annotations

import json
import time
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import ResponseError

from imsd.api.wire import Api, compact_json
from imsd.records import RecordStore
from imsd.settings import Settings

__all__ = ["backlog", "enqueue_request", "request_state", "status", "wait_for_results"]


async def enqueue_request(redis: Redis, request: dict[str, Any], prefix: str = "imsd") -> str:
    """Put one request on the stream; returns the stream entry id."""
    payload = compact_json(request)
    entry_id = await redis.xadd(f"{prefix}:requests", {"request": payload})
    return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)


async def wait_for_results(
    redis: Redis, request_ids: set[str], *, prefix: str = "imsd", timeout_s: float = 600.0, start: str = "0"
) -> dict[str, dict[str, Any]]:
    """Read the results stream until every request in `request_ids` has a result (or time out)."""
    found: dict[str, dict[str, Any]] = {}
    last = start
    deadline = time.monotonic() + timeout_s
    while request_ids - found.keys() and time.monotonic() < deadline:
        reply = await redis.xread({f"{prefix}:results": last}, count=1000, block=1000)
        for _, entries in reply:
            for entry_id, fields in entries:
                last = entry_id
                result = json.loads(fields["result"] if "result" in fields else fields[b"result"])
                if result.get("request_id") in request_ids and not _answers_another(result):
                    found[result["request_id"]] = result
    return found


async def request_state(redis: Redis, request_id: str, *, prefix: str = "imsd") -> tuple[str, dict[str, Any] | None]:
    """(state, result) of one request: its record's state and, once final, its result.

    ("UNKNOWN", None) when no record holds it: never received, refused before it owned one (its
    REJECTED result is on the stream only), or past `retention.record_ttl_s` after its result.
    """
    key = RecordStore(redis, prefix).record_key(request_id)
    state, result = await redis.hmget(key, ["state", "result"])  # type: ignore[misc]  # redis-py: sync|async
    if state is None:
        return "UNKNOWN", None
    text = state.decode() if isinstance(state, bytes) else str(state)
    return text, json.loads(result) if result else None


def _answers_another(result: dict[str, Any]) -> bool:
    """A refusal of a message reusing a request_id with other params: that request_id's own
    request is answered by a result of its own. Every other refusal is the message's answer."""
    return result.get("status") == "REJECTED" and result.get("error_code") == "IdempotentParameterMismatch"


async def backlog(redis: Redis, settings: Settings) -> dict[str, float]:
    """How much work waits and how old the oldest is: the figures `imsd status` prints and the
    daemons' and engines' backlog gauges export (shared state: every process reads the same).

    unread: entries the consumer group has not read (its lag); read_not_acked: read by a
    consumer, not yet admitted; the ages of the oldest of each, by their stream ids' times, in
    seconds on Redis's clock (0 when there is none).
    """
    stream = settings.key("requests")
    secs, micros = await redis.time()
    now_ms = secs * 1000 + micros // 1000
    figures: dict[str, float] = {
        "unread": 0, "read_not_acked": 0, "consumers": 0, "oldest_unread_age_s": 0.0,
        "oldest_read_not_acked_age_s": 0.0,
    }  # fmt: skip
    try:
        group = next((g for g in await redis.xinfo_groups(stream) if g["name"] == settings.intake.group), None)
    except ResponseError:  # no stream yet
        group = None
    if group is not None:
        if group.get("lag") is not None:  # None when Redis cannot tell (entries deleted meanwhile)
            figures["unread"] = group["lag"]
        else:
            del figures["unread"]
        figures["read_not_acked"] = group["pending"]
        figures["consumers"] = group["consumers"]
        first_unread = await redis.xrange(stream, min=f"({group['last-delivered-id']}", count=1)
        if first_unread:
            figures["oldest_unread_age_s"] = _age_s(first_unread[0][0], now_ms)
        if group["pending"]:
            oldest = (await redis.xpending(stream, settings.intake.group))["min"]
            figures["oldest_read_not_acked_age_s"] = _age_s(oldest, now_ms)
    figures["active_requests"] = int(await redis.zcard(settings.key("active")))
    figures["request_tasks"] = int(await redis.zcard(settings.key("tasks")))
    figures["engine_tasks"] = int(await redis.zcard(settings.engine_queue))
    figures["dead_letters"] = int(await redis.xlen(settings.key("dead")))
    return figures


def _age_s(entry_id: str | bytes, now_ms: int) -> float:
    text = entry_id.decode() if isinstance(entry_id, bytes) else entry_id
    return max(0.0, (now_ms - int(text.split("-")[0])) / 1000)


async def status(redis: Redis, settings: Settings) -> dict[str, Any]:
    """Backlog, results, dead letters and limiter state, for `imsd status`."""
    stream = settings.key("requests")
    report: dict[str, Any] = {"stream_length": int(await redis.xlen(stream))}
    report |= await backlog(redis, settings)
    report["results"] = int(await redis.xlen(settings.key("results")))
    secs, micros = await redis.time()
    now_us = secs * 1_000_000 + micros
    limiter: dict[str, float] = {}
    # The limiter's keys share the `rl` prefix with its send logs (sorted sets): only the string
    # keys hold a schedule. _type="string" filters server-side, so a send log never reaches GET.
    async for key in redis.scan_iter(match=settings.key("rl", "*"), _type="string"):
        raw = await redis.get(key)
        if raw is not None:
            limiter[str(key)] = round(max(0.0, (int(raw) - now_us) / 1_000_000), 3)
    report["limiter_booked_ahead_s"] = limiter
    report["apis"] = [a.value for a in Api]
    return report
