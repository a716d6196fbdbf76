"""Request validation of the five submit APIs (imsd.api.validation).

Accepted examples are the ones in the official API pages and the API digest, copied in here so
that the tests do not depend on files outside the repository.
"""

from __future__ import annotations

import copy
import json
import sys
import types
from collections.abc import Callable
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imsd.api.validation import MAX_JSON_DEPTH, validate_params
from imsd.api.wire import JSON_PARAMS, Api
from imsd.errors import ImsError
from pydantic import BaseModel, ConfigDict, Discriminator, Tag

SINGLE = Api.SUBMIT_MEDIA_PRODUCING_JOB
BATCH = Api.SUBMIT_BATCH_MEDIA_PRODUCING_JOB
SELECTION = Api.SUBMIT_SCENE_MEDIA_SELECTION_JOB
ORGANIZATION = Api.SUBMIT_SCENE_TIMELINE_ORGANIZATION_JOB
SCENE_BATCH = Api.SUBMIT_SCENE_BATCH_EDITING_JOB

OSS = "https://my-bucket.oss-cn-shanghai.aliyuncs.com"

# --- documented examples (API reference pages and docs/ims-api.md) ----------------------------------

SEED_SINGLE_WITH_TIMELINE = {
    "Timeline": '{"VideoTracks":[{"VideoTrackClips":[{"MediaId":"****4d7cf14dc7b83b0e801c****"},'
    '{"MediaId":"****4d7cf14dc7b83b0e801c****"}]}]}',
    "OutputMediaTarget": "oss-object",
    "OutputMediaConfig": '{"MediaURL":"https://my-test-bucket.oss-cn-shanghai.aliyuncs.com/test/'
    'xxxxxtest001xxxxx.mp4","Bitrate":2000,"Width":800,"Height":680}',
    "EditingProduceConfig": '{ "AutoRegisterInputVodMedia": "true", "OutputWebmTransparentChannel": "true" }',
    "ProjectMetadata": '{"Description":"剪辑视频描述","Title":"剪辑标题测试"}',
    "MediaMetadata": '{ "Title":"test-title", "Tags":"test-tags1,tags2" }',
    "UserData": '{"NotifyAddress":"https://xx.com/xx","RegisterMediaNotifyAddress":"https://xxx.com/xx"}',
    "ClientToken": "****12e8864746a0a398****",
    "Source": "OPENAPI",
}

SEED_SINGLE_TO_VOD = {
    "ProjectId": "xxxxxfb2101cb318xxxxx",
    "OutputMediaTarget": "vod-media",
    "OutputMediaConfig": {
        "StorageLocation": "outin-*xxxxxx7d2a3811eb83da00163exxxxxx.oss-cn-shanghai.aliyuncs.com",
        "FileName": "output.mp4",
        "Bitrate": 2000,
        "Width": 800,
        "Height": 680,
    },
}

DIGEST_SINGLE_WITH_FULL_TIMELINE = {
    "Timeline": {
        "VideoTracks": [
            {
                "VideoTrackClips": [
                    {
                        "MediaURL": f"{OSS}/in/a.mp4",
                        "In": 2,
                        "Out": 7,
                        "Effects": [
                            {"Type": "Transition", "SubType": "fade", "Duration": 0.5},
                            {"Type": "Volume", "Gain": 0},
                            {"Type": "Background", "SubType": "Blur", "Radius": 0.1},
                        ],
                        "AdaptMode": "Contain",
                        "X": 0,
                        "Y": 0,
                        "Width": 1080,
                        "Height": 1920,
                    },
                    {"MediaId": "mid-0002", "Type": "Image", "Duration": 3},
                ]
            }
        ],
        "AudioTracks": [
            {
                "AudioTrackClips": [
                    {
                        "MediaURL": f"{OSS}/bgm/loop.mp3",
                        "LoopMode": True,
                        "TimelineIn": 0,
                        "TimelineOut": 7.5,
                        "Effects": [
                            {"Type": "Volume", "Gain": 0.3},
                            {"Type": "AFade", "SubType": "Out", "Duration": 1},
                        ],
                    }
                ]
            }
        ],
    },
    "OutputMediaConfig": {
        "MediaURL": f"{OSS}/out/demo-001.mp4",
        "Width": 1080,
        "Height": 1920,
        "Video": {"Crf": 23, "Fps": 30, "Profile": "high", "Preset": "medium"},
    },
}

SEED_BATCH_SCRIPT = {
    "ClientToken": "****12e8864746a0a398****",
    # The reference page's example lacks the comma between the two scripts; fixed here.
    "InputConfig": '{ "MediaGroupArray": [{ "GroupName": "MediaGroup1", "MediaArray": [ '
    '"****9d46c886b45481030f6e****", "****6c886b4549d481030f6e****" ] }, { "GroupName": '
    '"MediaGroup2", "MediaArray": [ "****d46c886810b454930f6e****", '
    '"****4549d886810b46c30f6e****" ] }], "TitleArray": [ "回龙观盒马鲜生开业啦", '
    '"盒马鲜生开业啦" ], "SpeechTextArray": [ "附近的商场新开了一家盒马鲜生,今天是第一天开业", '
    '"商场里的人不少,零食、酒水都比较便宜大家也快来看看呀" ] }',
    "EditingConfig": '{ "MediaConfig": { "Volume": 0 }, "SpeechConfig": { "Volume": 1 }, '
    '"BackgroundMusicConfig": { "Volume": 0.3 } }',
    "OutputConfig": '{ "MediaURL": "http://xxx.oss-cn-shanghai.aliyuncs.com/xxx_{index}.mp4", '
    '"Count": 20, "MaxDuration": 15, "Width": 1080, "Height": 1920, "Video": {"Crf": 27} }',
    "UserData": '{"NotifyAddress":"http://xx.xx.xxx"}',
    "TemplateConfig": '["****b4549d46c88681030f6e****","****549d46c88b4681030f6e****"]',
}

SEED_SCENE_INPUT = (
    '{ "BackgroundMusic": "****75c3936f3a8743850f2da942****", "MediaArray": [ '
    '"https://test-bucket.oss-cn-shanghai.aliyuncs.com/test.mp4" ], "SpeechTextArray": [ '
    '"Grand opening! A Freshippo store opens today at the nearby mall.", '
    '"Great deals on snacks and drinks. Stop by!" ] }'
)
SEED_SCENE_EDITING = (
    '{ "MediaConfig": { "Volume": 0 }, "SpeechConfig": { "Volume": 1 }, "BackgroundMusicConfig": { "Volume": 0.3 } }'
)
SEED_SCENE_OUTPUT = (
    '{ "MediaURL": "http://test-bucket.oss-cn-shanghai.aliyuncs.com/xxx_{index}.mp4", '
    '"Count": 1, "Width": 1080, "Height": 1920 }'
)

SEED_SCENE_MEDIA_SELECTION = {
    "JobType": "Smart_Mix_Media_Select",
    "InputConfig": SEED_SCENE_INPUT,
    "EditingConfig": SEED_SCENE_EDITING,
    "OutputConfig": SEED_SCENE_OUTPUT,
    "UserData": '{"NotifyAddress":"ice-callback-demo"}',
}

