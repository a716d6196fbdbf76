"""Video tracks: each track's layers joined into one stream, the tracks stacked on black.

A track's layers are cut at transition windows and only the window frames go through xfade; the
pieces are joined by one concat. xfade over whole streams would handle, and copy, every earlier
frame of the track again at each transition, and a full-frame overlay of a track that covers
the canvas would be a pass per frame for nothing, so each track is joined with the fewest
full-frame passes its layers allow.
"""

from __future__ import annotations

from dataclasses import replace

from imsd.engine.render.clock import Clock
from imsd.engine.render.graph import Filter, FilterGraph, f
from imsd.engine.render.layers import ClipLayers
from imsd.engine.render.notes import Notes
from imsd.engine.render.placement import OutputCanvas
from imsd.engine.render.remapped import drawn_window
from imsd.engine.render.spans import Span, VideoTrackSpans
from imsd.engine.render.transitions import MaskedBlend, XfadeChoice

__all__ = ["VideoTracks"]

# xfade transitions that compute each plane alike from its own samples and its own size (none of
# the ones that fade to black or white, mix planes, or, like dissolve, cost more per plane).
_PLANEWISE_XFADES = frozenset(
    {"fade", "fadefast", "fadeslow", "wipeleft", "wiperight", "wipeup", "wipedown", "wipetl", "wipetr",
     "wipebl", "wipebr", "slideleft", "slideright", "slideup", "slidedown", "smoothleft", "smoothright",
     "smoothup", "smoothdown", "circleopen", "circleclose", "vertopen", "vertclose", "horzopen",
     "horzclose", "diagtl", "diagtr", "diagbl", "diagbr", "hlslice", "hrslice", "vuslice", "vdslice",
     "radial"}
)  # fmt: skip


