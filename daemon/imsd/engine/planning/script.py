"""Script mode of SubmitBatchMediaProducingJob: storyboard groups + voice-over -> Timeline JSON.

Everything here is pure. The batch job (batch.py) resolves media into shot lists and
synthesizes speech; this module decides, per output, which shot, script, title, music and
voice it uses (`choose_variants`), and then lays one output out as an ordinary Timeline
(`compose_output`) that the timeline renderer draws. The rules are docs/ims-api.md §3.9:

- groups play in array order, one shot each; "pick one of N" arrays go round-robin from a
  random start, so the Count outputs differ;
- global speech: output length = speech length; short video borrows extra shots from the
  middle groups, long video is sped up (AlignmentMode AutoSpeed) or cut (Cut);
- group speech: each group lasts as long as its own speech;
- no speech: FixedDuration, else the groups' durations, capped by MaxDuration.

Randomness comes from one `random.Random` seeded by the job, so a re-planned job (its worker
died) yields the very same timelines.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "COVER_ASPECT_TOLERANCE",
    "DEFAULT_GROUP_S",
    "DEFAULT_IMAGE_S",
    "DEFAULT_MUSIC_VOLUME",
    "DEFAULT_SHOT_S",
    "DEFAULT_TRANSITIONS",
    "DEFAULT_TRANSITION_S",
    "DEFAULT_VFX_PROBABILITY",
    "DUCK_GAIN",
    "MIN_CUT_S",
    "SLOWEST_FILL",
    "TRANSITION_SHARE",
    "Group",
    "Line",
    "PlannedOutput",
    "Shot",
    "Storyboard",
    "Variant",
    "choose_variants",
    "compose_output",
    "distinct_outputs",
    "media_field",
    "output_media_config",
    "split_shots",
]

#: Defaults the documentation leaves open (docs/ims-api.md §3.7); our choices, stated in the README.
DEFAULT_SHOT_S = 3.0
DEFAULT_IMAGE_S = 3.0
DEFAULT_GROUP_S = 5.0
DEFAULT_TRANSITION_S = 0.5
#: IMS names the engine renders exactly, picked for variety at low cost: per 1080x1920 transition
#: frame they add 1-16 ms of CPU to a render (directional 3.6; bench/transitions.py, encode
#: included), dissolve 61-88 ms (per-pixel noise, costly to encode too): it stays available by
#: name. circleopen was one until xfade's was measured unlike circleopen.glsl.
DEFAULT_TRANSITIONS = ("fade", "wipeleft", "slideleft", "slideup", "directional")
DEFAULT_VFX_PROBABILITY = 0.5
DEFAULT_MUSIC_VOLUME = 0.2
#: Music under the voice-over plays at this fraction of its level (about -10 dB), from just
#: before a sentence to just after; pauses shorter than DUCK_BRIDGE_S stay ducked, so the
#: music does not pump between sentences.
DUCK_GAIN = 0.3
DUCK_LEAD_S, DUCK_TAIL_S, DUCK_BRIDGE_S = 0.15, 0.2, 0.85
#: A transition overlaps at most this share of the shorter clip it joins: a clip keeps some
#: frames of its own between two transitions, and every added shot lengthens its block.
TRANSITION_SHARE = 0.45
#: A shot whose aspect differs from the output's by more than this is letterboxed, not cropped.
COVER_ASPECT_TOLERANCE = 0.1
#: A Cut leaves no clip shorter than this (it would flash by): the clips before it are slowed
#: by that little instead, unless that would take them below SLOWEST_FILL of their speed.
MIN_CUT_S = 0.25
SLOWEST_FILL = 0.9
#: Times a layout is fitted at most; shortening transitions and refitting settles in two or three.
_LAYOUT_PASSES = 8
#: Outputs that could differ are counted up to this; more combinations than any Count needs.
_COMBINATIONS_CAP = 10**6


@dataclass(frozen=True)
class Shot:
    """A usable piece of one medium: a time range of a video, or a still image."""

    media: str  # the reference exactly as the request gave it
    kind: Literal["video", "image"]
    start: float
    end: float
    aspect: float | None = None  # width / height of the picture, when known

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Line:
    """One spoken sentence of a voice-over: its text and the synthesized audio."""

    text: str
    audio: str  # a path the timeline can reference
    duration: float


@dataclass(frozen=True)
class Group:
    """A storyboard slot (MediaGroupArray item) with its shots split out."""

    name: str
    shots: tuple[Shot, ...]
    scripts: tuple[tuple[str, ...], ...] = ()  # group speech mode: sentences of each script
    duration: float | None = None
    volume: float | None = None
    ordered: bool = False  # a selection's clips: play them in order, never pick one of them


@dataclass(frozen=True)
class Storyboard:
    """A Script-mode request, resolved: what every output is chosen from."""

    groups: tuple[Group, ...]
    scripts: tuple[tuple[str, ...], ...] = ()  # global speech mode: sentences of each script
    titles: tuple[str, ...] = ()
    subheadings: tuple[tuple[int, tuple[str, ...]], ...] = ()  # (level, titles)
    music: tuple[str, ...] = ()
    backgrounds: tuple[str, ...] = ()
    stickers: tuple[dict[str, Any], ...] = ()
    voices: tuple[str, ...] = ()
    editing: dict[str, Any] = field(default_factory=dict)  # EditingConfig as sent
    output: dict[str, Any] = field(default_factory=dict)  # OutputConfig as sent

    @property
    def group_speech(self) -> bool:
        return any(group.scripts for group in self.groups)

    @property
    def scripts_by_index(self) -> bool:
        """Group speech with equal script counts: output k speaks script k of every group."""
        counts = {len(group.scripts) for group in self.groups if group.scripts}
        return len(counts) == 1


@dataclass(frozen=True)
class Variant:
    """What one output uses; outputs differ when their `signature`s differ."""

    index: int  # 1-based, the {index} of MediaURL
    shots: tuple[int, ...]  # chosen shot per group
    script: int | None  # global script
    group_scripts: tuple[int | None, ...]  # script per group (group speech mode)
    voice: str | None
    title: str | None
    subheadings: tuple[tuple[int, str], ...]
    music: str | None
    background: str | None
    seed: int  # per-output randomness (transitions, filters, styles)

    @property
    def signature(self) -> tuple[Any, ...]:
        return (self.shots, self.script, self.group_scripts)

    def sentences(self, board: Storyboard) -> list[str]:
        """Every sentence this output speaks, in order."""
        if self.script is not None:
            return list(board.scripts[self.script])
        return [s for g, k in zip(board.groups, self.group_scripts, strict=True) if k is not None for s in g.scripts[k]]


@dataclass
class PlannedOutput:
    """One output laid out: its timeline, its length, and how it departs from the request."""

    variant: Variant
    timeline: dict[str, Any]
    output_media: dict[str, Any]
    duration: float
    notes: list[str] = field(default_factory=list)


# --- shots ------------------------------------------------------------------------------------


def split_shots(
    media: str,
    *,
    kind: Literal["video", "image"],
    duration: float,
    aspect: float | None,
    ranges: Sequence[tuple[float, float]] = (),
    shot_s: float = DEFAULT_SHOT_S,
    image_s: float = DEFAULT_IMAGE_S,
    split: bool = True,
) -> list[Shot]:
    """Cut a medium into shots of `shot_s` (ProcessConfig.SingleShotDuration).

    A remainder shorter than half a shot joins the shot before it rather than becoming a
    flash; `ranges` (MediaMetaDataArray TimeRangeList) limit which parts may be used.
    """
    if kind == "image":
        return [Shot(media, "image", 0.0, image_s, aspect)]
    spans = [(max(0.0, a), min(duration, b)) for a, b in ranges] if ranges else [(0.0, duration)]
    shots: list[Shot] = []
    for begin, end in spans:
        if end <= begin:
            continue
        if not split:
            shots.append(Shot(media, "video", begin, end, aspect))
            continue
        count = max(1, math.floor((end - begin) / shot_s + 0.5))
        edges = [begin + i * shot_s for i in range(count)] + [end]
        shots.extend(Shot(media, "video", a, b, aspect) for a, b in itertools.pairwise(edges))
    return shots


# --- choosing what each output uses -----------------------------------------------------------


def _picks(items: Sequence[str], count: int, rng: random.Random) -> list[str | None]:
    """One item per output: round-robin from a random start (§3.3 "pick one of N")."""
    if not items:
        return [None] * count
    start = rng.randrange(len(items))
    return [items[(start + k) % len(items)] for k in range(count)]


def distinct_outputs(board: Storyboard) -> int:
    """How many outputs can differ in shot sequence or script (capped)."""
    total = 1
    for radix in _radices(board):
        total = min(total * radix, _COMBINATIONS_CAP)
    return total


def _radices(board: Storyboard) -> list[int]:
    """The mixed-radix digits of an output's identity: script, shot per group, group scripts."""
    radices = [len(board.scripts)] if board.scripts else []
    radices += [1 if group.ordered else max(1, len(group.shots)) for group in board.groups]
    if board.group_speech:
        if board.scripts_by_index:
            radices.append(next(len(g.scripts) for g in board.groups if g.scripts))
        else:
            radices += [len(group.scripts) for group in board.groups if group.scripts]
    return radices