SEED_MEDIA_SELECT_RESULT = (
    '{ "textMatchMediaOutputList": [{ "textMatchMediaSentenceOutputList": [{ "duration": '
    '3.366667, "matchClipList": [{ "endTime": 11.16, "mediaId": '
    '"****a0900f5071efbf1ce7e6c66a****", "startTime": 8.04 }], "text": "A new Freshippo store '
    'just opened in the nearby mall" }, { "duration": 1.566667, "matchClipList": [{ "endTime": '
    '1.54, "mediaId": "****a0900f5071efbf1ce7e6c66a****", "startTime": 0 }], "text": "Today is '
    'the grand opening" } ] }] }'
)

SEED_SCENE_TIMELINE_ORGANIZATION = {
    "JobType": "Smart_Mix_Timeline_Organize",
    "MediaSelectResult": SEED_MEDIA_SELECT_RESULT,
    "InputConfig": SEED_SCENE_INPUT,
    "EditingConfig": SEED_SCENE_EDITING,
    "OutputConfig": SEED_SCENE_OUTPUT,
    "UserData": '{"NotifyAddress":"https://xx.xx.xxx"}',
}

# ExtendOutput of GetBatchMediaProducingJob, fed back as the selection result.
SEED_EXTEND_OUTPUT = (
    '{\n\t"textMatchMediaOutputList": [{\n\t\t"textMatchMediaSentenceOutputList": [{\n\t\t\t\t'
    '"duration": 3.366667,\n\t\t\t\t"matchClipList": [{\n\t\t\t\t\t"clipId": "null-2",\n\t\t\t\t\t'
    '"endTime": 11.16,\n\t\t\t\t\t"mediaId": "****a0900f5071efbf1ce7e6c66a****",\n\t\t\t\t\t'
    '"score": -0.253,\n\t\t\t\t\t"startTime": 8.04\n\t\t\t\t}],\n\t\t\t\t"text": "A new Hema '
    'Fresh store has opened in the nearby shopping mall",\n\t\t\t\t"textId": "0"\n\t\t\t},\n\t\t\t'
    '{\n\t\t\t\t"duration": 1.566667,\n\t\t\t\t"matchClipList": [{\n\t\t\t\t\t"clipId": "null-1",'
    '\n\t\t\t\t\t"endTime": 1.54,\n\t\t\t\t\t"mediaId": "****a0900f5071efbf1ce7e6c66a****",\n\t\t'
    '\t\t\t"score": -0.2326,\n\t\t\t\t\t"startTime": 0\n\t\t\t\t}],\n\t\t\t\t"text": "Today is the '
    'first day of opening",\n\t\t\t\t"textId": "0"\n\t\t\t}\n\t\t]\n\t}]\n}'
)

DIGEST_SCENE_BATCH_EDITING = {
    "ProjectIds": "****7cc47fe04eaa81bd853acb6a****,****04eaa7cc47fe81bd853acb6a****",
    "OutputConfig": {
        "MediaURL": f"{OSS}/batch/promo_{{index}}.mp4",
        "MaxDuration": 20,
        "Width": 720,
        "Height": 1280,
        "Video": {"Crf": 27},
    },
}

DOCUMENTED_EXAMPLES = {
    "single job with a Timeline": (SINGLE, SEED_SINGLE_WITH_TIMELINE),
    "single job into VOD": (SINGLE, SEED_SINGLE_TO_VOD),
    "single job with the digest's full timeline": (SINGLE, DIGEST_SINGLE_WITH_FULL_TIMELINE),
    "Script-mode batch job": (BATCH, SEED_BATCH_SCRIPT),
    "scene media selection": (SELECTION, SEED_SCENE_MEDIA_SELECTION),
    "scene timeline organisation": (ORGANIZATION, SEED_SCENE_TIMELINE_ORGANIZATION),
    "timeline organisation of a GetBatchMediaProducingJob ExtendOutput": (
        ORGANIZATION,
        {**SEED_SCENE_TIMELINE_ORGANIZATION, "MediaSelectResult": SEED_EXTEND_OUTPUT},
    ),
    "scene batch editing": (SCENE_BATCH, DIGEST_SCENE_BATCH_EDITING),
}

# --- builders ---------------------------------------------------------------------------------


def single_job(**params: Any) -> dict[str, Any]:
    """A valid SubmitMediaProducingJob request; a param given as None is left out."""
    base: dict[str, Any] = {
        "ProjectId": "prj-0001",
        "OutputMediaConfig": {"MediaURL": f"{OSS}/out/demo-001.mp4"},
    }
    return _merged(base, params)


def batch_job(
    *,
    inputs: dict[str, Any] | None = None,
    editing: dict[str, Any] | None = None,
    output: dict[str, Any] | None = None,
    **params: Any,
) -> dict[str, Any]:
    """A valid Smart_Mix SubmitBatchMediaProducingJob request with the given fields merged in."""
    base: dict[str, Any] = {
        "InputConfig": {"MediaArray": [f"{OSS}/in/a.mp4", f"{OSS}/in/b.mp4"]},
        "OutputConfig": {"MediaURL": f"{OSS}/batch/v_{{index}}.mp4", "Count": 2},
    }
    for name, fields in (("InputConfig", inputs), ("EditingConfig", editing), ("OutputConfig", output)):
        if fields is not None:
            base[name] = _merged(base.get(name, {}), fields)
    return _merged(base, params)


def script_job(groups: list[dict[str, Any]], **kwargs: Any) -> dict[str, Any]:
    """A Script-mode batch request: MediaGroupArray instead of MediaArray."""
    inputs = {"MediaArray": None, "MediaGroupArray": groups, **kwargs.pop("inputs", {})}
    return batch_job(inputs=inputs, **kwargs)


def group(name: str, media: int = 2, **fields: Any) -> dict[str, Any]:
    return {"GroupName": name, "MediaArray": [f"{OSS}/in/{name}-{i}.mp4" for i in range(media)], **fields}