class VideoTracks:
    """Joins and stacks the video tracks of one graph."""

    def __init__(self, graph: FilterGraph, clips: ClipLayers, canvas: OutputCanvas, clock: Clock, notes: Notes) -> None:
        self._graph = graph
        self._clips = clips
        self._canvas = canvas
        self._clock = clock
        self._notes = notes

    def stack(self, tracks: list[VideoTrackSpans], total: int) -> str:
        """Every track over the one below (index 0 at the bottom), on black, `total` frames."""
        size = f"{self._canvas.width}x{self._canvas.height}"
        base = [
            f("color", c="black", s=size, r=str(self._clock.fps)),
            f("trim", end_frame=total),
            f("format", "yuv420p"),
        ]
        out: str | None = None
        # A track's GlobalImages each cover the whole output, so each is a layer of its own above
        # the track's placed clips, not a clip in their sequence (which the next would cut).
        layers = [spans for placed, global_images in tracks for spans in [placed, *([g] for g in global_images)]]
        for spans in layers:
            track = self._track(spans, total)
            if track is None:
                continue
            label, opaque, length = track
            if out is None and opaque:
                # Nothing shows through an opaque bottom track: it replaces the black base
                # instead of being blended onto it, a full-frame overlay saved on every frame.
                pad = [f("tpad", stop=total - length, color="black")] if length < total else []
                out = self._graph.one([label], [*pad, f("trim", end_frame=total), f("format", "yuv420p")], "v")
                continue
            out = out or self._graph.one([], base, "base")
            out = self._graph.one([out, label], [f("overlay", eof_action="pass", format="auto")], "v")
        if out is None:  # every clip starts after the end
            out = self._graph.one([], base, "base")
        return out

    def _track(self, spans: list[Span], total: int) -> tuple[str, bool, int] | None:
        """Join a track's layers: (label, opaque, frames), or None for an empty track.

        Gaps are transparent padding; a clip that starts inside the one before cuts it.
        """
        playing = [s for s in sorted(spans, key=lambda s: s.start) if s.start < total]
        if not playing:
            return None
        lengths = []
        for span, after in zip(playing, [*playing[1:], None], strict=True):
            frames = span.frames or total - span.start
            if after is None or after.join is None:
                # Frames past the end are not decoded, except where a transition window needs
                # both its sides whole (xfade waits forever for a missing frame); the output's
                # final trim cuts the window at the end instead.
                frames = min(frames, max(total - span.start, span.join[1] + 1 if span.join else 0))
            lengths.append(frames)
        layers = self._clips.for_track(playing, lengths)
        if not layers:
            return None
        opaque = playing[0].start == 0 and all(layer.opaque for layer in layers)
        segments: list[str] = []  # finished pieces, in order
        pending = ""  # the stream after them, `n` frames, that the next clip may still cut into
        n = length = 0
        for span, frames, layer in zip(playing, lengths, layers, strict=True):
            label = layer.label
            if not opaque and layer.opaque:
                label = self._graph.one([label], [f("format", "yuva420p")], "alpha")
            if pending and span.join is not None:
                choice, d = span.join
                if n <= d:  # the window reaches into earlier pieces: cut the joined stream
                    pending, segments, n = self._concat([*segments, pending]), [], length
                body, tail = self._cut(pending, n - d)
                head, rest = self._cut(label, d) if frames > d else (label, None)
                segments += [body, self._xfade(tail, head, choice, d, alpha=not opaque)]
                pending, n = (rest, frames - d) if rest else (segments.pop(), frames)
                length = length - d + frames
                continue
            if pending and span.start < length:
                self._notes.approximated.append(f"{span.key}: overlaps the previous clip, which is cut")
                joined = self._concat([*segments, pending])
                pending = self._graph.one([joined], [f("trim", end_frame=span.start)], "cut")
                segments, n, length = [], span.start, span.start
            gap = span.start - length
            if gap:
                label = self._graph.one([label], [f("tpad", start=gap, color="black@0")], "gap")
            segments += [pending] if pending else []
            pending, n, length = label, gap + frames, span.start + frames
        return self._concat([*segments, pending]), opaque, length

    def _xfade(self, a: str, b: str, transition: XfadeChoice, frames: int, alpha: bool) -> str:
        """The window of `frames` frames where `a` turns into `b` by `transition`.

        ffmpeg 5.1's xfade takes 4:4:4 only: given yuv420p, ffmpeg converts both windows up and
        the result back down, three full-frame conversions per frame, which cost more than most
        transitions themselves. A transition that treats every plane alike, by its position in
        the plane, runs on each 4:2:0 plane as it is instead (the chroma planes' edges fall on
        their own coarser grid, as 4:2:0 chroma edges do anyway).
        """
        graph = self._graph
        seconds = self._clock.seconds(frames)
        if transition.upside_down:  # the transition drawn on both pictures turned over, turned back
            upright = replace(transition, upside_down=False)
            a, b = (graph.one([x], [f("vflip")], "flip") for x in (a, b))
            return graph.one([self._xfade(a, b, upright, frames, alpha)], [f("vflip")], "xf")
        if transition.mask is not None:
            return self._masked(a, b, transition.mask, frames, alpha)
        if transition.drawn is not None:
            size = (self._canvas.width, self._canvas.height)
            return drawn_window(graph, self._clock, a, b, transition.drawn, frames, size, alpha)
        xfade = f("xfade", transition=transition.name, duration=seconds, offset=0)
        if transition.name not in _PLANEWISE_XFADES:
            return graph.one([a, b], [xfade], "xf")
        names = "y+u+v+a" if alpha else "y+u+v"
        n = len(names.split("+"))
        planes_a = graph.chain([a], [f("extractplanes", names)], n, "plane")
        planes_b = graph.chain([b], [f("extractplanes", names)], n, "plane")
        mixed = [graph.one([pa, pb], [xfade], "xf") for pa, pb in zip(planes_a, planes_b, strict=True)]
        mapping = "0x" + "".join(f"{i}0" for i in range(n))  # output plane i = input i's only plane
        return graph.one(mixed, [f("mergeplanes", mapping, "yuva420p" if alpha else "yuv420p")], "xf")

    def _masked(self, a: str, b: str, blend: MaskedBlend, frames: int, alpha: bool) -> str:
        """The window where `b` shows over `a` by `blend`'s weight of its still field and the
        progress: the field drawn once (geq on one frame, looped), the progress a uniform frame per
        frame (a 2x2 geq, scaled up), their weight one lut2 table, then maskedmerge: native
        per-pixel work, where a per-pixel expression on every frame costs tens of times more. A
        backdrop colour shows through a second weight of the same field and progress."""
        graph, clock = self._graph, self._clock
        w, h = self._canvas.width, self._canvas.height
        pix_fmt = "yuva420p" if alpha else "yuv420p"
        planes = {"lum": blend.field, "cb": blend.field, "cr": blend.field} | ({"a": blend.field} if alpha else {})
        field = graph.one([], [
            f("color", "black", s=f"{w}x{h}", r=str(clock.fps), d=clock.seconds(1)), f("format", pix_fmt),
            f("geq", **planes), f("loop", loop=frames - 1, size=1), f("setpts", "round(N/FRAME_RATE/TB)"),
        ], "field")  # fmt: skip
        progress = f"round(255*T*({clock.fps})/{frames})"
        ramp = {"lum": progress, "cb": progress, "cr": progress} | ({"a": progress} if alpha else {})
        ramps = graph.one([], [
            f("color", "black", s="2x2", r=str(clock.fps), d=clock.seconds(frames)), f("format", pix_fmt),
            f("geq", **ramp), f("scale", w, h, flags="neighbor"),
        ], "progress")  # fmt: skip
        if blend.backdrop is None:
            mask = graph.one([field, ramps], [self._lut2(blend.weight, alpha)], "mask")
            return graph.one([a, b, mask], [f("maskedmerge"), clock.settb()], "xf")
        field_to, field_shown = graph.chain([field], [f("split")], 2, "field")
        ramps_to, ramps_shown = graph.chain([ramps], [f("split")], 2, "progress")
        mask = graph.one([field_to, ramps_to], [self._lut2(blend.weight, alpha)], "mask")
        shown = graph.one([field_shown, ramps_shown], [self._lut2(blend.backdrop.shown, alpha)], "mask")
        picture = graph.one([a, b, mask], [f("maskedmerge"), clock.settb()], "xf")
        backdrop = graph.one([], [
            f("color", blend.backdrop.color, s=f"{w}x{h}", r=str(clock.fps), d=clock.seconds(1)), f("format", pix_fmt),
            f("loop", loop=frames - 1, size=1), f("setpts", "round(N/FRAME_RATE/TB)"), clock.settb(),
        ], "backdrop")  # fmt: skip
        return graph.one([backdrop, picture, shown], [f("maskedmerge"), clock.settb()], "xf")

    @staticmethod
    def _lut2(expr: str, alpha: bool) -> Filter:
        return f("lut2", **{f"c{i}": expr for i in range(4 if alpha else 3)})

    def _cut(self, label: str, at: int) -> tuple[str, str]:
        """Frames [0, at) and [at, end) of a stream, the second starting at time 0."""
        first, second = self._graph.chain([label], [f("split")], 2, "split")
        before = self._graph.one([first], [f("trim", end_frame=at)], "head")
        after = self._graph.one([second], [f("trim", start_frame=at), f("setpts", "PTS-STARTPTS")], "tail")
        return before, after

    def _concat(self, labels: list[str]) -> str:
        if len(labels) == 1:
            return labels[0]
        return self._graph.one(labels, [f("concat", n=len(labels), v=1, a=0), self._clock.settb()], "cat")