def choose_variants(board: Storyboard, count: int, rng: random.Random) -> tuple[list[Variant], list[str]]:
    """Pick what each of `count` outputs uses; never two alike.

    Each digit (script, shot of each group, ...) advances round-robin from a random start; when
    that lands on a combination already taken, the next free one in mixed-radix order is used.
    When the inputs allow fewer distinct outputs than `count`, only those are planned and the
    returned notes say so.
    """
    notes: list[str] = []
    possible = distinct_outputs(board)
    if possible < count:
        notes.append(
            f"OutputConfig.Count: {count} asked, but the inputs allow only {possible} distinct "
            f"outputs (shot sequence or script); {possible} planned"
        )
        count = possible
    radices = _radices(board)
    starts = [rng.randrange(r) for r in radices]
    taken: set[tuple[int, ...]] = set()
    digits_of: list[tuple[int, ...]] = []
    for k in range(count):
        counter = [(s + k) % r for s, r in zip(starts, radices, strict=True)]
        while tuple(counter) in taken:
            _increment(counter, radices)
        taken.add(tuple(counter))
        digits_of.append(tuple(counter))

    titles = _picks(board.titles, count, rng)
    music = _picks(board.music, count, rng)
    backgrounds = _picks(board.backgrounds, count, rng)
    voices = _picks(board.voices, count, rng)
    headings = [(level, _picks(texts, count, rng)) for level, texts in board.subheadings]
    variants = []
    for k, digits in enumerate(digits_of):
        first = 1 if board.scripts else 0
        script = digits[0] if board.scripts else None
        shots = digits[first : first + len(board.groups)]
        rest = list(digits[first + len(board.groups) :])
        group_scripts: list[int | None] = []
        for group in board.groups:
            if not group.scripts:
                group_scripts.append(None)
            elif board.scripts_by_index:
                group_scripts.append(rest[0])
            else:
                group_scripts.append(rest.pop(0))
        variants.append(
            Variant(
                index=k + 1,
                shots=shots,
                script=script,
                group_scripts=tuple(group_scripts),
                voice=voices[k],
                title=titles[k],
                subheadings=tuple((level, text) for level, picks in headings if (text := picks[k]) is not None),
                music=music[k],
                background=backgrounds[k],
                seed=rng.getrandbits(32),
            )
        )
    return variants, notes


