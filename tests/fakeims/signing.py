"""The checking side of Alibaba Cloud OpenAPI signatures, as the fake service needs it.

Built on the daemon's own `imsd.signing.v3_signature` and `canonical_query`, so the fake checks
exactly the signature the backend makes; the documented test vectors (tests/test_signing.py)
keep both honest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from imsd.signing import DATE_FORMAT, V3_ALGORITHM, canonical_query, percent_encode, sha256_hex, v3_signature

#: Headers a V3 signature must cover; anything less lets a replayer swap action, time or body.
REQUIRED_SIGNED_HEADERS: frozenset[str] = frozenset(
    {
        "host",
        "x-acs-action",
        "x-acs-content-sha256",
        "x-acs-date",
        "x-acs-signature-nonce",
        "x-acs-version",
    }
)


def parse_date(text: str) -> datetime:
    """Inverse of `format_date`; raises ValueError on anything else."""
    return datetime.strptime(text, DATE_FORMAT).replace(tzinfo=UTC)


@dataclass(frozen=True)
class V3Authorization:
    """The parts of a received `Authorization` header."""

    access_key_id: str
    signed_headers: tuple[str, ...]
    signature: str


def parse_v3_authorization(value: str) -> V3Authorization:
    """Split an `Authorization` header; ValueError when it is not a complete V3 one."""
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != V3_ALGORITHM:
        raise ValueError(f"algorithm must be {V3_ALGORITHM}")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, val = part.strip().partition("=")
        if not sep:
            raise ValueError(f"malformed Authorization element {key!r}")
        fields[key] = val
    try:
        auth = V3Authorization(fields["Credential"], tuple(fields["SignedHeaders"].split(";")), fields["Signature"])
    except KeyError as exc:
        raise ValueError(f"Authorization lacks {exc.args[0]}") from None
    missing = REQUIRED_SIGNED_HEADERS.difference(auth.signed_headers)
    if missing:
        raise ValueError(f"headers not signed: {','.join(sorted(missing))}")
    return auth


def verify_v3(
    *,
    method: str,
    query: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
    auth: V3Authorization,
    access_key_secret: str,
) -> bool:
    """Whether a received request carries a valid V3 signature by the holder of the secret.

    `headers` must be keyed by lower-case name. The payload hash is recomputed from the body
    actually received, so a body swapped under a replayed `x-acs-content-sha256` fails too.
    """
    if any(name not in headers for name in auth.signed_headers):
        return False
    expected = v3_signature(access_key_secret, method, query, headers, auth.signed_headers, sha256_hex(body))
    return hmac.compare_digest(expected, auth.signature)


def rpc_signature(method: str, params: Mapping[str, str], access_key_secret: str) -> str:
    """Legacy RPC (HMAC-SHA1, SignatureVersion 1.0) signature over all params but `Signature`."""
    signed = {k: v for k, v in params.items() if k != "Signature"}
    string_to_sign = f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(signed))}"
    digest = hmac.new(f"{access_key_secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()
