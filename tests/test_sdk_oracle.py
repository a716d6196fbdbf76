"""The official Python SDK (`alibabacloud-ice20201109`) as the oracle of what goes on the wire.

Each call the `aliyun` backend makes is compared with the call the SDK makes for the same
parameters, both received by the same strict fake: the same parameters in the same places (query
or form body), the same body bytes, the same content type, action and version. The SDK's own
request models also say which submits take a ClientToken.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from typing import Any

import pytest
from alibabacloud_ice20201109 import models as sdk_models
from alibabacloud_ice20201109.client import Client
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from alibabacloud_tea_openapi.models import Config
from imsd.api.wire import Api, to_wire
from imsd.backends.aliyun import AliyunBackend
from imsd.errors import ImsError

from tests.fakeims import DEFAULT_ACCESS_KEY_ID, DEFAULT_ACCESS_KEY_SECRET, FakeIms, Received
from tests.test_aliyun_backend import OSS, batch_params, make_backend, single_params

SCENE_INPUT = {"MediaGroupArray": [{"GroupName": "g", "MediaArray": [f"{OSS}/in/a.mp4"]}], "TitleArray": ["t"]}
SCENE_OUTPUT = {"MediaURL": f"{OSS}/out/s_{{index}}.mp4", "Count": 1, "Width": 720, "Height": 1280}
PARAMS: dict[Api, dict[str, Any]] = {
    Api.SUBMIT_MEDIA_PRODUCING_JOB: single_params(k="v"),
    Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB: batch_params(count=2, k="v"),
    Api.SUBMIT_SCENE_MEDIA_SELECTION_JOB: {
        "JobType": "Smart_Mix_Media_Select", "InputConfig": SCENE_INPUT, "OutputConfig": SCENE_OUTPUT,
        "EditingConfig": {"MediaConfig": {"Volume": 0}}, "UserData": {"k": "v"},
    },
    Api.SUBMIT_SCENE_TIMELINE_ORGANIZATION_JOB: {
        "JobType": "Smart_Mix_Timeline_Organize", "InputConfig": SCENE_INPUT, "OutputConfig": SCENE_OUTPUT,
        "MediaSelectResult": {"textMatchMediaOutputList": []}, "UserData": {"k": "v"},
    },
    Api.SUBMIT_SCENE_BATCH_EDITING_JOB: {"ProjectIds": "p1,p2", "OutputConfig": SCENE_OUTPUT, "UserData": {"k": "v"}},
}  # fmt: skip
#: Headers whose value is fixed by the call's content, not by its time, nonce or client.
CONTENT_HEADERS = ("content-type", "x-acs-action", "x-acs-version", "x-acs-content-sha256")


@pytest.fixture
async def fake() -> AsyncIterator[FakeIms]:
    async with FakeIms(job_seconds=0.3) as server:
        yield server


@pytest.fixture
async def backend(fake: FakeIms) -> AsyncIterator[AliyunBackend]:
    client = make_backend(fake)
    yield client
    await client.close()


def sdk_client(fake: FakeIms) -> Client:
    config = Config(
        access_key_id=DEFAULT_ACCESS_KEY_ID,
        access_key_secret=DEFAULT_ACCESS_KEY_SECRET,
        endpoint=fake.endpoint,
        protocol="HTTP",
        region_id="cn-shanghai",
    )
    return Client(config)


async def sdk_call(fake: FakeIms, action: str, wire: dict[str, str]) -> Any:
    """`action` through the SDK's own request model and client method, as an integrator calls it."""
    request = getattr(sdk_models, f"{action}Request")().from_map(wire)
    method = getattr(sdk_client(fake), re.sub(r"(?<!^)(?=[A-Z])", "_", action).lower())
    return (await asyncio.to_thread(method, request)).body


def as_sent(call: Received) -> tuple[dict[str, str], dict[str, str], dict[str, str | None]]:
    return call.query, call.form, {name: call.headers.get(name) for name in CONTENT_HEADERS}


@pytest.mark.parametrize("api", list(Api), ids=[api.value for api in Api])
def test_the_submits_that_take_a_client_token_are_those_the_sdk_declares(api: Api) -> None:
    request = getattr(sdk_models, f"{api.value}Request")()
    assert api.takes_client_token is hasattr(request, "client_token")


@pytest.mark.parametrize("api", list(Api), ids=[api.value for api in Api])
async def test_each_submit_goes_on_the_wire_as_the_sdk_sends_it(
    fake: FakeIms, backend: AliyunBackend, api: Api
) -> None:
    token = "tok-oracle" if api.takes_client_token else None
    wire = to_wire(PARAMS[api]) | ({"ClientToken": token} if token else {})
    await sdk_call(fake, api.value, wire)
    await backend.submit(api, PARAMS[api], token)
    by_sdk, by_backend = fake.received[-2], fake.received[-1]
    assert by_backend.action == by_sdk.action == api.value
    assert as_sent(by_backend) == as_sent(by_sdk)


@pytest.mark.parametrize("api", [Api.SUBMIT_MEDIA_PRODUCING_JOB, Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB])
async def test_a_job_read_goes_on_the_wire_as_the_sdk_sends_it(
    fake: FakeIms, backend: AliyunBackend, api: Api
) -> None:
    job_id = (await backend.submit(api, PARAMS[api], "tok-read")).job_id
    await sdk_call(fake, api.get_action, {"JobId": job_id})
    await backend.get_job(api, job_id)
    assert as_sent(fake.received[-1]) == as_sent(fake.received[-2])


async def test_a_job_the_backend_submitted_reads_the_same_through_the_sdk(
    fake: FakeIms, backend: AliyunBackend
) -> None:
    api = Api.SUBMIT_MEDIA_PRODUCING_JOB
    job_id = (await backend.submit(api, PARAMS[api], "tok-same")).job_id
    body = await sdk_call(fake, api.get_action, {"JobId": job_id})
    assert body.media_producing_job.job_id == job_id
    assert (await backend.get_job(api, job_id)).job_id == job_id


@pytest.mark.parametrize(("header_ms", "wait_s"), [(1500, 1.5), (0, 0.0), (None, 0.0)])
async def test_the_wait_an_error_asks_for_is_read_as_the_sdk_reads_it(
    fake: FakeIms, backend: AliyunBackend, header_ms: int | None, wait_s: float
) -> None:
    api = Api.SUBMIT_MEDIA_PRODUCING_JOB
    fake.refuse(api.get_action, ImsError("Throttling.User", "Request was denied.", 400, (header_ms or 0) / 1000))
    with pytest.raises(ImsError) as ours:
        await backend.get_job(api, "job-1")
    with pytest.raises(AlibabaCloudException) as sdks:
        await sdk_call(fake, api.get_action, {"JobId": "job-1"})
    assert ours.value.retry_after_s == wait_s
    assert (getattr(sdks.value, "retry_after", None) or 0) / 1000 == wait_s


async def test_the_sdk_sends_no_client_token_with_a_scene_submit_and_neither_does_the_backend(
    fake: FakeIms, backend: AliyunBackend
) -> None:
    api = Api.SUBMIT_SCENE_BATCH_EDITING_JOB
    await sdk_call(fake, api.value, to_wire(PARAMS[api] | {"ClientToken": "ignored-by-the-model"}))
    await backend.submit(api, PARAMS[api] | {"ClientToken": "a-stray-token"}, None)
    assert [("ClientToken" in call.query) for call in fake.received] == [False, False]
