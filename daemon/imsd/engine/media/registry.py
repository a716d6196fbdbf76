"""The local stand-in for the IMS media library: MediaIds, their files and what they show."""

from __future__ import annotations

import asyncio
import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import redis.asyncio

from imsd.engine.media.probe import MediaInfo, Prober

__all__ = ["MediaRegistry", "MediaText", "RedisMediaRegistry"]


@dataclass(frozen=True)
class MediaText:
    """What a medium is about, as its owner described it (IMS media info Title/Description/Tags)."""

    title: str = ""
    description: str = ""
    tags: tuple[str, ...] = ()

    def joined(self) -> str:
        return " ".join(part for part in (self.title, self.description, " ".join(self.tags)) if part)


class MediaRegistry(Protocol):
    """Local stand-in for the IMS media library: MediaId -> a file and what it contains."""

    async def get(self, media_id: str) -> MediaInfo | None: ...

    async def add(
        self,
        path: Path,
        media_id: str | None = None,
        text: MediaText | None = None,
        basic: Mapping[str, Any] | None = None,
    ) -> str: ...

    async def text(self, media_id: str) -> MediaText: ...


class RedisMediaRegistry:
    """Registry entries as JSON strings under `<prefix>:media:<MediaId>`, shared by all workers."""

    def __init__(self, client: redis.asyncio.Redis, prober: Prober, prefix: str) -> None:
        self.client = client
        self.prober = prober
        self.key_prefix = f"{prefix}:media:"

    async def get(self, media_id: str) -> MediaInfo | None:
        raw = await self.client.get(self.key_prefix + media_id)
        return None if raw is None else MediaInfo.model_validate_json(raw)

    async def add(
        self,
        path: Path,
        media_id: str | None = None,
        text: MediaText | None = None,
        basic: Mapping[str, Any] | None = None,
    ) -> str:
        """Register `path`; `media_id` keeps an id promised earlier (a job's output MediaId).

        `basic`: the IMS MediaBasicInfo of a RegisterMediaInfo call; its InputURL then finds the
        MediaId too (GetMediaInfo by InputURL, a second registration of the same URL).
        """
        info = await self.prober.probe(await asyncio.to_thread(path.resolve))
        media_id = media_id or uuid.uuid4().hex
        await self.client.set(self.key_prefix + media_id, info.model_dump_json())
        if text is not None:
            await self.client.set(self.key_prefix + media_id + ":text", json.dumps(asdict(text), ensure_ascii=False))
        if basic is not None:
            await self.client.set(self.key_prefix + media_id + ":basic", json.dumps(basic, ensure_ascii=False))
            if basic.get("InputURL"):
                await self.client.set(self._url_key(str(basic["InputURL"])), media_id)
        return media_id

    async def basic(self, media_id: str) -> dict[str, Any] | None:
        """The MediaBasicInfo a RegisterMediaInfo call gave `media_id`, if it was registered so."""
        raw = await self.client.get(self.key_prefix + media_id + ":basic")
        return None if raw is None else dict(json.loads(raw))

    async def media_id_of(self, input_url: str) -> str | None:
        """The MediaId registered for `input_url`, if any."""
        raw = await self.client.get(self._url_key(input_url))
        return None if raw is None else raw.decode() if isinstance(raw, bytes) else str(raw)

    def _url_key(self, input_url: str) -> str:
        return self.key_prefix + "url:" + hashlib.sha256(input_url.encode()).hexdigest()

    async def text(self, media_id: str) -> MediaText:
        raw = await self.client.get(self.key_prefix + media_id + ":text")
        if raw is None:
            return MediaText()
        fields = json.loads(raw)
        return MediaText(fields.get("title", ""), fields.get("description", ""), tuple(fields.get("tags", ())))