def _increment(digits: list[int], radices: list[int]) -> None:
    for i, radix in enumerate(radices):
        digits[i] = (digits[i] + 1) % radix
        if digits[i]:
            return


# --- laying one output out --------------------------------------------------------------------


@dataclass
class _Clip:
    shot: Shot
    group: int
    speed: float = 1.0
    end: float | None = None  # a Cut shortens the source range
    transition: tuple[str, float] | None = None  # into the next clip

    @property
    def source_end(self) -> float:
        return self.shot.end if self.end is None else self.end

    @property
    def occupied(self) -> float:
        return (self.source_end - self.shot.start) / self.speed


@dataclass
class _Block:
    """Consecutive clips that must fill `target` seconds of output (a group, or the whole)."""

    clips: list[_Clip]
    target: float


class _Layout:
    """Builds one output's clips, then its Timeline."""

    def __init__(self, board: Storyboard, variant: Variant, speech: dict[str, Line], margin: float) -> None:
        self.board = board
        self.variant = variant
        self.speech = speech
        self.margin = margin  # the last block runs this much longer, so a cap, not a gap, ends it
        self.rng = random.Random(variant.seed)
        self.process: dict[str, Any] = board.editing.get("ProcessConfig") or {}
        allow = bool(self.process.get("AllowTransition"))
        self.join_s = float(self.process.get("TransitionDuration") or DEFAULT_TRANSITION_S) if allow else 0.0
        self.notes: list[str] = []
        self.used: set[tuple[int, int]] = set()
        self.cursor = list(variant.shots)

    # -- shots

    def _next_shot(self, group: int) -> _Clip | None:
        """The group's next shot after the chosen one, unused in this output if possible."""
        shots = self.board.groups[group].shots
        if not shots:
            return None
        for _ in range(len(shots)):
            index = self.cursor[group] % len(shots)
            self.cursor[group] += 1
            if (group, index) not in self.used:
                self.used.add((group, index))
                return _Clip(shots[index], group)
        note = f"MediaGroupArray[{group}]: shots reused, the group has too little material"
        if note not in self.notes:
            self.notes.append(note)
        index = self.cursor[group] % len(shots)
        self.cursor[group] += 1
        return _Clip(shots[index], group)

    def _fill(self, clips: list[_Clip], need: float, donors: list[int]) -> None:
        """Add shots from `donors` (cycling) after their own group's clips until they span `need`.

        A span counts the transitions between the clips as overlap, as the render will.
        """
        turn = 0
        while self._span(clips) < need and donors:
            group = donors[turn % len(donors)]
            turn += 1
            extra = self._next_shot(group)
            if extra is None:
                donors.remove(group)
                continue
            position = max((i + 1 for i, c in enumerate(clips) if c.group == group), default=len(clips))
            clips.insert(position, extra)

    def _span(self, clips: list[_Clip]) -> float:
        """Seconds `clips` fill once joined by TransitionDuration, as shortened for short clips."""
        overlaps = sum(_overlap(self.join_s, a, b) for a, b in itertools.pairwise(clips))
        return sum(c.occupied for c in clips) - overlaps

    def _fit(self, block: _Block, into: float) -> None:
        """Make the block fill exactly its target once the transitions into it (`into`, plus the
        margin for the last block) and between its clips have eaten their overlaps."""

        def need(clips: list[_Clip]) -> float:
            return block.target + into + sum(c.transition[1] for c in clips[:-1] if c.transition)

        have = sum(c.occupied for c in block.clips)
        if have <= 0 or abs(have - need(block.clips)) < 1e-6:
            return
        mode = self.process.get("AlignmentMode") or "AutoSpeed"
        if mode == "AutoSpeed" or have < need(block.clips):
            factor = have / need(block.clips)
            for clip in block.clips:
                clip.speed *= factor
            return
        # Cut: drop whole clips while the rest still fill the block (the dropped clip's transition
        # overlaps nothing any more), then cut the last one short.
        while len(block.clips) > 1 and have - block.clips[-1].occupied >= need(block.clips[:-1]):
            have -= block.clips.pop().occupied
        last = block.clips[-1]
        keep = last.occupied - (have - need(block.clips))
        rest = block.clips[:-1]
        slower = (have - last.occupied) / need(rest) if rest else 0.0
        if keep < MIN_CUT_S and slower >= SLOWEST_FILL:
            # What is left of it would flash by: drop it, and play the rest a little slower.
            block.clips.pop()
            for clip in rest:
                clip.speed *= slower
            return
        last.end = last.shot.start + keep * last.speed

    # -- the whole output

    def blocks(self) -> list[_Block]:
        board, variant = self.board, self.variant
        groups = board.groups
        self.used = {(g, i) for g, i in enumerate(variant.shots)}
        chosen = [_Clip(groups[g].shots[i], g) for g, i in enumerate(variant.shots) if groups[g].shots]
        self.cursor = [i + 1 for i in variant.shots]
        middle = list(range(1, len(groups) - 1)) if len(groups) > 2 else list(range(len(groups)))
        last = len(groups) - 1
        if board.group_speech:
            blocks = []
            for g, group in enumerate(groups):
                clips = [c for c in chosen if c.group == g]
                k = variant.group_scripts[g]
                target = (
                    sum(self.speech[s].duration for s in group.scripts[k])
                    if k is not None
                    else group.duration or DEFAULT_GROUP_S
                )
                self._fill(clips, target + self._edges(g, last), [g])
                blocks.append(_Block(clips, target))
            return blocks
        if variant.script is not None or board.output.get("FixedDuration"):
            if variant.script is not None:
                target = sum(self.speech[s].duration for s in board.scripts[variant.script])
                if board.output.get("FixedDuration"):
                    self.notes.append("OutputConfig.FixedDuration: ignored, the output lasts as long as its speech")
            else:
                target = float(board.output["FixedDuration"])
            self._fill(chosen, target + self.margin, middle)
            return [_Block(chosen, target)]
        blocks = []
        for position, clip in enumerate(chosen):
            wanted = groups[clip.group].duration
            clips = [clip]
            if wanted:
                self._fill(clips, wanted + self._edges(position, len(chosen) - 1), [clip.group])
            # Without a Duration a group lasts as long as its shot, less the transition into it.
            into = _overlap(self.join_s, chosen[position - 1], clip) if position else 0.0
            blocks.append(_Block(clips, wanted or clip.occupied - into))
        return blocks

    def _edges(self, position: int, last: int) -> float:
        """What a block must span beyond its target: the transition into it, and the margin if last."""
        return (self.join_s if position > 0 else 0.0) + (self.margin if position == last else 0.0)

    def choose_transitions(self, clips: list[_Clip]) -> None:
        process = self.process
        if not process.get("AllowTransition") or len(clips) < 2:
            return
        names = _names(process.get("TransitionList")) or list(DEFAULT_TRANSITIONS)
        seconds = float(process.get("TransitionDuration") or DEFAULT_TRANSITION_S)
        uniform = self.rng.choice(names) if process.get("UseUniformTransition") else None
        for clip in clips[:-1]:
            clip.transition = (uniform or self.rng.choice(names), seconds)

    @staticmethod
    def _in_play_order(blocks: list[_Block]) -> list[_Clip]:
        """The clips in play order. The last leads into nothing, so it keeps no transition (a Cut
        may have dropped the clip it led into)."""
        clips = [c for b in blocks for c in b.clips]
        if clips:
            clips[-1].transition = None
        return clips

    @staticmethod
    def _shorten_transitions(clips: list[_Clip]) -> bool:
        """Shorten every transition to what the clips it joins allow; whether any changed."""
        changed = False
        for a, b in itertools.pairwise(clips):
            if a.transition and a.transition[1] > (allowed := round(_overlap(a.transition[1], a, b), 3)):
                a.transition = (a.transition[0], allowed) if allowed > 0 else None
                changed = True
        return changed

    def layout(self) -> tuple[list[_Block], float]:
        """Blocks fitted to their targets; the last gets `margin` more so a cap, not a gap, ends it.

        Fitting changes clip lengths (speed, a Cut), which may leave a transition longer than its
        clips allow; it is shortened and the blocks fitted again, until both agree.
        """
        blocks = self.blocks()
        self.choose_transitions([c for b in blocks for c in b.clips])
        self._shorten_transitions(self._in_play_order(blocks))
        for _ in range(_LAYOUT_PASSES):
            for i, block in enumerate(blocks):
                self._fit(block, _overlap_into(blocks, i) + (self.margin if i == len(blocks) - 1 else 0.0))
            if not self._shorten_transitions(self._in_play_order(blocks)):
                break
        total = sum(b.target for b in blocks)
        return blocks, total


