"""A strict fake of the Alibaba Cloud IMS OpenAPI (see server.py), in-process or standalone."""

from .server import (
    DEFAULT_ACCESS_KEY_ID,
    DEFAULT_ACCESS_KEY_SECRET,
    FakeIms,
    Faults,
    Received,
)

__all__ = [
    "DEFAULT_ACCESS_KEY_ID",
    "DEFAULT_ACCESS_KEY_SECRET",
    "FakeIms",
    "Faults",
    "Received",
]
