"""Timeline -> filter graph, checked as data: no ffmpeg runs here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from imsd.api.timeline import parse_output, parse_timeline
from imsd.engine.media import MediaInfo
from imsd.engine.render.compose import Plan, compose, media_refs
from imsd.engine.render.effects import filter_look
from imsd.engine.render.transitions import TEXTURES, xfade_transition
from imsd.errors import ImsError
from imsd.settings import EngineSettings

VIDEO = MediaInfo(path=Path("/m/v.mp4"), duration=2.0, width=320, height=240, fps=10, has_video=True, has_audio=True)
SILENT = VIDEO.model_copy(update={"has_audio": False})
IMAGE = MediaInfo(path=Path("/m/i.png"), width=200, height=150, has_video=True, is_image=True)
AUDIO = MediaInfo(path=Path("/m/a.wav"), duration=1.0, has_audio=True)
SETTINGS = EngineSettings(default_fps=10)


def plan(timeline: dict[str, Any], info: MediaInfo = VIDEO, audio: MediaInfo = AUDIO, **output: Any) -> Plan:
    tl = parse_timeline(timeline)
    media = {r.key: audio if r.key.startswith("Audio") else info for r in media_refs(tl)}
    out = parse_output({"Width": 160, "Height": 128, **output})
    return compose(tl, out, media, Path("/work"), SETTINGS)


def clips(*items: dict[str, Any]) -> dict[str, Any]:
    return {"VideoTracks": [{"VideoTrackClips": [{"MediaURL": "v.mp4", **c} for c in items]}]}


def test_one_clip_is_trimmed_to_its_frames_and_overlaid_on_black() -> None:
    p = plan(clips({"Width": 0.5}))
    assert p.frames == 20
    assert [x.arg("end_frame") for x in p.graph.find("trim")] == [20, 20]
    assert [x.arg("c") for x in p.graph.find("color")] == ["black@0", "black"]  # its canvas, the base
    assert p.inputs[0].options == ("-t", "2")


def test_an_opaque_full_canvas_clip_replaces_the_black_base_instead_of_an_overlay() -> None:
    p = plan(clips({}), Width=192, Height=144)  # the clip's own 4:3, so fitting it whole fills the canvas
    assert [x.arg("end_frame") for x in p.graph.find("trim")] == [20, 20]
    assert not p.graph.find("color") and not p.graph.find("overlay")


def test_in_out_become_input_seek_and_length() -> None:
    p = plan(clips({"In": 0.5, "Out": 1.5}))
    assert p.inputs[0].options == ("-ss", "0.5", "-t", "1")
    assert p.frames == 10


def test_a_transition_is_an_xfade_at_the_end_of_the_earlier_clip() -> None:
    fade = {"Type": "Transition", "SubType": "fade", "Duration": 0.5}
    p = plan(clips({"Effects": [fade]}, {}))
    xfade = p.graph.find("xfade")[0]
    assert (xfade.arg("transition"), xfade.arg("duration"), xfade.arg("offset")) == ("fade", 0.5, 0)
    # only the window goes through xfade: the last 5 frames of the first clip, the first 5 of the next
    trims = [(x.arg("start_frame"), x.arg("end_frame")) for x in p.graph.find("trim")]
    assert (15, None) in trims and (None, 5) in trims
    assert p.graph.find("concat")[0].arg("n") == 3  # before, window, after
    assert p.frames == 35


def test_the_clips_audio_crossfades_under_a_transition() -> None:
    fade = {"Type": "Transition", "SubType": "fade", "Duration": 0.5}
    fades = plan(clips({"Effects": [fade]}, {})).graph.find("afade")
    assert {(x.arg("t"), x.arg("d")) for x in fades} == {("out", 0.5), ("in", 0.5)}


def test_luma_reads_the_picture_shipped_with_imsd_and_is_listed_as_approximated() -> None:
    """luma.glsl's luma map is a picture no Timeline names: the one shipped (gl-transitions'
    default), read by the graph from the package, and the job says it was inferred."""
    p = plan(clips({"Effects": [{"Type": "Transition", "SubType": "luma"}]}, {}))
    pictures = {Path(str(movie.arg("filename"))) for movie in p.graph.find("movie")}
    assert pictures == {TEXTURES / "spiral-2.png"} and (TEXTURES / "spiral-2.png").is_file()
    assert p.graph.find("threshold") and not p.graph.find("xfade")
    assert any("luma" in a and "inferred" in a for a in p.approximated), p.approximated


def test_an_unknown_transition_is_listed_and_clips_are_concatenated() -> None:
    p = plan(clips({"Effects": [{"Type": "Transition", "SubType": "nosuch"}]}, {}))
    assert not p.graph.find("xfade") and p.graph.find("concat")
    assert any("nosuch" in i for i in p.ignored)
    assert p.frames == 40


def test_a_gap_before_a_clip_is_transparent_padding() -> None:
    p = plan(clips({"TimelineIn": 1, "TimelineOut": 2}))
    pads = [x for x in p.graph.find("tpad") if x.arg("start")]
    assert pads[0].arg("start") == 10 and pads[0].arg("color") == "black@0"


def test_fraction_and_pixel_boxes_scale_and_place_the_clip() -> None:
    p = plan(clips({"X": 0.5, "Y": 0.25, "Width": 40, "Height": 0.5}))
    assert [(x.args[0][1], x.args[1][1]) for x in p.graph.find("scale")][-1] == (40, 64)
    assert p.graph.find("overlay")[0].arg("x") == "80+(40-w)/2"


@pytest.mark.parametrize(
    ("mode", "names"),
    [("Fill", ["scale"]), ("Contain", ["scale", "pad"]), ("Cover", ["scale", "crop"])],
)
def test_adapt_modes_fit_the_box(mode: str, names: list[str]) -> None:
    used = {x.name for x in plan(clips({"AdaptMode": mode})).graph.filters()}
    assert set(names) <= used
    assert ("pad" in used) == (mode == "Contain")


def test_opacity_scales_alpha() -> None:
    (mixer,) = plan(clips({"Opacity": 0.4})).graph.find("colorchannelmixer")
    assert mixer.arg("aa") == 0.4


def test_ken_burns_is_a_zoompan_over_the_clip() -> None:
    kb = {"Type": "KenBurns", "Start": "0,0,1,1", "End": "0.25,0.25,0.5,0.5"}
    (zp,) = plan(clips({"Effects": [kb]})).graph.find("zoompan")
    assert zp.arg("d") == 1 and zp.arg("s") == "320x240"
    assert str(zp.arg("z")).startswith("1/(1+-0.5*")


def test_background_blur_splits_the_clip_into_a_blurred_canvas() -> None:
    p = plan(clips({"AdaptMode": "Contain", "Effects": [{"Type": "Background", "Radius": 0.2}]}))
    assert p.graph.find("split") and p.graph.find("gblur")


def test_crop_flip_rotate_and_filter_effects_map_to_their_filters() -> None:
    effects = [
        {"Type": "Crop", "X": 0.5, "Y": 0, "Width": 0.5, "Height": 1},
        {"Type": "Flip", "Direction": "vertical"},
        {"Type": "Rotate", "Degree": 90},
        {"Type": "Filter", "SubType": "warm"},
    ]
    p = plan(clips({"Effects": effects}))
    assert p.graph.find("crop")[0].args == ((None, 160), (None, 240), (None, 160), (None, 0))
    assert p.graph.find("vflip") and p.graph.find("rotate") and p.graph.find("colorbalance")
    assert any("warm" in a for a in p.approximated)


def test_audio_is_mixed_with_normalize_off_over_a_silent_bed() -> None:
    bgm = {"MediaURL": "a.wav", "TimelineIn": 0.5}
    p = plan({**clips({}), "AudioTracks": [{"AudioTrackClips": [bgm]}]})
    (amix,) = p.graph.find("amix")
    assert (amix.arg("normalize"), amix.arg("duration"), amix.arg("inputs")) == (0, "first", 3)
    assert p.graph.find("adelay")[0].arg("delays") == "24000S"


def test_loop_mode_loops_the_segment_and_trims_it_to_the_span() -> None:
    bgm = {"MediaURL": "a.wav", "LoopMode": True, "TimelineIn": 0, "TimelineOut": 1.5}
    p = plan({**clips({}), "AudioTracks": [{"AudioTrackClips": [bgm]}]})
    assert p.graph.find("aloop")[0].arg("size") == 48000
    assert 72000 in [x.arg("end_sample") for x in p.graph.find("atrim")]


def test_volume_fades_loudnorm_and_speed_map_to_audio_filters() -> None:
    effects = [
        {"Type": "Volume", "Gain": 0.3},
        {"Type": "AFade", "SubType": "In", "Duration": 0.2},
        {"Type": "ALoudNorm", "Loudness": -14},
    ]
    p = plan({**clips({"Effects": effects, "Speed": 4})})
    assert p.graph.find("volume")[0].args == ((None, 0.3),)
    assert p.graph.find("loudnorm")[0].arg("I") == -14
    assert [x.args for x in p.graph.find("atempo")] == [((None, 2),), ((None, 2),)]


def test_a_clip_without_audio_adds_nothing_to_the_mix() -> None:
    assert not plan(clips({}), info=SILENT).graph.find("amix")


def test_the_main_track_sets_the_length() -> None:
    bgm = {"MediaURL": "a.wav", "LoopMode": True, "TimelineIn": 0, "TimelineOut": 5}
    tl = {
        "VideoTracks": [{"MainTrack": True, "VideoTrackClips": [{"MediaURL": "v.mp4"}]}],
        "AudioTracks": [{"AudioTrackClips": [bgm]}],
    }
    assert plan(tl).frames == 20


def test_max_duration_caps_the_length() -> None:
    assert plan(clips({}, {}), MaxDuration=1.25).frames == 12


def test_an_image_needs_a_duration() -> None:
    with pytest.raises(ImsError) as err:
        plan(clips({"Type": "Image"}), info=IMAGE)
    assert err.value.message.startswith("Timeline.VideoTracks[0].VideoTrackClips[0].Duration:")


def test_a_global_image_spans_the_whole_output() -> None:
    tl = {
        "VideoTracks": [
            {"VideoTrackClips": [{"MediaURL": "v.mp4"}, {"MediaURL": "v.mp4"}]},
            {"VideoTrackClips": [{"MediaURL": "i.png", "Type": "GlobalImage"}]},
        ]
    }
    tl_plan = plan(tl)
    assert tl_plan.frames == 40
    assert all("-loop" not in i.options for i in tl_plan.inputs)  # one frame read, looped in the graph


def test_in_beyond_the_media_end_is_refused() -> None:
    with pytest.raises(ImsError) as err:
        plan(clips({"In": 5}))
    assert ".In:" in err.value.message


def test_text_goes_to_a_file_and_the_graph_only_names_it() -> None:
    text = {"Type": "Text", "Content": "hello", "FontSize": 20}
    p = plan({**clips({}), "SubtitleTracks": [{"SubtitleTrackClips": [text]}]})
    assert "hello" in p.files["text.ass"]
    assert p.graph.find("ass")[0].arg("filename") == "/work/text.ass"
    assert "hello" not in p.graph.render()


def test_hostile_text_leaves_the_graph_unchanged() -> None:
    def graph(content: str) -> str:
        text = {"Type": "Text", "Content": content, "FontSize": 20}
        return plan({**clips({}), "SubtitleTracks": [{"SubtitleTrackClips": [text]}]}).graph.render()

    hostile = "'];[0:v]drawtext=text=%{pts}:x=0;\n[x]\\,:\"{\\pos(1,1)}"
    assert graph(hostile) == graph("plain")


def test_unknown_types_and_fields_are_listed() -> None:
    tl = {
        **clips({"Effects": [{"Type": "VFX", "SubType": "sparkle_storm"}], "Novel": 1}, {"Type": "AI_Avatar"}),
        "EffectTracks": [{"EffectTrackItems": [{"Type": "VFX", "SubType": "confetti_cannon"}]}],  # not an IMS SubType
    }
    ignored = plan(tl).ignored
    for needle in ("VFX 'sparkle_storm'", "AI_Avatar", "Novel", "VFX 'confetti_cannon'"):
        assert any(needle in i for i in ignored), needle


def test_an_effect_track_filter_is_applied_in_its_time_window() -> None:
    item = {"Type": "Filter", "SubType": "faded", "TimelineIn": 0.5, "TimelineOut": 1}
    p = plan({**clips({}), "EffectTracks": [{"EffectTrackItems": [item]}]})
    assert p.graph.find("eq")[0].arg("enable") == "gte(t,0.5)*lt(t,1)"  # [TimelineIn, TimelineOut)


def test_every_documented_transition_name_has_an_xfade() -> None:
    names = (
        "directional displacement windowslice bowTieVertical simplezoom linearblur waterdrop "
        "wiperight wipeleft circlecrop swirl cube doorway fade luma pixelize squeeze wind"
    )
    assert all(xfade_transition(n, "seed") for n in names.split())


def test_random_transitions_are_deterministic() -> None:
    assert xfade_transition("random", "k") == xfade_transition("random", "k")


def test_filter_presets_map_to_a_look_and_unknown_ones_do_not() -> None:
    assert filter_look("m1") and filter_look("pfc") and filter_look("urbex")
    assert filter_look("zz9") is None