def _overlap(seconds: float, a: _Clip, b: _Clip) -> float:
    """The overlap of a `seconds` transition joining `a` to `b` (TRANSITION_SHARE of the shorter)."""
    return min(seconds, TRANSITION_SHARE * min(a.occupied, b.occupied))


def _overlap_into(blocks: list[_Block], index: int) -> float:
    """Seconds the transition into block `index` overlaps it (eaten from its length)."""
    if index == 0:
        return 0.0
    previous = blocks[index - 1].clips[-1]
    return previous.transition[1] if previous.transition else 0.0


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [n.strip() for n in value.split(",") if n.strip()]
    if isinstance(value, list):
        return [str(n).strip() for n in value if str(n).strip()]
    return []


def media_field(ref: str) -> str:
    """Timeline key of a reference: MediaId for bare asset ids, MediaURL for URLs and paths."""
    return "MediaURL" if any(ch in ref for ch in "/:.") else "MediaId"


def _level(config: dict[str, Any] | None, default: float) -> float:
    """A 0–10 volume from a config that may spell it Volume or (older) Gain."""
    if not config:
        return default
    value = config.get("Volume", config.get("Gain"))
    return default if value is None else float(value)


def _style(config: dict[str, Any] | None, rng: random.Random, defaults: dict[str, Any]) -> dict[str, Any]:
    """Text style: request fields over defaults; comma-listed string values pick one per output."""
    style = dict(defaults)
    for key, value in (config or {}).items():
        if isinstance(value, str) and "," in value and key not in ("FontColor", "OutlineColour", "BackColour"):
            value = rng.choice(_names(value))
        style[key] = value
    return style


