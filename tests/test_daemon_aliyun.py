"""The daemon end to end against the strict fake IMS: intake → submit → track → one result."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import imsd.backends.aliyun
import imsd.daemon
import imsd.intake
import imsd.queue
import imsd.submission
import pytest
from imsd.api.wire import compact_json
from imsd.client import request_state
from imsd.context import Services
from imsd.contract import Result
from imsd.errors import ImsError
from imsd.intake import FORGET_AFTER_CLAIMS
from imsd.records import STAGE_ATTEMPTS
from imsd.submission import submit_request
from redis.asyncio import Redis
from redis.exceptions import ResponseError

from tests.fakeims.server import FakeIms
from tests.helpers import (
    CALLBACK_KEY,
    OSS,
    FakeImsProcess,
    aliyun_settings,
    all_results,
    batch_request,
    enqueue_all,
    intake_on,
    results_for,
    running_daemon,
    single_job_request,
    use_fake_credentials,
)


@pytest.fixture
async def fake(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeIms]:
    use_fake_credentials(monkeypatch)
    server = FakeIms(callback_key=CALLBACK_KEY, job_seconds=0.5)
    await server.start()
    yield server
    await server.stop()


async def test_single_job_request_yields_one_succeeded_result_with_its_output(
    fake: FakeIms, redis: Redis, redis_url: str
) -> None:
    async with running_daemon(aliyun_settings(redis_url, fake)):
        await enqueue_all(redis, [single_job_request("r-1")])
        results = await results_for(redis, {"r-1"})
    result = results["r-1"]
    assert result["status"] == "SUCCEEDED"
    assert result["backend"] == "aliyun"
    assert result["job_id"] == fake.stats()["jobs_by_request_id"]["r-1"][0]
    assert result["outputs"][0]["media_url"].endswith("/out/r-1.mp4")
    assert result["attempts"] == 1


async def test_submitted_at_is_when_the_service_accepted_the_job(
    fake: FakeIms, redis: Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imsd.submission, "backoff_s", lambda *_: 1.0)
    fake.refuse(
        "SubmitMediaProducingJob", ImsError("InternalError", "The request processing has failed.", 500), times=1
    )
    async with running_daemon(aliyun_settings(redis_url, fake)):
        await enqueue_all(redis, [single_job_request("acc-1")])
        result = (await results_for(redis, {"acc-1"}))["acc-1"]
    received, submitted, finished = (
        datetime.fromisoformat(result[k]) for k in ("received_at", "submitted_at", "finished_at")
    )
    assert result["attempts"] == 2
    assert received + timedelta(seconds=1) <= submitted <= finished  # the second attempt's, not the first's


async def test_batch_request_result_lists_every_output(fake: FakeIms, redis: Redis, redis_url: str) -> None:
    async with running_daemon(aliyun_settings(redis_url, fake)):
        await enqueue_all(redis, [batch_request("b-1", count=3)])
        result = (await results_for(redis, {"b-1"}))["b-1"]
    assert result["status"] == "SUCCEEDED"
    assert [o["media_url"].rsplit("/", 1)[1] for o in result["outputs"]] == ["b-1_1.mp4", "b-1_2.mp4", "b-1_3.mp4"]


async def test_a_job_polled_at_once_is_read_in_the_task_run_that_submitted_it(
    fake: FakeIms, redis: Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    runs: list[str] = []
    advance = imsd.daemon.advance_request

    async def counted(svc: Services, request_id: str) -> None:
        runs.append(request_id)
        await advance(svc, request_id)

    monkeypatch.setattr(imsd.daemon, "advance_request", counted)
    fake.job_seconds = 0.0  # finished as soon as it exists
    async with running_daemon(aliyun_settings(redis_url, fake, tracking={"first_poll_s": 0.0})):
        await enqueue_all(redis, [single_job_request("now-1")])
        result = (await results_for(redis, {"now-1"}))["now-1"]
    assert result["status"] == "SUCCEEDED"
    assert (result["attempts"], result["polls"]) == (1, 1)
    assert runs == ["now-1"]


async def test_callback_finishes_a_job_before_its_first_poll(fake: FakeIms, redis: Redis, redis_url: str) -> None:
    settings = aliyun_settings(redis_url, fake, tracking={"first_poll_s": 30.0, "poll_min_s": 30.0})
    async with running_daemon(settings):
        await enqueue_all(redis, [single_job_request("cb-1")])
        results = await results_for(redis, {"cb-1"}, timeout_s=15)
    assert results["cb-1"]["status"] == "SUCCEEDED"
    assert fake.callbacks["delivered"] >= 1


async def test_polling_finishes_a_job_whose_callback_was_lost(fake: FakeIms, redis: Redis, redis_url: str) -> None:
    fake.faults.update({"lost_callback": 1.0})
    async with running_daemon(aliyun_settings(redis_url, fake)):
        await enqueue_all(redis, [single_job_request("lost-1")])
        results = await results_for(redis, {"lost-1"}, timeout_s=20)
    assert results["lost-1"]["status"] == "SUCCEEDED"
    assert results["lost-1"]["polls"] >= 1


async def test_same_request_twice_is_one_job_and_one_result(fake: FakeIms, redis: Redis, redis_url: str) -> None:
    async with running_daemon(aliyun_settings(redis_url, fake)):
        await enqueue_all(redis, [single_job_request("dup-1"), single_job_request("dup-1")])
        await results_for(redis, {"dup-1"})
        await asyncio.sleep(0.5)
    assert len(fake.stats()["jobs_by_request_id"]["dup-1"]) == 1
    assert [r["request_id"] for r in await all_results(redis)] == ["dup-1"]


async def test_same_request_id_with_other_params_is_a_conflict_not_a_second_job(
    fake: FakeIms, redis: Redis, redis_url: str
) -> None:
    first = single_job_request("c-1")
    second = single_job_request("c-1", UserData={"biz": "other"})
    async with running_daemon(aliyun_settings(redis_url, fake)):
        await enqueue_all(redis, [first, second])
        await results_for(redis, {"c-1"})
        await asyncio.sleep(0.5)
    statuses = sorted(r["status"] for r in await all_results(redis))
    assert statuses == ["REJECTED", "SUCCEEDED"]
    rejected = next(r for r in await all_results(redis) if r["status"] == "REJECTED")
    assert rejected["error_code"] == "IdempotentParameterMismatch"
    assert len(fake.stats()["jobs_by_request_id"]["c-1"]) == 1


async def test_invalid_request_gets_a_failure_result_naming_the_field_and_others_go_on(
    fake: FakeIms, redis: Redis, redis_url: str
) -> None:
    bad = single_job_request("bad-1", OutputMediaConfig={"MediaURL": "x.mp4", "Width": 5000, "Height": 720})
    async with running_daemon(aliyun_settings(redis_url, fake)):
        await enqueue_all(redis, [bad, single_job_request("good-1")])
        results = await results_for(redis, {"bad-1", "good-1"})
    assert results["bad-1"]["status"] == "FAILED"
    assert results["bad-1"]["error_code"] == "InvalidParameter"
    assert "OutputMediaConfig.Width" in results["bad-1"]["error_message"]
    assert results["good-1"]["status"] == "SUCCEEDED"
    assert len(await redis.xrange("imsd:dead")) == 1


async def test_unparseable_message_is_rejected_with_the_reason(fake: FakeIms, redis: Redis, redis_url: str) -> None:
    async with running_daemon(aliyun_settings(redis_url, fake)):
        await redis.xadd("imsd:requests", {"request": "{not json"})
        await enqueue_all(redis, [single_job_request("after-bad")])
        await results_for(redis, {"after-bad"})
    results = await all_results(redis)
    rejected = [r for r in results if r["status"] == "REJECTED"]
    assert len(rejected) == 1
    assert rejected[0]["error_message"].startswith("request: not valid JSON")


async def test_a_mistyped_api_is_rejected_with_the_request_id_it_could_read(
    fake: FakeIms, redis: Redis, redis_url: str
) -> None:
    """The producer waiting for that request_id gets its answer instead of waiting forever."""
    request = {**single_job_request("typo-1"), "api": "SubmitMediaProduceJob"}
    async with running_daemon(aliyun_settings(redis_url, fake)):
        await enqueue_all(redis, [request])
        results = await results_for(redis, {"typo-1"})
    assert results["typo-1"]["status"] == "REJECTED"
    assert results["typo-1"]["error_message"].startswith("request.api: must be one of")


async def test_one_requests_result_can_be_looked_up_by_its_request_id(
    fake: FakeIms, redis: Redis, redis_url: str
) -> None:
    async with running_daemon(aliyun_settings(redis_url, fake)):
        await enqueue_all(redis, [single_job_request("look-1")])
        streamed = (await results_for(redis, {"look-1"}))["look-1"]
    assert await request_state(redis, "look-1") == ("SUCCEEDED", streamed)
    assert await request_state(redis, "never-sent") == ("UNKNOWN", None)


async def test_messages_past_the_size_limits_are_refused_naming_the_limit_and_others_go_on(
    fake: FakeIms, redis: Redis, redis_url: str
) -> None:
    big_meta = {**single_job_request("meta-1"), "meta": {"note": "x" * 5000}}
    huge = {**single_job_request("huge-1"), "meta": {"note": "y" * 20_000}}
    settings = aliyun_settings(redis_url, fake, intake={"max_request_bytes": 16_384, "max_meta_bytes": 4096})
    async with running_daemon(settings):
        await enqueue_all(redis, [huge, big_meta, single_job_request("fine-1")])
        results = await results_for(redis, {"meta-1", "fine-1"})
        await asyncio.sleep(0.3)
    assert results["meta-1"]["status"] == "REJECTED"
    assert results["meta-1"]["error_message"] == "request.meta: is 5011 bytes as JSON; at most 4096"
    assert results["fine-1"]["status"] == "SUCCEEDED"
    refused = [r for r in await all_results(redis) if r["request_id"] is None]
    size = len(compact_json(huge).encode())
    assert [r["error_message"] for r in refused] == [f"request: is {size} bytes; at most 16384"]


async def test_a_track_of_more_clips_than_the_limit_fails_naming_the_field(
    fake: FakeIms, redis: Redis, redis_url: str
) -> None:
    clips = [{"MediaId": "m"}] * 10_001
    request = single_job_request("clips-1", Timeline={"VideoTracks": [{"VideoTrackClips": clips}]})
    async with running_daemon(aliyun_settings(redis_url, fake)):
        await enqueue_all(redis, [request])
        results = await results_for(redis, {"clips-1"})
    assert results["clips-1"]["status"] == "FAILED"
    assert results["clips-1"]["error_message"].startswith("Timeline.VideoTracks[0].VideoTrackClips: ")
    assert "10000" in results["clips-1"]["error_message"]


async def test_every_kind_of_result_follows_the_published_result_schema(
    fake: FakeIms, redis: Redis, redis_url: str
) -> None:
    invalid = single_job_request("schema-bad", OutputMediaConfig={"MediaURL": "x.mp4", "Width": 5000, "Height": 720})
    failing = single_job_request("schema-fail", UserData={"FakeFail": "InvalidMaterial.NotFound"})
    typo = {**single_job_request("schema-typo"), "api": "SubmitMediaProduceJob"}
    ok = single_job_request("schema-ok", UserData={"k": 1})
    requests = [ok, batch_request("schema-batch"), invalid, failing, typo]
    async with running_daemon(aliyun_settings(redis_url, fake)):
        await redis.xadd("imsd:requests", {"request": "{not json"})
        await enqueue_all(redis, requests)
        await results_for(redis, {r["request_id"] for r in requests})
    results = await all_results(redis)
    assert {r["status"] for r in results} == {"SUCCEEDED", "FAILED", "REJECTED"}
    for result in results:
        Result.model_validate(result)


async def test_a_backend_that_raises_instead_of_answering_ends_the_request_after_max_attempts(
    fake: FakeIms, redis: Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never a task that dies and runs again forever: the exception is retried as a lost reply
    would be, then the request fails naming it, and other requests go on."""
    submit = imsd.backends.aliyun.AliyunBackend.submit

    async def raises_for_one(self: Any, api: Any, params: dict[str, Any], client_token: str) -> Any:
        if "broken-1" in str(params.get("OutputMediaConfig")):
            raise ValueError("embedded null byte in /srv/secret/path")
        return await submit(self, api, params, client_token)

    monkeypatch.setattr(imsd.backends.aliyun.AliyunBackend, "submit", raises_for_one)
    settings = aliyun_settings(redis_url, fake, submit={"max_attempts": 3, "backoff_base_s": 0.01})
    async with running_daemon(settings):
        await enqueue_all(redis, [single_job_request("broken-1"), single_job_request("fine-2")])
        results = await results_for(redis, {"broken-1", "fine-2"})
    assert results["fine-2"]["status"] == "SUCCEEDED"
    broken = results["broken-1"]
    assert (broken["status"], broken["error_code"], broken["attempts"]) == ("FAILED", "InternalError", 3)
    assert broken["error_message"] == "SubmitMediaProducingJob failed inside the backend (ValueError)"



