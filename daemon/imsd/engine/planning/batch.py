"""SubmitBatchMediaProducingJob on the local engine: plan the batch once, render each output.

Planning does the work every output shares exactly once: resolve and probe the media, split
them into shots, synthesize each voice-over sentence per voice. It then lays out Count
timelines (script.py) and turns each into an ordinary media producing job (a sub-job), which
the render workers pick up like any other; GetMediaProducingJob works on it and
ListMediaProducingJobs finds it by MasterJobId. With GeneratePreviewOnly only the editing
projects are made.

Ids are derived from the batch id and seeds from it too, so planning is idempotent: a planner
that dies half-way is simply run again and produces the same sub-jobs, not more.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from imsd.api.timeline import parse_timeline
from imsd.engine.media import MediaInfo, MediaResolver
from imsd.engine.planning.scene_selector import SceneSelector, kind_of
from imsd.engine.planning.script import (
    DEFAULT_IMAGE_S,
    DEFAULT_SHOT_S,
    Group,
    Line,
    Shot,
    Storyboard,
    choose_variants,
    compose_output,
    media_field,
    split_shots,
)
from imsd.engine.planning.selection import Sentence, highlight_boards, smart_mix_boards
from imsd.engine.planning.tts import Synthesizer, split_sentences
from imsd.engine.render import ClipId, clip_id_of
from imsd.errors import ImsError, invalid, missing
from imsd.settings import EngineSettings

__all__ = [
    "DEFAULT_SIZE",
    "ORGANIZATION_JOB_TYPES",
    "SCENE_JOB_TYPES",
    "SELECTION_JOB_TYPES",
    "BatchPlan",
    "BatchPlanner",
    "OutputJob",
    "batch_job_type",
    "derived_id",
    "shared_clips",
]

_IDS = uuid.UUID("6f0c5d3e-4a55-4f0e-9a49-3b1c2f1a7e21")
#: Media probed at once while planning; probes are cheap but each is a process.
_PROBES_AT_ONCE = 4
#: Output size when neither OutputConfig nor any video input gives one (vertical short video).
DEFAULT_SIZE = (1080, 1920)


def derived_id(batch_id: str, *parts: object) -> str:
    """A stable id for something the batch makes, so a re-plan reuses it."""
    return uuid.uuid5(_IDS, ":".join([batch_id, *map(str, parts)])).hex


SELECTION_JOB_TYPES = frozenset({"Smart_Mix_Media_Select", "Screen_Media_Highlights_Media_Select"})
ORGANIZATION_JOB_TYPES = frozenset({"Smart_Mix_Timeline_Organize", "Screen_Media_Highlights_Timeline_Organize"})
#: Job types planned from a selection: the scene APIs and the Smart_Mix / highlights batch modes.
SCENE_JOB_TYPES = SELECTION_JOB_TYPES | ORGANIZATION_JOB_TYPES | {"Smart_Mix", "Screen_Media_Highlights"}


def batch_job_type(inputs: dict[str, Any]) -> str:
    """The JobType the service reports for these inputs (docs/ims-api.md §3.2)."""
    if inputs.get("MediaGroupArray"):
        return "Script"
    if inputs.get("HighlightStrategy") is not None:
        return "Screen_Media_Highlights"
    if inputs.get("InputMedia"):
        return "Sports_Highlights"
    return "Smart_Mix"


@dataclass
class OutputJob:
    """One output of a batch: the project it is made from and how to render it."""

    index: int  # 1-based, the {index} of MediaURL
    project_id: str
    timeline: dict[str, Any]
    output_media: dict[str, Any]
    duration: float | None = None  # planned length, when planned
    notes: list[str] = field(default_factory=list)  # where it departs from the request
    shared_clips: list[ClipId] = field(default_factory=list)  # its video clips other outputs play too


@dataclass
class BatchPlan:
    """What planning decided: one entry per output, notes on the batch, and a selection made."""

    outputs: list[OutputJob]
    notes: list[str] = field(default_factory=list)
    selection: dict[str, Any] | None = None  # ExtendOutput of a media selection


class BatchPlanner:
    """Turns a batch request into planned outputs; shared work (probing, TTS, analysis) done once."""

    def __init__(self, settings: EngineSettings, resolver: MediaResolver, synthesizer: Synthesizer) -> None:
        self.settings = settings
        self.resolver = resolver
        self.synthesizer = synthesizer
        self.scenes = SceneSelector(settings, resolver)

    async def plan(
        self,
        batch_id: str,
        job_type: str,
        inputs: dict[str, Any],
        editing: dict[str, Any],
        output: dict[str, Any],
        selection: dict[str, Any] | None = None,
    ) -> BatchPlan:
        """Plan the outputs of a job of `job_type`; `selection` is an organisation job's MediaSelectResult."""
        rng = random.Random(batch_id)
        count = int(output.get("Count") or 1)
        base = _base_board(inputs, editing, output)
        if job_type == "Script":
            board, infos = await self._storyboard(base, inputs, editing)
            variants, notes = choose_variants(board, count, rng)
            pairs = [(board, v) for v in variants]
        elif job_type in SCENE_JOB_TYPES:
            highlights = job_type.startswith("Screen_Media_Highlights")
            notes = []
            if selection is None:
                select = self._select_highlights if highlights else self._select_smart_mix
                selection, notes = await select(inputs, editing, output, count, rng)
                if job_type in SELECTION_JOB_TYPES:
                    return BatchPlan([], notes, selection)
            boards, infos = await self._organize(selection, base, inputs, highlights)
            pairs = [
                (b, dataclasses.replace(choose_variants(b, 1, rng)[0][0], index=k + 1)) for k, b in enumerate(boards)
            ]
        else:
            raise ImsError("Forbidden.NotSupported", f"JobType: {job_type} is not implemented by the local engine", 403)
        speech_config = editing.get("SpeechConfig") or {}
        lines: dict[tuple[str, str | None], Line] = {}
        needed = sorted({(text, v.voice) for b, v in pairs for text in v.sentences(b)}, key=str)
        substitutions = await self._synthesize(needed, speech_config, lines)
        width, height = _output_size(output, infos)
        fps = float((output.get("Video") or {}).get("Fps") or self.settings.default_fps)
        planned = []
        for board, variant in pairs:
            speech = {text: line for (text, voice), line in lines.items() if voice == variant.voice}
            out = compose_output(board, variant, speech, width=width, height=height, fps=fps)
            project_id = derived_id(batch_id, variant.index, "project")
            notes_of = out.notes + substitutions.get(variant.voice, [])
            planned.append(OutputJob(variant.index, project_id, out.timeline, out.output_media, out.duration, notes_of))
        for job, shared in zip(planned, shared_clips([job.timeline for job in planned]), strict=True):
            job.shared_clips = shared  # prepared once (decoded and fitted) by whichever render comes first
        return BatchPlan(planned, notes, selection)

    async def _select_smart_mix(
        self, inputs: dict[str, Any], editing: dict[str, Any], output: dict[str, Any], count: int, rng: random.Random
    ) -> tuple[dict[str, Any], list[str]]:
        refs = [str(r) for r in inputs.get("MediaArray") or []]
        if not refs:
            raise ImsError(
                "Forbidden.NotSupported",
                "InputConfig.MediaSearchInput: media search is not available on the local engine; list MediaArray",
                403,
            )
        scripts = [_sentences(s) for s in inputs.get("SpeechTextArray") or []]
        if not scripts:
            raise invalid(
                "InputConfig.SpeechTextArray",
                "Smart_Mix on the local engine matches media to voice-over sentences; give at least one script",
            )
        speech_config = editing.get("SpeechConfig") or {}
        voice = next((v.strip() for v in str(speech_config.get("Voice") or "").split(",") if v.strip()), None)
        lines: dict[tuple[str, str | None], Line] = {}
        await self._synthesize(sorted({(t, voice) for script in scripts for t in script}), speech_config, lines)
        start = rng.randrange(len(scripts))
        outputs = []
        for k in range(count):
            number = (start + k) % len(scripts)
            outputs.append([
                Sentence(f"{number + 1}-{i + 1}", text, lines[(text, voice)].duration)
                for i, text in enumerate(scripts[number])
            ])  # fmt: skip
        return await self.scenes.smart_mix(outputs, refs, editing), []

    async def _select_highlights(
        self, inputs: dict[str, Any], editing: dict[str, Any], output: dict[str, Any], count: int, rng: random.Random
    ) -> tuple[dict[str, Any], list[str]]:
        refs = [str(r) for r in inputs.get("MediaArray") or []]
        if not refs:
            raise missing("InputConfig.MediaArray")
        strategy = inputs.get("HighlightStrategy") or {}
        target = strategy.get("TargetDuration") or output.get("MaxDuration")
        return await self.scenes.highlights(refs, float(target) if target else None, count)

    async def _organize(
        self, selection: dict[str, Any], base: Storyboard, inputs: dict[str, Any], highlights: bool
    ) -> tuple[list[Storyboard], list[MediaInfo]]:
        """Storyboards from a selection (as made, or as edited by the user)."""
        key = "highlightOutputList" if highlights else "textMatchMediaOutputList"
        refs = sorted({str(c["mediaId"]) for c in _selected_clips(selection, key) if isinstance(c.get("mediaId"), str)})
        framing = {name: [_reference(r) for r in inputs.get(name) or []] for name in ("OpeningArray", "EndingArray")}
        infos = await self.scenes.media([*refs, *framing["OpeningArray"], *framing["EndingArray"]], "MediaSelectResult")
        kinds = {ref: kind_of(info) for ref, info in infos.items()}
        if not highlights:
            return smart_mix_boards(selection, base, kinds), list(infos.values())
        opening, ending = (
            Group(name, tuple(_whole(r, infos[r]) for r in framing[name])) if framing[name] else None
            for name in ("OpeningArray", "EndingArray")
        )
        return highlight_boards(selection, base, kinds, opening=opening, ending=ending), list(infos.values())

    async def _storyboard(
        self, base: Storyboard, inputs: dict[str, Any], editing: dict[str, Any]
    ) -> tuple[Storyboard, list[MediaInfo]]:
        process = editing.get("ProcessConfig") or {}
        shot_s = float(process.get("SingleShotDuration") or DEFAULT_SHOT_S)
        image_s = float(process.get("ImageDuration") or DEFAULT_IMAGE_S)
        split = process.get("EnableClipSplit", True) is not False
        ranges: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for meta in (editing.get("MediaConfig") or {}).get("MediaMetaDataArray") or []:
            key = (str(meta.get("GroupName")), str(meta.get("Media")))
            ranges[key] = [(float(r["In"]), float(r["Out"])) for r in meta.get("TimeRangeList") or []]

        limit = asyncio.Semaphore(_PROBES_AT_ONCE)
        groups_in = inputs["MediaGroupArray"]

        async def probe(ref: str, where: str) -> MediaInfo | None:
            async with limit:
                try:
                    return await self.resolver.resolve(ref, where, media_id=media_field(ref) == "MediaId")
                except ImsError:
                    return None  # only the outputs that use it fail, when they render

        refs = [(g, i, str(ref)) for g, group in enumerate(groups_in) for i, ref in enumerate(group["MediaArray"])]
        infos = await asyncio.gather(
            *(probe(ref, f"InputConfig.MediaGroupArray[{g}].MediaArray[{i}]") for g, i, ref in refs)
        )
        shots: dict[int, list[Shot]] = {}
        for (g, _, ref), info in zip(refs, infos, strict=True):
            name = str(groups_in[g]["GroupName"])
            if info is None:  # a placeholder; rendering it fails with InvalidMaterial.NotFound
                shots.setdefault(g, []).append(Shot(ref, "video", 0.0, shot_s))
                continue
            kind, aspect = kind_of(info)
            shots.setdefault(g, []).extend(split_shots(
                ref, kind=kind, duration=info.duration or 0.0, aspect=aspect, ranges=ranges.get((name, ref), ()),
                shot_s=shot_s, image_s=image_s, split=split,
            ))  # fmt: skip
        groups = tuple(
            Group(
                name=str(group["GroupName"]),
                shots=tuple(shots.get(g, ())),
                scripts=tuple(_sentences(s) for s in group.get("SpeechTextArray") or ()),
                duration=group.get("Duration"),
                volume=group.get("Volume"),
            )
            for g, group in enumerate(groups_in)
        )
        return dataclasses.replace(base, groups=groups), [i for i in infos if i is not None]

    async def _synthesize(
        self,
        needed: list[tuple[str, str | None]],
        speech_config: dict[str, Any],
        lines: dict[tuple[str, str | None], Line],
    ) -> dict[str | None, list[str]]:
        """Speak every (sentence, voice) once; returns the substitutions made, per voice."""
        language = speech_config.get("SpeechLanguage")  # None: each sentence in its own language
        rate = int(speech_config.get("SpeechRate") or 0)
        substitutions: dict[str | None, list[str]] = {}

        async def speak(text: str, voice: str | None) -> None:
            # All at once: the synthesizer speaks sentences of one voice in one engine process.
            speech = await self.synthesizer.synthesize(text, voice=voice, language=language, rate=rate)
            lines[(text, voice)] = Line(speech.text, str(speech.path), speech.duration)
            note = f"EditingConfig.SpeechConfig: {speech.note}"
            if speech.substituted and note not in substitutions.setdefault(voice, []):
                substitutions[voice].append(note)

        await asyncio.gather(*(speak(text, voice) for text, voice in needed))
        return substitutions


