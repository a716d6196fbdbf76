"""Backends: where jobs run. `make_backend` picks the configured one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from redis.asyncio import Redis

from imsd.backends.base import Backend

if TYPE_CHECKING:
    from imsd.settings import Settings


def make_backend(settings: Settings, redis: Redis) -> Backend:
    if settings.backend == "aliyun":
        from imsd.backends.aliyun import AliyunBackend, Credentials

        return AliyunBackend(
            settings.aliyun.endpoint,
            Credentials.from_env_or_file(settings.aliyun.credentials_file),
            region=settings.aliyun.region,
            scheme=settings.aliyun.scheme,
            timeout_s=settings.aliyun.timeout_s,
        )
    from imsd.backends.local import LocalBackend

    return LocalBackend(settings, redis)
