"""Speech inside a Timeline, made before it is rendered: AI_TTS voiced, AI_ASR captioned.

An `AI_TTS` clip (docs/ims-api.md §2.4: `Content` spoken with `Voice` at `SpeechRate`) becomes an
ordinary Audio clip of the synthesized WAV, keeping its timing and Effects (Volume and the rest),
so the renderer only ever reads media files. The synthesizer caches each sentence by content,
voice and rate, so a retaken or repeated render speaks nothing twice. A voice, language or rate
the local TTS cannot honour is listed under Approximated, as the batch voice-over does.

An `AI_ASR` subtitle clip (§2.5: captions from the speech of its `MediaURL`/`MediaId`) becomes
Text clips, one per spoken line, styled with the AI_ASR clip's own text fields and timed by the
engine's ASR; the lines take the AI_ASR clip's place in its track. Inferred: the captions count
from the clip's TimelineIn (the media's start plays there) and stop at its TimelineOut.

An `AI_ASR` entry in a video clip's Effects (the form the IMS use-case page prints: "Set "Type" to
"AI_ASR" to convert speech in audio or video to text", alibabacloud.com/help/en/ims/use-cases/
participate-in-video-synthesis-after-intelligent-processing) captions that clip's own speech: it
becomes Text effects, which are drawn while their clip plays. Inferred: the lines follow the clip's
trim and Speed as its picture does (a line outside In..Out is not shown).
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from imsd.engine.media import MediaResolver
from imsd.engine.planning.asr import Transcriber, Word
from imsd.engine.planning.tts import SENTENCE_CJK_CHARS, SENTENCE_WORDS, Speech, Synthesizer, length_scale
from imsd.errors import ImsError, invalid

__all__ = ["TimelineSpeech"]

TTS_CLIP = "AI_TTS"
ASR_CLIP = "AI_ASR"
# What the speech is made from; the rest of the clip (timing, Effects) stays on the audio clip.
_SPEECH_FIELDS = frozenset({"Type", "Content", "Voice", "SpeechRate", "PitchRate", "Format", "CustomizedVoice"})
# What captions are made from; the rest of an AI_ASR clip is the style of its lines.
_CAPTION_FIELDS = frozenset({"Type", "MediaURL", "MediaUrl", "MediaId", "AlignmentText", "Content", "TimelineIn",
                             "TimelineOut", "NeedHighlighting", "HighlightingStyle"})  # fmt: skip
_LINE_PAUSE_S = 0.5  # a silence this long ends a caption line


class TimelineSpeech:
    """Makes a Timeline's speech clips into ordinary clips: AI_TTS voiced, AI_ASR captioned."""

    def __init__(self, synthesizer: Synthesizer, transcriber: Transcriber, resolver: MediaResolver) -> None:
        self.synthesizer = synthesizer
        self.transcriber = transcriber
        self.resolver = resolver

    async def prepare(self, timeline: Any) -> tuple[Any, list[str]]:
        """`timeline` ready to render, and what it departs from the request in (Approximated)."""
        voiced, notes = await voice_tts_clips(timeline, self.synthesizer)
        return await self._captioned(voiced, notes), notes

    async def _captioned(self, timeline: Any, notes: list[str]) -> Any:
        wanted = _clips_of_type(timeline, "Subtitle", ASR_CLIP)
        effects = _asr_effects(timeline)
        if not wanted and not effects:
            return timeline
        if not self.transcriber.available():
            first = wanted[0][0] if wanted else effects[0][0]
            raise ImsError("ProduceFailed", f"{first}: speech recognition is not available here")
        lines = await asyncio.gather(*(self._lines(loc, clip) for loc, _, _, clip in wanted))
        texts = await asyncio.gather(*(self._effect_lines(loc, clip, effect) for loc, _, clip, effect in effects))
        captioned = copy.deepcopy(timeline)
        for (_, t, c, _), clips in reversed(list(zip(wanted, lines, strict=True))):  # later first: indexes hold
            captioned["SubtitleTracks"][t]["SubtitleTrackClips"][c : c + 1] = clips
        for (loc, (t, c, e), _, effect), made in reversed(list(zip(effects, texts, strict=True))):
            captioned["VideoTracks"][t]["VideoTrackClips"][c]["Effects"][e : e + 1] = made
            if effect.get("NeedHighlighting"):
                notes.append(f"{loc}.NeedHighlighting: key words are not highlighted by the local ASR")
        return captioned

    async def _effect_lines(self, loc: str, clip: dict[str, Any], effect: dict[str, Any]) -> list[dict[str, Any]]:
        """Text effects captioning the speech of `clip` (or of the effect's own media), clip-timed."""
        own = effect.get("MediaId") or effect.get("MediaURL") or effect.get("MediaUrl")
        source = effect if own else clip
        ref = own or clip.get("MediaId") or clip.get("MediaURL") or clip.get("MediaUrl")
        if not isinstance(ref, str) or not ref:
            raise invalid(f"Timeline.{loc}.MediaURL", "the clip of an AI_ASR effect has no MediaId or MediaURL")
        place = f"Timeline.{loc}" if own else f"Timeline.{loc.rsplit('.Effects[', 1)[0]}"
        info = await self.resolver.resolve(ref, place, media_id=bool(source.get("MediaId")))
        words = await self.transcriber.transcribe(info.path)
        trim_in, trim_out, speed = _number(clip.get("In"), 0.0), clip.get("Out"), _number(clip.get("Speed"), 1.0)
        stop = float(trim_out) if isinstance(trim_out, int | float) and not isinstance(trim_out, bool) else None
        style = {key: value for key, value in effect.items() if key not in _CAPTION_FIELDS}
        made = []
        for text, start, end in _caption_lines(words):
            if stop is not None and start >= stop:
                break
            if end <= trim_in:
                continue
            finish = min(end, stop) if stop is not None else end
            begin, finish = (max(start, trim_in) - trim_in) / speed, (finish - trim_in) / speed
            made.append({**style, "Type": "Text", "Content": text, "TimelineIn": begin, "TimelineOut": finish})
        return made

    async def _lines(self, loc: str, clip: dict[str, Any]) -> list[dict[str, Any]]:
        ref = clip.get("MediaId") or clip.get("MediaURL") or clip.get("MediaUrl")
        if not isinstance(ref, str) or not ref:
            raise invalid(f"Timeline.{loc}.MediaURL", "MediaId or MediaURL is required for AI_ASR clips")
        info = await self.resolver.resolve(ref, f"Timeline.{loc}", media_id=bool(clip.get("MediaId")))
        words = await self.transcriber.transcribe(info.path)
        offset = float(clip.get("TimelineIn") or 0.0)
        stop = clip.get("TimelineOut")
        style = {key: value for key, value in clip.items() if key not in _CAPTION_FIELDS}
        lines = []
        for text, start, end in _caption_lines(words):
            begin, finish = offset + start, offset + end
            if isinstance(stop, int | float):
                if begin >= stop:
                    break
                finish = min(finish, float(stop))
            lines.append({**style, "Type": "Text", "Content": text, "TimelineIn": begin, "TimelineOut": finish})
        return lines


