"""Which network addresses a request may make the engine reach.

A request names URLs (media to download, a NotifyAddress to call back); left unchecked, it could
make the engine probe its own machine or network (loopback, private, link-local ranges, the
cloud metadata address). Downloads and callbacks both reach public addresses only, unless the
operator allows otherwise, and both check the address actually connected to.
"""

from __future__ import annotations

import ipaddress
import socket

import aiohttp
import aiohttp.abc

__all__ = [
    "NonPublicAddress",
    "PublicResolver",
    "client_session",
    "host_allowed",
    "is_public_address",
    "names_private_address",
    "refused_address",
]


def is_public_address(ip: str) -> bool:
    """Whether `ip` is a public unicast address (IPv4-mapped IPv6 judged by its IPv4 address)."""
    address = ipaddress.ip_address(ip.split("%", 1)[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def names_private_address(host: str) -> bool:
    """Whether `host` is an IP address that is not public.

    aiohttp connects to an address written in a URL without asking the resolver, so
    PublicResolver never sees it: it is checked with this before the request. A name is left
    to PublicResolver.
    """
    try:
        return not is_public_address(host)
    except ValueError:  # a name, not an address
        return False


class NonPublicAddress(OSError):
    """A download host that resolves to no public address."""


class PublicResolver(aiohttp.abc.AbstractResolver):
    """DNS answers cut down to public addresses, at connect time.

    Checking at connect time, not before the request, leaves no window for a name to be
    re-pointed at an internal address between the check and the connection (DNS rebinding).
    """

    def __init__(self) -> None:
        self._resolver = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[aiohttp.abc.ResolveResult]:
        answers = await self._resolver.resolve(host, port, family)
        public = [a for a in answers if is_public_address(a["host"])]
        if not public:
            raise NonPublicAddress(f"{host!r} resolves to no public address")
        return public

    async def close(self) -> None:
        await self._resolver.close()


def client_session(*, public_only: bool, timeout: aiohttp.ClientTimeout) -> aiohttp.ClientSession:
    """A session for URLs a request named; `public_only` connects to public addresses only.

    Names are then resolved through PublicResolver, which checks the addresses actually
    connected to; an address written in the URL is for `names_private_address` to refuse.
    """
    connector = aiohttp.TCPConnector(resolver=PublicResolver() if public_only else None)
    return aiohttp.ClientSession(timeout=timeout, connector=connector)


def refused_address(exc: BaseException) -> NonPublicAddress | None:
    """Why a connection failed, when PublicResolver refused its host; else None."""
    if isinstance(exc, aiohttp.ClientConnectorError) and isinstance(exc.os_error, NonPublicAddress):
        return exc.os_error
    return None


def host_allowed(host: str, allowed: list[str]) -> bool:
    """Whether `host` matches an entry: an exact name/IP, or `*.suffix` for any subdomain of suffix.

    An empty list allows every host. `*.example.com` does not match example.com itself, so that
    a wildcard never silently widens to the apex (list both when both are meant).
    """
    if not allowed:
        return True
    host = host.lower().rstrip(".")
    for entry in allowed:
        pattern = entry.strip().lower().rstrip(".").strip("[]")
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]):
                return True
        elif host == pattern:
            return True
    return False
