"""The `aliyun` backend against the strict fake IMS, in-process on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from imsd.api.jobs import JobState, job_snapshot
from imsd.api.wire import REQUEST_ID_KEY, Api
from imsd.backends import aliyun
from imsd.backends.aliyun import AliyunBackend, Credentials
from imsd.errors import Disposition, ImsError
from imsd.records import Record, State
from imsd.results import result_document

from tests.fakeims import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, FakeIms

JOB_SECONDS = 0.3
SINGLE = Api.SUBMIT_MEDIA_PRODUCING_JOB
BATCH = Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB
OSS = "https://bucket.oss-cn-shanghai.aliyuncs.com"


def single_params(**user_data: Any) -> dict[str, Any]:
    return {
        "Timeline": {"VideoTracks": [{"VideoTrackClips": [{"MediaURL": f"{OSS}/in/a.mp4"}]}]},
        "OutputMediaConfig": {"MediaURL": f"{OSS}/out/a.mp4", "Width": 1280, "Height": 720},
        "UserData": user_data,
    }


def batch_params(count: int = 3, **user_data: Any) -> dict[str, Any]:
    return {
        "InputConfig": {"MediaArray": [f"{OSS}/in/a.mp4"], "SpeechTextArray": ["hello"]},
        "OutputConfig": {"MediaURL": f"{OSS}/out/b_{{index}}.mp4", "Count": count},
        "UserData": user_data,
    }


@pytest.fixture
async def fake() -> AsyncIterator[FakeIms]:
    async with FakeIms(job_seconds=JOB_SECONDS) as server:
        yield server


def make_backend(fake: FakeIms, secret: str = DEFAULT_ACCESS_KEY_SECRET) -> AliyunBackend:
    credentials = Credentials(DEFAULT_ACCESS_KEY_ID, secret, "sts-token-value")
    return AliyunBackend(fake.endpoint, credentials, region="cn-shanghai", scheme="http", timeout_s=0.5)


@pytest.fixture
async def backend(fake: FakeIms) -> AsyncIterator[AliyunBackend]:
    client = make_backend(fake)
    yield client
    await client.close()


async def until_terminal(backend: AliyunBackend, api: Api, job_id: str) -> Any:
    deadline = time.monotonic() + 10 * JOB_SECONDS + 2
    while True:
        snapshot = await backend.get_job(api, job_id)
        if snapshot.state.terminal or time.monotonic() > deadline:
            return snapshot
        await asyncio.sleep(JOB_SECONDS / 3)


async def test_submit_returns_the_new_job_id(fake: FakeIms, backend: AliyunBackend) -> None:
    submission = await backend.submit(SINGLE, single_params(), "tok-1")
    assert submission.job_id
    assert submission.project_id and submission.media_id
    assert fake.stats()["jobs_by_token"] == {"tok-1": submission.job_id}


async def test_same_token_and_params_twice_yield_one_job(fake: FakeIms, backend: AliyunBackend) -> None:
    first = await backend.submit(SINGLE, single_params(), "tok-1")
    second = await backend.submit(SINGLE, single_params(), "tok-1")
    assert second.job_id == first.job_id
    assert fake.stats()["jobs"] == 1


async def test_same_token_with_other_params_is_a_terminal_mismatch(
    backend: AliyunBackend,
) -> None:
    await backend.submit(SINGLE, single_params(), "tok-1")
    with pytest.raises(ImsError) as caught:
        await backend.submit(SINGLE, single_params(biz="changed"), "tok-1")
    assert caught.value.code == "IdempotentParameterMismatch"
    assert caught.value.disposition is Disposition.TERMINAL


async def test_single_job_reaches_succeeded(backend: AliyunBackend) -> None:
    submission = await backend.submit(SINGLE, single_params(), "tok-1")
    snapshot = await until_terminal(backend, SINGLE, submission.job_id)
    assert snapshot.state is JobState.SUCCEEDED
    assert snapshot.outputs[0].media_url == f"{OSS}/out/a.mp4"


async def test_single_job_fail_marker_reaches_failed_with_its_code(
    backend: AliyunBackend,
) -> None:
    submission = await backend.submit(SINGLE, single_params(FakeFail="ProduceFailed"), "tok-1")
    snapshot = await until_terminal(backend, SINGLE, submission.job_id)
    assert snapshot.state is JobState.FAILED
    assert snapshot.error_code == "ProduceFailed"


async def test_batch_job_reaches_succeeded_with_every_output(backend: AliyunBackend) -> None:
    submission = await backend.submit(BATCH, batch_params(count=3), "tok-1")
    snapshot = await until_terminal(backend, BATCH, submission.job_id)
    assert snapshot.state is JobState.SUCCEEDED
    assert [o.media_url for o in snapshot.outputs] == [f"{OSS}/out/b_{i}.mp4" for i in (1, 2, 3)]


async def test_batch_job_with_one_failed_output_is_partial(backend: AliyunBackend) -> None:
    params = batch_params(count=3, FakeFail="InvalidMaterial.NotFound", FakeFailCount=1)
    submission = await backend.submit(BATCH, params, "tok-1")
    snapshot = await until_terminal(backend, BATCH, submission.job_id)
    assert snapshot.state is JobState.PARTIAL
    assert [o.status for o in snapshot.outputs] == ["Failed", "Success", "Success"]


async def test_batch_job_with_every_output_failed_is_failed(backend: AliyunBackend) -> None:
    params = batch_params(count=2, FakeFail="InvalidMaterial.NotFound")
    submission = await backend.submit(BATCH, params, "tok-1")
    snapshot = await until_terminal(backend, BATCH, submission.job_id)
    assert snapshot.state is JobState.FAILED
    assert snapshot.error_code == "InvalidMaterial.NotFound"


async def test_scene_media_selection_result_arrives_as_extend_output(
    backend: AliyunBackend,
) -> None:
    api = Api.SUBMIT_SCENE_MEDIA_SELECTION_JOB
    params = batch_params(count=2) | {"JobType": "Smart_Mix_Media_Select"}
    submission = await backend.submit(api, params, "tok-1")
    snapshot = await until_terminal(backend, api, submission.job_id)
    assert snapshot.state is JobState.SUCCEEDED
    variants = snapshot.extend_output["textMatchMediaOutputList"]
    assert len(variants) == 2
    assert variants[0]["textMatchMediaSentenceOutputList"][0]["text"] == "hello"


async def test_find_job_pages_until_it_finds_the_request_id(
    fake: FakeIms, backend: AliyunBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(aliyun, "_LIST_PAGE_SIZE", 2)
    since = time.time()
    wanted = await backend.submit(SINGLE, single_params(**{REQUEST_ID_KEY: "req-a"}), "tok-a")
    for n in range(4):  # newer jobs come first, so the wanted one is on the third page
        await backend.submit(SINGLE, single_params(**{REQUEST_ID_KEY: f"other-{n}"}), f"tok-{n}")
    paced: list[str] = []

    @contextlib.asynccontextmanager
    async def pace(action: str) -> AsyncIterator[None]:
        paced.append(action)
        yield

    assert await backend.find_job(SINGLE, "req-a", since, pace) == wanted.job_id
    assert fake.stats()["calls_by_action"]["ListMediaProducingJobs"] == 3
    assert paced == ["ListMediaProducingJobs"] * 3  # every page made inside its slot


async def test_find_job_finds_a_batch_job_by_request_id(backend: AliyunBackend) -> None:
    since = time.time()
    wanted = await backend.submit(BATCH, batch_params(**{REQUEST_ID_KEY: "req-b"}), "tok-b")
    assert await backend.find_job(BATCH, "req-b", since) == wanted.job_id


async def test_find_job_finds_only_the_job_of_the_api_it_looks_for(backend: AliyunBackend) -> None:
    """A scene pipeline's stages are batch jobs of one request id: the JobType tells them apart."""
    since = time.time()
    scene = {
        "JobType": "Smart_Mix_Media_Select",
        "InputConfig": {"MediaArray": [f"{OSS}/in/a.mp4"], "SpeechTextArray": ["hello"]},
        "OutputConfig": {"MediaURL": f"{OSS}/out/s_{{index}}.mp4", "Count": 1},
        "UserData": {REQUEST_ID_KEY: "req-s"},
    }
    selection = await backend.submit(Api.SUBMIT_SCENE_MEDIA_SELECTION_JOB, scene, None)
    assert await backend.find_job(Api.SUBMIT_SCENE_MEDIA_SELECTION_JOB, "req-s", since) == selection.job_id
    assert await backend.find_job(Api.SUBMIT_SCENE_TIMELINE_ORGANIZATION_JOB, "req-s", since) is None
    assert await backend.find_job(BATCH, "req-s", since) is None