def _merged(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    merged = {**base, **changes}
    return {name: value for name, value in merged.items() if value is not None}


def rejection(api: Api, params: dict[str, Any]) -> ImsError:
    with pytest.raises(ImsError) as caught:
        validate_params(api, params)
    return caught.value


def invalid_message(api: Api, params: dict[str, Any]) -> str:
    error = rejection(api, params)
    assert error.code == "InvalidParameter", error.message
    return error.message


def parsed(params: dict[str, Any]) -> dict[str, Any]:
    """What validation must return: JSON text parsed, everything else as given."""
    return {
        name: json.loads(value) if name in JSON_PARAMS and isinstance(value, str) else value
        for name, value in params.items()
    }


# --- documented examples and pass-through ------------------------------------------------------


@pytest.mark.parametrize("api, params", DOCUMENTED_EXAMPLES.values(), ids=DOCUMENTED_EXAMPLES.keys())
def test_documented_examples_are_accepted_and_returned_as_given(api: Api, params: dict[str, Any]) -> None:
    assert validate_params(api, params) == parsed(params)


def test_json_param_given_as_text_is_returned_parsed() -> None:
    result = validate_params(SINGLE, single_job(UserData='{"NotifyAddress":"https://a.example/cb"}'))

    assert result["UserData"] == {"NotifyAddress": "https://a.example/cb"}


def test_json_param_as_text_and_as_object_are_judged_alike() -> None:
    document = {"MediaURL": f"{OSS}/o.mp4", "Width": 5000}

    as_object = invalid_message(SINGLE, single_job(OutputMediaConfig=document))
    as_text = invalid_message(SINGLE, single_job(OutputMediaConfig=json.dumps(document)))

    assert as_object == as_text


def test_unknown_fields_pass_through_verbatim_at_every_level() -> None:
    output = {
        "MediaURL": f"{OSS}/o.mp4",
        "FutureKnob": {"deep": [1, 2.50, None, {"x": "y"}]},
        "Video": {"Crf": 23, "Tune": "film"},
    }
    inputs = {"MediaGroupArray": [group("a", SplitMode="AverageSplit")], "SceneInfo": {"Scene": "General"}}

    single = validate_params(SINGLE, single_job(OutputMediaConfig=output, NewParam="v"))
    batch = validate_params(BATCH, batch_job(inputs=inputs | {"MediaArray": None}))

    assert single["OutputMediaConfig"] == output
    assert single["NewParam"] == "v"
    assert batch["InputConfig"] == inputs


def test_values_are_returned_as_given_not_as_the_models_coerce_them() -> None:
    # The public-parameters table types MediaConfig.Volume as a string.
    result = validate_params(BATCH, batch_job(editing={"MediaConfig": {"Volume": "0.50"}}, output={"Width": 720.0}))

    assert result["EditingConfig"]["MediaConfig"]["Volume"] == "0.50"
    assert type(result["OutputConfig"]["Width"]) is float


def test_key_order_of_json_text_is_kept() -> None:
    text = '{"Width":720,"MediaURL":"' + OSS + '/o.mp4","Height":1280}'

    result = validate_params(SINGLE, single_job(OutputMediaConfig=text))

    assert list(result["OutputMediaConfig"]) == ["Width", "MediaURL", "Height"]


def test_result_is_a_new_dict_and_the_request_is_not_touched() -> None:
    request = single_job(UserData={"NotifyAddress": "https://a.example/cb"})
    before = copy.deepcopy(request)

    result = validate_params(SINGLE, request)
    result["UserData"]["ImsdRequestId"] = "r-1"

    assert result is not request
    assert request == before


def test_scalar_params_are_accepted_in_any_scalar_type_and_returned_unchanged() -> None:
    result = validate_params(SINGLE, single_job(ProjectId=12345, ClientToken=987, Flag=True))

    assert (result["ProjectId"], result["ClientToken"], result["Flag"]) == (12345, 987, True)


def test_none_or_empty_param_counts_as_not_given() -> None:
    request = single_job(Timeline="", TemplateId=None) | {"TemplateId": None}

    assert validate_params(SINGLE, request) == request


# --- JSON parsing ------------------------------------------------------------------------------


def test_bad_json_text_is_invalid_parameter_naming_the_param() -> None:
    message = invalid_message(SINGLE, single_job(OutputMediaConfig='{"MediaURL": '))

    assert message.startswith("OutputMediaConfig: is not valid JSON")


@pytest.mark.parametrize("text", ['{"Width": NaN}', '{"Width": Infinity}', '{"Width": -Infinity}'])
def test_json_text_with_a_non_standard_number_literal_is_invalid(text: str) -> None:
    message = invalid_message(SINGLE, single_job(OutputMediaConfig=text))

    assert message.startswith("OutputMediaConfig: is not valid JSON")


def test_json_number_overflowing_to_infinity_is_invalid() -> None:
    message = invalid_message(SINGLE, single_job(UserData='{"n": 1e999}'))

    assert message == "UserData: numbers must be finite"


def test_non_finite_number_in_a_given_object_is_invalid() -> None:
    message = invalid_message(SINGLE, single_job(UserData={"n": float("nan")}))

    assert message == "UserData: numbers must be finite"


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 100_000])
def test_json_nested_deeper_than_the_limit_is_invalid(depth: int) -> None:
    message = invalid_message(SINGLE, single_job(ClipsParam="[" * depth + "]" * depth))

    assert message == f"ClipsParam: nests deeper than {MAX_JSON_DEPTH} levels"


def test_json_nested_exactly_to_the_limit_is_accepted() -> None:
    nested: Any = {}
    for _ in range(MAX_JSON_DEPTH - 1):
        nested = {"k": nested}

    validate_params(SINGLE, single_job(MediaMetadata=nested))


def test_non_json_value_inside_a_given_object_is_invalid() -> None:
    message = invalid_message(SINGLE, single_job(UserData={"tags": {"a", "b"}}))

    assert message == "UserData: set is not a JSON value"


def test_scalar_param_given_as_an_object_is_invalid() -> None:
    message = invalid_message(SINGLE, single_job(ProjectId={"id": "prj-1"}))

    assert message == "ProjectId: must be a string, number or boolean"


def test_json_param_given_as_a_scalar_is_invalid_naming_the_expected_type() -> None:
    message = invalid_message(SINGLE, single_job(OutputMediaConfig=7))

    assert message == "OutputMediaConfig: must be a JSON object"


# --- SubmitMediaProducingJob -------------------------------------------------------------------


def test_single_job_with_template_and_clips_param_is_accepted() -> None:
    request = single_job(ProjectId=None, TemplateId="tpl-1", ClipsParam='{"Video1":"mid-1"}')

    assert validate_params(SINGLE, request)["ClipsParam"] == {"Video1": "mid-1"}


def test_single_job_without_project_timeline_or_template_is_invalid() -> None:
    message = invalid_message(SINGLE, single_job(ProjectId=None))

    assert message == "ProjectId|Timeline|TemplateId: exactly one is required, none was given"


@pytest.mark.parametrize(
    "extra, named",
    [
        ({"Timeline": {"VideoTracks": []}}, "Timeline"),
        ({"TemplateId": "tpl-1", "ClipsParam": {}}, "TemplateId"),
    ],
)
def test_single_job_with_two_sources_is_invalid_naming_the_second(extra: dict[str, Any], named: str) -> None:
    message = invalid_message(SINGLE, single_job(**extra))

    assert message.startswith(f"{named}: not allowed together with ProjectId")


def test_template_id_without_clips_param_is_missing_clips_param() -> None:
    error = rejection(SINGLE, single_job(ProjectId=None, TemplateId="tpl-1"))

    assert (error.code, error.message) == ("MissingClipsParam", "ClipsParam: is required")


def test_clips_param_without_template_id_is_invalid() -> None:
    message = invalid_message(SINGLE, single_job(ClipsParam={"Video1": "mid-1"}))

    assert message == "ClipsParam: only allowed with TemplateId"


def test_clips_param_must_be_a_json_object() -> None:
    message = invalid_message(SINGLE, single_job(ProjectId=None, TemplateId="t", ClipsParam="[1]"))

    assert message == "ClipsParam: must be a JSON object"


