"""AI_TTS audio clips of a Timeline voiced with the engine's TTS, before the Timeline is rendered.

An `AI_TTS` clip (docs/ims-api.md §2.4: `Content` spoken with `Voice` at `SpeechRate`) becomes an
ordinary Audio clip of the synthesized WAV, keeping its timing and Effects (Volume and the rest),
so the renderer only ever reads media files. The synthesizer caches each sentence by content,
voice and rate, so a retaken or repeated render speaks nothing twice. A voice, language or rate
the local TTS cannot honour is listed under Approximated, as the batch voice-over does.
"""

from __future__ import annotations

import asyncio
import copy
from typing import Any

from imsd.engine.planning.tts import Speech, Synthesizer, length_scale
from imsd.errors import invalid

__all__ = ["voice_tts_clips"]

TTS_CLIP = "AI_TTS"
# What the speech is made from; the rest of the clip (timing, Effects) stays on the audio clip.
_SPEECH_FIELDS = frozenset({"Type", "Content", "Voice", "SpeechRate", "PitchRate", "Format", "CustomizedVoice"})


async def voice_tts_clips(timeline: Any, synthesizer: Synthesizer) -> tuple[Any, list[str]]:
    """`timeline` with each AI_TTS clip an Audio clip of its speech, and the Approximated notes."""
    wanted = [
        (f"AudioTracks[{t}].AudioTrackClips[{c}]", t, c, clip)
        for t, track in enumerate(_list(timeline, "AudioTracks"))
        for c, clip in enumerate(_list(track, "AudioTrackClips"))
        if isinstance(clip, dict) and clip.get("Type") == TTS_CLIP
    ]
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


def _list(parent: Any, key: str) -> list[Any]:
    value = parent.get(key) if isinstance(parent, dict) else None
    return value if isinstance(value, list) else []
