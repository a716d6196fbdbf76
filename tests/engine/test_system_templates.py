"""The public template library's system templates (help.aliyun.com/document_detail/197962.htm).

The library names eight regular templates and says that their ClipsParam lists materials in
VideoArray, AudioArray and ImageArray; only IceSys_VideoMerge's Config is printed
(document_detail/328557.html). The others are the engine's reading of their names, so a job on
one says so under Approximated, and each renders what its name promises.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from imsd.api.templates import merge_template
from imsd.backends.local import LocalBackend
from imsd.engine.service.templates import SYSTEM_TEMPLATES

from tests.engine.sampling import close, frame_at, probe, rms, samples

LIBRARY = "https://help.aliyun.com/document_detail/197962.htm"


def timeline_of(template_id: str, **clips_param: Any) -> Any:
    return merge_template(SYSTEM_TEMPLATES[template_id].config, clips_param)


def test_every_template_the_library_names_is_built_in() -> None:
    """LIBRARY lists these eight TemplateIds."""
    assert set(SYSTEM_TEMPLATES) == {
        "IceSys_VideoMerge", "IceSys_Album_BGM", "IceSys_AudioMixedWithMuteVideo", "IceSys_OpeningEnding",
        "IceSys_Watermark", "IceSys_VideoMute", "IceSys_AudioMerge", "IceSys_AudioDemux",
    }  # fmt: skip


async def test_get_template_marks_a_system_template_whose_config_is_inferred(backend: LocalBackend) -> None:
    watermark = (await backend.get_template("IceSys_Watermark"))["Template"]
    merge = (await backend.get_template("IceSys_VideoMerge"))["Template"]
    assert watermark["Approximated"] == [SYSTEM_TEMPLATES["IceSys_Watermark"].inferred]
    assert "Approximated" not in merge


async def test_a_job_on_a_system_template_whose_config_is_not_published_says_so_under_approximated(
    backend: LocalBackend, m: Any, tmp_path: Path
) -> None:
    submitted = await backend.submit_media_producing_job({
        "TemplateId": "IceSys_VideoMute",
        "ClipsParam": {"VideoArray": [m("red.mp4")]},
        "OutputMediaConfig": {"MediaURL": str(tmp_path / "storage" / "muted.mp4")},
    })  # fmt: skip
    job = (await backend.get_media_producing_job(submitted["JobId"]))["MediaProducingJob"]
    assert job["Approximated"] == [f"TemplateId IceSys_VideoMute: {SYSTEM_TEMPLATES['IceSys_VideoMute'].inferred}"]


async def test_a_job_on_the_project_of_an_inferred_template_says_so_too(
    backend: LocalBackend, m: Any, tmp_path: Path
) -> None:
    """The merged Timeline is kept as the job's project: a job made from that project renders the
    same inferred Config, so it says so as well, and so does the project."""
    first = await backend.submit_media_producing_job({
        "TemplateId": "IceSys_VideoMute",
        "ClipsParam": {"VideoArray": [m("red.mp4")]},
        "OutputMediaConfig": {"MediaURL": str(tmp_path / "storage" / "muted.mp4")},
    })  # fmt: skip
    again = await backend.submit_media_producing_job({
        "ProjectId": first["ProjectId"],
        "OutputMediaConfig": {"MediaURL": str(tmp_path / "storage" / "again.mp4")},
    })  # fmt: skip
    note = f"TemplateId IceSys_VideoMute: {SYSTEM_TEMPLATES['IceSys_VideoMute'].inferred}"
    job = (await backend.get_media_producing_job(again["JobId"]))["MediaProducingJob"]
    project = (await backend.get_editing_project(first["ProjectId"]))["Project"]
    assert job["Approximated"] == [note] and project["Approximated"] == [note]


async def test_a_job_on_the_documented_video_merge_template_lists_nothing_approximated(
    backend: LocalBackend, m: Any, tmp_path: Path
) -> None:
    submitted = await backend.submit_media_producing_job({
        "TemplateId": "IceSys_VideoMerge",
        "ClipsParam": {"VideoArray": [m("red.mp4"), m("blue.mp4")]},
        "OutputMediaConfig": {"MediaURL": str(tmp_path / "storage" / "merged.mp4")},
    })  # fmt: skip
    job = (await backend.get_media_producing_job(submitted["JobId"]))["MediaProducingJob"]
    assert "Approximated" not in job


async def test_the_watermark_template_lays_the_logo_over_the_whole_video(render: Any, m: Any, tmp_path: Path) -> None:
    """200x60 at (40, 40), the place and size of the documented watermark Config (document_detail/277430)."""
    timeline = timeline_of("IceSys_Watermark", VideoArray=[m("red.mp4"), m("blue.mp4")], ImageArray=[m("yellow.png")])
    result = await render(timeline, Width=320, Height=240)
    for seconds, under in ((0.5, (255, 0, 0)), (3.5, (0, 0, 255))):
        picture = frame_at(result.output, seconds)
        assert close(picture[70, 140], (255, 255, 0)) and close(picture[200, 300], under)


async def test_the_video_mute_template_keeps_the_picture_and_silences_it(render: Any, m: Any) -> None:
    result = await render(timeline_of("IceSys_VideoMute", VideoArray=[m("red.mp4")]))
    assert close(frame_at(result.output, 1.0)[64, 80], (255, 0, 0))
    assert float(abs(samples(result.output)).max()) < 0.001


async def test_the_audio_demux_template_renders_the_videos_sound_alone(render: Any, m: Any) -> None:
    result = await render(timeline_of("IceSys_AudioDemux", VideoArray=[m("red.mp4"), m("blue.mp4")]), out="mp3")
    assert [s["codec_type"] for s in probe(result.output)["streams"]] == ["audio"]
    assert float(probe(result.output)["format"]["duration"]) == pytest.approx(4.0, abs=0.1)


async def test_the_album_template_shows_each_picture_three_seconds_under_its_music(render: Any, m: Any) -> None:
    timeline = timeline_of(
        "IceSys_Album_BGM", ImageArray=[m("yellow.png"), m("magenta.png")], AudioArray=[m("tone.wav")]
    )
    result = await render(timeline)
    assert float(probe(result.output)["format"]["duration"]) == pytest.approx(6.0, abs=0.15)
    assert close(frame_at(result.output, 1.0)[64, 80], (255, 255, 0))
    assert close(frame_at(result.output, 4.0)[64, 80], (255, 0, 255))
    assert rms(samples(result.output)[:24000]) > 0.03  # the music (a 1 s tone at 1/8 of full scale) plays
