"""One error type for everything the IMS API, our validation or a backend can say.

IMS failures are identified by their `Code` string; the daemon decides what to do from the
code alone (see `disposition`), never from the HTTP status or the exception class, because
the same code arrives with different statuses through different gateways.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Disposition", "ImsError", "disposition", "invalid", "missing", "not_found"]


class Disposition(StrEnum):
    """What the submitter should do after an error."""

    TERMINAL = "terminal"  # the request is wrong or refused: report it, never retry
    THROTTLED = "throttled"  # push the shared schedule back and retry, not an attempt
    RETRYABLE = "retryable"  # outcome unknown or transient: retry with the same ClientToken


class ImsError(Exception):
    """An IMS-style error: a service code, a message that names the field, an HTTP status.

    `retry_after_s` is how long the service asked callers to wait before the next call (its
    `x-acs-retry-after` header), 0 when it asked nothing: every retry waits at least that long.
    """

    def __init__(self, code: str, message: str, http_status: int = 400, retry_after_s: float = 0.0) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.http_status = http_status
        self.retry_after_s = retry_after_s

    @property
    def disposition(self) -> Disposition:
        return disposition(self.code, self.http_status)

    def as_dict(self) -> dict[str, str]:
        return {"Code": self.code, "Message": self.message}


_RETRYABLE_CODES = frozenset(
    {
        "InternalError",
        "UnknownError",
        "ServiceUnavailable",
        "Timeout",
        "ConnectionError",
        "SignatureNonceUsed",  # our nonce collided: a fresh nonce on retry fixes it
    }
)


def disposition(code: str, http_status: int = 400) -> Disposition:
    """Classify a service error code (docs/architecture.md, "Errors")."""
    if code.startswith("Throttling"):
        return Disposition.THROTTLED
    if code in _RETRYABLE_CODES or http_status >= 500:
        return Disposition.RETRYABLE
    return Disposition.TERMINAL


def invalid(field: str, problem: str) -> ImsError:
    """InvalidParameter naming the field, the form every validation failure takes."""
    return ImsError("InvalidParameter", f"{field}: {problem}")


def missing(field: str) -> ImsError:
    """MissingParameter naming the field."""
    return ImsError(f"Missing{field.split('.')[-1]}", f"{field}: is required")


def not_found(code: str, field: str, value: str) -> ImsError:
    """A `code` such as InvalidParameter.JobNotFound: what `field` names does not exist (404)."""
    return ImsError(code, f"{field}: {value!r} does not exist", 404)