def compose_output(board: Storyboard, variant: Variant, speech: dict[str, Line], *, width: int, height: int,
                   fps: float) -> PlannedOutput:  # fmt: skip
    """Lay one output out as Timeline JSON plus its OutputMediaConfig.

    `speech` maps every sentence the variant speaks to its synthesized Line.
    """
    layout = _Layout(board, variant, speech, margin=2 / fps)
    blocks, total = layout.layout()
    editing = board.editing
    notes = layout.notes
    cap = board.output.get("MaxDuration")
    if cap and total > float(cap):
        notes.append(f"OutputConfig.MaxDuration: the output was cut from {total:.2f}s to {float(cap):.2f}s")
        total = float(cap)
    media_config = editing.get("MediaConfig") or {}
    source_volume = _level(media_config, 0.0)
    process = layout.process
    filters = _names(process.get("FilterList")) if process.get("AllowFilter") else []
    vfx_first = _names(process.get("VfxFirstClipEffectList")) if process.get("AllowVfxEffect") else []
    vfx_rest = _names(process.get("VfxNotFirstClipEffectList")) if process.get("AllowVfxEffect") else []
    vfx_chance = float(process.get("VfxEffectProbability", DEFAULT_VFX_PROBABILITY))
    rng = layout.rng
    output_aspect = width / height

    video_clips: list[dict[str, Any]] = []
    clips = [c for b in blocks for c in b.clips]
    for position, clip in enumerate(clips):
        shot = clip.shot
        item: dict[str, Any] = {media_field(shot.media): shot.media, "X": 0, "Y": 0, "Width": width, "Height": height}
        if shot.kind == "image":
            item.update(Type="Image", Duration=round(clip.occupied, 4))
        else:
            item.update(Type="Video", In=round(shot.start, 4), Out=round(clip.source_end, 4))
            if abs(clip.speed - 1) > 1e-4:
                item["Speed"] = round(clip.speed, 4)
        letterbox = variant.background is not None or (
            shot.aspect is not None and abs(shot.aspect / output_aspect - 1) > COVER_ASPECT_TOLERANCE
        )
        item["AdaptMode"] = "Contain" if letterbox else "Cover"
        effects: list[dict[str, Any]] = []
        if letterbox and variant.background is None:
            effects.append({"Type": "Background", "SubType": "Blur", "Radius": 0.1})
        group = board.groups[clip.group]
        gain = group.volume if group.volume is not None else source_volume
        if shot.kind == "video":
            effects.append({"Type": "Volume", "Gain": gain})
        if filters:
            effects.append({"Type": "Filter", "SubType": rng.choice(filters)})
        vfx = vfx_first if position == 0 else vfx_rest
        if vfx and rng.random() < vfx_chance:
            effects.append({"Type": "VFX", "SubType": rng.choice(vfx)})
        if clip.transition:
            effects.append({"Type": "Transition", "SubType": clip.transition[0], "Duration": clip.transition[1]})
        item["Effects"] = effects
        video_clips.append(item)

    video_tracks: list[dict[str, Any]] = []
    if variant.background:
        video_tracks.append({"VideoTrackClips": [{
            media_field(variant.background): variant.background, "Type": "Image", "Duration": round(total, 4),
            "X": 0, "Y": 0, "Width": width, "Height": height, "AdaptMode": "Cover",
        }]})  # fmt: skip
    video_tracks.append({"VideoTrackClips": video_clips})
    if board.stickers:
        video_tracks.append({"VideoTrackClips": [_sticker(s, total) for s in board.stickers]})

    speech_config = editing.get("SpeechConfig") or {}
    lines = _voice_lines(board, variant, blocks, speech)
    audio_tracks: list[dict[str, Any]] = []
    if lines:
        voice_gain = _level(speech_config, 1.0)
        audio_tracks.append({"AudioTrackClips": [
            {"MediaURL": line.audio, "TimelineIn": round(start, 4), "Effects": [{"Type": "Volume", "Gain": voice_gain}]}
            for start, line in lines
        ]})  # fmt: skip
    if variant.music:
        music_gain = _level(editing.get("BackgroundMusicConfig"), DEFAULT_MUSIC_VOLUME)
        fade = round(min(1.0, total / 4), 3)
        audio_tracks.append({"AudioTrackClips": [{
            media_field(variant.music): variant.music, "LoopMode": True,
            "TimelineIn": 0, "TimelineOut": round(total, 4),
            "Effects": [{"Type": "Volume", "Gain": music_gain}, *_ducking(lines),
                        {"Type": "AFade", "SubType": "Out", "Duration": fade}],
        }]})  # fmt: skip

    text_clips = _captions(editing, lines, rng, width, total)
    text_clips += _headings(editing, variant, rng, width, total)
    timeline: dict[str, Any] = {"VideoTracks": video_tracks}
    if audio_tracks:
        timeline["AudioTracks"] = audio_tracks
    if text_clips:
        timeline["SubtitleTracks"] = [{"SubtitleTrackClips": text_clips}]
    output_media = output_media_config(board.output, variant.index, width=width, height=height, max_duration=total)
    return PlannedOutput(variant, timeline, output_media, round(total, 4), notes)


