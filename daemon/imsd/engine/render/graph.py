"""A filter graph as data, rendered to ffmpeg's filtergraph syntax in exactly one place.

Graphs are built from `Filter` values and labelled pads, so tests can inspect what a timeline
turns into without running ffmpeg, and so that escaping is decided once. ffmpeg parses a graph
twice (ffmpeg-filters(1), "Notes on filtergraph escaping"): the graph parser splits filters at
`[ ] , ;` and then each filter splits its own argument string at `:` into `key=value` pairs.
A value therefore gets escaped for the option level first and the result again for the graph
level, both with backslashes, which av_get_token() turns back into the original characters.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from imsd.engine.media import SAFE_INPUT

__all__ = [
    "Branch",
    "Chain",
    "Filter",
    "FilterGraph",
    "Input",
    "Step",
    "Value",
    "escape_graph",
    "escape_option",
    "f",
    "format_value",
]

Value = str | int | float

# av_get_token() drops unescaped leading and trailing whitespace.
_WHITESPACE = " \n\t\r"
_OPTION_SPECIALS = "\\':="
_GRAPH_SPECIALS = "\\'[],;"


def _escape(text: str, specials: str) -> str:
    out = []
    last = len(text) - 1
    for i, ch in enumerate(text):
        edge = i == 0 or i == last
        if ch in specials or (edge and ch in _WHITESPACE):
            out.append("\\")
        out.append(ch)
    return "".join(out)


def escape_option(value: str) -> str:
    """Escape a value for a filter's own `key=value:...` parser."""
    return _escape(value, _OPTION_SPECIALS)


def escape_graph(args: str) -> str:
    """Escape a filter's whole argument string for the graph parser."""
    return _escape(args, _GRAPH_SPECIALS)


def format_value(value: Value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        # Fixed notation: ffmpeg's parsers do not all accept exponents.
        text = f"{value:.6f}".rstrip("0").rstrip(".")
        return "0" if text in ("", "-0") else text
    return str(value)


@dataclass(frozen=True)
class Filter:
    """One filter with its options in order; `None` keys are positional (shorthand) values."""

    name: str
    args: tuple[tuple[str | None, Value], ...] = ()

    def arg(self, key: str) -> Value | None:
        return next((v for k, v in self.args if k == key), None)

    def render(self) -> str:
        if not self.args:
            return self.name
        parts = [
            escape_option(format_value(v)) if k is None else f"{k}={escape_option(format_value(v))}"
            for k, v in self.args
        ]
        return f"{self.name}={escape_graph(':'.join(parts))}"


def f(name: str, *positional: Value, **options: Value | None) -> Filter:
    """Shorthand constructor; options whose value is None are left out."""
    args: list[tuple[str | None, Value]] = [(None, v) for v in positional]
    args += [(k, v) for k, v in options.items() if v is not None]
    return Filter(name, tuple(args))


@dataclass(frozen=True)
class Branch:
    """A copy of a chain's picture drawn by `copy` and joined back by `join`, a filter of the
    picture after `main`, then the copy (then each of `more`, for a join of more inputs).
    Effects that compose the picture with itself (tiles, a region's mosaic, a ghost, a
    displacement) stay data in a list of steps that reads as one chain: `FilterGraph.steps`
    cuts it into chains at each branch."""

    copy: tuple[Step, ...]
    join: Filter
    main: tuple[Step, ...] = ()
    more: tuple[tuple[Step, ...], ...] = ()


Step = Filter | Branch


@dataclass(frozen=True)
class Chain:
    """A linear chain of filters from input pads to output pads."""

    inputs: tuple[str, ...]
    filters: tuple[Filter, ...]
    outputs: tuple[str, ...]

    def render(self) -> str:
        ins = "".join(f"[{p}]" for p in self.inputs)
        outs = "".join(f"[{p}]" for p in self.outputs)
        return ins + ",".join(x.render() for x in self.filters) + outs


@dataclass
class FilterGraph:
    """An ordered list of chains; pad labels are generated, so they never carry user text."""

    chains: list[Chain] = field(default_factory=list)
    _counter: int = 0

    def label(self, hint: str) -> str:
        self._counter += 1
        safe = "".join(c for c in hint if c.isalnum() or c == "_") or "p"
        return f"{safe}{self._counter}"

    def chain(
        self,
        inputs: Sequence[str],
        filters: Iterable[Filter],
        outputs: int | Sequence[str] = 1,
        hint: str = "p",
    ) -> list[str]:
        """Append a chain and return its output labels (generated when given a count)."""
        outs = [self.label(hint) for _ in range(outputs)] if isinstance(outputs, int) else outputs
        chain = Chain(tuple(inputs), tuple(filters), tuple(outs))
        if not chain.filters:
            raise ValueError("a chain needs at least one filter (null/anull to pass through)")
        self.chains.append(chain)
        return list(outs)

    def one(self, inputs: Sequence[str], filters: Iterable[Filter], hint: str = "p") -> str:
        return self.chain(inputs, filters, 1, hint)[0]

    def steps(self, inputs: Sequence[str], steps: Iterable[Step], hint: str = "p") -> str:
        """`steps` from `inputs` as chains, one label out: filters in a row share a chain; a
        Branch splits the picture there and joins its copy back."""
        pads, row, joined = list(inputs), list[Filter](), False
        for step in steps:
            if isinstance(step, Filter):
                row.append(step)
                continue
            main, *copies = self.chain(pads, [*row, f("split", 2 + len(step.more))], 2 + len(step.more), hint)
            main = self.steps([main], step.main, hint) if step.main else main
            drawn = [self.steps([c], s, hint) for c, s in zip(copies, (step.copy, *step.more), strict=True)]
            pads, row, joined = [self.one([main, *drawn], [step.join], hint)], [], True
        return pads[0] if joined and not row else self.one(pads, row or [f("null")], hint)

    def filters(self) -> list[Filter]:
        return [x for c in self.chains for x in c.filters]

    def find(self, name: str) -> list[Filter]:
        return [x for x in self.filters() if x.name == name]

    def render(self) -> str:
        return ";\n".join(c.render() for c in self.chains)

    def write_script(self, path: Path) -> Path:
        """Write for -filter_complex_script: no command-line length limit, no shell quoting."""
        path.write_text(self.render() + "\n", encoding="utf-8")
        return path


@dataclass(frozen=True)
class Input:
    """One `-i` of the command with the input options that precede it.

    `guard` confines what ffmpeg may open through it: a file a request named is opened under
    SAFE_INPUT, since a file whose content is a playlist or concat script must not make ffmpeg
    open the files it lists; a prepared clip is read as NUT only.
    """

    path: Path
    options: tuple[str, ...] = ()
    guard: tuple[str, ...] = SAFE_INPUT

    def args(self) -> list[str]:
        return [*self.guard, *self.options, "-i", str(self.path)]