async def test_find_job_without_a_match_returns_none(backend: AliyunBackend) -> None:
    await backend.submit(SINGLE, single_params(**{REQUEST_ID_KEY: "req-a"}), "tok-a")
    assert await backend.find_job(SINGLE, "req-missing", time.time()) is None


async def test_find_job_skips_list_items_without_a_job_id(
    backend: AliyunBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_data = json.dumps({REQUEST_ID_KEY: "req-a"})
    page = {
        "MediaProducingJobList": ["not an item", {"UserData": user_data}, {"JobId": "job-a", "UserData": user_data}]
    }

    async def listed(action: str, wire: Any) -> dict[str, Any]:
        return page

    monkeypatch.setattr(backend, "call", listed)
    assert await backend.find_job(SINGLE, "req-a", time.time()) == "job-a"


async def test_find_job_passes_on_a_list_refusal(fake: FakeIms, backend: AliyunBackend) -> None:
    fake.refuse("ListMediaProducingJobs", ImsError("Forbidden.RAM", "User not authorized to operate", 403))
    with pytest.raises(ImsError) as caught:
        await backend.find_job(SINGLE, "req-a", time.time())
    assert caught.value.code == "Forbidden.RAM" and caught.value.disposition is Disposition.TERMINAL


def test_a_batch_jobs_notes_reach_its_result_only_when_it_has_some() -> None:
    job = {
        "JobId": "b-1",
        "Status": "Finished",
        "SubJobList": [{"JobId": "s-1", "Status": "Success", "MediaURL": f"{OSS}/out/b_1.mp4"}],
        "Extend": json.dumps({"Notes": ["Count: 3 asked, media give 1"]}),
    }
    record = Record("r-1", BATCH.value, State.SUBMITTED, {}, "tok", "b-1", 0.0, 0.0, 1, 0, 1, 0, None)

    def result(body: dict[str, Any]) -> dict[str, Any]:
        snapshot = job_snapshot(BATCH, {"EditingBatchJob": body})
        return result_document(record, backend="aliyun", state=State.SUCCEEDED, snapshot=snapshot, finished_at=1.0)

    assert result(job)["notes"] == ["Count: 3 asked, media give 1"]
    assert "notes" not in result({**job, "Extend": "{}"})


async def test_wrong_secret_is_refused_as_signature_mismatch(fake: FakeIms) -> None:
    client = make_backend(fake, secret="not-the-secret")
    try:
        with pytest.raises(ImsError) as caught:
            await client.submit(SINGLE, single_params(), "tok-1")
    finally:
        await client.close()
    assert caught.value.code == "SignatureDoesNotMatch"
    assert caught.value.disposition is Disposition.TERMINAL
    assert fake.stats()["jobs"] == 0


async def test_31st_call_within_one_second_is_throttled(backend: AliyunBackend) -> None:
    calls = [backend.submit(SINGLE, single_params(), f"tok-{n}") for n in range(31)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1
    assert isinstance(errors[0], ImsError)
    assert errors[0].code == "Throttling.User"
    assert errors[0].disposition is Disposition.THROTTLED


async def test_response_held_past_the_timeout_is_a_retryable_timeout(fake: FakeIms, backend: AliyunBackend) -> None:
    fake.faults.update({"timeout_before": 1.0})
    with pytest.raises(ImsError) as caught:
        await backend.submit(SINGLE, single_params(), "tok-1")
    assert caught.value.code == "Timeout"
    assert caught.value.disposition is Disposition.RETRYABLE
    assert fake.stats()["jobs"] == 0


async def test_retry_after_a_timeout_that_created_the_job_returns_that_job(
    fake: FakeIms, backend: AliyunBackend
) -> None:
    fake.faults.update({"timeout_after": 1.0})
    with pytest.raises(ImsError, match="Timeout"):
        await backend.submit(SINGLE, single_params(), "tok-1")
    fake.faults.update({"timeout_after": 0.0})
    retried = await backend.submit(SINGLE, single_params(), "tok-1")
    assert fake.stats()["jobs_by_token"] == {"tok-1": retried.job_id}
    assert fake.stats()["jobs"] == 1


async def test_connection_reset_is_retryable(fake: FakeIms, backend: AliyunBackend) -> None:
    fake.faults.update({"reset": 1.0})
    with pytest.raises(ImsError) as caught:
        await backend.submit(SINGLE, single_params(), "tok-1")
    assert caught.value.code == "ConnectionError"
    assert caught.value.disposition is Disposition.RETRYABLE


async def test_server_error_is_retryable(fake: FakeIms, backend: AliyunBackend) -> None:
    fake.faults.update({"error_5xx": 1.0})
    with pytest.raises(ImsError) as caught:
        await backend.submit(SINGLE, single_params(), "tok-1")
    assert caught.value.code in {"InternalError", "ServiceUnavailable"}
    assert caught.value.disposition is Disposition.RETRYABLE


async def test_unreachable_endpoint_is_a_retryable_connection_error() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = AliyunBackend(f"127.0.0.1:{port}", Credentials("id", "secret"), region="cn-shanghai", scheme="http")
    try:
        with pytest.raises(ImsError) as caught:
            await client.get_job(SINGLE, "job-1")
    finally:
        await client.close()
    assert caught.value.code == "ConnectionError"
    assert caught.value.disposition is Disposition.RETRYABLE


async def test_params_travel_where_the_sdk_puts_them(fake: FakeIms, backend: AliyunBackend) -> None:
    await backend.submit(SINGLE, single_params(), "tok-1")
    received = fake.received[-1]
    assert set(received.form) == {"Timeline"}
    assert json.loads(received.form["Timeline"]) == single_params()["Timeline"]
    assert {"OutputMediaConfig", "UserData", "ClientToken"} <= set(received.query)
    assert received.query["OutputMediaConfig"] == (
        '{"MediaURL":"https://bucket.oss-cn-shanghai.aliyuncs.com/out/a.mp4","Width":1280,"Height":720}'
    )


async def test_non_ascii_and_reserved_characters_survive_signing(fake: FakeIms, backend: AliyunBackend) -> None:
    params = single_params(title="标题 a+b*c~/&=%")
    params["Timeline"]["VideoTracks"][0]["VideoTrackClips"][0]["MediaURL"] = f"{OSS}/in/a b+c.mp4"
    await backend.submit(SINGLE, params, "tok-1")
    received = fake.received[-1]
    assert json.loads(received.query["UserData"]) == {"title": "标题 a+b*c~/&=%"}
    assert f"{OSS}/in/a b+c.mp4" in received.form["Timeline"]


def test_credentials_repr_hides_secret_and_token() -> None:
    credentials = Credentials("AKID-visible", "SECRET-hidden", "TOKEN-hidden")
    text = repr(credentials) + str(credentials)
    assert "AKID-visible" in text
    assert "SECRET-hidden" not in text
    assert "TOKEN-hidden" not in text


async def test_secret_never_appears_in_errors(fake: FakeIms) -> None:
    secret = "SECRET-must-not-leak-42"
    client = make_backend(fake, secret=secret)
    errors: list[ImsError] = []
    try:
        for fault in ({}, {"reset": 1.0}, {"timeout_before": 1.0}, {"error_5xx": 1.0}):
            fake.faults.update({"reset": 0.0, "timeout_before": 0.0, "error_5xx": 0.0} | fault)
            with pytest.raises(ImsError) as caught:
                await client.submit(SINGLE, single_params(), "tok-1")
            errors.append(caught.value)
    finally:
        await client.close()
    assert len(errors) == 4
    for error in errors:
        text = f"{error!s} {error!r} {error.message} {error.args} {error.__cause__!r}"
        assert secret not in text
        assert "sts-token-value" not in text
    assert secret not in repr(client)


async def test_close_leaves_a_shared_session_open(fake: FakeIms) -> None:
    async with aiohttp.ClientSession() as session:
        client = AliyunBackend(
            fake.endpoint,
            Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET),
            region="cn-shanghai",
            scheme="http",
            session=session,
        )
        await client.submit(SINGLE, single_params(), "tok-1")
        await client.close()
        assert not session.closed


def test_credentials_come_from_the_environment_first(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "env-id")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "env-secret")
    monkeypatch.setenv("ALIBABA_CLOUD_SECURITY_TOKEN", "env-token")
    path = tmp_path / "credentials.json"
    path.write_text(json.dumps({"access_key_id": "file-id", "access_key_secret": "file-secret"}))
    assert Credentials.from_env_or_file(str(path)) == Credentials("env-id", "env-secret", "env-token")