def test_missing_output_media_config_is_missing_parameter() -> None:
    error = rejection(SINGLE, single_job(OutputMediaConfig=None))

    assert (error.code, error.message) == (
        "MissingOutputMediaConfig",
        "OutputMediaConfig: is required",
    )


@pytest.mark.parametrize("target", [None, "oss-object"])
def test_oss_output_without_media_url_is_missing_media_url(target: str | None) -> None:
    request = single_job(OutputMediaTarget=target, OutputMediaConfig={"Width": 1280})

    error = rejection(SINGLE, request)

    assert (error.code, error.message) == ("MissingMediaURL", "OutputMediaConfig.MediaURL: is required")


@pytest.mark.parametrize("absent", ["StorageLocation", "FileName"])
def test_vod_output_needs_storage_location_and_file_name(absent: str) -> None:
    output = {"StorageLocation": "outin-1.oss-cn-shanghai.aliyuncs.com", "FileName": "o.mp4"}
    del output[absent]

    error = rejection(SINGLE, single_job(OutputMediaTarget="vod-media", OutputMediaConfig=output))

    assert (error.code, error.message) == (f"Missing{absent}", f"OutputMediaConfig.{absent}: is required")


def test_unknown_output_media_target_is_invalid() -> None:
    message = invalid_message(SINGLE, single_job(OutputMediaTarget="ftp"))

    assert message == "OutputMediaTarget: must be one of 'oss-object', 'vod-media' or 'S3'"


def test_s3_output_needs_no_media_url() -> None:
    request = single_job(OutputMediaTarget="S3", OutputMediaConfig={"Bucket": "b", "ObjectKey": "o.mp4"})

    validate_params(SINGLE, request)


def test_single_output_media_url_is_literal_and_needs_no_index() -> None:
    validate_params(SINGLE, single_job(OutputMediaConfig={"MediaURL": f"{OSS}/out/fixed.mp4"}))


def test_output_width_above_4096_is_invalid_parameter_naming_the_field() -> None:
    output = {"MediaURL": f"{OSS}/o.mp4", "Width": 4097}

    message = invalid_message(SINGLE, single_job(OutputMediaConfig=output))

    assert message == "OutputMediaConfig.Width: must be between 128 and 4096"


def test_output_height_below_128_is_invalid_parameter_naming_the_field() -> None:
    output = {"MediaURL": f"{OSS}/o.mp4", "Height": 127}

    message = invalid_message(SINGLE, single_job(OutputMediaConfig=output))

    assert message == "OutputMediaConfig.Height: must be between 128 and 4096"


@pytest.mark.parametrize("width, height, shorter", [(3000, 2161, "Height"), (2200, 4096, "Width")])
def test_output_shorter_side_above_2160_is_invalid_naming_the_shorter_side(
    width: int, height: int, shorter: str
) -> None:
    output = {"MediaURL": f"{OSS}/o.mp4", "Width": width, "Height": height}

    message = invalid_message(SINGLE, single_job(OutputMediaConfig=output))

    assert message.startswith(f"OutputMediaConfig.{shorter}: the shorter side must be at most 2160")


@pytest.mark.parametrize("width, height", [(4096, 2160), (2160, 4096), (128, 128), (4096, 128)])
def test_output_size_at_the_limits_is_accepted(width: int, height: int) -> None:
    output = {"MediaURL": f"{OSS}/o.mp4", "Width": width, "Height": height}

    validate_params(SINGLE, single_job(OutputMediaConfig=output))


def test_fractional_output_width_is_invalid() -> None:
    output = {"MediaURL": f"{OSS}/o.mp4", "Width": 720.5}

    message = invalid_message(SINGLE, single_job(OutputMediaConfig=output))

    assert message == "OutputMediaConfig.Width: must be an integer"


@pytest.mark.parametrize("duration", [0, -1])
def test_output_max_duration_must_be_positive(duration: float) -> None:
    output = {"MediaURL": f"{OSS}/o.mp4", "MaxDuration": duration}

    message = invalid_message(SINGLE, single_job(OutputMediaConfig=output))

    assert message == "OutputMediaConfig.MaxDuration: must be greater than 0"


def test_negative_cover_start_time_is_invalid() -> None:
    request = single_job(EditingProduceConfig={"CoverConfig": {"StartTime": -1}})

    message = invalid_message(SINGLE, request)

    assert message == "EditingProduceConfig.CoverConfig.StartTime: must be at least 0"


def test_editing_produce_flag_that_is_not_a_boolean_is_invalid() -> None:
    request = single_job(EditingProduceConfig={"AutoRegisterInputVodMedia": "maybe"})

    message = invalid_message(SINGLE, request)

    assert message == "EditingProduceConfig.AutoRegisterInputVodMedia: must be a boolean"


# --- UserData and ClientToken (every API) ------------------------------------------------------


@pytest.mark.parametrize("user_data", ["[1, 2]", '"text"', [{"NotifyAddress": "x"}], "42"])
def test_user_data_must_be_a_json_object(user_data: Any) -> None:
    message = invalid_message(SINGLE, single_job(UserData=user_data))

    assert message == "UserData: must be a JSON object"


def _user_data_of(size: int) -> dict[str, str]:
    """UserData whose compact JSON text is `size` bytes, padded with 3-byte characters."""
    overhead = len('{"k":""}')
    wide, narrow = divmod(size - overhead, 3)
    return {"k": "字" * wide + "a" * narrow}


def test_user_data_of_512_bytes_is_accepted() -> None:
    validate_params(SINGLE, single_job(UserData=_user_data_of(512)))


def test_user_data_of_513_bytes_is_invalid() -> None:
    message = invalid_message(SINGLE, single_job(UserData=_user_data_of(513)))

    assert message == "UserData: must be at most 512 bytes as compact JSON, is 513"


def test_user_data_size_is_measured_on_compact_json_not_on_the_given_text() -> None:
    user_data = _user_data_of(512)
    roomy_text = json.dumps(user_data, indent=8)  # well over 512 bytes as written

    validate_params(SINGLE, single_job(UserData=roomy_text))


@pytest.mark.parametrize("address", ["https://example.com/ims/cb", "http://example.com/cb", "ice-callback-demo"])
def test_notify_address_may_be_a_url_or_an_ice_callback_queue(address: str) -> None:
    validate_params(SINGLE, single_job(UserData={"NotifyAddress": address}))


@pytest.mark.parametrize("address", ["my-queue", "ftp://example.com/cb", ""])
def test_notify_address_of_another_kind_is_invalid(address: str) -> None:
    message = invalid_message(SINGLE, single_job(UserData={"NotifyAddress": address}))

    assert message.startswith("UserData.NotifyAddress: must be an http(s) URL or an MNS queue")


def test_client_token_of_64_ascii_characters_is_accepted() -> None:
    validate_params(SINGLE, single_job(ClientToken="t" * 64))


@pytest.mark.parametrize("token", ["t" * 65, "token-é"])
def test_client_token_longer_than_64_or_not_ascii_is_invalid(token: str) -> None:
    message = invalid_message(SINGLE, single_job(ClientToken=token))

    assert message == "ClientToken: must be at most 64 ASCII characters"