def _voice_lines(
    board: Storyboard, variant: Variant, blocks: list[_Block], speech: dict[str, Line]
) -> list[tuple[float, Line]]:
    """(start, line) of every sentence: back to back, each group's from where its block starts."""
    if variant.script is not None:
        starts_and_texts = [(0.0, board.scripts[variant.script])]
    elif not board.group_speech:
        return []
    else:
        starts_and_texts, start = [], 0.0
        for group, k, block in zip(board.groups, variant.group_scripts, blocks, strict=True):
            if k is not None:
                starts_and_texts.append((start, group.scripts[k]))
            start += block.target
    lines = []
    for start, texts in starts_and_texts:
        t = start
        for text in texts:
            lines.append((t, speech[text]))
            t += speech[text].duration
    return lines


def _ducking(lines: list[tuple[float, Line]]) -> list[dict[str, Any]]:
    """Volume effects (the Timeline's own way to duck) lowering the music while the voice speaks."""
    stretches: list[list[float]] = []
    for start, line in lines:
        begin, end = max(0.0, start - DUCK_LEAD_S), start + line.duration + DUCK_TAIL_S
        if stretches and begin - stretches[-1][1] < DUCK_BRIDGE_S:
            stretches[-1][1] = max(stretches[-1][1], end)
        else:
            stretches.append([begin, end])
    return [{"Type": "Volume", "Gain": DUCK_GAIN, "In": round(a, 3), "Out": round(b, 3)} for a, b in stretches]


