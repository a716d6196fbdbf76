"""Regular templates: Config + ClipsParam merged into the Timeline the template pages document."""

from __future__ import annotations

import pytest
from imsd.api.templates import merge_template, template_parameters
from imsd.errors import ImsError

DETAILS = "https://help.aliyun.com/document_detail/277430.htm"  # Details of a regular template config
CREATE_AND_USE = "https://help.aliyun.com/document_detail/328557.html"  # Create and use a regular template

WATERMARK_CONFIG = {
    "VideoTracks": [{"VideoTrackClips": [{"MediaId": "$Video"}]}],
    "ImageTracks": [
        {
            "ImageTrackClips": [
                {"ImageId": "******e01cb05d417c3dbcd1b9******", "Width": 200, "Height": 60, "X": 40, "Y": 40}
            ]
        }
    ],
}
VIDEO_MERGE_CONFIG = {
    "VideoTracks": [
        {
            "VideoTrackClips": [
                {"Sys_Type": "ArrayItems", "Sys_ArrayObject": "$VideoArray", "Sys_Template": {"MediaId": "$MediaId"}}
            ]
        }
    ]
}


def test_the_documented_watermark_config_merges_into_the_documented_timeline() -> None:
    """DETAILS, "Add a watermark to a video": Config, ClipsParam {"Video": ...}, Timeline, verbatim."""
    timeline = merge_template(WATERMARK_CONFIG, {"Video": "****20b48fb04483915d4f2cd8ac****"})
    assert timeline == {
        "VideoTracks": [{"VideoTrackClips": [{"MediaId": "****20b48fb04483915d4f2cd8ac****"}]}],
        "ImageTracks": [
            {
                "ImageTrackClips": [
                    {"ImageId": "******e01cb05d417c3dbcd1b9******", "Width": 200, "Height": 60, "X": 40, "Y": 40}
                ]
            }
        ],
    }


def test_the_documented_video_merge_config_repeats_its_item_per_array_element() -> None:
    """CREATE_AND_USE: the VideoMerge Config; its ClipsParam VideoArray lists MediaIds."""
    timeline = merge_template(VIDEO_MERGE_CONFIG, {"VideoArray": ["mid-1", "mid-2", "mid-3"]})
    clips = [{"MediaId": "mid-1"}, {"MediaId": "mid-2"}, {"MediaId": "mid-3"}]
    assert timeline == {"VideoTracks": [{"VideoTrackClips": clips}]}


def test_an_array_element_that_is_a_url_fills_media_url() -> None:
    """The template library takes MediaIds or OSS URLs, mixed (help.aliyun.com/document_detail/197962.htm)."""
    url = "https://bucket.oss-cn-shanghai.aliyuncs.com/in/a.mp4"
    timeline = merge_template(VIDEO_MERGE_CONFIG, {"VideoArray": ["mid-1", url]})
    assert timeline["VideoTracks"][0]["VideoTrackClips"] == [{"MediaId": "mid-1"}, {"MediaURL": url}]


def test_an_array_element_that_is_an_object_fills_the_names_it_holds() -> None:
    config = {"SubtitleTracks": [{"SubtitleTrackClips": [
        {"Sys_Type": "ArrayItems", "Sys_ArrayObject": "$Lines",
         "Sys_Template": {"Type": "Text", "Content": "$Text", "FontColor": "$Color:#ffffff"}}]}]}  # fmt: skip
    timeline = merge_template(config, {"Lines": [{"Text": "one"}, {"Text": "two", "Color": "#ff0000"}]})
    assert timeline["SubtitleTracks"][0]["SubtitleTrackClips"] == [
        {"Type": "Text", "Content": "one", "FontColor": "#ffffff"},
        {"Type": "Text", "Content": "two", "FontColor": "#ff0000"},
    ]


def test_a_parameter_takes_its_default_when_clips_param_lacks_it() -> None:
    clip = {"Type": "Text", "Content": "$Title:Hello, world", "X": "$X:40"}
    config = {"SubtitleTracks": [{"SubtitleTrackClips": [clip]}]}
    clip = merge_template(config, {})["SubtitleTracks"][0]["SubtitleTrackClips"][0]
    assert clip == {"Type": "Text", "Content": "Hello, world", "X": 40}


def test_null_removes_the_field_that_names_the_parameter() -> None:
    config = {"VideoTracks": [{"VideoTrackClips": [{"MediaId": "$Video", "Effects": "$Effects"}]}]}
    timeline = merge_template(config, {"Video": "mid-1", "Effects": "NULL"})
    assert timeline == {"VideoTracks": [{"VideoTrackClips": [{"MediaId": "mid-1"}]}]}


def test_a_parameter_without_a_value_or_default_is_refused_naming_it() -> None:
    with pytest.raises(ImsError) as refused:
        merge_template(WATERMARK_CONFIG, {"Vdeo": "mid-1"})
    assert (refused.value.code, refused.value.message.split(":")[0]) == ("InvalidParameter", "ClipsParam.Video")


def test_a_template_lists_the_parameters_it_asks_for() -> None:
    assert template_parameters(WATERMARK_CONFIG) == ["Video"]
    assert template_parameters(VIDEO_MERGE_CONFIG) == ["VideoArray", "MediaId"]


def test_a_job_s_values_go_over_its_template_s_and_objects_merge_key_by_key() -> None:
    from imsd.api.templates import under

    template = {"Width": 720, "Video": {"Crf": 30, "Fps": 25}, "Tags": ["a"]}
    job = {"Width": 1080, "Video": {"Fps": 30}, "Tags": ["b"]}
    assert under(template, job) == {"Width": 1080, "Video": {"Crf": 30, "Fps": 30}, "Tags": ["b"]}
    assert under(template, None) == template
