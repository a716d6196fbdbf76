"""Script-mode composition rules (docs/ims-api.md §3.9), checked as data: no rendering here."""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from imsd.api.timeline import parse_timeline
from imsd.engine.planning.script import (
    DEFAULT_TRANSITIONS,
    MIN_CUT_S,
    Group,
    Line,
    Shot,
    Storyboard,
    choose_variants,
    compose_output,
    distinct_outputs,
    split_shots,
)
from imsd.engine.render.transitions import xfade_transition

FPS = 25.0
MARGIN = 2 / FPS


def shots(media: str, count: int, seconds: float = 2.0) -> tuple[Shot, ...]:
    return tuple(Shot(media, "video", i * seconds, (i + 1) * seconds, 9 / 16) for i in range(count))


def speech_for(*texts: str, seconds: float = 1.5) -> dict[str, Line]:
    return {t: Line(t, f"/speech/{i}.wav", seconds) for i, t in enumerate(texts)}


def video_length(timeline: dict[str, Any]) -> float:
    """Output seconds the main video track fills: clip lengths minus transition overlaps."""
    track = next(t for t in timeline["VideoTracks"] if any(c.get("Type") == "Video" for c in t["VideoTrackClips"]))
    total = 0.0
    for clip in track["VideoTrackClips"]:
        if clip["Type"] == "Image":
            total += clip["Duration"]
        else:
            total += (clip["Out"] - clip["In"]) / clip.get("Speed", 1)
        total -= sum(e["Duration"] for e in clip["Effects"] if e["Type"] == "Transition")
    return total


def plan(board: Storyboard, count: int = 1, seed: int = 7, speech: dict[str, Line] | None = None) -> list[Any]:
    variants, _ = choose_variants(board, count, random.Random(seed))
    return [compose_output(board, v, speech or {}, width=180, height=320, fps=FPS) for v in variants]


def test_long_clips_are_split_into_shots_of_single_shot_duration() -> None:
    cut = split_shots("a.mp4", kind="video", duration=10.0, aspect=1.0, shot_s=3.0)
    assert [(s.start, s.end) for s in cut] == [(0.0, 3.0), (3.0, 6.0), (6.0, 10.0)]


def test_a_remainder_of_at_least_half_a_shot_stays_a_shot() -> None:
    cut = split_shots("a.mp4", kind="video", duration=10.6, aspect=1.0, shot_s=3.0)
    assert [round(s.end - s.start, 3) for s in cut] == [3.0, 3.0, 3.0, 1.6]


def test_time_range_list_limits_the_shots() -> None:
    cut = split_shots("a.mp4", kind="video", duration=60.0, aspect=1.0, ranges=[(10.0, 16.0)], shot_s=3.0)
    assert [(s.start, s.end) for s in cut] == [(10.0, 13.0), (13.0, 16.0)]


def test_images_are_one_shot_of_image_duration() -> None:
    cut = split_shots("a.png", kind="image", duration=0.0, aspect=1.0, image_s=2.5)
    assert [(s.kind, s.duration) for s in cut] == [("image", 2.5)]


def test_count_outputs_differ_pairwise() -> None:
    board = Storyboard(groups=(Group("a", shots("a", 3)), Group("b", shots("b", 2))), scripts=(("x",), ("y",)))
    variants, notes = choose_variants(board, 12, random.Random(1))
    assert len({v.signature for v in variants}) == 12 and notes == []


def test_count_beyond_the_distinct_combinations_is_reported_not_repeated() -> None:
    board = Storyboard(groups=(Group("a", shots("a", 2)), Group("b", shots("b", 1))))
    variants, notes = choose_variants(board, 5, random.Random(1))
    assert distinct_outputs(board) == 2
    assert len(variants) == 2
    assert "5 asked" in notes[0] and "only 2" in notes[0]


def test_global_scripts_are_not_repeated_while_enough_exist() -> None:
    board = Storyboard(groups=(Group("a", shots("a", 1)),), scripts=(("x",), ("y",), ("z",)))
    variants, _ = choose_variants(board, 3, random.Random(3))
    assert sorted(v.script for v in variants if v.script is not None) == [0, 1, 2]


