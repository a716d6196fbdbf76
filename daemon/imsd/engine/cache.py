"""A JSON cache of results computed from a file, keyed by the file's content.

Media analysis and transcripts use it. Content, not path: the same upload under another
MediaId, a re-download into the content-addressed media cache or a copy all hit the cache, and
a file rewritten in place never serves a stale result. Hashing reads ~1 GB/s here, about 1% of
an analysis; a memo keyed by (path, size, mtime) skips re-hashing an unchanged file.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from pathlib import Path

_CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _stat_key(path: Path) -> tuple[str, int, int]:
    st = path.stat()
    return str(path.resolve()), st.st_size, st.st_mtime_ns


class ContentCache:
    """`<directory>/<content sha256>-<parameter digest>.json`, written atomically."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._hashes: dict[tuple[str, int, int], str] = {}

    async def key(self, path: Path, params: str) -> str:
        """The file's content hash + a digest of `params`: whatever else the result depends on."""
        memo = await asyncio.to_thread(_stat_key, path)
        if memo not in self._hashes:
            self._hashes[memo] = await asyncio.to_thread(file_sha256, path)
        return f"{self._hashes[memo]}-{hashlib.sha256(params.encode()).hexdigest()[:12]}"

    async def load(self, key: str) -> str | None:
        path = self.directory / f"{key}.json"
        return await asyncio.to_thread(path.read_text, "utf-8") if path.is_file() else None

    async def store(self, key: str, text: str) -> None:
        """Write-then-rename: a reader never sees half a file, concurrent writers are harmless."""
        self.directory.mkdir(parents=True, exist_ok=True)
        target = self.directory / f"{key}.json"
        tmp = target.with_name(f".{key}.{uuid.uuid4().hex}.tmp")
        await asyncio.to_thread(tmp.write_text, text, "utf-8")
        os.replace(tmp, target)
