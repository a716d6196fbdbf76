"""The local stand-in for the IMS media library: MediaIds, their files and what they show."""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Protocol

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

    async def add(self, path: Path, media_id: str | None = None, text: MediaText | None = None) -> str: ...

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

    async def add(self, path: Path, media_id: str | None = None, text: MediaText | None = None) -> str:
        """Register `path`; `media_id` keeps an id promised earlier (a job's output MediaId)."""
        info = await self.prober.probe(await asyncio.to_thread(path.resolve))
        media_id = media_id or uuid.uuid4().hex
        await self.client.set(self.key_prefix + media_id, info.model_dump_json())
        if text is not None:
            await self.client.set(self.key_prefix + media_id + ":text", json.dumps(asdict(text), ensure_ascii=False))
        return media_id

    async def text(self, media_id: str) -> MediaText:
        raw = await self.client.get(self.key_prefix + media_id + ":text")
        if raw is None:
            return MediaText()
        fields = json.loads(raw)
        return MediaText(fields.get("title", ""), fields.get("description", ""), tuple(fields.get("tags", ())))