def shared_clips(timelines: list[dict[str, Any]]) -> list[list[ClipId]]:
    """For each output's Timeline JSON, its video clips that other outputs play too.

    Those are worth preparing (prepared.py). A clip only one output plays, even twice, is not:
    its preparation would run before that render, where decoding it runs beside the encoder.
    """
    played = [
        [
            clip_id_of(clip)
            for track in parse_timeline(timeline).VideoTracks
            if track.Type == "Video"
            for clip in track.VideoTrackClips
            if clip.Type == "Video"
        ]
        for timeline in timelines
    ]
    outputs = Counter(clip for clips in played for clip in set(clips))
    return [sorted({clip for clip in clips if outputs[clip] > 1}, key=str) for clips in played]


def _base_board(inputs: dict[str, Any], editing: dict[str, Any], output: dict[str, Any]) -> Storyboard:
    """What every mode shares: voice-over scripts, titles, music, backgrounds, stickers, voices."""
    speech_config = editing.get("SpeechConfig") or {}
    return Storyboard(
        groups=(),
        scripts=tuple(_sentences(s) for s in inputs.get("SpeechTextArray") or ()),
        titles=tuple(inputs.get("TitleArray") or ()),
        subheadings=tuple(
            (int(h["Level"]), tuple(h.get("TitleArray") or ())) for h in inputs.get("SubHeadingArray") or ()
        ),
        music=tuple(inputs.get("BackgroundMusicArray") or ()),
        backgrounds=tuple(inputs.get("BackgroundImageArray") or ()),
        stickers=tuple(inputs.get("StickerArray") or ()),
        voices=tuple(v.strip() for v in str(speech_config.get("Voice") or "").split(",") if v.strip()),
        editing=editing,
        output=output,
    )


