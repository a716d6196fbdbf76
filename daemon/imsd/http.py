"""The daemon's HTTP server: IMS callbacks, Prometheus metrics, health probes and the web console."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.exceptions import RedisError

from imsd import metrics
from imsd.console import add_console
from imsd.context import Services
from imsd.logs import get_logger
from imsd.signing import verify_callback_signature
from imsd.tracking import on_callback

__all__ = [
    "READY",
    "SERVICES",
    "ReadyCheck",
    "livez",
    "make_app",
    "make_health_app",
    "readyz",
    "receive_callback",
    "serve_metrics",
]

log = get_logger(__name__)

# Why the process is not ready, one line each; empty when it is.
ReadyCheck = Callable[[], Awaitable[list[str]]]

SERVICES: web.AppKey[Services] = web.AppKey("services", Services)
READY: web.AppKey[ReadyCheck] = web.AppKey("ready", ReadyCheck)  # type: ignore[arg-type]


async def receive_callback(request: web.Request) -> web.Response:
    """POST /callbacks/ims: verify, then bring the job's poll forward; answer at once.

    The signature covers the exact NotifyAddress the service was given; that is the configured
    public URL, or the URL as this server saw it when a producer set its own NotifyAddress.
    """
    svc = request.app[SERVICES]
    keys = svc.settings.callbacks.keys()
    if keys:
        timestamp = request.headers.get("X-ICE-TIMESTAMP", "")
        signature = request.headers.get("X-ICE-SIGNATURE", "")
        urls = {svc.settings.notify_address(), str(request.url)} - {""}
        now = time.time()
        max_skew = svc.settings.callbacks.max_skew_s
        if not any(verify_callback_signature(u, timestamp, signature, keys, now, max_skew) for u in urls):
            metrics.callbacks.labels("refused").inc()
            log.warning("callback refused", reason="bad or stale signature", remote=request.remote)
            return web.json_response({"error": "bad or stale signature"}, status=401)
    try:
        body = json.loads(await request.read())
    except (ValueError, RecursionError):  # RecursionError: nested deeper than the parser goes
        metrics.callbacks.labels("malformed").inc()
        return web.json_response({"error": "body is not JSON"}, status=400)
    if not isinstance(body, dict):
        metrics.callbacks.labels("malformed").inc()
        return web.json_response({"error": "body is not a JSON object"}, status=400)
    try:
        outcome = await on_callback(svc, body)
    except RedisError as error:
        # Not the sender's fault and not lost: 503 makes it send the callback again later (and
        # the job's polls find its end anyway once Redis is back).
        metrics.callbacks.labels("unavailable").inc()
        log.warning("callback deferred", reason="redis unavailable", error=type(error).__name__)
        return web.json_response({"error": "try again later"}, status=503, headers={"Retry-After": "5"})
    metrics.callbacks.labels(outcome).inc()
    return web.json_response({"ok": True})


async def serve_metrics(request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


async def livez(request: web.Request) -> web.Response:
    return web.json_response({"live": True})


async def readyz(request: web.Request) -> web.Response:
    reasons = await request.app[READY]()
    return web.json_response({"ready": not reasons, "reasons": reasons}, status=503 if reasons else 200)


def make_app(svc: Services, ready: ReadyCheck) -> web.Application:
    """The daemon's server: callbacks, and what every imsd process serves (`make_health_app`)."""
    app = make_health_app(ready)
    app[SERVICES] = svc
    app.router.add_post("/callbacks/ims", receive_callback)
    add_console(app, svc)
    return app


def make_health_app(ready: ReadyCheck) -> web.Application:
    """/metrics, /livez and /readyz: what every imsd process serves, an engine worker included."""
    app = web.Application(client_max_size=1024**2)
    app[READY] = ready
    app.router.add_get("/metrics", serve_metrics)
    app.router.add_get("/livez", livez)
    app.router.add_get("/readyz", readyz)
    return app
