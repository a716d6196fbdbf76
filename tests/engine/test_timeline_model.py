"""Timeline and OutputMediaConfig validation: what is refused, and how the error names it."""

from __future__ import annotations

from typing import Any

import pytest
from imsd.api.timeline import (
    OtherEffect,
    TransitionEffect,
    VolumeEffect,
    parse_output,
    parse_timeline,
)
from imsd.errors import ImsError


def clip(**fields: Any) -> dict[str, Any]:
    return {"VideoTracks": [{"VideoTrackClips": [{"MediaURL": "a.mp4", **fields}]}]}


def message(data: Any) -> str:
    with pytest.raises(ImsError) as err:
        parse_timeline(data)
    assert err.value.code == "InvalidParameter"
    return err.value.message


def test_in_after_out_names_out() -> None:
    assert message(clip(In=3, Out=1)).startswith("Timeline.VideoTracks[0].VideoTrackClips[0].Out:")


def test_timeline_out_before_timeline_in_names_timeline_out() -> None:
    assert ".TimelineOut:" in message(clip(TimelineIn=3, TimelineOut=1))


def test_negative_times_are_refused() -> None:
    assert ".In:" in message(clip(In=-0.5))


def test_speed_outside_its_range_is_refused() -> None:
    assert ".Speed:" in message(clip(Speed=200))


def test_both_tracks_empty_is_refused() -> None:
    assert message({"VideoTracks": []}) == ("Timeline: Both video tracks and audio tracks are empty.")


def test_more_than_100_tracks_is_refused() -> None:
    tracks = [{"VideoTrackClips": []}] * 101
    assert message({"VideoTracks": tracks}).startswith("Timeline.VideoTracks:")


def test_volume_without_gain_is_refused() -> None:
    assert ".Effects[0].Gain:" in message(clip(Effects=[{"Type": "Volume", "Volume": 1}]))


def test_a_clip_needs_a_media_reference() -> None:
    bare = {"VideoTracks": [{"VideoTrackClips": [{"In": 0}]}]}
    assert "MediaId or MediaURL is required" in message(bare)


def test_unknown_fields_and_effect_types_are_tolerated() -> None:
    tl = parse_timeline(
        clip(
            Novel=1,
            Effects=[{"Type": "Hologram", "SubType": "x"}, {"Type": "Transition"}, {"Type": "Volume", "Gain": 0.5}],
        )
    )
    effects = tl.VideoTracks[0].VideoTrackClips[0].Effects
    assert [type(e) for e in effects] == [OtherEffect, TransitionEffect, VolumeEffect]
    assert tl.VideoTracks[0].VideoTrackClips[0].model_extra == {"Novel": 1}


def test_unknown_clip_types_do_not_need_media() -> None:
    tl = parse_timeline({"VideoTracks": [{"VideoTrackClips": [{"Type": "AI_Avatar"}]}]})
    assert tl.VideoTracks[0].VideoTrackClips[0].Type == "AI_Avatar"


def test_text_clips_need_a_font_size() -> None:
    data = {**clip(), "SubtitleTracks": [{"SubtitleTrackClips": [{"Content": "hi"}]}]}
    assert "FontSize is required" in message(data)


def test_font_colours_must_be_rrggbb() -> None:
    text = {"Content": "hi", "FontSize": 10, "FontColor": "red"}
    data = {**clip(), "SubtitleTracks": [{"SubtitleTrackClips": [text]}]}
    assert ".FontColor:" in message(data)


@pytest.mark.parametrize(
    ("output", "field"),
    [
        ({"Width": 5000, "Height": 1080}, "OutputMediaConfig.Width:"),
        ({"Width": 1080, "Height": 100}, "OutputMediaConfig.Height:"),
        ({"Width": 3000, "Height": 3000}, "OutputMediaConfig: the shorter side"),
    ],
)
def test_output_sizes_outside_the_ims_limits_are_refused(output: Any, field: str) -> None:
    with pytest.raises(ImsError) as err:
        parse_output(output)
    assert err.value.message.startswith(field)
