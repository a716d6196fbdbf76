"""The operator's view (`imsd status`), against a real Redis holding what a running daemon leaves."""

from __future__ import annotations

from imsd.client import status
from imsd.daemon import quota_scope
from imsd.limiter import RateLimiter
from imsd.settings import Settings
from redis.asyncio import Redis

ACTION = "SubmitMediaProducingJob"


async def test_status_reports_the_limiter_schedule_while_a_send_log_exists(redis: Redis, redis_url: str) -> None:
    """A send logs itself in a sorted set under the limiter's prefix for ~1 s; the report must
    read past it (a GET on it was WRONGTYPE, crashing `imsd status` right after every send)."""
    settings = Settings(redis={"url": redis_url})
    # As the daemon builds it, so the keys are the ones `imsd status` finds in production.
    limiter = RateLimiter(
        redis, prefix=settings.key("rl", *quota_scope(settings)), rates={}, default_rate=0.1, penalty_s=0.0,
        max_call_s=1.0,
    )
    async with limiter.calling(ACTION):  # books the next slot 10 s ahead and logs the send
        pass
    schedule = limiter.key(ACTION)
    assert await redis.type(f"{schedule}:sent") == "zset"

    report = await status(redis, settings)

    booked = report["limiter_booked_ahead_s"]
    assert set(booked) == {schedule}
    assert 0 < booked[schedule] <= 10.0


async def test_the_backlog_counts_unread_and_unadmitted_entries_and_their_age(redis: Redis, redis_url: str) -> None:
    from imsd.client import backlog

    settings = Settings(redis={"url": redis_url})
    stream = settings.key("requests")
    await redis.xgroup_create(stream, settings.intake.group, id="0", mkstream=True)
    hour_ago_ms = (await redis.time())[0] * 1000 - 3_600_000
    await redis.xadd(stream, {"request": "{}"}, id=f"{hour_ago_ms}-0")  # read, never admitted
    await redis.xreadgroup(settings.intake.group, "killed", {stream: ">"}, count=1)
    for _ in range(3):
        await redis.xadd(stream, {"request": "{}"})

    figures = await backlog(redis, settings)

    assert (figures["unread"], figures["read_not_acked"]) == (3, 1)
    assert 3590 < figures["oldest_read_not_acked_age_s"] < 3700
    assert 0 <= figures["oldest_unread_age_s"] < 60