def test_pick_one_of_n_arrays_go_round_robin() -> None:
    board = Storyboard(groups=(Group("a", shots("a", 4)),), titles=("t1", "t2", "t3"))
    variants, _ = choose_variants(board, 3, random.Random(5))
    assert sorted(v.title or "" for v in variants) == ["t1", "t2", "t3"]


def test_global_speech_sets_the_output_length() -> None:
    speech = speech_for("one.", "two.", "three.")
    board = Storyboard(
        groups=(Group("a", shots("a", 3)), Group("b", shots("b", 3))), scripts=(("one.", "two.", "three."),)
    )
    [out] = plan(board, speech=speech)
    assert out.duration == pytest.approx(4.5)
    assert out.output_media["MaxDuration"] == pytest.approx(4.5)
    assert video_length(out.timeline) == pytest.approx(4.5 + MARGIN, abs=1e-3)


def test_short_video_borrows_shots_from_the_middle_groups() -> None:
    speech = speech_for("s1", "s2", "s3", "s4", seconds=3.0)
    groups = (Group("first", shots("f", 3)), Group("mid", shots("m", 3)), Group("last", shots("l", 3)))
    board = Storyboard(groups=groups, scripts=(("s1", "s2", "s3", "s4"),))
    [out] = plan(board, speech=speech)
    used = [
        c["MediaURL"] if "MediaURL" in c else c["MediaId"] for c in out.timeline["VideoTracks"][0]["VideoTrackClips"]
    ]
    assert used.count("f") == 1 and used.count("l") == 1 and used.count("m") >= 3
    assert used[0] == "f" and used[-1] == "l"


def test_auto_speed_speeds_long_video_up_to_the_speech() -> None:
    long = (Shot("a", "video", 0, 8, 9 / 16),)
    board = Storyboard(
        groups=(Group("a", long),), scripts=(("s",),), editing={"ProcessConfig": {"AlignmentMode": "AutoSpeed"}}
    )
    [out] = plan(board, speech=speech_for("s", seconds=4.0))
    [clip] = out.timeline["VideoTracks"][0]["VideoTrackClips"]
    assert (clip["In"], clip["Out"]) == (0, 8) and clip["Speed"] == pytest.approx(8 / (4 + MARGIN), abs=1e-3)


def test_cut_truncates_long_video_to_the_speech() -> None:
    long = (Shot("a", "video", 0, 8, 9 / 16),)
    board = Storyboard(
        groups=(Group("a", long),), scripts=(("s",),), editing={"ProcessConfig": {"AlignmentMode": "Cut"}}
    )
    [out] = plan(board, speech=speech_for("s", seconds=4.0))
    [clip] = out.timeline["VideoTracks"][0]["VideoTrackClips"]
    assert "Speed" not in clip and clip["Out"] == pytest.approx(4 + MARGIN, abs=1e-3)


def test_group_speech_gives_each_group_its_speech_length() -> None:
    speech = {**speech_for("a1", seconds=2.0), **speech_for("b1", "b2", seconds=1.25)}
    speech["b1"] = Line("b1", "/speech/b1.wav", 1.25)
    speech["b2"] = Line("b2", "/speech/b2.wav", 1.25)
    board = Storyboard(
        groups=(Group("a", shots("a", 2), scripts=(("a1",),)), Group("b", shots("b", 2), scripts=(("b1", "b2"),)))
    )
    [out] = plan(board, speech=speech)
    voice = out.timeline["AudioTracks"][0]["AudioTrackClips"]
    assert [c["TimelineIn"] for c in voice] == [0, 2.0, 3.25]
    assert out.duration == pytest.approx(4.5)


def test_group_scripts_combine_by_index_when_counts_match() -> None:
    groups = (
        Group("a", shots("a", 1), scripts=(("a0",), ("a1",))),
        Group("b", shots("b", 1), scripts=(("b0",), ("b1",))),
    )
    variants, _ = choose_variants(Storyboard(groups=groups), 2, random.Random(2))
    assert all(v.group_scripts[0] == v.group_scripts[1] for v in variants)


def test_without_speech_fixed_duration_sets_the_length() -> None:
    board = Storyboard(groups=(Group("a", shots("a", 3)), Group("b", shots("b", 3))), output={"FixedDuration": 7})
    [out] = plan(board)
    assert out.duration == pytest.approx(7)
    assert video_length(out.timeline) == pytest.approx(7 + MARGIN, abs=1e-3)


