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
from collections import OrderedDict
from pathlib import Path
from typing import Generic, TypeVar

__all__ = ["HASH_MEMO_SIZE", "ContentCache", "LruMemo", "file_sha256"]

_CHUNK = 1 << 20
HASH_MEMO_SIZE = 1024
K = TypeVar("K")
V = TypeVar("V")


class LruMemo(Generic[K, V]):
    """A memo that keeps only the `size` most recently used entries.

    The daemon runs for weeks over an unbounded stream of files; a plain dict keyed by file
    would grow with every one of them. Not functools.lru_cache: the values are computed by
    coroutines, and the key is not the arguments of one call.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K) -> V | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)  # the least recently used


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
        self._hashes: LruMemo[tuple[str, int, int], str] = LruMemo(HASH_MEMO_SIZE)

    async def key(self, path: Path, params: str) -> str:
        """The file's content hash + a digest of `params`: whatever else the result depends on."""
        memo = await asyncio.to_thread(_stat_key, path)
        digest = self._hashes.get(memo)
        if digest is None:
            digest = await asyncio.to_thread(file_sha256, path)
            self._hashes.put(memo, digest)
        return f"{digest}-{hashlib.sha256(params.encode()).hexdigest()[:12]}"

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
