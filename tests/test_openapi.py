"""The official Python SDK (`alibabacloud-ice20201109`) against the daemon's OpenAPI endpoint.

Integrators point `Config(endpoint="host:port", protocol="HTTP")` at imsd and run their IMS code
unchanged (issue 16): submit, poll Get* to Success, and find the output. Calls are checked as the
service checks them, and answered in its shapes (docs/ims-api.md §7: signatures §7.3/§7.4, error
codes and statuses §7.5, ClientToken semantics §7.6). The SDK runs in a thread (`asyncio.to_thread`),
as its sync client does in an integrator's program.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from alibabacloud_ice20201109 import models as ice
from alibabacloud_ice20201109.client import Client
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException
from alibabacloud_tea_openapi.models import Config
from imsd.daemon import Daemon
from imsd.openapi import submit_request_id
from imsd.settings import Settings
from redis.asyncio import Redis

from tests.conftest import free_port
from tests.helpers import results_for, running_daemon
from tests.test_daemon_local import OSS, local_settings, make_clip, probe_duration

ACCESS_KEY_ID = "imsd-test-key"
ACCESS_KEY_SECRET = "imsd-test-Secret-123"
CLIP = {"Timeline": {"VideoTracks": [{"VideoTrackClips": [{"MediaURL": f"{OSS}/in/red.mp4"}]}]}}


@pytest.fixture
async def daemon(tmp_path: Path, redis_url: str) -> AsyncIterator[Daemon]:
    make_clip(tmp_path / "storage" / "demo" / "in" / "red.mp4", "red")
    openapi = {"enabled": True, "port": free_port(), "access_keys": {ACCESS_KEY_ID: ACCESS_KEY_SECRET}}
    settings = Settings.model_validate(local_settings(redis_url, tmp_path).model_dump() | {"openapi": openapi})
    async with running_daemon(settings) as running:
        yield running


def sdk(daemon: Daemon, secret: str = ACCESS_KEY_SECRET, **options: Any) -> Client:
    config = Config(
        access_key_id=ACCESS_KEY_ID,
        access_key_secret=secret,
        endpoint=f"127.0.0.1:{daemon.openapi_port}",
        protocol="HTTP",
        region_id="cn-shanghai",
        **options,
    )
    return Client(config)


async def call(method: Callable[[Any], Any], request: Any) -> Any:
    return (await asyncio.to_thread(method, request)).body


async def refusal(method: Callable[[Any], Any], request: Any) -> AlibabaCloudException:
    with pytest.raises(AlibabaCloudException) as raised:
        await asyncio.to_thread(method, request)
    return raised.value


def timeline_request(name: str, token: str | None = None, **extra: Any) -> ice.SubmitMediaProducingJobRequest:
    output = {"MediaURL": f"{OSS}/out/{name}.mp4", "Width": 176, "Height": 144}
    return ice.SubmitMediaProducingJobRequest(
        timeline=json.dumps(CLIP["Timeline"]), output_media_config=json.dumps(output), client_token=token, **extra
    )


async def until(read: Callable[[], Any], done: Callable[[Any], bool], timeout_s: float = 120) -> Any:
    """Poll as an integrator does: Get* every half second until `done`."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = await read()
        if done(answer) or time.monotonic() > deadline:
            return answer
        await asyncio.sleep(0.5)


async def test_sdk_submits_a_timeline_polls_it_to_success_and_the_output_plays(
    daemon: Daemon, tmp_path: Path, redis: Redis
) -> None:
    client = sdk(daemon)
    submitted = await call(client.submit_media_producing_job, timeline_request("sdk-1", "tok-sdk-1"))
    assert submitted.job_id and submitted.media_id and submitted.project_id and submitted.request_id
    job = await until(
        lambda: call(client.get_media_producing_job, ice.GetMediaProducingJobRequest(job_id=submitted.job_id)),
        lambda answer: answer.media_producing_job.status in ("Success", "Failed"),
    )
    assert job.media_producing_job.status == "Success", job.to_map()
    assert job.media_producing_job.media_url == f"{OSS}/out/sdk-1.mp4" and job.media_producing_job.progress == 100
    assert abs(probe_duration(tmp_path / "storage" / "demo" / "out" / "sdk-1.mp4") - 1.0) < 0.1
    # The output is a media asset with its cover, as on the service (GetMediaInfo of its MediaId).
    media = await call(client.get_media_info, ice.GetMediaInfoRequest(media_id=submitted.media_id))
    assert media.media_info.media_basic_info.cover_url == f"{OSS}/out/sdk-1.mp4.cover.jpg"
    assert (tmp_path / "storage" / "demo" / "out" / "sdk-1.mp4.cover.jpg").is_file()
    # The daemon's own path: the request's result on the results stream, as for any producer's.
    request_id = submit_request_id(ACCESS_KEY_ID, "tok-sdk-1")
    result = (await results_for(redis, {request_id}, timeout_s=30))[request_id]
    assert result["status"] == "SUCCEEDED" and result["outputs"][0]["media_url"] == f"{OSS}/out/sdk-1.mp4"