def test_without_speech_groups_last_their_duration() -> None:
    board = Storyboard(groups=(Group("a", shots("a", 3), duration=3.0), Group("b", shots("b", 3))))
    [out] = plan(board)
    assert out.duration == pytest.approx(3.0 + 2.0)


def test_max_duration_caps_the_output_and_says_so() -> None:
    board = Storyboard(
        groups=(Group("a", shots("a", 3)), Group("b", shots("b", 3))), output={"FixedDuration": 9, "MaxDuration": 5}
    )
    [out] = plan(board)
    assert out.duration == 5 and out.output_media["MaxDuration"] == 5
    assert any("MaxDuration" in note for note in out.notes)


@pytest.mark.parametrize("name", DEFAULT_TRANSITIONS)
def test_every_default_transition_is_an_ims_name_the_engine_renders_as_itself(name: str) -> None:
    choice = xfade_transition(name, "seed")
    assert choice is not None and not choice.approximated


def test_shots_shorter_than_the_transition_still_fill_the_speech() -> None:
    editing = {"ProcessConfig": {"AllowTransition": True, "TransitionList": ["fade"], "TransitionDuration": 1.5}}
    speech = speech_for("s1", seconds=6.0)
    board = Storyboard(
        groups=(Group("a", shots("a", 2, seconds=0.5)), Group("b", shots("b", 2, seconds=0.5))),
        scripts=(("s1",),),
        editing=editing,
    )
    [out] = plan(board, speech=speech)  # this looped forever when a shot added no length
    assert video_length(out.timeline) == pytest.approx(6 + MARGIN, abs=1e-3)


def test_a_transition_nearly_as_long_as_the_shots_stays_a_valid_timeline() -> None:
    editing = {"ProcessConfig": {"AllowTransition": True, "TransitionDuration": 0.9}}
    board = Storyboard(groups=(Group("a", shots("a", 3, seconds=1.0)), Group("b", shots("b", 3, seconds=1.0))),
                       editing=editing)  # fmt: skip
    for out in plan(board, count=3):
        parse_timeline(out.timeline)  # a Duration of 0 was refused here
        clips = out.timeline["VideoTracks"][0]["VideoTrackClips"]
        assert all(e["Duration"] > 0 for c in clips for e in c["Effects"] if e["Type"] == "Transition")


def test_transitions_overlap_without_changing_the_length() -> None:
    editing = {"ProcessConfig": {"AllowTransition": True, "TransitionList": ["fade"], "TransitionDuration": 0.4}}
    speech = speech_for("s1", "s2", seconds=3.0)
    board = Storyboard(
        groups=(Group("a", shots("a", 3)), Group("b", shots("b", 3))), scripts=(("s1", "s2"),), editing=editing
    )
    [out] = plan(board, speech=speech)
    clips = out.timeline["VideoTracks"][0]["VideoTrackClips"]
    assert [e["SubType"] for c in clips[:-1] for e in c["Effects"] if e["Type"] == "Transition"] == ["fade"] * (
        len(clips) - 1
    )
    assert video_length(out.timeline) == pytest.approx(6 + MARGIN, abs=1e-3)


def test_volumes_accept_the_older_gain_spelling() -> None:
    editing = {"SpeechConfig": {"Gain": 1.5}, "BackgroundMusicConfig": {"Volume": 0.3}, "MediaConfig": {"Volume": 0}}
    board = Storyboard(groups=(Group("a", shots("a", 2)),), scripts=(("s",),), music=("bgm.mp3",), editing=editing)
    [out] = plan(board, speech=speech_for("s"))
    voice, music = out.timeline["AudioTracks"]
    assert voice["AudioTrackClips"][0]["Effects"][0] == {"Type": "Volume", "Gain": 1.5}
    assert music["AudioTrackClips"][0]["Effects"][0] == {"Type": "Volume", "Gain": 0.3}
    assert music["AudioTrackClips"][0]["LoopMode"] is True


