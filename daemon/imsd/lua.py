"""Lua scripts that name their KEYS and ARGV once, in Python.

Redis hands a script its keys and arguments by position only (KEYS[1], ARGV[7]), and each caller
must list them in that order: two lists kept in step by hand, in two languages. Here a script
declares the names of its keys and of its arguments once, as tuples. The same tuples make the
Lua preamble that binds each name to a local (`local record, active = KEYS[1], KEYS[2]`) and
the lists a call sends, built from keyword arguments of those names; a name left out or
unknown fails the call before anything is sent.

A last name written `*name` is a variadic tail: the rest of KEYS or ARGV, a Lua table in the
script and a sequence in the call (pairs of counters, a hash's fields). What a tail holds is the
script's to document. A key or argument a call may do without is passed as '' and tested so.

A `Function` is Lua shared by several scripts (finishing a record, enqueueing a task). It is
defined after the preamble, so it reads the script's keys and arguments by name; a script that
includes one must declare those, which is checked when the script is made.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from redis.asyncio import Redis
from redis.exceptions import NoScriptError

__all__ = ["Call", "Function", "Registered", "Script", "literal"]

_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: Names a binding may not take: Lua's keywords, and the globals scripts rely on (a local of that
#: name would hide the global from the rest of the script).
_RESERVED = frozenset({
    "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "if", "in", "local", "nil",
    "not", "or", "repeat", "return", "then", "true", "until", "while",
    "ARGV", "KEYS", "redis", "assert", "error", "ipairs", "next", "pairs", "pcall", "select", "tonumber",
    "tostring", "type", "unpack", "bit", "cjson", "cmsgpack", "math", "string", "struct", "table",
})  # fmt: skip


def literal(text: str) -> str:
    """`text` as a Lua string literal, for Lua generated from Python values.

    Every byte but ASCII letters, digits and `_` is written as a three-digit decimal escape, the
    one escape Lua 5.1 (Redis's) reads the same whatever follows it.
    """
    return "'" + "".join(
        char if char.isascii() and (char.isalnum() or char == "_") else "".join(f"\\{b:03d}" for b in char.encode())
        for char in text
    ) + "'"


@dataclass(frozen=True)
class Function:
    """A Lua function several scripts include: `local function name(params) body end`.

    Besides its `params` it reads the including script's `keys` and `args` by name (they are
    locals defined before it), so a script declares them to include it.
    """

    name: str
    body: str
    params: tuple[str, ...] = ()
    keys: tuple[str, ...] = ()
    args: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in (self.name, *self.params, *self.keys, *self.args):
            _check_name(name)

    @property
    def source(self) -> str:
        body = self.body.strip("\n")
        return f"local function {self.name}({', '.join(self.params)})\n{body}\nend\n"


class Call(NamedTuple):
    """The KEYS and ARGV of one run of a script."""

    keys: list[Any]
    args: list[Any]


class _Names:
    """One side of a script's bindings, KEYS or ARGV: its named positions, then maybe a tail."""

    def __init__(self, table: str, names: Sequence[str]) -> None:
        self.table = table
        self.tail = names[-1][1:] if names and names[-1].startswith("*") else None
        self.fixed = tuple(names[:-1] if self.tail is not None else names)
        for name in self.names:
            _check_name(name)  # a `*` before the last name is refused here

    @property
    def names(self) -> tuple[str, ...]:
        return (*self.fixed, *((self.tail,) if self.tail is not None else ()))

    def preamble(self) -> str:
        lines = []
        if self.fixed:
            positions = ", ".join(f"{self.table}[{i}]" for i in range(1, len(self.fixed) + 1))
            lines.append(f"local {', '.join(self.fixed)} = {positions}\n")
        if self.tail is not None:
            # A loop, not {unpack(...)}: unpack puts every item on Lua's C stack, which holds
            # about 8000, and a tail (a batch of task ids, say) may be longer.
            first = len(self.fixed) + 1
            lines.append(
                f"local {self.tail} = {{}}\n"
                f"for i = {first}, #{self.table} do {self.tail}[i - {first - 1}] = {self.table}[i] end\n"
            )
        return "".join(lines)

    def values(self, given: Mapping[str, Any]) -> list[Any]:
        values = [given[name] for name in self.fixed]
        if self.tail is not None:
            tail = given[self.tail]
            if isinstance(tail, str | bytes) or not isinstance(tail, Sequence):
                raise TypeError(f"{self.tail}: a tail takes a sequence, not {type(tail).__name__}")
            values.extend(tail)
        return values


class Script:
    """A Lua script whose keys and arguments are bound by name (see the module's docstring).

    `source` is what Redis runs: the preamble binding `keys` and `args`, the `functions`, then `body`.
    """

    def __init__(
        self, body: str, *, keys: Sequence[str] = (), args: Sequence[str] = (), functions: Sequence[Function] = ()
    ) -> None:
        self._keys = _Names("KEYS", keys)
        self._args = _Names("ARGV", args)
        names = (*self._keys.names, *self._args.names, *(f.name for f in functions))
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"named twice: {', '.join(repeated)}")
        for function in functions:
            undeclared = [k for k in function.keys if k not in self._keys.names]
            undeclared += [a for a in function.args if a not in self._args.names]
            if undeclared:
                raise ValueError(f"{function.name} reads what the script does not declare: {', '.join(undeclared)}")
        self._expected = frozenset((*self._keys.names, *self._args.names))
        self.source = "".join(
            (self._keys.preamble(), self._args.preamble(), *(f.source for f in functions), body.lstrip("\n"))
        )

    def call(self, **values: Any) -> Call:
        """KEYS and ARGV of one run: `values` holds one per name, a sequence for a tail."""
        if values.keys() != self._expected:
            missing = ", ".join(sorted(self._expected - values.keys())) or "none"
            unknown = ", ".join(sorted(values.keys() - self._expected)) or "none"
            raise TypeError(f"script values: missing {missing}; unknown {unknown}")
        return Call(self._keys.values(values), self._args.values(values))

    def register(self, redis: Redis) -> Registered:
        return Registered(self, redis)


class Registered:
    """A script registered on one client, run by EVALSHA (and loaded when Redis lacks it)."""

    def __init__(self, script: Script, redis: Redis) -> None:
        self._script = script
        self._redis = redis
        self._loaded = redis.register_script(script.source)

    async def __call__(self, **values: Any) -> Any:
        """One run with `values` (see `Script.call`); returns the script's reply."""
        call = self._script.call(**values)
        return await self._loaded(keys=call.keys, args=call.args)

    async def many(self, runs: Sequence[Mapping[str, Any]]) -> list[Any]:
        """One run per mapping of values, all in one round trip, in order; returns their replies.

        Plain EVALSHA in a pipeline: redis-py's own script pipelining asks SCRIPT EXISTS first, a
        second round trip. Runs that find the script missing (Redis restarted or flushed its
        scripts; it runs none of them) are made again one by one, which loads it. A run's error
        is raised.
        """
        calls = [self._script.call(**values) for values in runs]
        pipe = self._redis.pipeline(transaction=False)
        for keys, args in calls:
            pipe.evalsha(self._loaded.sha, len(keys), *keys, *args)
        replies: list[Any] = await pipe.execute(raise_on_error=False)
        for index, reply in enumerate(replies):
            if isinstance(reply, NoScriptError):
                replies[index] = await self._loaded(keys=calls[index].keys, args=calls[index].args)
            elif isinstance(reply, Exception):
                raise reply
        return replies


def _check_name(name: str) -> None:
    if not _IDENTIFIER.match(name) or name in _RESERVED:
        raise ValueError(f"{name!r} cannot name a Lua local")