@pytest.mark.parametrize("api", [BATCH, SCENE_BATCH])
def test_user_data_rules_apply_to_the_batch_apis_too(api: Api) -> None:
    base = batch_job() if api is BATCH else dict(DIGEST_SCENE_BATCH_EDITING)

    message = invalid_message(api, base | {"UserData": "[]"})

    assert message == "UserData: must be a JSON object"


# --- Timeline (delegated to imsd.api.timeline) -------------------------------------------------


def install_timeline_model(monkeypatch: pytest.MonkeyPatch, model: Any) -> None:
    """Stand `model` in for imsd.api.timeline.Timeline, to test the hand-over alone."""
    module = types.ModuleType("imsd.api.timeline")
    module.Timeline = model  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "imsd.api.timeline", module)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="allow")


class _Clip(_Strict):
    In: int = 0


class _Gain(_Strict):
    Type: Literal["Volume"]
    Gain: float = 1


class _Other(_Strict):
    Type: str


class _TimelineWithUnion(_Strict):
    Clips: list[_Clip] = []
    Effects: list[
        Annotated[
            Annotated[_Gain, Tag("Volume")] | Annotated[_Other, Tag("Other")],
            Discriminator(lambda v: "Volume" if v.get("Type") == "Volume" else "Other"),
        ]
    ] = []