def test_group_volume_overrides_the_media_volume() -> None:
    board = Storyboard(groups=(Group("a", shots("a", 2), volume=2.0),), editing={"MediaConfig": {"Volume": 0.5}})
    [out] = plan(board)
    [clip] = out.timeline["VideoTracks"][0]["VideoTrackClips"]
    assert {"Type": "Volume", "Gain": 2.0} in clip["Effects"]


def test_subtitles_follow_the_sentences() -> None:
    speech = speech_for("第一句。", "第二句。", seconds=1.5)
    board = Storyboard(
        groups=(Group("a", shots("a", 3)),),
        scripts=(("第一句。", "第二句。"),),
        editing={"SpeechConfig": {"AsrConfig": {"FontSize": 30}}},
    )
    [out] = plan(board, speech=speech)
    captions = [c for c in out.timeline["SubtitleTracks"][0]["SubtitleTrackClips"] if c["Content"].startswith("第")]
    assert [(c["TimelineIn"], c["TimelineOut"], c["FontSize"]) for c in captions] == [(0, 1.5, 30), (1.5, 3.0, 30)]


def test_media_url_index_is_filled_in() -> None:
    board = Storyboard(
        groups=(Group("a", shots("a", 3)),), output={"MediaURL": "https://b.oss-cn-shanghai.aliyuncs.com/v_{index}.mp4"}
    )
    outs = plan(board, count=3)
    assert sorted(o.output_media["MediaURL"] for o in outs) == [
        f"https://b.oss-cn-shanghai.aliyuncs.com/v_{i}.mp4" for i in (1, 2, 3)
    ]


def test_the_same_seed_plans_the_same_timelines() -> None:
    board = Storyboard(groups=(Group("a", shots("a", 5)), Group("b", shots("b", 5))), titles=("t1", "t2"))
    assert [o.timeline for o in plan(board, count=4, seed=11)] == [o.timeline for o in plan(board, count=4, seed=11)]


def test_music_is_ducked_while_the_voice_speaks() -> None:
    speech = {"s1": Line("s1", "/a.wav", 1.0), "s2": Line("s2", "/b.wav", 1.0)}
    board = Storyboard(groups=(Group("a", shots("a", 3)),), scripts=(("s1", "s2"),), music=("bgm.mp3",))
    [out] = plan(board, speech=speech)
    effects = out.timeline["AudioTracks"][1]["AudioTrackClips"][0]["Effects"]
    ducks = [e for e in effects if e["Type"] == "Volume" and "In" in e]
    assert ducks == [{"Type": "Volume", "Gain": 0.3, "In": 0.0, "Out": 2.2}]


def test_stickers_lie_on_top_for_the_whole_output() -> None:
    sticker = {"MediaURL": "logo.png", "X": 0.8, "Y": 0.05, "Width": 0.15, "Height": 0.1, "Opacity": 0.7}
    board = Storyboard(groups=(Group("a", shots("a", 2)),), output={"FixedDuration": 3}, stickers=(sticker,))
    [out] = plan(board)
    [item] = out.timeline["VideoTracks"][-1]["VideoTrackClips"]
    assert item == {"MediaURL": "logo.png", "Type": "Image", "TimelineIn": 0, "Duration": 3.0, "X": 0.8, "Y": 0.05,
                    "Width": 0.15, "Height": 0.1, "Opacity": 0.7}  # fmt: skip


def test_a_background_image_lies_under_letterboxed_shots() -> None:
    board = Storyboard(groups=(Group("a", shots("a", 2)),), output={"FixedDuration": 3}, backgrounds=("bg.png",))
    [out] = plan(board)
    background, main = out.timeline["VideoTracks"][:2]
    assert background["VideoTrackClips"][0]["MediaURL"] == "bg.png"
    assert {c["AdaptMode"] for c in main["VideoTrackClips"]} == {"Contain"}


def test_a_cut_that_drops_the_clip_a_transition_led_into_ends_on_its_speech_without_a_transition() -> None:
    long, short = (Shot(name, "video", 0, end, 9 / 16) for name, end in (("a.mp4", 1.5), ("b.mp4", 0.3)))
    groups = (Group("a", (long,)), Group("b", (short,)))
    process = {"AllowTransition": True, "TransitionDuration": 0.2, "AlignmentMode": "Cut"}
    board = Storyboard(groups=groups, scripts=(("s1",),), editing={"ProcessConfig": process})
    [out] = plan(board, seed=0, speech=speech_for("s1", seconds=2.0))
    *_, last = out.timeline["VideoTracks"][0]["VideoTrackClips"]
    assert not [e for e in last["Effects"] if e["Type"] == "Transition"]
    assert video_length(out.timeline) == pytest.approx(2.0 + MARGIN, abs=1e-3)


