"""The I/O half of scene media selection: media resolved, analysed, described and scored.

selection.py decides; this module gathers what it decides on. Media are probed and analysed
once each (the analysis is cached by content hash), every candidate's text is built from what
describes the medium (registry Title/Description/Tags, the request's MediaMetaDataArray, the
file name) plus the words spoken in the shot itself (asr.py, when installed), and all sentences
are scored against all candidates in one call.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from imsd.engine.media import MediaInfo, MediaResolver, MediaText, resolve_together
from imsd.engine.planning.analysis import HIGHLIGHT_SIGNALS, Analyzer, HighlightWeights, MediaAnalysis
from imsd.engine.planning.asr import Transcriber, Word, shot_text
from imsd.engine.planning.matching import select_scorer, similarities
from imsd.engine.planning.scoring import Footage, Passage, Scorer
from imsd.engine.planning.script import media_field, split_shots
from imsd.engine.planning.selection import (
    DEFAULT_CLIP_S,
    DEFAULT_HIGHLIGHT_S,
    Candidate,
    Sentence,
    describe_reference,
    highlight_sets,
    match_sentences,
    request_texts,
)
from imsd.engine.planning.vision import ShotVision
from imsd.errors import ImsError, invalid
from imsd.settings import EngineSettings

__all__ = ["MediaKind", "SceneSelector", "kind_of", "measured_signals", "passage", "shot_detectors", "usable_ranges"]

MediaKind = tuple[Literal["video", "image"], float | None]


def kind_of(info: MediaInfo) -> MediaKind:
    kind: Literal["video", "image"] = "image" if info.is_image or info.duration is None else "video"
    return kind, (info.width / info.height if info.width and info.height else None)


def passage(candidate: Candidate) -> Passage:
    """What a scorer sees of a candidate: its text and, when its file is known, its footage."""
    path = candidate.path
    footage = None if path is None else Footage(path, candidate.start, candidate.end, still=candidate.kind == "image")
    return Passage(candidate.text, footage)


def measured_signals(analyses: Iterable[MediaAnalysis]) -> list[str]:
    """The highlight signals measured in at least one of the media (HighlightWeights' names).

    Speech needs audio and webrtcvad, faces OpenCV, quality an analysis made since it was added:
    a signal missing everywhere counted 0 for every second, and the job's record says so.
    """
    measured = {"loudness", "cut_density", "motion"}
    for analysis in analyses:
        measured |= {name for name in ("speech", "faces", "quality") if getattr(analysis, name)}
    return [name for name in HIGHLIGHT_SIGNALS if name in measured]


def shot_detectors(analyses: Iterable[MediaAnalysis]) -> list[str]:
    """The detectors that found the shots of these analyses, each as its analysis records it.

    Not the setting: a cached analysis, or one whose model failed, may have used another.
    """
    return sorted({analysis.shot_detector for analysis in analyses})


def usable_ranges(analysis: MediaAnalysis) -> list[tuple[float, float]]:
    """The analysis's shots with black, frozen and blurred stretches cut out."""
    ranges = []
    for start, end in analysis.shots:
        pieces = [(start, end)]
        for bad in analysis.rejected:
            pieces = [
                p for a, b in pieces for p in ((a, min(b, bad.start)), (max(a, bad.end), b)) if p[1] - p[0] > 0.05
            ]
        ranges += pieces
    return ranges


class SceneSelector:
    """Selections for Smart_Mix and Screen_Media_Highlights from a request's MediaArray."""

    def __init__(self, settings: EngineSettings, resolver: MediaResolver) -> None:
        self.settings = settings
        self.resolver = resolver
        self.analyzer = Analyzer(settings, resolver.prober)
        self.transcriber = Transcriber(settings, resolver.prober)
        self.vision = ShotVision(settings.cache_dir, settings.ffmpeg, settings.label_model_path)
        self._scorer: Scorer | None = None

    @property
    def scorer(self) -> Scorer:
        if self._scorer is None:
            self._scorer = select_scorer(self.settings)
        return self._scorer

    async def media(self, refs: Sequence[str], field: str) -> dict[str, MediaInfo]:
        """Each reference resolved and probed; a missing one fails the job naming it."""
        infos = await resolve_together(
            self.resolver.resolve(ref, f"{field}[{i}]", media_id=media_field(ref) == "MediaId")
            for i, ref in enumerate(refs)
        )
        return dict(zip(refs, infos, strict=True))

    async def candidates(
        self, refs: Sequence[str], editing: Mapping[str, Any], analyses: dict[str, MediaAnalysis] | None = None
    ) -> list[Candidate]:
        """Every shot of every medium as a candidate; `analyses`, when given, receives the analyses read, by ref."""
        infos = await self.media(refs, "InputConfig.MediaArray")
        texts = request_texts(editing)
        process = editing.get("ProcessConfig") or {}
        clip_s = float(process.get("SingleShotDuration") or DEFAULT_CLIP_S)
        image_s = float(process.get("ImageDuration") or DEFAULT_CLIP_S)
        found: list[Candidate] = []
        for i, ref in enumerate(refs):
            info = infos[ref]
            kind, aspect = kind_of(info)
            text = " ".join(
                t for t in (await self._registry_text(ref), texts.get(ref, ""), describe_reference(ref)) if t
            )
            if kind == "image":
                ranges: list[tuple[float, float]] = []
                words: list[Word] = []
            else:
                analysis = await self.analyzer.analyze(info.path)
                if analyses is not None:
                    analyses[ref] = analysis
                ranges = usable_ranges(analysis)
                speech = info.has_audio and self.transcriber.available()
                words = await self.transcriber.transcribe(info.path) if speech else []
            shots = split_shots(ref, kind=kind, duration=info.duration or 0.0, aspect=aspect, ranges=ranges,
                                shot_s=clip_s, image_s=image_s)  # fmt: skip
            for j, s in enumerate(shots):
                seen = await self.vision.words(info, s.start, s.end) if self.settings.visual_signals else ""
                shot_words = " ".join(filter(None, (text, shot_text(words, s.start, s.end), seen)))
                found.append(
                    Candidate(f"{i + 1}-{j + 1}", ref, s.start, s.end, shot_words, s.kind, s.aspect, info.path)
                )
        if not found:
            raise ImsError("InvalidMaterial.Unsupported", "InputConfig.MediaArray: no usable shot in any medium")
        return found

    async def _registry_text(self, ref: str) -> str:
        if media_field(ref) != "MediaId" or self.resolver.registry is None:
            return ""
        text: MediaText = await self.resolver.registry.text(ref)
        return text.joined()

    async def smart_mix(
        self, outputs: Sequence[Sequence[Sentence]], refs: Sequence[str], editing: Mapping[str, Any]
    ) -> dict[str, Any]:
        """ExtendOutput of Smart_Mix_Media_Select: for each output, the clips of each sentence."""
        analyses: dict[str, MediaAnalysis] = {}
        candidates = await self.candidates(refs, editing, analyses)
        texts = sorted({s.text for sentences in outputs for s in sentences})
        scored = await similarities(self.scorer, texts, [passage(c) for c in candidates])
        row = {text: i for i, text in enumerate(texts)}
        history: Counter[tuple[str, str]] = Counter()
        matched = []
        for sentences in outputs:
            scores = scored.matrix[[row[s.text] for s in sentences]]
            matched.append(
                {"textMatchMediaSentenceOutputList": match_sentences(sentences, candidates, scores, history)}
            )
        signals = self.vision.signals() if self.settings.visual_signals else []
        scorer = {"name": scored.scorer, "kind": scored.kind, "visualSignals": signals,
                  "shotDetectors": shot_detectors(analyses.values())}  # fmt: skip
        return {"textMatchMediaOutputList": matched, "scorer": scorer}

    async def highlights(
        self, refs: Sequence[str], target_s: float | None, count: int
    ) -> tuple[dict[str, Any], list[str]]:
        """ExtendOutput of Screen_Media_Highlights_Media_Select, and notes when fewer than `count`."""
        infos = await self.media(refs, "InputConfig.MediaArray")
        analyses = {}
        for i, ref in enumerate(refs):
            if kind_of(infos[ref])[0] != "video":
                raise invalid(f"InputConfig.MediaArray[{i}]", f"{ref!r}: highlights need videos")
            analyses[ref] = await self.analyzer.analyze(infos[ref].path)
        weights = HighlightWeights()
        sets = highlight_sets(analyses, target_s or DEFAULT_HIGHLIGHT_S, count, weights)
        notes = []
        if len(sets) < count:
            notes.append(f"OutputConfig.Count: {count} asked, the media give {len(sets)} distinct highlight sets")
        selection = {
            "highlightOutputList": [
                {"clipList": clips, "duration": round(sum(c["endTime"] - c["startTime"] for c in clips), 3)}
                for clips in sets
            ],
            "scorer": {"name": "signals", "kind": "signals", "weights": dataclasses.asdict(weights),
                       "signals": measured_signals(analyses.values()),
                       "shotDetectors": shot_detectors(analyses.values())},
        }  # fmt: skip
        return selection, notes