async def test_a_request_whose_attempts_ended_unanswered_fails_once_past_max_attempts(
    fake: FakeIms, redis: Redis, redis_url: str
) -> None:
    """Attempts are counted before sending: a process killed while sending, again and again,
    leaves counted attempts without an answer; the next run past the bound ends the request."""
    settings = aliyun_settings(redis_url, fake, submit={"max_attempts": 2})
    async with intake_on(settings) as intake:
        await intake.admit_entries([("1-1", {"request": compact_json(single_job_request("killed-1"))})])
        svc = intake.svc
        await svc.store.transition("killed-1", due=0.0, add={"attempts": 2, STAGE_ATTEMPTS: 2})
        record = await svc.store.get("killed-1")
        assert record is not None
        await submit_request(svc, record)
    (result,) = await all_results(redis)
    assert (result["status"], result["error_code"]) == ("FAILED", "InternalError")
    assert result["error_message"] == "SubmitMediaProducingJob: no answer after 2 attempts"
    assert fake.stats()["jobs_by_request_id"].get("killed-1") is None  # not sent a third time


async def test_service_failure_code_is_reported_as_failed_result(fake: FakeIms, redis: Redis, redis_url: str) -> None:
    request = single_job_request("f-1", UserData={"FakeFail": "InvalidMaterial.NotFound"})
    async with running_daemon(aliyun_settings(redis_url, fake)):
        await enqueue_all(redis, [request])
        result = (await results_for(redis, {"f-1"}))["f-1"]
    assert result["status"] == "FAILED"
    assert result["error_code"] == "InvalidMaterial.NotFound"


