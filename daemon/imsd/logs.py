"""Structured logs: JSON lines for machines, colours for a terminal.

Log lines about a request carry `request_id` (and `job_id` once known) as fields passed by
the call that logs them; fields bound with structlog's contextvars are merged into every line too.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from structlog.typing import Processor

from imsd.settings import LogSettings

__all__ = ["configure_logging", "get_logger"]

_REDACT_KEYS = frozenset({"access_key_secret", "secret", "security_token", "auth_key", "authorization"})


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Last line of defence: a secret passed to a log call by mistake is masked."""
    for key in _REDACT_KEYS.intersection(event):
        event[key] = "***"
    return event


def configure_logging(settings: LogSettings) -> None:
    level = getattr(logging, settings.level.upper())
    console = settings.format == "console" or (settings.format == "auto" and sys.stderr.isatty())
    renderer: Any = (
        structlog.dev.ConsoleRenderer() if console else structlog.processors.JSONRenderer()
    )
    stamped: list[Processor] = [
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            *stamped,
            _redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=sys.stderr),
        cache_logger_on_first_use=True,
    )
    # arq and aiohttp log through the standard library: their lines, tracebacks included, are
    # rendered by the same processors, so a JSON log stream stays one JSON object per line.
    # Their warnings are kept, their chatter dropped.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *stamped],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                _redact,
                structlog.processors.format_exc_info,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(max(level, logging.WARNING))


def get_logger(name: str) -> Any:
    return structlog.get_logger(name)