async def voice_tts_clips(timeline: Any, synthesizer: Synthesizer) -> tuple[Any, list[str]]:
    """`timeline` with each AI_TTS clip an Audio clip of its speech, and the Approximated notes."""
    wanted = _clips_of_type(timeline, "Audio", TTS_CLIP)
    if not wanted:
        return timeline, []
    speeches = await asyncio.gather(*(_speak(loc, clip, synthesizer) for loc, _, _, clip in wanted))
    voiced = copy.deepcopy(timeline)
    notes: list[str] = []
    for (loc, t, c, clip), speech in zip(wanted, speeches, strict=True):
        kept = {key: value for key, value in clip.items() if key not in _SPEECH_FIELDS}
        voiced["AudioTracks"][t]["AudioTrackClips"][c] = {**kept, "Type": "Audio", "MediaURL": str(speech.path)}
        if speech.substituted:
            notes.append(f"{loc}: spoken by the local voice {speech.voice!r}: {speech.note}")
        if clip.get("PitchRate"):
            notes.append(f"{loc}.PitchRate: not supported by the local TTS, spoken at its own pitch")
    return voiced, notes


async def _speak(loc: str, clip: dict[str, Any], synthesizer: Synthesizer) -> Speech:
    content = clip.get("Content")
    if not isinstance(content, str) or not content.strip():
        raise invalid(f"Timeline.{loc}.Content", "is required for AI_TTS clips")
    rate = clip.get("SpeechRate", 0)
    if not isinstance(rate, int) or isinstance(rate, bool):
        raise invalid(f"Timeline.{loc}.SpeechRate", "must be an integer")
    length_scale(rate, f"Timeline.{loc}.SpeechRate")  # refuses a rate outside -500..500 by its name
    voice = clip.get("Voice")
    return await synthesizer.synthesize(
        content, voice=voice if isinstance(voice, str) else None, rate=rate, field=f"Timeline.{loc}.Content"
    )


def _clips_of_type(timeline: Any, kind: str, clip_type: str) -> list[tuple[str, int, int, dict[str, Any]]]:
    """(location, track index, clip index, clip) of each `kind` track clip of Type `clip_type`."""
    return [
        (f"{kind}Tracks[{t}].{kind}TrackClips[{c}]", t, c, clip)
        for t, track in enumerate(_list(timeline, f"{kind}Tracks"))
        for c, clip in enumerate(_list(track, f"{kind}TrackClips"))
        if isinstance(clip, dict) and clip.get("Type") == clip_type
    ]


def _asr_effects(timeline: Any) -> list[tuple[str, tuple[int, int, int], dict[str, Any], dict[str, Any]]]:
    """(location, (track, clip, effect) indexes, clip, effect) of each AI_ASR effect of a video clip."""
    return [
        (f"VideoTracks[{t}].VideoTrackClips[{c}].Effects[{e}]", (t, c, e), clip, effect)
        for t, track in enumerate(_list(timeline, "VideoTracks"))
        for c, clip in enumerate(_list(track, "VideoTrackClips"))
        if isinstance(clip, dict) and clip.get("Type", "Video") == "Video"
        for e, effect in enumerate(_list(clip, "Effects"))
        if isinstance(effect, dict) and effect.get("Type") == ASR_CLIP
    ]


def _number(value: Any, default: float) -> float:
    """A clip's In or Speed as given, else its default (the Timeline model checks the value itself)."""
    ok = isinstance(value, int | float) and not isinstance(value, bool) and value > 0
    return float(value) if ok else default


def _list(parent: Any, key: str) -> list[Any]:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, list) else []


def _caption_lines(words: list[Word]) -> list[tuple[str, float, float]]:
    """Words grouped into lines of a subtitle's length, broken at pauses: (text, start, end)."""
    lines: list[tuple[str, float, float]] = []
    current: list[Word] = []
    for word in words:
        text = "".join(w.text for w in current).strip()
        full = len(text.split()) >= SENTENCE_WORDS or sum(not ch.isascii() for ch in text) >= SENTENCE_CJK_CHARS
        if current and (full or word.start - current[-1].end > _LINE_PAUSE_S):
            lines.append((text, current[0].start, current[-1].end))
            current = []
        current.append(word)
    if current:
        lines.append(("".join(w.text for w in current).strip(), current[0].start, current[-1].end))
    return lines
