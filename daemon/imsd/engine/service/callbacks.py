"""Callbacks: the message IMS posts to a job's NotifyAddress when the job is done.

Sent as IMS sends it (event, message body, signature headers when callback keys are set), so a
producer's receiver cannot tell the local engine from the cloud. The address comes from whoever
submitted the job, so it must not become a way into this machine's network: it reaches only
public addresses, as downloads do (engine.download_private_addresses), except this daemon's own.
A callback that is not delivered is noted on the job, never fails it.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from redis.exceptions import RedisError

from imsd.engine.media import client_session, names_private_address, refused_address
from imsd.engine.service.job_store import EngineJobStore, JobKind, iso_now, public_view
from imsd.logs import get_logger
from imsd.settings import Settings
from imsd.signing import callback_signature

__all__ = ["Callbacks"]

log = get_logger(__name__)

ATTEMPTS = 3


class Callbacks:
    """Callbacks of finished jobs, over one session per address policy; `close` when done."""

    def __init__(self, settings: Settings, store: EngineJobStore) -> None:
        self.settings = settings
        self.store = store
        self._sessions: dict[bool, aiohttp.ClientSession] = {}

    async def produce_media_complete(self, job: dict[str, Any]) -> None:
        """The ProduceMediaComplete callback of a media producing job."""
        view = public_view(job, with_timeline=False)
        message = {
            "Status": view.get("Status"),
            "JobId": view.get("JobId"),
            "ProjectId": view.get("ProjectId"),
            "MediaId": view.get("MediaId"),
            "MediaURL": view.get("MediaURL"),
            "ErrorCode": view.get("Code", ""),
            "ErrorMessage": view.get("Message", ""),
        }
        await self._send(job, JobKind.MEDIA, "ProduceMediaComplete", message)

    async def batch_produce_media_complete(self, batch: dict[str, Any]) -> None:
        """The BatchProduceMediaComplete callback of a batch job."""
        message = {"JobId": batch.get("JobId"), "Status": batch.get("Status"), "JobType": batch.get("JobType")}
        await self._send(batch, JobKind.BATCH, "BatchProduceMediaComplete", message)

    async def _send(self, job: dict[str, Any], kind: JobKind, event: str, message: dict[str, Any]) -> None:
        """POST `event` to the job's NotifyAddress, if it names an http(s) one it may reach."""
        try:
            user_data = json.loads(job.get("UserData") or "{}")
        except ValueError:
            return
        url = user_data.get("NotifyAddress") if isinstance(user_data, dict) else None
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            return
        public_only = not self._may_call_private(url)
        if public_only and names_private_address(_host(url)):
            await self._failed(job, kind, url, "refused: not a public address")
            return
        body = {
            "EventType": event,
            "UserId": 0,
            "EventTime": iso_now(),
            "MessageBody": {**message, "UserData": job.get("UserData") or ""},
        }
        keys = self.settings.callbacks.keys()
        session = self._session(public_only)
        for attempt in range(ATTEMPTS):
            headers = {"Content-Type": "application/json"}
            if keys:
                timestamp = str(int(time.time()))
                headers["X-ICE-TIMESTAMP"] = timestamp
                headers["X-ICE-SIGNATURE"] = callback_signature(url, timestamp, keys[0])
            try:
                # No redirects: an address in a Location header would bypass the resolver's check.
                post = session.post(url, data=json.dumps(body), headers=headers, allow_redirects=False)
                async with post as reply:
                    if reply.status == 200:
                        return
            except (aiohttp.ClientError, TimeoutError) as exc:
                if refused_address(exc) is not None:
                    await self._failed(job, kind, url, "refused: resolves to no public address")
                    return
            await asyncio.sleep(0.5 * 2**attempt)
        await self._failed(job, kind, url, "not delivered")

    def _may_call_private(self, url: str) -> bool:
        """Whether a callback may go to a non-public address.

        The daemon's own NotifyAddress is local by design; any other only when the operator allows
        private addresses for downloads too.
        """
        return self.settings.engine.download_private_addresses or url == self.settings.notify_address()

    def _session(self, public_only: bool) -> aiohttp.ClientSession:
        """A session per address policy (see engine/media/addresses.py), reused across callbacks."""
        session = self._sessions.get(public_only)
        if session is None:
            session = client_session(public_only=public_only, timeout=aiohttp.ClientTimeout(total=5))
            self._sessions[public_only] = session
        return session

    async def _failed(self, job: dict[str, Any], kind: JobKind, url: str, reason: str) -> None:
        """Log and record on the job why its callback was not delivered.

        Only the host is logged: a NotifyAddress may carry credentials in its user info or query.
        """
        job_id = str(job.get("JobId"))
        log.warning("callback failed", job_id=job_id, host=_host(url), reason=reason)
        try:
            await self.store.update(job_id, kind, _callback=reason)
        except RedisError as exc:  # the job itself is done; a lost note must not fail its task
            log.warning("callback outcome not recorded", job_id=job_id, error=repr(exc))

    async def close(self) -> None:
        for session in self._sessions.values():
            await session.close()


def _host(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""
