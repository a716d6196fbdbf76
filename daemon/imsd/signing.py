"""Request and callback signatures of Alibaba Cloud OpenAPI (docs/ims-api.md §6.3, §7.3, §7.4).

Pure functions only, so that the backend that signs and the fake service that checks
(tests/fakeims/signing.py) share one implementation of the signature itself: a signer bug then
shows up as a test-vector failure, not as two matching bugs.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import quote

from imsd.api.wire import API_VERSION

__all__ = [
    "DATE_FORMAT",
    "V3_ALGORITHM",
    "callback_signature",
    "canonical_query",
    "format_date",
    "percent_encode",
    "sha256_hex",
    "v3_headers",
    "v3_signature",
    "verify_callback_signature",
]

V3_ALGORITHM = "ACS3-HMAC-SHA256"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def percent_encode(value: str) -> str:
    """RFC 3986 encoding (only A-Z a-z 0-9 - _ . ~ kept), the form both signatures hash."""
    return quote(value, safe="")


def canonical_query(params: Mapping[str, str]) -> str:
    """Encoded `k=v` pairs sorted by encoded key; also usable verbatim as the URL query."""
    pairs = sorted((percent_encode(k), percent_encode(v)) for k, v in params.items())
    return "&".join(f"{k}={v}" for k, v in pairs)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def format_date(moment: datetime) -> str:
    """`x-acs-date` / `Timestamp` text: UTC, second precision."""
    return moment.astimezone(UTC).strftime(DATE_FORMAT)


def v3_signature(
    secret: str,
    method: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    signed: Sequence[str],
    hashed_payload: str,
) -> str:
    canonical_headers = "".join(f"{name}:{headers[name].strip()}\n" for name in signed)
    canonical_request = "\n".join(
        [
            method.upper(),
            "/",
            canonical_query(query),
            canonical_headers,
            ";".join(signed),
            hashed_payload,
        ]
    )
    string_to_sign = f"{V3_ALGORITHM}\n{sha256_hex(canonical_request.encode())}"
    return hmac.new(secret.encode(), string_to_sign.encode(), hashlib.sha256).hexdigest()


def v3_headers(
    *,
    method: str,
    host: str,
    action: str,
    query: Mapping[str, str],
    body: bytes,
    content_type: str | None,
    access_key_id: str,
    access_key_secret: str,
    security_token: str | None,
    date: datetime,
    nonce: str,
    version: str = API_VERSION,
) -> dict[str, str]:
    """Every header of one V3-signed request, `authorization` included.

    All returned headers are signed, so nothing a proxy could alter goes unprotected. The
    caller must send `query` and `body` exactly as given here.
    """
    headers = {
        "host": host,
        "x-acs-action": action,
        "x-acs-version": version,
        "x-acs-date": format_date(date),
        "x-acs-signature-nonce": nonce,
        "x-acs-content-sha256": sha256_hex(body),
    }
    if content_type:
        headers["content-type"] = content_type
    if security_token:
        headers["x-acs-security-token"] = security_token
    signed = sorted(headers)
    signature = v3_signature(access_key_secret, method, query, headers, signed, headers["x-acs-content-sha256"])
    headers["authorization"] = (
        f"{V3_ALGORITHM} Credential={access_key_id},SignedHeaders={';'.join(signed)},Signature={signature}"
    )
    return headers


def callback_signature(url: str, timestamp: str, key: str) -> str:
    """`X-ICE-SIGNATURE` for a callback to `url` sent at `timestamp` (Unix seconds, as text)."""
    return hashlib.md5(f"{url}|{timestamp}|{key}".encode(), usedforsecurity=False).hexdigest()


def verify_callback_signature(
    url: str,
    timestamp: str,
    signature: str,
    keys: Sequence[str],
    now: float,
    max_skew_s: float,
) -> bool:
    """Whether a callback is authentic and fresh.

    Several keys are accepted so that the auth key can be rotated without losing callbacks;
    the timestamp window bounds how long a captured callback can be replayed.
    """
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    if abs(now - sent) > max_skew_s:
        return False
    given = signature.strip().lower().encode()
    # Every key is compared, so timing does not reveal which one matched.
    matches = [hmac.compare_digest(callback_signature(url, timestamp, key).encode(), given) for key in keys]
    return any(matches)