def _selected_clips(selection: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """Every clip a selection names (shape errors are reported when the boards are built)."""
    clips: list[dict[str, Any]] = []
    for output in selection.get(key) or [] if isinstance(selection, dict) else []:
        if not isinstance(output, dict):
            continue
        for holder in output.get("textMatchMediaSentenceOutputList") or [output]:
            if isinstance(holder, dict):
                items = holder.get("matchClipList") or holder.get("clipList") or []
                clips += [c for c in items if isinstance(c, dict)]
    return clips


def _reference(item: Any) -> str:
    """An OpeningArray/EndingArray item: a reference, or an object naming one."""
    if isinstance(item, dict):
        return str(item.get("MediaId") or item.get("MediaURL") or "")
    return str(item)


def _whole(ref: str, info: MediaInfo) -> Shot:
    kind, aspect = kind_of(info)
    return Shot(ref, kind, 0.0, info.duration or DEFAULT_IMAGE_S, aspect)


def _sentences(script: Any) -> tuple[str, ...]:
    sentences = tuple(split_sentences(str(script)))
    if not sentences:
        raise invalid("SpeechTextArray", f"{script!r} has nothing to say")
    return sentences


def _output_size(output: dict[str, Any], infos: list[MediaInfo]) -> tuple[int, int]:
    """OutputConfig Width/Height, else the largest video input (the single-job rule), else 1080x1920."""
    if output.get("Width") and output.get("Height"):
        return int(output["Width"]), int(output["Height"])
    videos = [i for i in infos if i.width and i.height]
    if not videos:
        return DEFAULT_SIZE
    largest = max(videos, key=lambda i: i.width * i.height)
    return largest.width - largest.width % 2, largest.height - largest.height % 2
