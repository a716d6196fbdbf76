"""The fake IMS is itself strict: tests of the daemon are only as good as these checks."""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import aiohttp
import pytest
from aiohttp import web
from imsd.api.wire import REQUEST_ID_KEY, compact_json
from imsd.backends.aliyun import AliyunBackend, Credentials
from imsd.errors import ImsError
from imsd.signing import canonical_query, format_date, rpc_signature, v3_headers, verify_callback_signature

from tests.fakeims import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, FakeIms

REPO = Path(__file__).resolve().parents[1]
JOB_SECONDS = 0.2
CALLBACK_KEY = "CbKey123abc"
OSS = "https://bucket.oss-cn-shanghai.aliyuncs.com"
SINGLE_PARAMS = {
    "Timeline": compact_json({"VideoTracks": [{"VideoTrackClips": [{"MediaId": "m-1"}]}]}),
    "OutputMediaConfig": compact_json({"MediaURL": f"{OSS}/out.mp4"}),
}


@pytest.fixture
async def fake() -> AsyncIterator[FakeIms]:
    async with FakeIms(job_seconds=JOB_SECONDS, callback_key=CALLBACK_KEY) as server:
        yield server


@pytest.fixture
async def client(fake: FakeIms) -> AsyncIterator[AliyunBackend]:
    backend = AliyunBackend(
        fake.endpoint,
        Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET),
        region="cn-shanghai",
        scheme="http",
        timeout_s=0.5,
    )
    yield backend
    await backend.close()