@pytest.mark.parametrize(
    "content",
    [
        '{"access_key_id": "file-id", "access_key_secret": "file-secret"}',
        '{"current": "prod", "profiles": ['
        '{"name": "dev", "access_key_id": "x", "access_key_secret": "y"},'
        '{"name": "prod", "mode": "AK", "access_key_id": "file-id",'
        ' "access_key_secret": "file-secret"}]}',
        "[default]\ntype = access_key\naccess_key_id = file-id\naccess_key_secret = file-secret\n",
    ],
    ids=["flat-json", "cli-config-json", "credentials-ini"],
)
def test_credentials_come_from_a_json_or_ini_file(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, content: str
) -> None:
    for name in ("ID", "SECRET"):
        monkeypatch.delenv(f"ALIBABA_CLOUD_ACCESS_KEY_{name}", raising=False)
    path = tmp_path / "credentials"
    path.write_text(content)
    assert Credentials.from_env_or_file(str(path)) == Credentials("file-id", "file-secret")


def test_incomplete_credentials_file_is_refused_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("ID", "SECRET"):
        monkeypatch.delenv(f"ALIBABA_CLOUD_ACCESS_KEY_{name}", raising=False)
    path = tmp_path / "credentials.json"
    path.write_text('{"access_key_secret": "half-a-secret"}')
    with pytest.raises(ValueError) as caught:
        Credentials.from_env_or_file(str(path))
    assert "half-a-secret" not in str(caught.value)