def _captions(
    editing: dict[str, Any], lines: list[tuple[float, Line]], rng: random.Random, width: int, total: float
) -> list[dict[str, Any]]:
    asr = (editing.get("SpeechConfig") or {}).get("AsrConfig")
    style = _style(asr, rng, {
        "FontSize": max(12, round(width * 0.05)), "FontColor": "#FFFFFF", "Outline": 2, "OutlineColour": "#000000",
        "Alignment": "TopCenter", "X": 0.5, "Y": 0.78, "AdaptMode": "AutoWrap", "TextWidth": round(width * 0.9),
    })  # fmt: skip
    return [
        {**style, "Type": "Text", "Content": line.text, "TimelineIn": round(start, 4),
         "TimelineOut": round(min(start + line.duration, total), 4)}
        for start, line in lines
        if start < total
    ]  # fmt: skip


def _headings(
    editing: dict[str, Any], variant: Variant, rng: random.Random, width: int, total: float
) -> list[dict[str, Any]]:
    clips = []
    span = {"TimelineIn": 0, "TimelineOut": round(total, 4)}
    if variant.title:
        style = _style(editing.get("TitleConfig"), rng, {
            "FontSize": max(14, round(width * 0.07)), "FontColor": "#FFFFFF", "Outline": 3, "OutlineColour": "#000000",
            "Alignment": "TopCenter", "X": 0.5, "Y": 0.08, "AdaptMode": "AutoWrap", "TextWidth": round(width * 0.9),
        })  # fmt: skip
        clips.append({**style, "Type": "Text", "Content": variant.title, **span})
    levels = editing.get("SubHeadingConfig") or {}
    for level, text in variant.subheadings:
        style = _style(levels.get(str(level)), rng, {
            "FontSize": max(12, round(width * 0.045)), "FontColor": "#FFFFFF", "Outline": 2, "OutlineColour": "#000000",
            "Alignment": "TopCenter", "X": 0.5, "Y": round(0.1 + 0.06 * level, 3), "AdaptMode": "AutoWrap",
            "TextWidth": round(width * 0.9),
        })  # fmt: skip
        clips.append({**style, "Type": "Text", "Content": text, **span})
    return clips