@dataclass
class CallbackSink:
    """An HTTP receiver that answers the queued statuses (then 200) and keeps what it got."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[tuple[dict[str, str], dict[str, Any]]] = field(default_factory=list)
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def handle(self, request: web.Request) -> web.Response:
        self.received.append((dict(request.headers), await request.json()))
        status = self.statuses.pop(0) if self.statuses else 200
        if status == 200:
            self.arrived.set()
        return web.Response(status=status)


@pytest.fixture
async def sink() -> AsyncIterator[CallbackSink]:
    receiver = CallbackSink()
    app = web.Application()
    app.router.add_post("/ims/cb", receiver.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    receiver.url = f"http://127.0.0.1:{runner.addresses[0][1]}/ims/cb"
    yield receiver
    await runner.cleanup()


async def signed_post(
    fake: FakeIms,
    action: str,
    query: dict[str, str],
    *,
    date: datetime | None = None,
    nonce: str | None = None,
) -> tuple[int, dict[str, Any]]:
    """One V3-signed call whose date and nonce the test chooses."""
    headers = v3_headers(
        method="POST",
        host=fake.endpoint,
        action=action,
        query=query,
        body=b"",
        content_type=None,
        access_key_id=DEFAULT_ACCESS_KEY_ID,
        access_key_secret=DEFAULT_ACCESS_KEY_SECRET,
        security_token=None,
        date=date or datetime.now(UTC),
        nonce=nonce or secrets.token_hex(16),
    )
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.url}/?{canonical_query(query)}", headers=headers) as resp,
    ):
        return resp.status, await resp.json()


async def test_31_calls_in_one_second_admit_30_and_count_the_throttle(fake: FakeIms, client: AliyunBackend) -> None:
    calls = [client.call("ListMediaProducingJobs", {}) for _ in range(31)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    throttled = [r for r in results if isinstance(r, ImsError) and r.code == "Throttling.User"]
    assert len(throttled) == 1
    stats = fake.stats()
    assert stats["calls_by_action"]["ListMediaProducingJobs"] == 31
    assert stats["throttles_by_action"]["ListMediaProducingJobs"] == 1
    assert stats["max_in_1s_by_action"]["ListMediaProducingJobs"] == 30


async def test_window_slides_so_a_call_one_second_after_the_first_is_admitted(
    fake: FakeIms, client: AliyunBackend
) -> None:
    await client.call("ListMediaProducingJobs", {})
    first = time.monotonic()
    await asyncio.sleep(0.5)
    await asyncio.gather(*(client.call("ListMediaProducingJobs", {}) for _ in range(29)))
    with pytest.raises(ImsError, match=r"Throttling\.User"):
        await client.call("ListMediaProducingJobs", {})
    await asyncio.sleep(max(0.0, first + 1.05 - time.monotonic()))
    await client.call("ListMediaProducingJobs", {})  # the first call has left the window
    with pytest.raises(ImsError, match=r"Throttling\.User"):
        await client.call("ListMediaProducingJobs", {})
    assert fake.stats()["max_in_1s_by_action"]["ListMediaProducingJobs"] == 30


async def test_limits_are_per_action(fake: FakeIms, client: AliyunBackend) -> None:
    await asyncio.gather(*(client.call("ListMediaProducingJobs", {}) for _ in range(30)))
    await client.call("ListBatchMediaProducingJobs", {})
    assert fake.stats()["throttles_by_action"] == {
        "ListMediaProducingJobs": 0,
        "ListBatchMediaProducingJobs": 0,
    }


async def test_reused_nonce_is_refused(fake: FakeIms) -> None:
    assert (await signed_post(fake, "ListMediaProducingJobs", {}, nonce="n-1"))[0] == 200
    status, body = await signed_post(fake, "ListMediaProducingJobs", {}, nonce="n-1")
    assert (status, body["Code"]) == (400, "SignatureNonceUsed")


@pytest.mark.parametrize("offset", [timedelta(minutes=-16), timedelta(minutes=16)])
async def test_date_beyond_15_minutes_is_refused_as_expired(fake: FakeIms, offset: timedelta) -> None:
    date = datetime.now(UTC) + offset
    status, body = await signed_post(fake, "ListMediaProducingJobs", {}, date=date)
    assert (status, body["Code"]) == (400, "InvalidTimeStamp.Expired")


async def test_unknown_access_key_is_refused(fake: FakeIms) -> None:
    fake.access_keys = {"someone-else": "secret"}
    status, body = await signed_post(fake, "ListMediaProducingJobs", {})
    assert (status, body["Code"]) == (404, "InvalidAccessKeyId.NotFound")
    assert fake.stats()["signature_failures"] == 1


async def test_tampered_query_is_a_signature_mismatch(fake: FakeIms) -> None:
    headers = v3_headers(
        method="POST",
        host=fake.endpoint,
        action="GetMediaProducingJob",
        query={"JobId": "a"},
        body=b"",
        content_type=None,
        access_key_id=DEFAULT_ACCESS_KEY_ID,
        access_key_secret=DEFAULT_ACCESS_KEY_SECRET,
        security_token=None,
        date=datetime.now(UTC),
        nonce=secrets.token_hex(16),
    )
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.url}/?JobId=b", headers=headers) as resp,
    ):
        assert (resp.status, (await resp.json())["Code"]) == (400, "SignatureDoesNotMatch")


async def test_unsigned_call_is_refused(fake: FakeIms) -> None:
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.url}/", headers={"x-acs-action": "GetMediaProducingJob"}) as resp,
    ):
        assert (resp.status, (await resp.json())["Code"]) == (400, "MissingAuthorization")


async def test_legacy_rpc_signed_call_is_accepted(fake: FakeIms) -> None:
    params = {
        "Action": "ListBatchMediaProducingJobs",
        "Version": "2020-11-09",
        "Format": "JSON",
        "AccessKeyId": DEFAULT_ACCESS_KEY_ID,
        "SignatureMethod": "HMAC-SHA1",
        "SignatureVersion": "1.0",
        "SignatureNonce": secrets.token_hex(16),
        "Timestamp": format_date(datetime.now(UTC)),
    }
    params["Signature"] = rpc_signature("POST", params, DEFAULT_ACCESS_KEY_SECRET)
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.url}/?{urlencode(params)}") as resp,
    ):
        assert resp.status == 200
        assert (await resp.json())["EditingBatchJobList"] == []


async def test_missing_required_param_is_refused(client: AliyunBackend) -> None:
    with pytest.raises(ImsError) as caught:
        await client.call("SubmitMediaProducingJob", {"Timeline": SINGLE_PARAMS["Timeline"]})
    assert caught.value.code == "MissingOutputMediaConfig"


async def test_json_param_that_does_not_parse_is_refused(client: AliyunBackend) -> None:
    with pytest.raises(ImsError) as caught:
        await client.call("SubmitMediaProducingJob", SINGLE_PARAMS | {"Timeline": "{not json"})
    assert caught.value.code == "InvalidParameter"
    assert "Timeline" in caught.value.message


async def test_batch_output_url_without_index_is_refused(client: AliyunBackend) -> None:
    params = {
        "InputConfig": compact_json({"MediaArray": ["m-1"]}),
        "OutputConfig": compact_json({"MediaURL": f"{OSS}/same.mp4", "Count": 2}),
    }
    with pytest.raises(ImsError, match="index"):
        await client.call("SubmitBatchMediaProducingJob", params)


async def test_timeline_organization_yields_one_project_per_output(
    client: AliyunBackend,
) -> None:
    reply = await client.call(
        "SubmitSceneTimelineOrganizationJob",
        {
            "JobType": "Smart_Mix_Timeline_Organize",
            "MediaSelectResult": compact_json({"textMatchMediaOutputList": []}),
            "InputConfig": compact_json({"MediaArray": ["m-1"]}),
            "OutputConfig": compact_json({"MediaURL": f"{OSS}/o_{{index}}.mp4", "Count": 2}),
        },
    )
    await asyncio.sleep(JOB_SECONDS)
    job = (await client.call("GetBatchMediaProducingJob", {"JobId": reply["JobId"]}))["EditingBatchJob"]
    assert job["Status"] == "Finished"
    assert job["JobType"] == "Smart_Mix_Timeline_Organize"
    assert [bool(s["ProjectId"]) and "MediaURL" not in s for s in job["SubJobList"]] == [True] * 2


async def test_scene_batch_editing_renders_one_output_per_project(
    client: AliyunBackend,
) -> None:
    reply = await client.call(
        "SubmitSceneBatchEditingJob",
        {
            "ProjectIds": "p-1,p-2,p-3",
            "OutputConfig": compact_json({"MediaURL": f"{OSS}/o_{{index}}.mp4"}),
        },
    )
    await asyncio.sleep(JOB_SECONDS)
    job = (await client.call("GetBatchMediaProducingJob", {"JobId": reply["JobId"]}))["EditingBatchJob"]
    assert job["JobType"] == "Scene_Batch_Editing"
    assert json.loads(job["ExtendInput"]) == ["p-1", "p-2", "p-3"]
    assert [(s["ProjectId"], s["MediaURL"]) for s in job["SubJobList"]] == [
        (f"p-{i}", f"{OSS}/o_{i}.mp4") for i in (1, 2, 3)
    ]


async def test_job_is_processing_before_it_succeeds(client: AliyunBackend) -> None:
    reply = await client.call("SubmitMediaProducingJob", SINGLE_PARAMS)
    first = await client.call("GetMediaProducingJob", {"JobId": reply["JobId"]})
    await asyncio.sleep(JOB_SECONDS)
    last = await client.call("GetMediaProducingJob", {"JobId": reply["JobId"]})
    assert first["MediaProducingJob"]["Status"] in {"Init", "Processing"}
    assert last["MediaProducingJob"]["Status"] == "Success"
    assert last["MediaProducingJob"]["CompleteTime"].endswith("Z")


async def test_callback_signature_verifies_with_the_signing_module(client: AliyunBackend, sink: CallbackSink) -> None:
    user_data = compact_json({"NotifyAddress": sink.url, "biz": "42"})
    reply = await client.call("SubmitMediaProducingJob", SINGLE_PARAMS | {"UserData": user_data})
    await asyncio.wait_for(sink.arrived.wait(), 5)
    headers, envelope = sink.received[0]
    assert verify_callback_signature(
        sink.url,
        headers["X-ICE-TIMESTAMP"],
        headers["X-ICE-SIGNATURE"],
        [CALLBACK_KEY],
        time.time(),
        300,
    )
    assert envelope["EventType"] == "ProduceMediaComplete"
    assert envelope["MessageBody"]["JobId"] == reply["JobId"]
    assert envelope["MessageBody"]["Status"] == "Success"
    assert envelope["MessageBody"]["UserData"] == user_data
    assert isinstance(envelope["UserId"], int)


async def test_batch_job_sends_batch_produce_media_complete(client: AliyunBackend, sink: CallbackSink) -> None:
    await client.call(
        "SubmitBatchMediaProducingJob",
        {
            "InputConfig": compact_json({"MediaArray": ["m-1"]}),
            "OutputConfig": compact_json({"MediaURL": f"{OSS}/o_{{index}}.mp4"}),
            "UserData": compact_json({"NotifyAddress": sink.url}),
        },
    )
    await asyncio.wait_for(sink.arrived.wait(), 5)
    envelope = sink.received[0][1]
    assert envelope["EventType"] == "BatchProduceMediaComplete"
    assert envelope["MessageBody"]["Status"] == "Finished"


async def test_callback_is_retried_after_a_non_200(fake: FakeIms, client: AliyunBackend, sink: CallbackSink) -> None:
    sink.statuses = [500, 503]
    user_data = compact_json({"NotifyAddress": sink.url})
    await client.call("SubmitMediaProducingJob", SINGLE_PARAMS | {"UserData": user_data})
    await asyncio.wait_for(sink.arrived.wait(), 5)
    assert len(sink.received) == 3
    assert fake.stats()["callbacks"] == {"delivered": 1, "failed": 0, "lost": 0}


async def test_lost_callback_fault_sends_nothing(fake: FakeIms, client: AliyunBackend, sink: CallbackSink) -> None:
    fake.faults.update({"lost_callback": 1.0})
    user_data = compact_json({"NotifyAddress": sink.url})
    await client.call("SubmitMediaProducingJob", SINGLE_PARAMS | {"UserData": user_data})
    await asyncio.sleep(JOB_SECONDS + 0.3)
    assert sink.received == []
    assert fake.stats()["callbacks"]["lost"] == 1


async def test_admin_stats_report_calls_jobs_and_request_ids(fake: FakeIms, client: AliyunBackend) -> None:
    user_data = compact_json({REQUEST_ID_KEY: "req-1"})
    params = SINGLE_PARAMS | {"UserData": user_data, "ClientToken": "tok-1"}
    reply = await client.call("SubmitMediaProducingJob", params)
    await client.call("SubmitMediaProducingJob", params)
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"{fake.url}/_admin/stats") as resp,
    ):
        stats = await resp.json()
    assert stats["calls_by_action"] == {"SubmitMediaProducingJob": 2}
    assert stats["jobs"] == 1
    assert stats["jobs_by_request_id"] == {"req-1": [reply["JobId"]]}
    assert stats["jobs_by_token"] == {"tok-1": reply["JobId"]}
    assert stats["signature_failures"] == 0


async def test_admin_faults_change_the_fault_probabilities(fake: FakeIms) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{fake.url}/_admin/faults", json={"error_5xx": 0.25}) as resp:
            assert resp.status == 200
        async with session.post(f"{fake.url}/_admin/faults", json={"error_5xx": 2}) as resp:
            assert resp.status == 400
        async with session.post(f"{fake.url}/_admin/faults", json={"nonsense": 1}) as resp:
            assert resp.status == 400
    assert fake.faults.error_5xx == 0.25


async def test_faults_limited_to_an_action_spare_the_others(fake: FakeIms, client: AliyunBackend) -> None:
    fake.faults.update({"error_5xx": 1.0, "actions": ["SubmitMediaProducingJob"]})
    await client.call("ListMediaProducingJobs", {})
    with pytest.raises(ImsError):
        await client.call("SubmitMediaProducingJob", SINGLE_PARAMS)
    assert fake.stats()["faults_injected"]["error_5xx"] == 1


async def test_admin_reset_forgets_jobs_and_counters(fake: FakeIms, client: AliyunBackend) -> None:
    await client.call("SubmitMediaProducingJob", SINGLE_PARAMS)
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.url}/_admin/reset") as resp,
    ):
        assert resp.status == 200
    stats = fake.stats()
    assert (stats["jobs"], stats["calls_by_action"]) == (0, {})


async def test_held_responses_do_not_delay_stop() -> None:
    server = FakeIms()
    await server.start()
    server.faults.update({"timeout_before": 1.0, "hold_s": 60})
    backend = AliyunBackend(
        server.endpoint,
        Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET),
        region="cn-shanghai",
        scheme="http",
        timeout_s=5,
    )
    call = asyncio.create_task(backend.call("ListMediaProducingJobs", {}))
    await asyncio.sleep(0.2)
    started = time.monotonic()
    await server.stop()
    assert time.monotonic() - started < 2
    with pytest.raises(ImsError, match="ConnectionError"):
        await call
    await backend.close()


def test_standalone_process_prints_ready_and_stops_on_sigterm() -> None:
    env = os.environ | {"PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "tests.fakeims", "--port", "0"]
    with subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            word, port = process.stdout.readline().split()
            assert word == "READY"
            url = f"http://127.0.0.1:{port}/_admin/stats"
            with urllib.request.urlopen(url, timeout=5) as resp:
                assert json.load(resp)["jobs"] == 0
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0
        finally:
            if process.poll() is None:
                process.kill()