def test_timeline_is_handed_to_the_timeline_model_parsed(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[Any] = []

    class Recording:
        @staticmethod
        def model_validate(document: Any) -> None:
            seen.append(document)

    install_timeline_model(monkeypatch, Recording)

    validate_params(SINGLE, single_job(ProjectId=None, Timeline='{"VideoTracks":[]}'))

    assert seen == [{"VideoTracks": []}]


def test_timeline_model_errors_are_reported_under_timeline(monkeypatch: pytest.MonkeyPatch) -> None:
    install_timeline_model(monkeypatch, _TimelineWithUnion)

    message = invalid_message(SINGLE, single_job(ProjectId=None, Timeline={"Clips": [{}, {"In": "x"}]}))

    assert message == "Timeline.Clips[1].In: must be an integer"


def test_union_tags_are_left_out_of_timeline_error_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    install_timeline_model(monkeypatch, _TimelineWithUnion)
    timeline = {"Effects": [{"Type": "Volume", "Gain": "loud"}]}

    message = invalid_message(SINGLE, single_job(ProjectId=None, Timeline=timeline))

    assert message == "Timeline.Effects[0].Gain: must be a number"


def test_ims_error_from_the_timeline_model_passes_unchanged(monkeypatch: pytest.MonkeyPatch) -> None:
    raised = ImsError("TimelineFormatError", "Timeline: Both video tracks and audio tracks are empty.")

    class Refusing:
        @staticmethod
        def model_validate(document: Any) -> None:
            raise raised

    install_timeline_model(monkeypatch, Refusing)

    assert rejection(SINGLE, single_job(ProjectId=None, Timeline={})) is raised


def test_timeline_must_be_a_json_object() -> None:
    message = invalid_message(SINGLE, single_job(ProjectId=None, Timeline="[]"))

    assert message == "Timeline: must be a JSON object"


def test_timeline_rule_of_the_timeline_module_is_reported_under_timeline() -> None:
    message = invalid_message(SINGLE, single_job(ProjectId=None, Timeline={"VideoTracks": []}))

    assert message.startswith("Timeline")


# --- SubmitBatchMediaProducingJob: OutputConfig ------------------------------------------------


def test_batch_output_media_url_without_index_is_invalid() -> None:
    message = invalid_message(BATCH, batch_job(output={"MediaURL": f"{OSS}/batch/v.mp4"}))

    assert message == "OutputConfig.MediaURL: must contain {index}, which numbers the outputs"


def test_batch_output_into_vod_needs_index_in_file_name() -> None:
    output = {"MediaURL": None, "StorageLocation": "outin-1.oss-cn-shanghai.aliyuncs.com"}

    accepted = batch_job(output=output | {"FileName": "v_{index}.mp4"})
    refused = batch_job(output=output | {"FileName": "v.mp4"})

    validate_params(BATCH, accepted)
    assert invalid_message(BATCH, refused).startswith("OutputConfig.FileName: must contain {index}")


def test_batch_output_into_vod_without_storage_location_is_missing_it() -> None:
    error = rejection(BATCH, batch_job(output={"MediaURL": None, "FileName": "v_{index}.mp4"}))

    assert (error.code, error.message) == (
        "MissingStorageLocation",
        "OutputConfig.StorageLocation: is required",
    )


def test_batch_output_without_any_destination_is_missing_media_url() -> None:
    error = rejection(BATCH, batch_job(output={"MediaURL": None}))

    assert (error.code, error.message) == ("MissingMediaURL", "OutputConfig.MediaURL: is required")


def test_missing_batch_output_config_is_missing_parameter() -> None:
    assert rejection(BATCH, batch_job(OutputConfig=None)).code == "MissingOutputConfig"


@pytest.mark.parametrize("count", [0, 101])
def test_batch_count_outside_1_to_100_is_invalid(count: int) -> None:
    message = invalid_message(BATCH, batch_job(output={"Count": count}))

    assert message == "OutputConfig.Count: must be between 1 and 100"


@pytest.mark.parametrize("count", [1, 100])
def test_batch_count_at_the_limits_is_accepted(count: int) -> None:
    validate_params(BATCH, batch_job(output={"Count": count}))


def test_batch_output_size_follows_the_single_output_limits() -> None:
    message = invalid_message(BATCH, batch_job(output={"Width": 2400, "Height": 2400}))

    assert message.startswith("OutputConfig.Width: the shorter side must be at most 2160")


@pytest.mark.parametrize("field", ["MaxDuration", "FixedDuration"])
def test_batch_durations_must_be_positive(field: str) -> None:
    message = invalid_message(BATCH, batch_job(output={field: 0}))

    assert message == f"OutputConfig.{field}: must be greater than 0"


# --- SubmitBatchMediaProducingJob: InputConfig -------------------------------------------------


def test_batch_without_input_config_or_template_is_missing_input_config() -> None:
    error = rejection(BATCH, batch_job(InputConfig=None))

    assert (error.code, error.message) == ("MissingInputConfig", "InputConfig: is required")


def test_batch_with_template_config_needs_no_input_config() -> None:
    validate_params(BATCH, batch_job(InputConfig=None, TemplateConfig='["tpl-1","tpl-2"]'))


def test_template_config_must_be_a_json_object_or_array() -> None:
    message = invalid_message(BATCH, batch_job(TemplateConfig='"tpl-1"'))

    assert message == "TemplateConfig: must be a JSON object or array"


def test_input_config_without_any_media_input_is_invalid() -> None:
    message = invalid_message(BATCH, batch_job(InputConfig={"TitleArray": ["t"]}))

    assert message == ("InputConfig: one of MediaGroupArray, MediaArray, MediaSearchInput or InputMedia is required")


@pytest.mark.parametrize(
    "inputs",
    [
        {"MediaSearchInput": {"LibSearchCondition": {"SearchLibs": ["ims-default-search-lib"], "SearchText": "sea"}}},
        {"InputMedia": f"{OSS}/in/match.mp4", "SportsCategory": "basketball"},
        {
            "MediaArray": [f"{OSS}/in/a.mp4"],
            "HighlightStrategy": {"IntroConfig": {"Mode": "Auto"}, "TargetDuration": 30},
        },
    ],
    ids=["media search", "sports", "screen media highlights"],
)
def test_input_config_accepts_every_kind_of_media_input(inputs: dict[str, Any]) -> None:
    validate_params(BATCH, batch_job(InputConfig=inputs))


def test_more_than_40_groups_is_invalid() -> None:
    message = invalid_message(BATCH, script_job([group(f"g{i}") for i in range(41)]))

    assert message == "InputConfig.MediaGroupArray: must have 1 to 40 items, has 41"


def test_40_groups_of_200_media_are_accepted() -> None:
    validate_params(BATCH, script_job([group(f"g{i}", media=200) for i in range(40)]))


def test_group_with_more_than_200_media_is_invalid_naming_the_group() -> None:
    message = invalid_message(BATCH, script_job([group("a"), group("b", media=201)]))

    assert message == "InputConfig.MediaGroupArray[1].MediaArray: must have 1 to 200 items, has 201"


def test_group_without_media_is_invalid() -> None:
    message = invalid_message(BATCH, script_job([group("a", media=0)]))

    assert message == "InputConfig.MediaGroupArray[0].MediaArray: must have 1 to 200 items, has 0"


def test_group_without_name_is_missing_group_name() -> None:
    error = rejection(BATCH, script_job([{"MediaArray": ["mid-1"]}]))

    assert (error.code, error.message) == (
        "MissingGroupName",
        "InputConfig.MediaGroupArray[0].GroupName: is required",
    )


def test_group_name_longer_than_50_characters_is_invalid() -> None:
    message = invalid_message(BATCH, script_job([group("g" * 51)]))

    assert message == "InputConfig.MediaGroupArray[0].GroupName: must be at most 50 characters, is 51"


def test_duplicate_group_name_is_invalid_naming_the_repeat() -> None:
    message = invalid_message(BATCH, script_job([group("a"), group("b"), group("c"), group("a")]))

    assert message == 'InputConfig.MediaGroupArray[3].GroupName: duplicate group name "a"'


def test_more_than_50_titles_is_invalid() -> None:
    message = invalid_message(BATCH, batch_job(inputs={"TitleArray": ["t"] * 51}))

    assert message == "InputConfig.TitleArray: must have at most 50 items, has 51"


def test_title_longer_than_50_characters_is_invalid_naming_it() -> None:
    message = invalid_message(BATCH, batch_job(inputs={"TitleArray": ["ok", "标" * 51]}))

    assert message == "InputConfig.TitleArray[1]: must be at most 50 characters, is 51"


def test_more_than_50_speech_texts_is_invalid() -> None:
    message = invalid_message(BATCH, batch_job(inputs={"SpeechTextArray": ["s"] * 51}))

    assert message == "InputConfig.SpeechTextArray: must have at most 50 items, has 51"


def test_speech_text_of_1000_characters_is_accepted() -> None:
    validate_params(BATCH, batch_job(inputs={"SpeechTextArray": ["s" * 1000]}))


def test_speech_text_longer_than_1000_characters_is_invalid_naming_it() -> None:
    message = invalid_message(BATCH, batch_job(inputs={"SpeechTextArray": ["s" * 1001]}))

    assert message == "InputConfig.SpeechTextArray[0]: must be at most 1000 characters, is 1001"


def test_group_speech_text_follows_the_same_limits() -> None:
    message = invalid_message(BATCH, script_job([group("a", SpeechTextArray=["s"] * 51)]))

    assert message == "InputConfig.MediaGroupArray[0].SpeechTextArray: must have at most 50 items, has 51"


def test_global_and_group_speech_are_mutually_exclusive() -> None:
    request = script_job(
        [group("a"), group("b", SpeechTextArray=["per group"])],
        inputs={"SpeechTextArray": ["global"]},
    )

    message = invalid_message(BATCH, request)

    assert message.startswith(
        "InputConfig.MediaGroupArray[1].SpeechTextArray: not allowed together with InputConfig.SpeechTextArray"
    )


def test_group_speech_alone_is_accepted() -> None:
    validate_params(BATCH, script_job([group("a", SpeechTextArray=["one"]), group("b", SpeechTextArray=["two"])]))


def test_fixed_duration_is_invalid_in_group_speech_mode() -> None:
    request = script_job([group("a", SpeechTextArray=["one"])], output={"FixedDuration": 15})

    message = invalid_message(BATCH, request)

    assert message.startswith("OutputConfig.FixedDuration: not allowed in group speech mode")


def test_fixed_duration_is_accepted_without_group_speech() -> None:
    validate_params(BATCH, script_job([group("a", Duration=3)], output={"FixedDuration": 15}))


@pytest.mark.parametrize("duration", [0, -2])
def test_group_duration_must_be_positive(duration: float) -> None:
    message = invalid_message(BATCH, script_job([group("a", Duration=duration)]))

    assert message == "InputConfig.MediaGroupArray[0].Duration: must be greater than 0"


@pytest.mark.parametrize("array", ["BackgroundMusicArray", "BackgroundImageArray", "OpeningArray", "EndingArray"])
def test_pick_one_array_of_more_than_50_items_is_invalid(array: str) -> None:
    message = invalid_message(BATCH, batch_job(inputs={array: [f"mid-{i}" for i in range(51)]}))

    assert message == f"InputConfig.{array}: must have at most 50 items, has 51"


@pytest.mark.parametrize("level", [0, 6])
def test_subheading_level_outside_1_to_5_is_invalid(level: int) -> None:
    inputs = {"SubHeadingArray": [{"Level": level, "TitleArray": ["sub"]}]}

    message = invalid_message(BATCH, batch_job(inputs=inputs))

    assert message == "InputConfig.SubHeadingArray[0].Level: must be between 1 and 5"


def test_subheading_titles_follow_the_title_limits() -> None:
    inputs = {"SubHeadingArray": [{"Level": 1, "TitleArray": ["x" * 51]}]}

    message = invalid_message(BATCH, batch_job(inputs=inputs))

    assert message == "InputConfig.SubHeadingArray[0].TitleArray[0]: must be at most 50 characters, is 51"


def test_sticker_without_media_id_or_url_is_invalid() -> None:
    inputs = {"StickerArray": [{"MediaId": "mid-1"}, {"X": 10, "Y": 10}]}

    message = invalid_message(BATCH, batch_job(inputs=inputs))

    assert message == "InputConfig.StickerArray[1].MediaId|MediaURL: one of MediaId or MediaURL is required"


@pytest.mark.parametrize(
    "field, value, problem",
    [("DyncFrames", 101, "between 0 and 100"), ("Opacity", 1.5, "between 0 and 1")],
)
def test_sticker_frame_count_and_opacity_are_bounded(field: str, value: float, problem: str) -> None:
    inputs = {"StickerArray": [{"MediaURL": f"{OSS}/logo.png", field: value}]}

    message = invalid_message(BATCH, batch_job(inputs=inputs))

    assert message == f"InputConfig.StickerArray[0].{field}: must be {problem}"


def test_highlight_target_duration_below_5_seconds_is_invalid() -> None:
    inputs = {"HighlightStrategy": {"TargetDuration": 4}}

    message = invalid_message(BATCH, batch_job(inputs=inputs))

    assert message == "InputConfig.HighlightStrategy.TargetDuration: must be at least 5"


def test_highlight_intro_mode_must_be_known() -> None:
    inputs = {"HighlightStrategy": {"IntroConfig": {"Mode": "Always"}}}

    message = invalid_message(BATCH, batch_job(inputs=inputs))

    assert message == "InputConfig.HighlightStrategy.IntroConfig.Mode: must be one of 'Auto' or 'Disabled'"


# --- SubmitBatchMediaProducingJob: EditingConfig -----------------------------------------------


@pytest.mark.parametrize(
    "editing, path",
    [
        ({"MediaConfig": {"Volume": 10.01}}, "EditingConfig.MediaConfig.Volume"),
        ({"SpeechConfig": {"Volume": 11}}, "EditingConfig.SpeechConfig.Volume"),
        ({"SpeechConfig": {"Gain": -0.1}}, "EditingConfig.SpeechConfig.Gain"),
        ({"BackgroundMusicConfig": {"Volume": 12}}, "EditingConfig.BackgroundMusicConfig.Volume"),
        ({"BackgroundMusicConfig": {"Gain": 20}}, "EditingConfig.BackgroundMusicConfig.Gain"),
    ],
)
def test_volume_outside_0_to_10_is_invalid(editing: dict[str, Any], path: str) -> None:
    message = invalid_message(BATCH, batch_job(editing=editing))

    assert message == f"{path}: must be between 0 and 10"


def test_group_volume_outside_0_to_10_is_invalid() -> None:
    message = invalid_message(BATCH, script_job([group("a", Volume=10.5)]))

    assert message == "InputConfig.MediaGroupArray[0].Volume: must be between 0 and 10"


def test_background_music_config_accepts_the_older_gain_key() -> None:
    editing = {"BackgroundMusicConfig": {"Gain": 0.3}, "SpeechConfig": {"Style": "Gentle", "Gain": 1.1}}

    result = validate_params(BATCH, batch_job(editing=editing))

    assert result["EditingConfig"] == editing


def test_media_metadata_needs_a_group_name_in_script_mode() -> None:
    editing = {"MediaConfig": {"MediaMetaDataArray": [{"Media": "mid-1", "TimeRangeList": [{"In": 0, "Out": 2}]}]}}

    error = rejection(BATCH, script_job([group("a")], editing=editing))

    assert (error.code, error.message) == (
        "MissingGroupName",
        "EditingConfig.MediaConfig.MediaMetaDataArray[0].GroupName: is required",
    )


def test_media_metadata_needs_no_group_name_outside_script_mode() -> None:
    editing = {"MediaConfig": {"MediaMetaDataArray": [{"Media": "mid-1"}]}}

    validate_params(BATCH, batch_job(editing=editing))


def test_time_range_out_must_follow_in() -> None:
    meta = {"Media": "mid-1", "GroupName": "a", "TimeRangeList": [{"In": 0, "Out": 2}, {"In": 5, "Out": 5}]}
    editing = {"MediaConfig": {"MediaMetaDataArray": [meta]}}

    message = invalid_message(BATCH, script_job([group("a")], editing=editing))

    assert message == "EditingConfig.MediaConfig.MediaMetaDataArray[0].TimeRangeList[1].Out: must be greater than In"


@pytest.mark.parametrize(
    "editing, path",
    [
        ({"TitleConfig": {"FontSize": 5001}}, "EditingConfig.TitleConfig.FontSize"),
        ({"SpeechConfig": {"AsrConfig": {"FontSize": -1}}}, "EditingConfig.SpeechConfig.AsrConfig.FontSize"),
        ({"SubHeadingConfig": {"1": {"FontSize": 9999}}}, "EditingConfig.SubHeadingConfig.1.FontSize"),
    ],
)
def test_text_styles_share_the_font_size_range(editing: dict[str, Any], path: str) -> None:
    message = invalid_message(BATCH, batch_job(editing=editing))

    assert message == f"{path}: must be between 0 and 5000"


def test_subheading_config_is_keyed_by_level() -> None:
    message = invalid_message(BATCH, batch_job(editing={"SubHeadingConfig": {"6": {"Y": 0.2}}}))

    assert message == "EditingConfig.SubHeadingConfig.6: must be one of '1', '2', '3', '4' or '5'"


def test_process_config_alignment_mode_must_be_known() -> None:
    message = invalid_message(BATCH, batch_job(editing={"ProcessConfig": {"AlignmentMode": "Stretch"}}))

    assert message == "EditingConfig.ProcessConfig.AlignmentMode: must be one of 'AutoSpeed' or 'Cut'"


def test_process_config_shot_duration_must_be_positive() -> None:
    message = invalid_message(BATCH, batch_job(editing={"ProcessConfig": {"SingleShotDuration": 0}}))

    assert message == "EditingConfig.ProcessConfig.SingleShotDuration: must be greater than 0"


# --- scene APIs --------------------------------------------------------------------------------


def test_media_selection_job_type_must_be_a_selection_type() -> None:
    request = SEED_SCENE_MEDIA_SELECTION | {"JobType": "Smart_Mix_Timeline_Organize"}

    message = invalid_message(SELECTION, request)

    assert message == ("JobType: must be one of 'Smart_Mix_Media_Select' or 'Screen_Media_Highlights_Media_Select'")


@pytest.mark.parametrize("api", [SELECTION, ORGANIZATION])
def test_scene_job_without_job_type_is_missing_job_type(api: Api) -> None:
    request = SEED_SCENE_MEDIA_SELECTION if api is SELECTION else SEED_SCENE_TIMELINE_ORGANIZATION

    assert rejection(api, request | {"JobType": None}).code == "MissingJobType"


@pytest.mark.parametrize("api", [SELECTION, ORGANIZATION])
def test_scene_job_without_input_config_is_missing_input_config(api: Api) -> None:
    request = SEED_SCENE_MEDIA_SELECTION if api is SELECTION else SEED_SCENE_TIMELINE_ORGANIZATION

    assert rejection(api, _merged(request, {"InputConfig": None})).code == "MissingInputConfig"


def test_scene_jobs_share_the_batch_output_rules() -> None:
    request = SEED_SCENE_MEDIA_SELECTION | {"OutputConfig": {"MediaURL": f"{OSS}/v.mp4"}}

    assert invalid_message(SELECTION, request).startswith("OutputConfig.MediaURL: must contain {index}")


def test_highlights_media_selection_is_accepted() -> None:
    request = SEED_SCENE_MEDIA_SELECTION | {"JobType": "Screen_Media_Highlights_Media_Select"}

    validate_params(SELECTION, request)


def test_timeline_organization_job_type_must_be_an_organize_type() -> None:
    request = SEED_SCENE_TIMELINE_ORGANIZATION | {"JobType": "Smart_Mix_Media_Select"}

    message = invalid_message(ORGANIZATION, request)

    assert message.startswith("JobType: must be one of 'Smart_Mix_Timeline_Organize'")


def test_timeline_organization_without_selection_result_is_missing_it() -> None:
    request = _merged(SEED_SCENE_TIMELINE_ORGANIZATION, {"MediaSelectResult": None})

    assert rejection(ORGANIZATION, request).code == "MissingMediaSelectResult"


def test_smart_mix_selection_result_needs_the_text_match_list() -> None:
    request = SEED_SCENE_TIMELINE_ORGANIZATION | {"MediaSelectResult": {"clips": []}}

    error = rejection(ORGANIZATION, request)

    assert (error.code, error.message) == (
        "MissingtextMatchMediaOutputList",
        "MediaSelectResult.textMatchMediaOutputList: is required",
    )


def test_highlights_selection_result_shape_is_left_to_the_service() -> None:
    request = SEED_SCENE_TIMELINE_ORGANIZATION | {
        "JobType": "Screen_Media_Highlights_Timeline_Organize",
        "MediaSelectResult": {"highlights": [{"mediaId": "mid-1", "ranges": [[0, 3]]}]},
    }

    validate_params(ORGANIZATION, request)


def test_matched_clip_must_end_after_it_starts() -> None:
    selection = json.loads(SEED_MEDIA_SELECT_RESULT)
    clip = selection["textMatchMediaOutputList"][0]["textMatchMediaSentenceOutputList"][0]["matchClipList"][0]
    clip["endTime"] = clip["startTime"]

    message = invalid_message(ORGANIZATION, SEED_SCENE_TIMELINE_ORGANIZATION | {"MediaSelectResult": selection})

    assert message == (
        "MediaSelectResult.textMatchMediaOutputList[0].textMatchMediaSentenceOutputList[0]"
        ".matchClipList[0].endTime: must be greater than startTime"
    )


def test_matched_clip_without_media_id_is_missing_it() -> None:
    selection = {
        "textMatchMediaOutputList": [
            {"textMatchMediaSentenceOutputList": [{"matchClipList": [{"startTime": 0, "endTime": 1}]}]}
        ]
    }

    error = rejection(ORGANIZATION, SEED_SCENE_TIMELINE_ORGANIZATION | {"MediaSelectResult": selection})

    assert error.code == "MissingmediaId"


def test_scene_batch_editing_without_project_ids_is_missing_them() -> None:
    assert rejection(SCENE_BATCH, _merged(DIGEST_SCENE_BATCH_EDITING, {"ProjectIds": None})).code == "MissingProjectIds"


@pytest.mark.parametrize("project_ids", ["prj-1,,prj-3", "prj-1, ", ","])
def test_scene_batch_editing_project_list_without_empty_items(project_ids: str) -> None:
    message = invalid_message(SCENE_BATCH, DIGEST_SCENE_BATCH_EDITING | {"ProjectIds": project_ids})

    assert message.startswith("ProjectIds: project ID ")


@pytest.mark.parametrize("field, value", [("Count", 3), ("GeneratePreviewOnly", True)])
def test_scene_batch_editing_output_takes_no_count_fields(field: str, value: Any) -> None:
    output = DIGEST_SCENE_BATCH_EDITING["OutputConfig"] | {field: value}

    message = invalid_message(SCENE_BATCH, DIGEST_SCENE_BATCH_EDITING | {"OutputConfig": output})

    assert message.startswith(f"OutputConfig.{field}: not accepted by SubmitSceneBatchEditingJob")


def test_scene_batch_editing_output_url_needs_index() -> None:
    output = DIGEST_SCENE_BATCH_EDITING["OutputConfig"] | {"MediaURL": f"{OSS}/v.mp4"}

    message = invalid_message(SCENE_BATCH, DIGEST_SCENE_BATCH_EDITING | {"OutputConfig": output})

    assert message.startswith("OutputConfig.MediaURL: must contain {index}")


# --- properties --------------------------------------------------------------------------------

# Names the generators favour, so that random documents often reach the interesting fields.
FIELD_NAMES = sorted(
    JSON_PARAMS
    | {
        "ProjectId",
        "TemplateId",
        "OutputMediaTarget",
        "ClientToken",
        "JobType",
        "ProjectIds",
        "MediaURL",
        "StorageLocation",
        "FileName",
        "Width",
        "Height",
        "Count",
        "MaxDuration",
        "FixedDuration",
        "NotifyAddress",
        "MediaGroupArray",
        "GroupName",
        "MediaArray",
        "SpeechTextArray",
        "TitleArray",
        "SubHeadingArray",
        "Level",
        "StickerArray",
        "MediaId",
        "Volume",
        "Gain",
        "MediaConfig",
        "MediaMetaDataArray",
        "TimeRangeList",
        "In",
        "Out",
        "SubHeadingConfig",
        "1",
        "FontSize",
        "VideoTracks",
        "VideoTrackClips",
        "AudioTracks",
        "Effects",
        "Type",
        "textMatchMediaOutputList",
        "textMatchMediaSentenceOutputList",
        "matchClipList",
        "startTime",
        "endTime",
        "mediaId",
    }
)

names = st.sampled_from(FIELD_NAMES) | st.text(max_size=6)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats()
    | st.sampled_from(["", "{index}", "a,b", "Smart_Mix_Media_Select", "vod-media", "https://x/{index}"])
    | st.text(max_size=12)
)
documents = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=5),
    max_leaves=30,
)
param_values = documents | documents.map(lambda value: json.dumps(value))


