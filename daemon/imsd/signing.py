"""Request and callback signatures of Alibaba Cloud OpenAPI (docs/ims-api.md §6.3, §7.3, §7.4).

Both sides: the aliyun backend signs, the OpenAPI endpoint (openapi.py) and the tests' fake service
check. One implementation of the signature itself serves all three, so a signer bug shows up as a
failure against the documented test vectors and against the official SDK (tests/test_sdk_oracle.py,
tests/test_openapi.py), not as two matching bugs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, urlsplit

from imsd.api.wire import API_VERSION
from imsd.errors import ImsError

__all__ = [
    "DATE_FORMAT",
    "FORM_CONTENT_TYPE",
    "MAX_CLOCK_SKEW_S",
    "REQUIRED_SIGNED_HEADERS",
    "RPC_PUBLIC_PARAMS",
    "V3_ALGORITHM",
    "Call",
    "Claim",
    "V3Authorization",
    "callback_signature",
    "canonical_query",
    "claim_of",
    "format_date",
    "parse_date",
    "parse_v3_authorization",
    "percent_encode",
    "received_call",
    "rpc_signature",
    "sha256_hex",
    "v3_headers",
    "v3_signature",
    "verify_callback_signature",
    "verify_v3",
]

V3_ALGORITHM = "ACS3-HMAC-SHA256"
DATE_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
#: How far a request's date may be from the receiver's clock (the usual Alibaba Cloud 15 min).
MAX_CLOCK_SKEW_S = 15 * 60
#: Headers a V3 signature must cover; anything less lets a replayer swap action, time or body.
REQUIRED_SIGNED_HEADERS: frozenset[str] = frozenset(
    {"host", "x-acs-action", "x-acs-content-sha256", "x-acs-date", "x-acs-signature-nonce", "x-acs-version"}
)
#: RPC-style public parameters: authentication, not business input (§7.4).
RPC_PUBLIC_PARAMS: frozenset[str] = frozenset(
    {"Action", "Version", "Format", "AccessKeyId", "SignatureMethod", "SignatureVersion", "SignatureNonce",
     "Timestamp", "SecurityToken", "Signature"}
)  # fmt: skip


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


FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


@dataclass(frozen=True)
class Call:
    """A received OpenAPI call, in the parts its signature covers: lower-case headers, the query
    as sent (parsed from the raw path, so nothing is re-encoded), the form body, the action."""

    headers: dict[str, str]
    query: dict[str, str]
    form: dict[str, str]
    body: bytes
    action: str


def received_call(raw_path: str, content_type: str, headers: Mapping[str, str], body: bytes) -> Call:
    """The parts of a call as it arrived: the action from `x-acs-action` (V3) or `Action` (RPC)."""
    lower = {k.lower(): v for k, v in headers.items()}
    query = dict(parse_qsl(urlsplit(raw_path).query, keep_blank_values=True))
    form = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)) if (
        content_type == FORM_CONTENT_TYPE and body) else {}  # fmt: skip
    action = lower.get("x-acs-action") or query.get("Action") or form.get("Action") or ""
    return Call(lower, query, form, body, action)


@dataclass(frozen=True)
class Claim:
    """Who a received request says it is from, when, and how to check that it really is."""

    key_id: str
    date: str
    nonce: str
    genuine: Callable[[str], bool]  # the secret of key_id -> whether the signature holds

    def check(self, secret: str | None, now: float) -> None:
        """Raise the service's error for a claim it would refuse: `secret` is key_id's (None: no
        such key), `now` the receiver's clock. The nonce is the receiver's to remember."""
        if secret is None:
            raise ImsError("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
        try:
            skew = abs(now - parse_date(self.date).timestamp())
        except ValueError:
            raise ImsError(
                "InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.", 400
            ) from None
        if skew > MAX_CLOCK_SKEW_S:
            raise ImsError("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", 400)
        if not self.genuine(secret):
            raise ImsError("SignatureDoesNotMatch", "Specified signature is not matched with our calculation.", 400)


def claim_of(
    method: str,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    form: Mapping[str, str],
    body: bytes,
) -> Claim:
    """The claim of a V3-signed (Authorization header) or legacy RPC-signed (Signature param) call.

    `headers` keyed by lower-case name. Raises ImsError with the service's code for a request
    that is unsigned or signed in a shape no SDK produces.
    """
    if "authorization" in headers:
        try:
            auth = parse_v3_authorization(headers["authorization"])
        except ValueError as exc:
            raise ImsError("IncompleteSignature", str(exc), 400) from None
        if headers.get("x-acs-version") != API_VERSION:
            raise ImsError("InvalidVersion", f"x-acs-version must be {API_VERSION}", 400)
        return Claim(
            auth.access_key_id,
            headers.get("x-acs-date", ""),
            headers.get("x-acs-signature-nonce", ""),
            lambda secret: verify_v3(
                method=method, query=query, headers=headers, body=body, auth=auth, access_key_secret=secret
            ),
        )
    if "Signature" in query:
        params = {**query, **form}
        if params.get("SignatureMethod") != "HMAC-SHA1":
            raise ImsError("IncompleteSignature", "SignatureMethod must be HMAC-SHA1", 400)
        return Claim(
            params.get("AccessKeyId", ""),
            params.get("Timestamp", ""),
            params.get("SignatureNonce", ""),
            lambda secret: hmac.compare_digest(rpc_signature(method, params, secret), params["Signature"]),
        )
    raise ImsError("MissingAuthorization", "the request is not signed", 400)