def test_a_cut_leaves_no_clip_that_would_flash_by() -> None:
    groups = (Group("a", (Shot("a.mp4", "video", 0, 0.3, 9 / 16),)),)
    process = {"AllowTransition": True, "TransitionDuration": 0.2, "AlignmentMode": "Cut"}
    board = Storyboard(groups=groups, scripts=(("s1",),), editing={"ProcessConfig": process})
    [out] = plan(board, seed=0, speech=speech_for("s1", seconds=7.5))
    clips = out.timeline["VideoTracks"][0]["VideoTrackClips"]
    assert min((c["Out"] - c["In"]) / c.get("Speed", 1) for c in clips) >= MIN_CUT_S
    assert video_length(out.timeline) == pytest.approx(7.5 + MARGIN, abs=1e-3)


def test_a_cut_keeps_a_short_clip_rather_than_slow_the_others_by_more_than_a_tenth() -> None:
    groups = (Group("a", shots("a", 2, seconds=0.3)),)
    board = Storyboard(groups=groups, scripts=(("s1",),), editing={"ProcessConfig": {"AlignmentMode": "Cut"}})
    [out] = plan(board, seed=0, speech=speech_for("s1", seconds=0.45))
    first, last = out.timeline["VideoTracks"][0]["VideoTrackClips"]
    assert "Speed" not in first and "Speed" not in last and last["Out"] - last["In"] < MIN_CUT_S
    assert video_length(out.timeline) == pytest.approx(0.45 + MARGIN, abs=1e-3)


@settings(max_examples=150, deadline=None)
@given(
    lengths=st.lists(st.lists(st.sampled_from([0.3, 0.5, 1.0, 1.5, 2.0, 3.0]), min_size=1, max_size=5),
                     min_size=1, max_size=3),
    transition=st.sampled_from([0.0, 0.2, 0.5, 0.9, 1.5, 3.0]),
    mode=st.sampled_from(["AutoSpeed", "Cut"]),
    speech_s=st.sampled_from([None, 2.0, 7.5]),
    seed=st.integers(0, 1000),
)  # fmt: skip
def test_any_plan_finishes_as_a_valid_timeline_of_its_length(
    lengths: list[list[float]], transition: float, mode: str, speech_s: float | None, seed: int
) -> None:
    groups = tuple(
        Group(f"g{g}", tuple(Shot(f"g{g}.mp4", "video", sum(ls[:i]), sum(ls[: i + 1]), 9 / 16) for i in range(len(ls))))
        for g, ls in enumerate(lengths)
    )
    process = {"AllowTransition": transition > 0, "TransitionDuration": transition or None, "AlignmentMode": mode}
    speech = speech_for("s1", seconds=speech_s) if speech_s else {}
    board = Storyboard(groups=groups, scripts=(("s1",),) if speech_s else (), editing={"ProcessConfig": process})
    [out] = plan(board, seed=seed, speech=speech)  # finishes: a shot that added no length looped forever
    parse_timeline(out.timeline)
    clips = out.timeline["VideoTracks"][0]["VideoTrackClips"]
    assert all(e["Duration"] > 0 for c in clips for e in c["Effects"] if e["Type"] == "Transition")
    lengths = [c["Duration"] if c["Type"] == "Image" else (c["Out"] - c["In"]) / c.get("Speed", 1) for c in clips]
    for (a, _), (length_a, length_b) in zip(itertools.pairwise(clips), itertools.pairwise(lengths), strict=True):
        joins = [e["Duration"] for e in a["Effects"] if e["Type"] == "Transition"]
        assert all(d <= min(length_a, length_b) - 1 / FPS + 1e-3 for d in joins)  # the render keeps it whole
    assert not [e for e in clips[-1]["Effects"] if e["Type"] == "Transition"]
    if speech_s:
        assert video_length(out.timeline) == pytest.approx(speech_s + MARGIN, abs=0.05)