async def test_timeouts_and_5xx_are_retried_with_the_same_client_token(
    fake: FakeIms, redis: Redis, redis_url: str
) -> None:
    fake.faults.update({"error_5xx": 0.3, "timeout_after": 0.2, "reset": 0.1, "actions": ["SubmitMediaProducingJob"]})
    ids = {f"flaky-{i}" for i in range(12)}
    async with running_daemon(aliyun_settings(redis_url, fake, submit={"max_attempts": 30})):
        await enqueue_all(redis, [single_job_request(i) for i in sorted(ids)])
        results = await results_for(redis, ids, timeout_s=60)
    assert {r["status"] for r in results.values()} == {"SUCCEEDED"}
    jobs = fake.stats()["jobs_by_request_id"]
    assert all(len(jobs[i]) == 1 for i in ids)
    assert sum(r["attempts"] for r in results.values()) > len(ids)


@pytest.mark.parametrize(
    "error",
    [
        ImsError("Throttling.User", "Request was denied due to user flow control.", 400, retry_after_s=1.5),
        ImsError("ServiceUnavailable", "The service is unavailable.", 503, retry_after_s=1.5),
    ],
    ids=["throttled", "unavailable"],
)
async def test_a_resend_waits_as_long_as_the_service_asked(
    fake: FakeIms, redis: Redis, redis_url: str, error: ImsError
) -> None:
    """`x-acs-retry-after` (ms, as the SDK reads it) is a floor under the daemon's own backoff."""
    fake.refuse("SubmitMediaProducingJob", error, times=1)
    async with running_daemon(aliyun_settings(redis_url, fake)):
        await enqueue_all(redis, [single_job_request("told-to-wait")])
        result = (await results_for(redis, {"told-to-wait"}))["told-to-wait"]
    assert result["status"] == "SUCCEEDED", result
    first, second = [call.arrived for call in fake.received if call.action == "SubmitMediaProducingJob"]
    assert second - first >= 1.5