@settings(max_examples=400, deadline=None)
@given(api=st.sampled_from(Api), params=st.dictionaries(names, param_values, max_size=7))
def test_arbitrary_json_params_raise_nothing_but_ims_error(api: Api, params: dict[str, Any]) -> None:
    try:
        result = validate_params(api, params)
    except ImsError as error:
        assert error.code == "InvalidParameter" or error.code.startswith("Missing")
    else:
        assert result.keys() == params.keys()


def _outcome(call: Callable[[], dict[str, Any]]) -> tuple[str, Any]:
    try:
        return "accepted", call()
    except ImsError as error:
        return error.code, error.message


VALID_REQUESTS = {
    SINGLE: single_job(),
    BATCH: batch_job(),
    SELECTION: SEED_SCENE_MEDIA_SELECTION,
    ORGANIZATION: SEED_SCENE_TIMELINE_ORGANIZATION,
    SCENE_BATCH: DIGEST_SCENE_BATCH_EDITING,
}
finite_documents = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(names, inner, max_size=5),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(
    api=st.sampled_from(Api),
    name=st.sampled_from(sorted(JSON_PARAMS)),
    document=st.lists(finite_documents, max_size=3) | st.dictionaries(names, finite_documents, max_size=5),
)
def test_json_text_and_object_forms_of_a_param_have_the_same_outcome(api: Api, name: str, document: Any) -> None:
    request = VALID_REQUESTS[api]

    as_object = _outcome(lambda: validate_params(api, request | {name: document}))
    as_text = _outcome(lambda: validate_params(api, request | {name: json.dumps(document)}))

    assert as_object == as_text
