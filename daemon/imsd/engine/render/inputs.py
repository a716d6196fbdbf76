"""The command's `-i` inputs, and which input (and which part of it) each span is read from.

An input is a decoder: each one opened costs a file open and a decode from the keyframe before
its seek point. This module decides how few of them a render can have, and hands every span the
pad and trim that cut its own frames from the input it shares.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from imsd.engine.media import SAFE_INPUT
from imsd.engine.render.clock import Clock
from imsd.engine.render.graph import Filter, FilterGraph, Input, f, format_value
from imsd.engine.render.spans import Span

__all__ = ["Inputs", "stretch"]

# A shot whose In is at most this far past where a read of its file stands is cut from that read
# (decoding the gap) rather than seeking an input of its own (decoding from the keyframe before
# In, as far back as a whole keyframe interval, and opening the file again).
_SHARED_READ_GAP_S = 2.0
_SAME_INSTANT_S = 1e-6  # In and a previous Out computed by different sums


@dataclass
class _Read:
    """One input decoding a stretch of one file for the spans that play it in source order."""

    path: Path
    guard: tuple[str, ...]  # the input options its file is opened under (MediaInfo.guard)
    still: bool
    start: float  # source seconds at the input's time 0
    end: float
    spans: list[Span] = field(default_factory=list)
    index: int = -1  # of its -i, once made


class Inputs:
    """The inputs of one graph, in the order of their `-i`; `added` is what the command lists."""

    def __init__(self, graph: FilterGraph, clock: Clock) -> None:
        self.added: list[Input] = []
        self._graph = graph
        self._clock = clock
        self._reads: dict[Span, _Read] = {}
        self._splits: dict[tuple[int, str], list[str]] = {}  # (input, "v"/"a") -> a pad per span

    def add(self, path: Path, *options: str, guard: tuple[str, ...] = SAFE_INPUT) -> int:
        """A `-i` of its own; returns its index."""
        self.added.append(Input(path, tuple(options), guard))
        return len(self.added) - 1

    def open(self, spans: list[Span]) -> None:
        """Give each span, taken in the order they play, the input it is read from.

        Seeking to In decodes from the keyframe before it, and a file may have one keyframe every
        few seconds (the bench's have one at the start), so shots of one file that each had an
        input of their own decoded the same frames over and over. Shots that play in source order
        share one input instead, each cutting its part from the split stream, so every frame is
        decoded once. A shot joins only a read that stands at or just before its In: a read never
        decodes frames long before they play, which would wait in memory.
        """
        reads: list[_Read] = []
        for span in spans:
            read = _joinable(reads, span)
            if read is None:
                read = _Read(span.info.path, span.info.guard, span.source_len is None, span.source_in, span.source_in)
                reads.append(read)
            self._reads[span] = read
            read.spans.append(span)
            read.end = span.source_in + (span.source_len or 0.0)
        for read in reads:
            read.index = self._add_read(read)

    def opened(self, span: Span) -> bool:
        return span in self._reads

    def pad(self, span: Span, kind: str) -> tuple[str, list[Filter]]:
        """The pad carrying `span`'s video ("v") or audio ("a"), and the trim to its own part."""
        read = self._reads[span]
        pad = f"{read.index}:{kind}"
        if len(read.spans) == 1:
            return pad, []
        video = kind == "v"
        start = span.source_in - read.start
        cut = f("trim" if video else "atrim", start=start or None, end=start + (span.source_len or 0.0))
        users = [s for s in read.spans if video or s.audible]  # a muted clip takes no sound from it
        if len(users) == 1:
            return pad, [cut]
        key = (read.index, kind)
        if key not in self._splits:
            n = len(users)
            self._splits[key] = self._graph.chain([pad], [f("split" if video else "asplit", n)], n, "read")
        return self._splits[key][next(i for i, s in enumerate(users) if s is span)], [cut]

    def _add_read(self, read: _Read) -> int:
        if read.still:
            # One frame is all the graph takes (then loops it): a looped input would keep being
            # decoded after the graph stopped reading it, and has stalled multi-input graphs.
            return self.add(read.path, guard=read.guard)
        return self.add(read.path, *stretch(read.start, read.end - read.start), guard=read.guard)


def stretch(start: float, length: float) -> tuple[str, ...]:
    """Input options reading `length` seconds of a file from `start`."""
    seek = ("-ss", format_value(start)) if start else ()
    return (*seek, "-t", format_value(length))


def _joinable(reads: list[_Read], span: Span) -> _Read | None:
    """The read of the same file that `span` starts at or shortly after, if any (see Inputs.open)."""
    if span.source_len is None:
        return None
    near = [
        (gap, read)
        for read in reads
        if read.path == span.info.path and not read.still
        for gap in [span.source_in - read.end]
        if -_SAME_INSTANT_S <= gap <= _SHARED_READ_GAP_S
    ]
    return min(near, key=lambda pair: pair[0])[1] if near else None