async def test_every_submit_is_sent_within_the_quota(
    redis: Redis, redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_fake_credentials(monkeypatch)
    # The fake runs in its own process: in this one, event-loop stalls would bunch its arrival clock.
    fake = FakeImsProcess("--callback-key", CALLBACK_KEY, "--job-seconds", "1", log_path=tmp_path / "fake.log")
    ids = {f"q-{i}" for i in range(90)}
    try:
        async with running_daemon(aliyun_settings(redis_url, fake)):
            await enqueue_all(redis, [single_job_request(i) for i in sorted(ids)])
            results = await results_for(redis, ids, timeout_s=60)
        stats: dict[str, Any] = await asyncio.to_thread(fake.stats)
    finally:
        fake.stop()
    assert len(results) == len(ids)
    assert stats["throttles_by_action"].get("SubmitMediaProducingJob", 0) == 0
    assert stats["max_in_1s_by_action"]["SubmitMediaProducingJob"] <= 30
    assert Counter(r["status"] for r in results.values()) == {"SUCCEEDED": len(ids)}


def scene_pipeline_request(request_id: str) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "api": "ScenePipeline",
        "params": {
            "JobType": "Smart_Mix",
            "InputConfig": {"MediaArray": [f"{OSS}/in/a.mp4"], "SpeechTextArray": ["One line."]},
            "OutputConfig": {"MediaURL": f"{OSS}/scene/{request_id}_{{index}}.mp4", "Count": 2},
        },
    }


