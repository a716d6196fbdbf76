"""The output's sound: every clip's own audio made on its own, then summed over a silent bed.

Each audio clip and each video clip's own sound is trimmed, looped, tempo-shifted, faded and
gained in a chain of its own and delayed to its start, so no clip's effects touch another's;
amix with normalize=0 then sums them unchanged over a bed of exactly the output's length, which
is what makes the mix as long as the video whatever the clips' lengths. A clip muted by a
Volume of 0 is left out rather than mixed in silent.
"""

from __future__ import annotations

from imsd.api.timeline import AFadeEffect, ALoudNormEffect, AudioTrackClip, TransitionEffect, VolumeEffect
from imsd.engine.render.clock import SAMPLE_RATE, Clock
from imsd.engine.render.graph import Filter, FilterGraph, f, format_value
from imsd.engine.render.inputs import Inputs
from imsd.engine.render.notes import Notes
from imsd.engine.render.spans import Layout, Span

__all__ = ["AudioMix"]

_AFADE_CURVES = frozenset(
    {"tri", "qsin", "hsin", "esin", "log", "ipar", "qua", "cub", "squ", "cbr", "par", "exp",
     "iqsin", "ihsin", "dese", "desi", "losi", "sinc", "isinc", "nofade"}
)  # fmt: skip


class AudioMix:
    """Builds the mix of one graph from the clips' own sound."""

    def __init__(self, graph: FilterGraph, inputs: Inputs, clock: Clock, notes: Notes) -> None:
        self._graph = graph
        self._inputs = inputs
        self._clock = clock
        self._notes = notes

    def mix(self, layout: Layout) -> str:
        """The mix of every audible clip, `layout.frames` long; video clips' inputs are open already."""
        total = layout.frames
        n = self._clock.samples(total)
        bed = self._graph.one([], [f("anullsrc", r=SAMPLE_RATE, cl="stereo"), f("atrim", end_sample=n)], "bed")
        parts = [bed]
        for spans, _ in layout.video:
            for span in spans:
                if not self._inputs.opened(span) or not span.audible:
                    continue  # silent, or starts after the end of the output
                fade_in = span.join[1] if span.join else 0
                label = self._clip(span, total, fade_in, span.fade_out)
                parts += [label] if label else []
        for spans in layout.audio:
            for span in spans:
                if not span.audible:
                    continue
                self._inputs.open([span])
                label = self._clip(span, total, 0, 0)
                parts += [label] if label else []
        return self._graph.one(
            parts,
            [f("amix", inputs=len(parts), duration="first", normalize=0, dropout_transition=0)]
            if len(parts) > 1
            else [f("anull")],
            "aout",
        )

    def _clip(self, span: Span, total: int, fade_in: int, fade_out: int) -> str | None:
        """One clip's sound, placed at its start; None when it starts after the end."""
        clip = span.clip
        clock = self._clock
        frames = min(span.frames or total - span.start, total - span.start)
        if frames <= 0:
            return None
        n = clock.samples(frames)
        chain = [
            f("asetpts", "PTS-STARTPTS"),
            f("aresample", SAMPLE_RATE),
            f("aformat", sample_fmts="fltp", sample_rates=SAMPLE_RATE, channel_layouts="stereo"),
        ]
        chain += _atempo(clip.Speed)
        if isinstance(clip, AudioTrackClip) and clip.LoopMode:
            loop = round((span.source_len or 0.0) / clip.Speed * SAMPLE_RATE)
            chain.append(f("aloop", loop=-1, size=max(1, loop)))
        chain.append(f("atrim", end_sample=n))
        fades = {"in": fade_in, "out": fade_out}
        for e, effect in enumerate(clip.Effects):
            loc = f"{span.key}.Effects[{e}]"
            if isinstance(effect, VolumeEffect):
                between = None
                if effect.In is not None or effect.Out is not None:
                    end = effect.Out if effect.Out is not None else 1e9
                    between = f"between(t,{format_value(effect.In or 0.0)},{format_value(end)})"
                chain.append(f("volume", effect.Gain, enable=between))
            elif isinstance(effect, AFadeEffect):
                fades[effect.SubType.lower()] = clock.frames(effect.Duration)
                if effect.Curve not in _AFADE_CURVES:
                    self._notes.ignored.append(f"{loc}.Curve: {effect.Curve!r} is not an afade curve")
            elif isinstance(effect, ALoudNormEffect):
                chain += [
                    f("loudnorm", I=effect.Loudness, TP=effect.TruePeak),
                    f("aresample", SAMPLE_RATE),
                ]
            elif isinstance(clip, AudioTrackClip) and not isinstance(effect, TransitionEffect):
                self._notes.unsupported_effect(loc, effect)
        curve = next(
            (e.Curve for e in clip.Effects if isinstance(e, AFadeEffect) and e.Curve in _AFADE_CURVES),
            "tri",
        )
        if fades["in"]:
            chain.append(f("afade", t="in", st=0, d=clock.seconds(min(fades["in"], frames)), curve=curve))
        if fades["out"]:
            d = min(fades["out"], frames)
            chain.append(f("afade", t="out", st=clock.seconds(frames - d), d=clock.seconds(d), curve=curve))
        if span.start:
            chain.append(f("adelay", delays=f"{clock.samples(span.start)}S", all=1))
        pad, cut = self._inputs.pad(span, "a")
        return self._graph.one([pad], [*cut, *chain], "a")


def _atempo(speed: float) -> list[Filter]:
    """atempo stages, each within 0.5-2 so every ffmpeg build accepts them."""
    stages = []
    while speed > 2:
        stages.append(f("atempo", 2))
        speed /= 2
    while speed < 0.5:
        stages.append(f("atempo", 0.5))
        speed /= 0.5
    if abs(speed - 1) > 1e-9:
        stages.append(f("atempo", speed))
    return stages
