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