async def test_scene_pipeline_runs_its_three_stages_against_the_service(
    fake: FakeIms, redis: Redis, redis_url: str
) -> None:
    async with running_daemon(aliyun_settings(redis_url, fake)):
        await enqueue_all(redis, [scene_pipeline_request("pipe-a")])
        result = (await results_for(redis, {"pipe-a"}))["pipe-a"]
    assert result["status"] == "SUCCEEDED", result
    stage_jobs = [s["job_id"] for s in result["stages"]]
    assert fake.stats()["jobs_by_request_id"]["pipe-a"] == stage_jobs  # one job per stage, no more
    assert [o["media_url"] for o in result["outputs"]] == [f"{OSS}/scene/pipe-a_{i}.mp4" for i in (1, 2)]
    # Every stage's polls count, its last (the one that moved the pipeline on) included.
    assert result["polls"] == fake.stats()["calls_by_action"]["GetBatchMediaProducingJob"]


async def test_scene_submits_resent_after_lost_replies_create_one_job_each(
    fake: FakeIms, redis: Redis, redis_url: str
) -> None:
    """The Scene APIs take no ClientToken (the SDK's request models declare none), so the service
    cannot deduplicate a resend: the daemon looks the job up (List*, by the request id in UserData)
    before every resend, at once rather than after the reconcile window."""
    scene_submits = ["SubmitSceneMediaSelectionJob", "SubmitSceneTimelineOrganizationJob", "SubmitSceneBatchEditingJob"]
    fake.faults.update({"error_5xx": 0.2, "timeout_after": 0.3, "reset": 0.2, "hold_s": 0.5, "actions": scene_submits})
    ids = {f"scene-lost-{i}" for i in range(4)}
    settings = aliyun_settings(redis_url, fake, aliyun={"timeout_s": 0.3}, submit={"max_attempts": 30})
    async with running_daemon(settings):
        await enqueue_all(redis, [scene_pipeline_request(i) for i in sorted(ids)])
        results = await results_for(redis, ids, timeout_s=90)
    assert {r["status"] for r in results.values()} == {"SUCCEEDED"}, results
    jobs = fake.stats()["jobs_by_request_id"]
    assert {i: len(jobs[i]) for i in ids} == dict.fromkeys(ids, 3)  # one job per stage, however often resent
    assert {i: [s["job_id"] for s in results[i]["stages"]] for i in ids} == {i: jobs[i] for i in ids}
    injected = fake.stats()["faults_injected"]
    assert injected["timeout_after"] + injected["reset"] > 0  # replies were lost after the job was made
    assert not any("ClientToken" in call.query for call in fake.received if call.action in scene_submits)