@pytest.mark.parametrize(
    ("status", "code"),
    [(503, "ServiceUnavailable"), (502, "InternalError"), (500, "InternalError")],
)
async def test_non_json_server_error_is_retryable_by_its_status(status: int, code: str) -> None:
    async def gateway_page(request: web.Request) -> web.Response:
        return web.Response(status=status, text="<html>gateway error</html>")

    app = web.Application()
    app.router.add_post("/", gateway_page)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    client = AliyunBackend(
        f"127.0.0.1:{runner.addresses[0][1]}",
        Credentials("id", "secret"),
        region="cn-shanghai",
        scheme="http",
    )
    try:
        with pytest.raises(ImsError) as caught:
            await client.get_job(SINGLE, "job-1")
    finally:
        await client.close()
        await runner.cleanup()
    assert (caught.value.code, caught.value.http_status) == (code, status)
    assert caught.value.disposition is Disposition.RETRYABLE


@pytest.fixture
async def recorder() -> AsyncIterator[tuple[str, list[Any]]]:
    """An endpoint that records each request's headers and answers an empty job."""
    seen: list[Any] = []

    async def record(request: web.Request) -> web.Response:
        seen.append(request.headers.copy())
        return web.json_response({"RequestId": "r-1", "MediaProducingJob": {"JobId": "j1", "Status": "Processing"}})

    app = web.Application()
    app.router.add_post("/", record)
    runner = web.AppRunner(app)
    await runner.setup()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    site = web.TCPSite(runner, "127.0.0.1", port)
    await site.start()
    yield f"127.0.0.1:{port}", seen
    await runner.cleanup()


