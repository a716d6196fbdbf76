"""The web console, looked at as a person would: pages loaded in Debian's headless Chromium.

A request is followed on its page until it succeeded; then its output is there to see (cover,
preview, player, download), and the screenshot (kept in test-artifacts/) shows the cover's
colour. Request-supplied text is shown as text, files are served from the storage root only, and
the console refuses other sites' requests and, bound beyond localhost, callers without its token.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import numpy as np
import pytest
from imsd.settings import Settings
from redis.asyncio import Redis

from tests.engine.sampling import frames
from tests.helpers import enqueue_all, results_for, running_daemon
from tests.test_daemon_local import OSS, local_settings, make_clip, timeline_request

CHROMIUM = shutil.which("chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
HOSTILE = '<img src=x onerror="document.title=1">&amp;'

def chromium(*args: str) -> str:
    """Run headless Chromium (as root it needs --no-sandbox) and return what it printed."""
    assert CHROMIUM is not None, "Debian's chromium is needed: scripts/test installs it"
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               "--hide-scrollbars", "--virtual-time-budget=3000", *args]  # fmt: skip
    return subprocess.run(command, check=True, capture_output=True, text=True, timeout=60).stdout


async def dom(url: str) -> str:
    """The page as the browser built it (in a thread: the daemon serves from this event loop)."""
    return await asyncio.to_thread(chromium, "--dump-dom", url)


async def screenshot(url: str, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    await asyncio.to_thread(chromium, f"--screenshot={path}", "--window-size=1280,1400", url)
    return path


@pytest.fixture
async def console(tmp_path: Path, redis: Redis, redis_url: str) -> Any:
    make_clip(tmp_path / "storage" / "demo" / "in" / "red.mp4", "red", seconds=2.0)
    async with running_daemon(local_settings(redis_url, tmp_path)) as daemon:
        yield daemon, f"http://127.0.0.1:{daemon.http_port}/console"


async def test_a_request_is_followed_on_its_page_to_its_playable_output(console: Any, redis: Redis) -> None:
    daemon, base = console
    request = timeline_request("con-1", [{"MediaURL": f"{OSS}/in/red.mp4"}])
    request["params"]["UserData"] = {"note": HOSTILE}
    await enqueue_all(redis, [request])
    deadline = time.monotonic() + 90
    page = await dom(f"{base}/requests/con-1")
    while "SUCCEEDED" not in page and time.monotonic() < deadline:  # as a person reloading the page
        await asyncio.sleep(1)
        page = await dom(f"{base}/requests/con-1")
    assert '<span class="state SUCCEEDED">SUCCEEDED</span>' in page
    assert 'download="">download</a>' in page and "<video controls" in page
    media = f"/console/media?url={quote(f'{OSS}/out/con-1.mp4', safe='')}"
    assert f'src="{media}"' in page and f'src="{media}.cover.jpg"' in page and f'src="{media}.preview.jpg"' in page
    shot = frames(await screenshot(f"{base}/requests/con-1", "console-request.png"))[0]
    red = (shot[..., 0] > 200) & (shot[..., 1] < 60) & (shot[..., 2] < 60)
    assert red.sum() > 5_000  # the red cover and preview, as shown
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{daemon.http_port}{media}") as reply:
        assert reply.status == 200 and (await reply.read())[4:8] == b"ftyp"


async def test_request_text_is_shown_as_text_never_as_markup(console: Any, redis: Redis) -> None:
    _, base = console
    request = timeline_request("con-2", [{"MediaURL": f"{OSS}/in/red.mp4"}])
    request["params"]["UserData"] = {"note": HOSTILE}
    await enqueue_all(redis, [request])
    await results_for(redis, {"con-2"}, timeout_s=90)
    page = await dom(f"{base}/requests/con-2")
    assert "onerror" in page and "<img src=" not in page.split("<pre>")[1]
    assert "<title>con-2 · imsd</title>" in page  # the hostile onerror never ran


async def test_the_requests_page_lists_and_filters_by_status_with_failures_named(console: Any, redis: Redis) -> None:
    _, base = console
    bad = timeline_request("con-bad", [{"MediaURL": f"{OSS}/in/absent.mp4"}])
    await enqueue_all(redis, [timeline_request("con-ok", [{"MediaURL": f"{OSS}/in/red.mp4"}]), bad])
    await results_for(redis, {"con-ok", "con-bad"}, timeout_s=90)
    listed = await dom(base)
    assert "con-ok" in listed and "con-bad" in listed and "InvalidMaterial.NotFound" in listed
    assert "engine tasks" in listed and "dead letters" in listed  # the figures `imsd status` prints
    await screenshot(base, "console-requests.png")
    failed = await dom(f"{base}?status=FAILED&since=1h")
    assert "con-bad" in failed and "con-ok" not in failed
    page = await dom(f"{base}/requests/con-bad")
    assert "<b>InvalidMaterial.NotFound</b>" in page and "absent.mp4" in page


async def test_files_outside_the_storage_root_are_not_served(console: Any, tmp_path: Path) -> None:
    daemon, _ = console
    (tmp_path / "media" / "secret.txt").parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / "media" / "secret.txt").write_text("secret")
    root = f"http://127.0.0.1:{daemon.http_port}/console/media?url="
    async with aiohttp.ClientSession() as session:
        for url in ("/etc/passwd", str(tmp_path / "media" / "secret.txt"), f"{OSS}/../../../etc/passwd",
                    "https://example.com/x.mp4"):  # fmt: skip
            async with session.get(root + url) as reply:
                assert reply.status == 404, url


async def test_a_request_for_another_site_is_refused(console: Any) -> None:
    _, base = console
    async with aiohttp.ClientSession() as session:
        async with session.get(base, headers={"Sec-Fetch-Site": "cross-site"}) as reply:
            assert reply.status == 403
        async with session.get(base) as reply:
            assert reply.status == 200 and "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]


async def test_bound_beyond_localhost_the_console_asks_for_its_token(tmp_path: Path, redis_url: str) -> None:
    base_settings = local_settings(redis_url, tmp_path).model_dump()
    settings = Settings.model_validate(base_settings | {
        "http": {**base_settings["http"], "host": "0.0.0.0"}, "console": {"token": "console-Token-1"},
    })  # fmt: skip
    jar = aiohttp.CookieJar(unsafe=True)  # keeps a cookie an IP address set, as a browser does
    async with running_daemon(settings) as daemon, aiohttp.ClientSession(cookie_jar=jar) as session:
        base = f"http://127.0.0.1:{daemon.http_port}/console"
        async with session.get(base) as reply:
            assert reply.status == 401
        async with session.get(f"{base}?token=console-Token-1") as reply:  # then the cookie carries it
            assert reply.status == 200 and "Requests" in await reply.text()
    untokened = Settings.model_validate(base_settings | {"http": {**base_settings["http"], "host": "0.0.0.0"}})
    async with running_daemon(untokened) as daemon, aiohttp.ClientSession() as session:
        reply = await session.get(f"http://127.0.0.1:{daemon.http_port}/console")
        assert reply.status == 403 and "console.token" in await reply.text()


def test_screenshots_are_readable_pngs() -> None:
    shots = list(ARTIFACTS.glob("console-*.png")) if ARTIFACTS.exists() else []
    assert all(np.asarray(frames(p)).size for p in shots)
