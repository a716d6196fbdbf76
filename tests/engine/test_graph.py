"""The filter graph as data: rendering, labels, and two-level escaping that round-trips."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from imsd.engine.render.graph import Branch, Filter, FilterGraph, escape_graph, escape_option, f

_WHITESPACE = " \n\t\r"


def get_token(text: str, terms: str) -> tuple[str, str]:
    """Python model of ffmpeg's av_get_token(): (token, rest starting at the terminator)."""
    i = len(text) - len(text.lstrip(_WHITESPACE))
    out: list[str] = []
    end = 0
    while i < len(text) and text[i] not in terms:
        c = text[i]
        i += 1
        if c == "\\" and i < len(text):
            out.append(text[i])
            i += 1
            end = len(out)
        elif c == "'":
            while i < len(text) and text[i] != "'":
                out.append(text[i])
                i += 1
            if i < len(text):
                i += 1
                end = len(out)
        else:
            out.append(c)
    while len(out) > end and out[-1] in _WHITESPACE:
        out.pop()
    return "".join(out), text[i:]


def parse_filter(rendered: str) -> tuple[str, str, str]:
    """(name, key, value) of `name=key=value` the way the graph and option parsers see it."""
    name, _, rest = rendered.partition("=")
    args, remaining = get_token(rest, "[],;")
    assert remaining == ""
    key, _, rest = args.partition("=")
    value, remaining = get_token(rest, ":")
    assert remaining == ""
    return name, key, value


@given(st.text())
def test_any_option_value_survives_both_parsers(value: str) -> None:
    assert parse_filter(f("ass", filename=value).render()) == ("ass", "filename", value)


def test_graph_specials_are_escaped_at_both_levels() -> None:
    assert escape_option("a:b'c\\") == "a\\:b\\'c\\\\"
    assert escape_graph("a[b],c;d") == "a\\[b\\]\\,c\\;d"
    rendered = f("subtitles", filename="/x/a:b;[c].srt").render()
    assert rendered == "subtitles=filename=/x/a\\\\:b\\;\\[c\\].srt"


def test_edge_whitespace_is_kept() -> None:
    assert parse_filter(f("x", v=" padded ").render())[2] == " padded "


def test_positional_and_keyword_arguments_render_in_order() -> None:
    assert f("scale", 160, 128, force_original_aspect_ratio="decrease").render() == (
        "scale=160:128:force_original_aspect_ratio=decrease"
    )
    assert f("volume", 0.5).render() == "volume=0.5"
    assert f("hflip").render() == "hflip"


def test_options_given_as_none_are_left_out() -> None:
    assert f("volume", 1, enable=None) == Filter("volume", ((None, 1),))


def test_chains_are_joined_with_generated_labels() -> None:
    graph = FilterGraph()
    a = graph.one(["0:v"], [f("setpts", "PTS-STARTPTS"), f("fps", 10)], "src")
    b = graph.one([], [f("color", c="black", s="16x16")], "bg")
    graph.one([b, a], [f("overlay")], "out")
    assert graph.render() == (
        "[0:v]setpts=PTS-STARTPTS,fps=10[src1];\ncolor=c=black:s=16x16[bg2];\n[bg2][src1]overlay[out3]"
    )


def test_labels_never_carry_foreign_characters() -> None:
    graph = FilterGraph()
    assert graph.label("x];[evil") == "xevil1"


def test_the_script_file_holds_the_rendered_graph(tmp_path: Path) -> None:
    graph = FilterGraph()
    graph.one(["0:a"], [f("anull")], "a")
    path = graph.write_script(tmp_path / "g.txt")
    assert path.read_text() == graph.render() + "\n"


def test_a_branch_splits_the_chain_and_joins_its_copy_back() -> None:
    """A VFX that composes the picture with itself (vfx.py) is still a list of steps."""
    graph = FilterGraph()
    steps = [f("hue", s=0), Branch((f("hflip"),), f("overlay"), (f("vflip"),)), f("negate")]
    out = graph.steps(["in"], steps, "x")
    assert graph.render() == (
        "[in]hue=s=0,split=2[x1][x2];\n[x1]vflip[x3];\n[x2]hflip[x4];\n[x3][x4]overlay[x5];\n[x5]negate[x6]"
    )
    assert out == "x6"


def test_steps_without_a_branch_are_one_chain() -> None:
    graph = FilterGraph()
    assert graph.steps(["in"], [f("hue", s=0)], "x") == "x1"
    assert graph.render() == "[in]hue=s=0[x1]"


def test_a_branch_with_more_copies_joins_them_all_in_order() -> None:
    """displace takes the picture and two maps: the copy, then each of `more`."""
    graph = FilterGraph()
    out = graph.steps(["in"], [Branch((f("hflip"),), f("displace"), (), ((f("vflip"),),))], "x")
    assert graph.render() == "[in]split=3[x1][x2][x3];\n[x2]hflip[x4];\n[x3]vflip[x5];\n[x1][x4][x5]displace[x6]"
    assert out == "x6"
