"""EffectColorStyle (花字) presets drawn as a Text clip's fill, outline and shadow (render/flowertext.py).

IDs: https://help.aliyun.com/document_detail/449561.html, which shows each preset only as a
picture and says the presets bring their own outline, so Outline and Shadow need not be given
("本期花字默认已预设多层描边,您无需再添加描边和阴影参数"). The colours are inferred: every use is
listed as approximated.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from imsd.engine.render.flowertext import colour_style
from imsd.engine.render.subtitles import AssDocument, ass_colour
from imsd.settings import EngineSettings

from tests.engine.conftest import video
from tests.engine.sampling import frames
from tests.engine.test_text import text_clip

STYLE = "CS0001-000001"


def _document(**fields: Any) -> AssDocument:
    doc = AssDocument(160, 128)
    doc.add("SubtitleTracks[0].SubtitleTrackClips[0]", text_clip(**fields), 2.0, None, EngineSettings())
    return doc


def test_a_preset_gives_the_text_its_fill_outline_and_shadow_without_outline_fields() -> None:
    style = colour_style(STYLE)
    assert style is not None
    line = _document(Content="hi", FontSize=20, EffectColorStyle=STYLE).styles[0].split(",")
    # Style: Name, Font, Size, Primary, Secondary, Outline colour, Back colour, ..., Outline, Shadow, ...
    assert line[3] == ass_colour(style.fill)
    assert line[5] == ass_colour(style.outline_colour)
    assert line[6] == ass_colour(style.shadow_colour)
    assert float(line[16]) == 20 * style.outline > 0
    assert float(line[17]) == 20 * style.shadow > 0


def test_a_preset_is_listed_as_approximated() -> None:
    doc = _document(Content="hi", EffectColorStyle=STYLE)
    assert any(f"EffectColorStyle: {STYLE!r} drawn as" in n for n in doc.approximated)
    assert not doc.ignored


def test_an_id_not_of_the_documented_form_is_listed_as_ignored() -> None:
    doc = _document(Content="hi", FontColor="#00FF00", EffectColorStyle="fancy")
    assert any("EffectColorStyle: 'fancy' is not supported" in n for n in doc.ignored)
    assert doc.styles[0].split(",")[3] == ass_colour("#00FF00")


async def test_a_preset_is_drawn_in_its_colours(render: Any, m: Any) -> None:
    style = colour_style(STYLE)
    assert style is not None
    text = {"Type": "Text", "Content": "HH", "FontSize": 60, "Alignment": "CenterCenter", "EffectColorStyle": STYLE}
    result = await render(
        {"VideoTracks": [video({"MediaURL": m("blue.mp4")})], "SubtitleTracks": [{"SubtitleTrackClips": [text]}]}
    )
    frame = frames(result.output)[5].reshape(-1, 3).astype(int)
    fill = np.array([int(style.fill[i : i + 2], 16) for i in (1, 3, 5)])
    edge = np.array([int(style.outline_colour[i : i + 2], 16) for i in (1, 3, 5)])
    assert (np.abs(frame - fill).max(axis=1) < 40).sum() > 50
    assert (np.abs(frame - edge).max(axis=1) < 40).sum() > 50
