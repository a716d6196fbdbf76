"""The web console: requests, their stages, outputs and progress, and the daemon's figures.

Ops and producers look at the work here rather than in Redis: a page of requests with filters,
a page per request (stages, outputs with cover, player and download link, live progress, the
failure's code and message) and the figures `imsd status` prints. Read-only: every route is a GET
and nothing changes state, so a page another site makes a browser load can do no harm; requests
a browser sends for another site are refused all the same, and every page forbids framing and
any source but this server (Content-Security-Policy). Pages are rendered here with autoescaping
templates (Jinja2), so no request-supplied string reaches a page unescaped, and need no script.
Bound beyond localhost, the console asks for `console.token` (else it is off): given once as
`?token=`, it is kept in a same-site cookie.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from aiohttp import web

from imsd.client import request_state, status
from imsd.context import Services
from imsd.engine.media import MediaResolver
from imsd.errors import ImsError
from imsd.records import State
from imsd.settings import EngineSettings

__all__ = ["COOKIE", "add_console", "cross_site"]

COOKIE = "imsd_console"
#: How many of the newest results and progress entries a page reads.
RECENT = 500
STATUSES = (*(s.value for s in State), "REJECTED")
WINDOWS = {"1h": 3600, "24h": 86400, "7d": 7 * 86400, "all": 0}
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("imsd.console", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
)
SERVICES: web.AppKey[Services] = web.AppKey("console_services", Services)


def cross_site(headers: Any) -> bool:
    """Whether a browser sent this request for a page of another site (the SDKs and curl send
    neither header; a browser sends Sec-Fetch-Site, and Origin on a POST)."""
    return "Origin" in headers or headers.get("Sec-Fetch-Site", "none") not in ("none", "same-origin")


def _loopback(host: str) -> bool:
    """Whether the server listens on loopback only ("" and 0.0.0.0 listen everywhere)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@web.middleware
async def _guard(request: web.Request, handler: Any) -> web.StreamResponse:
    """Only the console's own pages, only for this site, with the token when one is needed."""
    if not request.path.startswith("/console"):
        return await handler(request)  # type: ignore[no-any-return]
    svc = request.app[SERVICES]
    if cross_site(request.headers):
        return _plain("cross-site requests are refused", 403)
    token = svc.settings.console.token.get_secret_value() if svc.settings.console.token else ""
    if not token and not _loopback(svc.settings.http.host):
        return _plain("the console is off: it is bound beyond localhost and console.token is not set", 403)
    if token:
        given = request.query.get("token")
        if given is not None and hmac.compare_digest(given.encode(), token.encode()):
            clean = str(request.rel_url.without_query_params("token"))
            response = web.Response(status=303, headers={"Location": clean})
            response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/console")
            return response
        presented = request.cookies.get(COOKIE, "") or request.headers.get("Authorization", "").removeprefix("Bearer ")
        if not hmac.compare_digest(presented.encode(), token.encode()):
            return _plain("a token is needed: open the console once with ?token=<console.token>", 401)
    response = await handler(request)
    response.headers.update(SECURITY_HEADERS)
    return response  # type: ignore[no-any-return]


def _plain(text: str, status_code: int) -> web.Response:
    return web.Response(text=text + "\n", status=status_code, headers=SECURITY_HEADERS)


def _page(name: str, **context: Any) -> web.Response:
    html = _templates.get_template(name).render(**context)
    return web.Response(text=html, content_type="text/html", charset="utf-8")


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _epoch(iso: str | None) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() if iso else 0.0


def media_link(url: str | None) -> str | None:
    """The console's link to an output file (or its cover, or its preview) named by its URL."""
    return None if not url else f"/console/media?url={quote(url, safe='')}"


async def _rows(svc: Services) -> list[dict[str, Any]]:
    """Requests still in progress (their records) and the newest results, one row each."""
    rows: dict[str, dict[str, Any]] = {}
    for _, fields in await svc.redis.xrevrange(svc.settings.key("results"), count=RECENT):
        result = json.loads(fields["result"])
        key = result.get("request_id") or result.get("entry_id") or ""
        rows.setdefault(key, {
            "request_id": result.get("request_id"), "api": result.get("api"), "state": result.get("status"),
            "received_at": result.get("received_at"), "finished_at": result.get("finished_at"),
            "error_code": result.get("error_code"), "job_id": result.get("job_id"),
            "outputs": len(result.get("outputs") or []),
        })  # fmt: skip
    active = [str(r) for r in await svc.redis.zrange(svc.settings.key("active"), 0, RECENT - 1)]
    for request_id, record in zip(active, await svc.store.get_many(active), strict=True):
        if record is not None and not record.state.final:
            rows[request_id] = {
                "request_id": request_id, "api": record.api, "state": record.state.value,
                "received_at": _iso(record.received_at), "finished_at": None, "error_code": None,
                "job_id": record.job_id, "outputs": 0,
            }  # fmt: skip
    return sorted(rows.values(), key=lambda r: r["received_at"] or r["finished_at"] or "", reverse=True)