async def test_every_pipeline_stage_gets_all_its_submit_attempts(fake: FakeIms, redis: Redis, redis_url: str) -> None:
    for action in ("SubmitSceneMediaSelectionJob", "SubmitSceneTimelineOrganizationJob"):
        fake.refuse(action, ImsError("InternalError", "The request processing has failed.", 500), times=1)
    async with running_daemon(aliyun_settings(redis_url, fake, submit={"max_attempts": 2})):
        await enqueue_all(redis, [scene_pipeline_request("pipe-r")])
        result = (await results_for(redis, {"pipe-r"}))["pipe-r"]
    assert result["status"] == "SUCCEEDED", result
    assert result["attempts"] == 5  # 2 + 2 + 1: the second stage's retry was not used up by the first's


async def test_a_daemon_whose_task_worker_dies_stops_and_names_it(
    fake: FakeIms, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def worker_loop_fails(self: object) -> None:
        raise RuntimeError("worker loop failed")

    monkeypatch.setattr(imsd.queue._Worker, "main", worker_loop_fails)
    died = await asyncio.wait_for(imsd.daemon.Daemon(aliyun_settings(redis_url, fake)).run(), 30)
    assert died == ["arq-worker"]  # `imsd run` exits non-zero with this, for systemd to restart it


async def test_a_finished_record_lives_as_long_as_the_configured_retention(
    fake: FakeIms, redis: Redis, redis_url: str
) -> None:
    settings = aliyun_settings(redis_url, fake, retention={"record_ttl_s": 1234})
    async with running_daemon(settings):
        await enqueue_all(redis, [single_job_request("kept-1")])
        await results_for(redis, {"kept-1"})
        ttl = await redis.ttl(settings.key("req", "kept-1"))
    assert 1200 < ttl <= 1234


async def test_a_failed_trim_of_the_requests_stream_stops_nothing_and_a_later_one_trims(
    fake: FakeIms, redis: Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    trim = imsd.intake.AcknowledgedTrim.trim
    failed: list[str] = []

    async def fails_once(self: imsd.intake.AcknowledgedTrim) -> int:
        if not failed:
            failed.append(self.stream)
            raise ResponseError("BUSY Redis is busy running a script.")
        return await trim(self)

    monkeypatch.setattr(imsd.intake.AcknowledgedTrim, "trim", fails_once)
    settings = aliyun_settings(redis_url, fake, retention={"requests_trim_interval_s": 0.2})
    stream = settings.key("requests")
    async with running_daemon(settings) as daemon:
        await enqueue_all(redis, [single_job_request(f"trim-{i}") for i in range(3)])
        await results_for(redis, {f"trim-{i}" for i in range(3)})
        for _ in range(100):
            if await redis.xlen(stream) == 1:
                break
            await asyncio.sleep(0.05)
        assert await daemon.is_ready()  # intake and the daemon went on
    assert failed == [stream]
    assert await redis.xlen(stream) == 1  # the last one delivered bounds the trim


async def test_a_failed_claim_of_abandoned_entries_stops_nothing_and_a_later_one_claims(
    fake: FakeIms, redis: Redis, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    claim = imsd.intake.Intake.claim_abandoned
    failed: list[str] = []

    async def fails_once(self: imsd.intake.Intake) -> None:
        if not failed:
            failed.append(self.stream)
            raise ResponseError("BUSY Redis is busy running a script.")
        await claim(self)

    monkeypatch.setattr(imsd.intake.Intake, "claim_abandoned", fails_once)
    settings = aliyun_settings(redis_url, fake, intake={"claim_idle_s": 0.4})
    stream, group = settings.key("requests"), settings.intake.group
    await redis.xgroup_create(stream, group, id="0", mkstream=True)
    await enqueue_all(redis, [single_job_request("abandoned-1")])
    await redis.xreadgroup(group, "dead-consumer", {stream: ">"})  # read, never acknowledged
    async with running_daemon(settings) as daemon:
        result = (await results_for(redis, {"abandoned-1"}))["abandoned-1"]
        assert await daemon.is_ready()  # intake and the daemon went on
    assert failed == [stream]
    assert result["status"] == "SUCCEEDED"


async def test_a_dead_consumer_is_forgotten_once_its_entries_are_claimed(
    fake: FakeIms, redis: Redis, redis_url: str
) -> None:
    """Every process reads under its own name: one killed mid-read leaves a consumer holding
    entries. They are claimed and admitted; the consumer itself is then forgotten."""
    settings = aliyun_settings(redis_url, fake, intake={"claim_idle_s": 0.05})
    async with intake_on(settings) as intake:
        await enqueue_all(redis, [single_job_request("read-then-killed")])
        await redis.xreadgroup(intake.group, "killed-process", {intake.stream: ">"})  # and never acked
        await asyncio.sleep(FORGET_AFTER_CLAIMS * 0.05 + 0.2)
        await intake.claim_abandoned()
        consumers = {c["name"] for c in await redis.xinfo_consumers(intake.stream, intake.group)}
        record = await intake.svc.store.get("read-then-killed")
    assert record is not None  # its entry was admitted, not dropped with the consumer
    assert "killed-process" not in consumers


async def test_a_consumer_holding_an_entry_is_never_forgotten(fake: FakeIms, redis: Redis, redis_url: str) -> None:
    async with intake_on(aliyun_settings(redis_url, fake)) as intake:
        await enqueue_all(redis, [single_job_request("held-1"), single_job_request("acked-1")])
        await redis.xreadgroup(intake.group, "holder", {intake.stream: ">"}, count=1)
        ((_, [(entry_id, _)]),) = await redis.xreadgroup(intake.group, "acker", {intake.stream: ">"}, count=1)
        await redis.xack(intake.stream, intake.group, entry_id)
        await asyncio.sleep(0.05)
        await intake._forget_idle_consumers(stream=intake.stream, group=intake.group, idle_ms=0)
        consumers = {c["name"]: c["pending"] for c in await redis.xinfo_consumers(intake.stream, intake.group)}
    assert consumers == {"holder": 1}


async def test_progress_the_service_reports_while_a_job_runs_is_published_on_the_progress_stream(
    fake: FakeIms, redis: Redis, redis_url: str
) -> None:
    fake.job_seconds = 3.0  # GetMediaProducingJob reports Progress as the job runs (SDK model: `progress`)
    tracking = {"first_poll_s": 0.3, "poll_min_s": 0.3, "poll_max_s": 0.3, "backoff_factor": 1.0}
    async with running_daemon(aliyun_settings(redis_url, fake, tracking=tracking)):
        await enqueue_all(redis, [single_job_request("prog-1")])
        result = (await results_for(redis, {"prog-1"}))["prog-1"]
    entries = [json.loads(fields["progress"]) for _, fields in await redis.xrange("imsd:progress")]
    percents = [e["percent"] for e in entries if e["request_id"] == "prog-1"]
    assert result["status"] == "SUCCEEDED" and len(percents) >= 3
    assert percents == sorted(percents) and 0 <= percents[0] < percents[-1] < 100
    assert {(e["job_id"], e["output_index"], e["stage"]) for e in entries} == {
        (result["job_id"], 1, "SubmitMediaProducingJob")
    }
