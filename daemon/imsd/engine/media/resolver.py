"""Turning the media references of a request into local files, and refusing everything else.

A reference is a MediaId (looked up in the media registry), an OSS-style URL (mapped onto the
storage root by path, no network), another http(s) URL (downloaded into a content-addressed
cache), or a local path / file:// URL. Local paths are resolved with symlinks followed *before*
the root check, so a link inside a root that points outside it is refused like the target.
Downloads reach public addresses only, unless configured otherwise: a request must not make the
engine probe its own machine or network (loopback, private, link-local ranges).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import re
import uuid
from collections.abc import Awaitable, Iterable
from pathlib import Path
from typing import TypeVar
from urllib.parse import unquote, urljoin, urlsplit

import aiohttp
import aiohttp.abc

from imsd.engine.media.addresses import client_session, host_allowed, names_private_address, refused_address
from imsd.engine.media.animation import is_animated, video_of_animation
from imsd.engine.media.probe import MediaInfo, Prober
from imsd.engine.media.registry import MediaRegistry
from imsd.errors import ImsError, invalid, not_found
from imsd.settings import EngineSettings

__all__ = ["MediaResolver", "resolve_together"]

_OSS_HOST = re.compile(r"^(?P<bucket>[a-z0-9][a-z0-9-]{1,61}[a-z0-9])\.oss-[a-z0-9-]+?(?:-internal)?\.aliyuncs\.com$")
_CHUNK = 1 << 16
T = TypeVar("T")
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 5
# A reference longer than a URL can usefully be (an OSS object key is at most 1023 bytes) or a
# name longer than file systems take is refused before any work, naming the field, instead of
# failing deep in the render as an OSError whose message would hold the server's paths.
_MAX_REFERENCE = 2048
_MAX_NAME_BYTES = 255


def _check_reference(ref: str, field: str) -> None:
    """Refuse a reference no file can have: a NUL character, or a length past the limits."""
    if "\x00" in ref:
        raise invalid(field, "contains a NUL character")
    if len(ref) > _MAX_REFERENCE:
        raise invalid(field, f"is {len(ref)} characters long; at most {_MAX_REFERENCE}")
    if any(len(part.encode()) > _MAX_NAME_BYTES for part in unquote(urlsplit(ref).path).split("/")):
        raise invalid(field, f"has a file or folder name longer than {_MAX_NAME_BYTES} bytes")


async def resolve_together(lookups: Iterable[Awaitable[T]]) -> list[T]:
    """Run lookups concurrently; on the first ImsError cancel and await the rest, then raise it.

    Unlike gather, nothing keeps probing (holding ffprobe processes) after the request failed,
    and no orphaned task is left for the event loop's shutdown to wait on.
    """
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(_awaited(lookup)) for lookup in lookups]
    except* ImsError as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]


async def _awaited(lookup: Awaitable[T]) -> T:
    return await lookup


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path.is_relative_to(root.resolve()) for root in roots)


class MediaResolver:
    """Resolves references for one engine; probes what it resolves (cached by the prober)."""

    def __init__(
        self,
        settings: EngineSettings,
        registry: MediaRegistry | None = None,
        prober: Prober | None = None,
    ) -> None:
        self.settings = settings
        self.registry = registry
        self.prober = prober or Prober(settings.ffprobe)

    @property
    def input_roots(self) -> list[Path]:
        return [*self.settings.media_roots, self.settings.storage_root]

    async def resolve(self, ref: str, field: str, *, media_id: bool = False) -> MediaInfo:
        """The media behind `ref` (a MediaId when `media_id`, else a URL or path).

        `field` names where the request said it, for errors.
        """
        if media_id:
            info = await self.registry.get(ref) if self.registry is not None else None
            if info is None or not info.path.is_file():
                raise not_found("InvalidMaterial.NotFound", field, ref)
            # Probed as it is now (cached while unchanged): the file may have been replaced since
            # it was registered, and what is made from it is keyed by what it is.
            return await self._playable(await self.prober.probe(info.path, f"{field}: {ref}"), f"{field}: {ref}")
        path = await self.local_file(ref, field)
        return await self._playable(await self.prober.probe(path, f"{field}: {ref}"), f"{field}: {ref}")

    async def _playable(self, info: MediaInfo, ref: str) -> MediaInfo:
        """`info`, or for an animated WebP (which ffmpeg cannot decode) that of its video."""
        if info.demuxer != "webp_pipe" or not await asyncio.to_thread(is_animated, info.path):
            return info
        directory = self.settings.cache_dir / "animations"
        video = await video_of_animation(info.path, directory, self.settings.ffmpeg, ref)
        return await self.prober.probe(video, ref)

    async def local_file(self, ref: str, field: str) -> Path:
        _check_reference(ref, field)
        scheme = urlsplit(ref).scheme.lower() if "://" in ref else ""
        if scheme in ("http", "https"):
            oss = self.oss_path(ref, field)
            if oss is not None:
                return self._existing(oss, field, ref)
            return await self.fetch(ref, field)
        return self._existing(self.path_of(ref, field, self.input_roots), field, ref)

    def oss_path(self, url: str, field: str) -> Path | None:
        """`<storage_root>/<bucket>/<key>` for an OSS-style URL, None for any other URL."""
        parts = urlsplit(url)
        match = _OSS_HOST.match((parts.hostname or "").lower())
        if match is None:
            return None
        key = unquote(parts.path).lstrip("/")
        if not key:
            raise invalid(field, f"{url!r} names a bucket but no object")
        root = self.settings.storage_root.resolve()
        path = (root / match["bucket"] / key).resolve()
        if not path.is_relative_to(root / match["bucket"]):
            raise invalid(field, f"{url!r} points outside its bucket")
        return path

    def path_of(self, ref: str, field: str, roots: list[Path]) -> Path:
        """A local path or file:// URL, resolved, and required to lie inside `roots`."""
        if ref.lower().startswith("file://"):
            parts = urlsplit(ref)
            if parts.netloc not in ("", "localhost"):
                raise invalid(field, f"{ref!r} names a remote host")
            raw = Path(unquote(parts.path))
        elif "://" in ref:
            raise invalid(field, f"{ref!r}: unsupported URL scheme")
        else:
            raw = Path(ref)
        candidates = [raw] if raw.is_absolute() else [root / raw for root in roots]
        resolved = [c.resolve() for c in candidates]
        inside = [p for p in resolved if _inside(p, roots)]
        if not inside:
            raise invalid(field, f"{ref!r} is outside the configured media roots")
        return next((p for p in inside if p.exists()), inside[0])

    @staticmethod
    def _existing(path: Path, field: str, ref: str) -> Path:
        if not path.is_file():
            raise not_found("InvalidMaterial.NotFound", field, ref)
        return path

    def output_path(self, media_url: str, field: str = "OutputMediaConfig.MediaURL") -> Path:
        """Where an output named by MediaURL is written; only ever under the storage root."""
        _check_reference(media_url, field)
        if media_url.lower().startswith(("http://", "https://")):
            path = self.oss_path(media_url, field)
            if path is None:
                raise invalid(field, f"{media_url!r} is not an OSS URL or a local path")
            return path
        return self.path_of(media_url, field, [self.settings.storage_root])

    async def fetch(self, url: str, field: str) -> Path:
        """Download once into the cache; the object is stored under its content hash."""
        if not self.settings.download_enabled:
            raise invalid(field, f"{url!r}: downloading media from URLs is disabled")
        self._check_host(url, field)  # before the cache: a host taken off the list is off at once
        cache = self.settings.cache_dir
        index = cache / "urls" / hashlib.sha256(url.encode()).hexdigest()
        if index.is_file():
            obj = cache / "objects" / str(json.loads(index.read_text())["object"])
            if obj.is_file():
                return obj.resolve()
        (cache / "objects").mkdir(parents=True, exist_ok=True)
        index.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache / "objects" / f".part-{uuid.uuid4().hex}"
        try:
            digest = await self._download(url, field, tmp)
            name = digest + Path(urlsplit(url).path).suffix.lower()[:10]
            os.replace(tmp, cache / "objects" / name)
        finally:
            tmp.unlink(missing_ok=True)
        # Write-then-rename, as ContentCache.store does: a concurrent fetch of the same URL reads
        # the index above and must never see half a file.
        index_tmp = index.with_name(f".{index.name}.{uuid.uuid4().hex}.tmp")
        index_tmp.write_text(json.dumps({"object": name, "url": url}))
        os.replace(index_tmp, index)
        return (cache / "objects" / name).resolve()

    async def _download(self, url: str, field: str, dest: Path) -> str:
        limit = self.settings.download_max_bytes
        timeout = aiohttp.ClientTimeout(total=self.settings.download_timeout_s)
        digest = hashlib.sha256()
        size = 0
        public_only = not self.settings.download_private_addresses
        try:
            async with client_session(public_only=public_only, timeout=timeout) as session:
                target = url
                for _ in range(_MAX_REDIRECTS + 1):
                    # Redirects are followed here, not by aiohttp, so each hop's host is checked first.
                    async with session.get(target, allow_redirects=False) as resp:
                        location = resp.headers.get("Location") if resp.status in _REDIRECTS else None
                        if location is not None:
                            target = urljoin(str(resp.url), location)
                            self._check_host(target, field, via=url)
                            continue
                        if resp.status in (404, 410):
                            raise not_found("InvalidMaterial.NotFound", field, url)
                        if resp.status >= 400:
                            raise ImsError("InvalidMaterial.DownloadFailed", f"{field}: {url!r}: HTTP {resp.status}")
                        if (resp.content_length or 0) > limit:
                            raise _too_large(field, url, limit)
                        with dest.open("wb") as out:
                            async for chunk in resp.content.iter_chunked(_CHUNK):
                                size += len(chunk)
                                if size > limit:
                                    raise _too_large(field, url, limit)
                                digest.update(chunk)
                                out.write(chunk)
                        return digest.hexdigest()
                too_many = f"{field}: {url!r}: more than {_MAX_REDIRECTS} redirects"
                raise ImsError("InvalidMaterial.DownloadFailed", too_many)
        except (aiohttp.ClientError, TimeoutError) as exc:
            refused = refused_address(exc)
            if refused is not None:
                raise invalid(field, f"{url!r}: {refused} (engine.download_private_addresses)") from None
            raise ImsError("InvalidMaterial.DownloadFailed", f"{field}: {url!r}: {type(exc).__name__} {exc}") from None

    def _check_host(self, url: str, field: str, via: str | None = None) -> None:
        """The allowlist, and for an address written in the URL, that it is public."""
        host = urlsplit(url).hostname or ""
        where = f"{url!r} (redirected from {via!r})" if via else repr(url)
        if not host_allowed(host, self.settings.download_hosts):
            raise invalid(field, f"{where}: host {host!r} is not in engine.download_hosts")
        if not self.settings.download_private_addresses and names_private_address(host):
            raise invalid(field, f"{where}: {host!r} is not a public address (engine.download_private_addresses)")


def _too_large(field: str, url: str, limit: int) -> ImsError:
    return ImsError("InvalidMaterial.TooLarge", f"{field}: {url!r} is larger than {limit} bytes")