async def test_the_same_client_token_answers_the_same_job(daemon: Daemon) -> None:
    client = sdk(daemon)
    first = await call(client.submit_media_producing_job, timeline_request("sdk-2", "tok-sdk-2"))
    again = await call(client.submit_media_producing_job, timeline_request("sdk-2", "tok-sdk-2"))
    assert again.job_id == first.job_id and again.request_id != first.request_id


async def test_a_submit_is_answered_when_it_is_announced_not_at_the_next_look(
    daemon: Daemon, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The endpoint looks at a waiting submit when the intake acknowledges its entry and when its
    job is bound (imsd/updates.py); with no look on a timer, a new token, the same token again (a
    duplicate entry) and the same token with other params (a refusal) are all answered."""
    monkeypatch.setattr("imsd.openapi.FALLBACK_S", 3600.0)
    client = sdk(daemon, read_timeout=20_000)
    first = await call(client.submit_media_producing_job, timeline_request("sdk-w", "tok-sdk-w"))
    again = await call(client.submit_media_producing_job, timeline_request("sdk-w", "tok-sdk-w"))
    error = await refusal(client.submit_media_producing_job, timeline_request("sdk-w-other", "tok-sdk-w"))
    assert again.job_id == first.job_id and error.code == "IdempotentParameterMismatch"


async def test_the_same_client_token_with_other_params_is_an_idempotent_parameter_mismatch(daemon: Daemon) -> None:
    client = sdk(daemon)
    await call(client.submit_media_producing_job, timeline_request("sdk-3", "tok-sdk-3"))
    error = await refusal(client.submit_media_producing_job, timeline_request("sdk-3-other", "tok-sdk-3"))
    assert (error.code, error.status_code) == ("IdempotentParameterMismatch", 400)


async def test_an_invalid_timeline_is_refused_naming_the_field(daemon: Daemon) -> None:
    request = ice.SubmitMediaProducingJobRequest(
        timeline=json.dumps({"VideoTracks": [{"VideoTrackClips": [{"In": 0, "Out": 1}]}]}),
        output_media_config=json.dumps({"MediaURL": f"{OSS}/out/bad.mp4", "Width": 176, "Height": 144}),
    )
    error = await refusal(sdk(daemon).submit_media_producing_job, request)
    assert error.status_code == 400 and error.code.startswith(("InvalidParameter", "Missing"))
    assert "VideoTrackClips" in error.message and error.request_id


async def test_a_wrong_secret_is_refused_with_signature_does_not_match(daemon: Daemon) -> None:
    request = ice.GetMediaProducingJobRequest(job_id="anything")
    error = await refusal(sdk(daemon, secret="not-the-secret").get_media_producing_job, request)
    assert (error.code, error.status_code) == ("SignatureDoesNotMatch", 400)


async def test_an_unknown_access_key_is_refused_as_not_found(daemon: Daemon) -> None:
    config = Config(access_key_id="someone-else", access_key_secret="x", endpoint=f"127.0.0.1:{daemon.openapi_port}",
                    protocol="HTTP", region_id="cn-shanghai")  # fmt: skip
    error = await refusal(Client(config).get_media_producing_job, ice.GetMediaProducingJobRequest(job_id="j"))
    assert (error.code, error.status_code) == ("InvalidAccessKeyId.NotFound", 404)


async def test_an_action_the_endpoint_does_not_serve_is_invalid_api_not_found(daemon: Daemon) -> None:
    error = await refusal(sdk(daemon).list_media_basic_infos, ice.ListMediaBasicInfosRequest())
    assert (error.code, error.status_code) == ("InvalidApi.NotFound", 404)


async def test_a_job_that_does_not_exist_is_job_not_found(daemon: Daemon) -> None:
    request = ice.GetMediaProducingJobRequest(job_id="no-such-job")
    error = await refusal(sdk(daemon).get_media_producing_job, request)
    assert (error.code, error.status_code) == ("InvalidParameter.JobNotFound", 404)


async def test_the_legacy_rpc_signature_is_accepted(daemon: Daemon) -> None:
    client = sdk(daemon, signature_algorithm="v2")
    submitted = await call(client.submit_media_producing_job, timeline_request("sdk-rpc", "tok-rpc"))
    job = await call(client.get_media_producing_job, ice.GetMediaProducingJobRequest(job_id=submitted.job_id))
    assert job.media_producing_job.job_id == submitted.job_id


async def test_a_registered_media_id_plays_in_a_timeline(daemon: Daemon, tmp_path: Path) -> None:
    client = sdk(daemon)
    registered = await call(
        client.register_media_info,
        ice.RegisterMediaInfoRequest(input_url=f"{OSS}/in/red.mp4", title="red card", media_tags="red,card"),
    )
    info = await call(client.get_media_info, ice.GetMediaInfoRequest(input_url=f"{OSS}/in/red.mp4"))
    assert info.media_info.media_id == registered.media_id
    assert info.media_info.media_basic_info.title == "red card"
    assert info.media_info.media_basic_info.media_type == "video"
    assert info.media_info.media_basic_info.media_tags == "red,card"
    assert float(info.media_info.file_info_list[0].file_basic_info.duration) == pytest.approx(1.0, abs=0.1)
    timeline = {"VideoTracks": [{"VideoTrackClips": [{"MediaId": registered.media_id}]}]}
    output = {"MediaURL": f"{OSS}/out/by-id.mp4", "Width": 176, "Height": 144}
    submitted = await call(
        client.submit_media_producing_job,
        ice.SubmitMediaProducingJobRequest(timeline=json.dumps(timeline), output_media_config=json.dumps(output)),
    )
    job = await until(
        lambda: call(client.get_media_producing_job, ice.GetMediaProducingJobRequest(job_id=submitted.job_id)),
        lambda answer: answer.media_producing_job.status in ("Success", "Failed"),
    )
    assert job.media_producing_job.status == "Success", job.to_map()
    assert (tmp_path / "storage" / "demo" / "out" / "by-id.mp4").is_file()


async def test_sdk_script_batch_makes_every_output(daemon: Daemon, tmp_path: Path) -> None:
    client = sdk(daemon)
    make_clip(tmp_path / "storage" / "demo" / "in" / "blue.mp4", "blue")
    inputs = {
        "MediaGroupArray": [{"GroupName": "opening", "MediaArray": [f"{OSS}/in/red.mp4", f"{OSS}/in/blue.mp4"]}],
        "TitleArray": ["Grand opening"],
        "SpeechTextArray": ["We open today."],
    }
    output = {"MediaURL": f"{OSS}/batch/sdk_{{index}}.mp4", "Count": 2, "Width": 176, "Height": 320}
    request = ice.SubmitBatchMediaProducingJobRequest(
        input_config=json.dumps(inputs), output_config=json.dumps(output), client_token="tok-batch"
    )
    submitted = await call(client.submit_batch_media_producing_job, request)
    batch = await until(
        lambda: call(
            client.get_batch_media_producing_job, ice.GetBatchMediaProducingJobRequest(job_id=submitted.job_id)
        ),
        lambda answer: answer.editing_batch_job.status in ("Finished", "Failed"),
        timeout_s=240,
    )
    assert batch.editing_batch_job.status == "Finished", batch.to_map()
    assert [sub.status for sub in batch.editing_batch_job.sub_job_list] == ["Success", "Success"]
    for index in (1, 2):
        assert probe_duration(tmp_path / "storage" / "demo" / "batch" / f"sdk_{index}.mp4") > 0.5


async def test_sdk_scene_media_selection_reports_its_selection(daemon: Daemon, tmp_path: Path) -> None:
    client = sdk(daemon)
    make_clip(tmp_path / "media" / "tomato_soup.mp4", "orange", seconds=3.0)
    inputs = {"MediaArray": [str(tmp_path / "media" / "tomato_soup.mp4")], "SpeechTextArray": ["A bowl of soup."]}
    output = {"MediaURL": f"{OSS}/scene/sel_{{index}}.mp4", "Count": 1, "Width": 176, "Height": 320}
    request = ice.SubmitSceneMediaSelectionJobRequest(
        job_type="Smart_Mix_Media_Select", input_config=json.dumps(inputs), output_config=json.dumps(output)
    )
    submitted = await call(client.submit_scene_media_selection_job, request)
    job = await until(
        lambda: call(
            client.get_batch_media_producing_job, ice.GetBatchMediaProducingJobRequest(job_id=submitted.job_id)
        ),
        lambda answer: answer.editing_batch_job.status in ("Finished", "Failed"),
    )
    assert job.editing_batch_job.status == "Finished", job.to_map()
    selection = json.loads(job.editing_batch_job.extend_output)
    assert selection  # the media selection a SubmitSceneTimelineOrganizationJob takes next


async def test_a_browser_request_from_another_site_is_forbidden_even_in_development_mode(
    tmp_path: Path, redis_url: str
) -> None:
    openapi = {"enabled": True, "port": free_port(), "accept_any_key": True}
    settings = Settings.model_validate(local_settings(redis_url, tmp_path).model_dump() | {"openapi": openapi})
    form = {"Action": "GetMediaProducingJob", "JobId": "j", "AccessKeyId": "any", "SignatureMethod": "HMAC-SHA1",
            "Timestamp": "2026-01-01T00:00:00Z", "SignatureNonce": "n-1", "Signature": "forged"}  # fmt: skip
    async with running_daemon(settings) as daemon, aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{daemon.openapi_port}/?Signature=forged"
        async with session.post(url, data=form, headers={"Origin": "https://evil.example"}) as reply:
            refused = (reply.status, (await reply.json())["Code"])
        async with session.post(url, data=form) as reply:
            admitted = (reply.status, (await reply.json())["Code"])
    assert refused == (403, "Forbidden")
    assert admitted == (404, "InvalidParameter.JobNotFound")  # the same call without the Origin: served