@pytest.mark.parametrize(
    ("action", "params"), [("GetMediaProducingJob", {"JobId": "j1"}), (SINGLE.value, {"Timeline": "{}"})]
)
async def test_every_header_sent_that_the_signature_can_cover_is_signed(
    recorder: tuple[str, list[Any]], action: str, params: dict[str, str]
) -> None:
    """The service checks the headers a request names in SignedHeaders; one added unsigned by the
    HTTP client (aiohttp's Content-Type on an empty POST) may make a gateway refuse the request."""
    endpoint, seen = recorder
    credentials = Credentials(DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET)
    client = AliyunBackend(endpoint, credentials, region="cn-shanghai", scheme="http")
    try:
        await client.call(action, params)
    finally:
        await client.close()
    (headers,) = seen
    signed = headers["Authorization"].split("SignedHeaders=")[1].split(",")[0].split(";")
    # Transport headers, and Accept, which the SDK sends unsigned too (its signer covers host,
    # content-type and x-acs-* only).
    transport = {"host", "content-length", "accept-encoding", "user-agent", "connection", "authorization", "accept"}
    unsigned = {name.lower() for name in headers} - set(signed) - transport
    assert unsigned == set(), unsigned
    assert headers["Accept"] == "application/json"


@pytest.mark.parametrize(
    "body",
    [
        b'{"Code": "InvalidParameter", "Message": "Timeline: bad", "RequestId": "RQ-1"}',
        b'{"code": "InvalidParameter", "message": "Timeline: bad", "requestId": "RQ-1"}',
        b"<?xml version='1.0' encoding='UTF-8'?><Error><RequestId>RQ-1</RequestId>"
        b"<Code>InvalidParameter</Code><Message>Timeline: bad</Message></Error>",
    ],
    ids=["json", "json-lower-case", "xml"],
)
def test_an_error_body_is_read_as_the_sdk_reads_it_keeping_the_request_id(body: bytes) -> None:
    """Read as the SDK reads them, none of these is an UnknownError retried for nothing."""
    with pytest.raises(ImsError) as caught:
        aliyun._reply("SubmitMediaProducingJob", 400, body)
    assert (caught.value.code, caught.value.message) == ("InvalidParameter", "Timeline: bad (RequestId RQ-1)")
    assert caught.value.disposition is Disposition.TERMINAL


def test_a_body_that_names_no_error_keeps_the_status_s_meaning() -> None:
    with pytest.raises(ImsError) as caught:
        aliyun._reply("GetMediaProducingJob", 502, b"<html>bad gateway</html>")
    assert caught.value.code == "InternalError" and caught.value.disposition is Disposition.RETRYABLE
