"""Scene media selection on the local engine, and the storyboards selections are organised into.

Smart_Mix: each voice-over sentence gets the shots whose describing text is closest to it (a
`Scorer` from matching.py; the result names it, so text matching is never mistaken for visual
matching), enough of them to cover the sentence's spoken length, no shot twice in one output,
and shots used by earlier outputs for the same sentence are penalised so outputs vary.

Screen_Media_Highlights: per-second loudness, cut density and motion (analysis.py) pick the
liveliest windows up to a target length; each further output excludes what earlier ones used.

Both selections have the ExtendOutput shape of GetBatchMediaProducingJob (docs/ims-api.md §5.1;
the highlights shape is ours, documented in the README) and are organised into Storyboards
(script.py) the same way whether they were just made or edited by a user.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

import numpy as np
from numpy.typing import NDArray

from imsd.engine.planning.analysis import HighlightWeights, MediaAnalysis, Rejected, pick_highlights
from imsd.engine.planning.script import Group, Shot, Storyboard
from imsd.errors import invalid

__all__ = [
    "DEFAULT_CLIP_S",
    "DEFAULT_HIGHLIGHT_S",
    "DIVERSITY_PENALTY",
    "Candidate",
    "Sentence",
    "describe_reference",
    "highlight_boards",
    "highlight_sets",
    "match_sentences",
    "request_texts",
    "smart_mix_boards",
]

#: A shot longer than this is offered as several candidates of this length.
DEFAULT_CLIP_S = 3.0
#: Score subtracted per earlier output that used a shot for the same sentence.
DIVERSITY_PENALTY = 0.05
#: Highlight length when neither HighlightStrategy.TargetDuration nor MaxDuration says.
DEFAULT_HIGHLIGHT_S = 30.0


@dataclass(frozen=True)
class Candidate:
    """A shot that may be selected, and the text it is matched by."""

    clip_id: str
    media: str  # the reference as the request gave it
    start: float
    end: float
    text: str
    kind: Literal["video", "image"] = "video"
    aspect: float | None = None
    path: Path | None = None  # the resolved file, for scorers that look at pictures


@dataclass(frozen=True)
class Sentence:
    """A voice-over sentence and its spoken length."""

    text_id: str
    text: str
    duration: float


def describe_reference(ref: str) -> str:
    """Text a file name gives: `summer_dress-01.mp4` -> `summer dress 01`."""
    stem = PurePosixPath(unquote(urlsplit(ref).path if "://" in ref else ref)).stem
    return " ".join(stem.replace("_", " ").replace("-", " ").split())


def request_texts(editing: Mapping[str, Any]) -> dict[str, str]:
    """Title/Description/Tags given per medium in EditingConfig.MediaConfig.MediaMetaDataArray."""
    texts: dict[str, str] = {}
    for meta in (editing.get("MediaConfig") or {}).get("MediaMetaDataArray") or []:
        tags = meta.get("Tags") or []
        parts = [meta.get("Title"), meta.get("Description"), *(tags if isinstance(tags, list) else [tags])]
        text = " ".join(str(p) for p in parts if p)
        if text and meta.get("Media"):
            texts[str(meta["Media"])] = text
    return texts


# --- Smart_Mix ----------------------------------------------------------------------------------


def match_sentences(
    sentences: Sequence[Sentence],
    candidates: Sequence[Candidate],
    scores: NDArray[np.float32],
    history: Counter[tuple[str, str]],
) -> list[dict[str, Any]]:
    """One output's textMatchMediaSentenceOutputList; `history` (sentence, clip) uses across outputs.

    `scores[i, j]` is sentence i against candidate j. Clips are taken best first until the
    sentence's spoken length is covered; the last one is cut to fit.
    """
    used: set[str] = set()
    out = []
    for i, sentence in enumerate(sentences):
        # Best adjusted score first; among equals the earlier candidate (story order within a medium).
        penalty = [DIVERSITY_PENALTY * history[(sentence.text, c.clip_id)] for c in candidates]
        order = sorted(range(len(candidates)), key=lambda j: (-(float(scores[i, j]) - penalty[j]), j))
        clips: list[dict[str, Any]] = []
        need = sentence.duration
        for reuse in (False, True):  # reuse shots only when every unused one is taken
            for j in order:
                if need <= 1e-3:
                    break
                candidate = candidates[j]
                if candidate.clip_id in used and not reuse:
                    continue
                take = min(candidate.end - candidate.start, need)
                clips.append({
                    "clipId": candidate.clip_id, "mediaId": candidate.media, "startTime": round(candidate.start, 3),
                    "endTime": round(candidate.start + take, 3), "score": round(float(scores[i, j]), 4),
                })  # fmt: skip
                used.add(candidate.clip_id)
                history[(sentence.text, candidate.clip_id)] += 1
                need -= take
        out.append({"textId": sentence.text_id, "text": sentence.text, "duration": round(sentence.duration, 3),
                    "matchClipList": clips})  # fmt: skip
    return out


def smart_mix_boards(
    selection: Mapping[str, Any], base: Storyboard, info: Mapping[str, tuple[Literal["video", "image"], float | None]]
) -> list[Storyboard]:
    """One Storyboard per selected output: a group per sentence, its matched clips in order.

    `info` gives each medium's kind and aspect. Every sentence is its group's script, so the
    group lasts as long as the sentence is spoken (group speech mode).
    """
    boards = []
    for k, output in enumerate(_items(selection, "textMatchMediaOutputList", "MediaSelectResult")):
        groups = []
        for i, sentence in enumerate(_items(output, "textMatchMediaSentenceOutputList", f"[{k}]")):
            where = f"MediaSelectResult.textMatchMediaOutputList[{k}].textMatchMediaSentenceOutputList[{i}]"
            text = sentence.get("text")
            if not isinstance(text, str) or not text.strip():
                raise invalid(where + ".text", "must be the sentence to speak")
            shots = tuple(_shot(clip, info, f"{where}.matchClipList[{c}]")
                          for c, clip in enumerate(_items(sentence, "matchClipList", where)))  # fmt: skip
            groups.append(Group(name=str(sentence.get("textId") or i), shots=shots, scripts=((text,),), ordered=True))
        boards.append(dataclasses.replace(base, groups=tuple(groups), scripts=()))
    return boards


# --- Screen_Media_Highlights ----------------------------------------------------------------------


def highlight_sets(
    analyses: Mapping[str, MediaAnalysis], target_s: float, count: int, weights: HighlightWeights | None = None
) -> list[list[dict[str, Any]]]:
    """Up to `count` highlight selections; each later one excludes the windows earlier ones used."""
    sets: list[list[dict[str, Any]]] = []
    current = dict(analyses)
    for _ in range(count):
        picked = pick_highlights(current, target_s, weights=weights)
        if not picked:
            break
        sets.append([h.as_dict() for h in picked])
        for h in picked:
            analysis = current[h.media]
            used = Rejected(h.start, h.end, "used")
            current[h.media] = dataclasses.replace(analysis, rejected=[*analysis.rejected, used])
    return sets


def highlight_boards(
    selection: Mapping[str, Any],
    base: Storyboard,
    info: Mapping[str, tuple[Literal["video", "image"], float | None]],
    *,
    opening: Group | None = None,
    ending: Group | None = None,
) -> list[Storyboard]:
    """One Storyboard per highlight output: the opening, each clip in order, the ending."""
    boards = []
    for k, output in enumerate(_items(selection, "highlightOutputList", "MediaSelectResult")):
        where = f"MediaSelectResult.highlightOutputList[{k}]"
        clips = [_shot(c, info, f"{where}.clipList[{i}]") for i, c in enumerate(_items(output, "clipList", where))]
        groups = [Group(name=f"highlight-{i + 1}", shots=(shot,), ordered=True) for i, shot in enumerate(clips)]
        framed = [*([opening] if opening else []), *groups, *([ending] if ending else [])]
        boards.append(dataclasses.replace(base, groups=tuple(framed)))
    return boards


# --- shared ---------------------------------------------------------------------------------------


def _items(container: Any, key: str, where: str) -> list[Any]:
    items = container.get(key) if isinstance(container, Mapping) else None
    if not isinstance(items, list):
        raise invalid(f"{where}.{key}" if not where.endswith(key) else where, "must be a list")
    return items


def _shot(clip: Any, info: Mapping[str, tuple[Literal["video", "image"], float | None]], where: str) -> Shot:
    if not isinstance(clip, Mapping) or not isinstance(clip.get("mediaId"), str):
        raise invalid(where + ".mediaId", "must name the medium")
    try:
        start, end = float(clip.get("startTime", 0)), float(clip["endTime"])
    except (KeyError, TypeError, ValueError):
        raise invalid(where + ".endTime", "must be a number of seconds") from None
    if not 0 <= start < end:
        raise invalid(where + ".endTime", f"must be greater than startTime ({start}) and startTime not negative")
    kind, aspect = info.get(clip["mediaId"], ("video", None))
    return Shot(clip["mediaId"], kind, start, end, aspect)