async def requests_page(request: web.Request) -> web.Response:
    """GET /console: the requests, filtered by status, API and time, and the daemon's figures."""
    svc = request.app[SERVICES]
    wanted_status = request.query.get("status", "")
    wanted_api = request.query.get("api", "")
    window = request.query.get("since", "24h")
    since = time.time() - WINDOWS.get(window, 86400) if WINDOWS.get(window, 86400) else 0.0
    rows = [
        row for row in await _rows(svc)
        if (not wanted_status or row["state"] == wanted_status) and (not wanted_api or row["api"] == wanted_api)
        and _epoch(row["received_at"] or row["finished_at"]) >= since
    ]  # fmt: skip
    figures = await status(svc.redis, svc.settings)
    apis = sorted({*figures.pop("apis"), "ScenePipeline"})
    return _page("requests.html", rows=rows, figures=figures, statuses=STATUSES, apis=apis, windows=list(WINDOWS),
                 chosen={"status": wanted_status, "api": wanted_api, "since": window})  # fmt: skip


async def request_page(request: web.Request) -> web.Response:
    """GET /console/requests/{request_id}: one request's stages, outputs, progress and failure."""
    svc = request.app[SERVICES]
    request_id = request.match_info["request_id"]
    state, result = await request_state(svc.redis, request_id, prefix=svc.settings.redis.prefix)
    record = await svc.store.get(request_id)
    if result is None and record is None:
        result = await _result_on_stream(svc, request_id)
        state = "REJECTED" if result else state
    if result is None and record is None:
        raise web.HTTPNotFound(text=f"no request {request_id!r} is known (or it is past its retention)\n")
    progress = await _progress(svc, request_id) if result is None else {}
    outputs = [
        {**o, "link": media_link(o.get("media_url")), "cover": media_link(o.get("cover_url")),
         "preview": media_link(o.get("preview_url"))}
        for o in (result or {}).get("outputs") or []
    ]  # fmt: skip
    return _page(
        "request.html", request_id=request_id, state=state, record=record, result=result, outputs=outputs,
        progress=progress, received_at=_iso(record.received_at) if record else (result or {}).get("received_at"),
        params=json.dumps(record.params, ensure_ascii=False, indent=2)[:20_000] if record else None,
        live=result is None,
    )  # fmt: skip


async def _result_on_stream(svc: Services, request_id: str) -> dict[str, Any] | None:
    """A refusal of a message that owned no record is on the results stream only."""
    for _, fields in await svc.redis.xrevrange(svc.settings.key("results"), count=RECENT):
        result = json.loads(fields["result"])
        if result.get("request_id") == request_id:
            return dict(result)
    return None


async def _progress(svc: Services, request_id: str) -> dict[int, dict[str, Any]]:
    """The newest progress entry of each of the request's outputs."""
    newest: dict[int, dict[str, Any]] = {}
    for _, fields in await svc.redis.xrevrange(svc.settings.key("progress"), count=RECENT):
        entry = json.loads(fields["progress"])
        if entry.get("request_id") == request_id:
            newest.setdefault(int(entry.get("output_index") or 1), entry)
    return dict(sorted(newest.items()))


async def media(request: web.Request) -> web.StreamResponse:
    """GET /console/media?url=: an output file, its cover or its preview, from the storage root only."""
    path = await asyncio.to_thread(stored_file, request.app[SERVICES].settings.engine, request.query.get("url", ""))
    if path is None:
        raise web.HTTPNotFound(text="no such output of this engine\n")
    return web.FileResponse(path, headers=SECURITY_HEADERS)


def stored_file(engine: EngineSettings, url: str) -> Path | None:
    """The file an output URL names, if it is one under the storage root (outputs, covers, previews)."""
    try:
        path = MediaResolver(engine).output_path(url, "url")
    except ImsError:
        return None
    return path if path.is_relative_to(engine.storage_root.resolve()) and path.is_file() else None


def add_console(app: web.Application, svc: Services) -> None:
    """Serve the console on `app` (the daemon's HTTP server) when `console.enabled`."""
    if not svc.settings.console.enabled:
        return
    app[SERVICES] = svc
    app.middlewares.append(_guard)
    app.router.add_get("/console", requests_page)
    app.router.add_get("/console/requests/{request_id}", request_page)
    app.router.add_get("/console/media", media)