def _sticker(sticker: dict[str, Any], total: float) -> dict[str, Any]:
    ref = sticker.get("MediaId") or sticker.get("MediaURL")
    item = {("MediaId" if sticker.get("MediaId") else "MediaURL"): ref, "Type": "Image", "TimelineIn": 0,
            "Duration": round(total, 4)}  # fmt: skip
    for key in ("X", "Y", "Width", "Height", "Opacity", "DyncFrames"):
        if sticker.get(key) is not None:
            item[key] = sticker[key]
    return item


def output_media_config(
    output: dict[str, Any], index: int, *, width: int | None = None, height: int | None = None,
    max_duration: float | None = None,
) -> dict[str, Any]:  # fmt: skip
    """A batch output's OutputMediaConfig, from the batch OutputConfig with `{index}` filled in."""
    media: dict[str, Any] = {
        "Width": width or output.get("Width"),
        "Height": height or output.get("Height"),
        "MaxDuration": round(max_duration, 4) if max_duration else output.get("MaxDuration"),
    }
    media = {k: v for k, v in media.items() if v is not None}
    if output.get("MediaURL"):
        media["MediaURL"] = str(output["MediaURL"]).replace("{index}", str(index))
    else:
        media["StorageLocation"] = output.get("StorageLocation")
        media["FileName"] = str(output.get("FileName", "")).replace("{index}", str(index))
    for key in ("Video", "Audio", "Bitrate"):
        if output.get(key) is not None:
            media[key] = output[key]
    return media
