"""The package's layering, read from its imports (docs/architecture.md, "Rooms").

Dependencies point one way: the daemon core and the backends above the engine; inside the engine
service → planning → render → media; everything may use the foundation (errors, logs, settings,
the API models, the task queue). A room is entered through its `__init__`, which says what it
offers. Every import counts, also those under TYPE_CHECKING or inside a function: a circle that
exists only for annotations is still a circle for the reader.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "daemon" / "imsd"
ROOMS = ("media", "render", "planning", "service")  # lowest first
SERVICE = "imsd.engine.service"  # what the local backend drives
#: What any module may import: leaf modules that know nothing of requests' flow or of engines.
FOUNDATION = (
    "imsd.errors", "imsd.logs", "imsd.settings", "imsd.metrics", "imsd.api",
    "imsd.queue", "imsd.lua", "imsd.chores", "imsd.signing", "imsd.connections",
)  # fmt: skip


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every `imsd` import in the file, wherever it stands."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names if alias.name.startswith("imsd"))
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("imsd"):
            yield node.lineno, node.module


def room_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[2] if len(parts) > 2 and parts[:2] == ["imsd", "engine"] and parts[2] in ROOMS else None


def is_within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def violations(graph: dict[str, list[tuple[int, str]]]) -> list[str]:
    found = []
    for module, targets in graph.items():
        room = room_of(module)
        for line, target in targets:
            where = f"{module}:{line} imports {target}"
            target_room = room_of(target)
            if target_room is None and target.startswith("imsd.engine") and target != "imsd.engine":
                found.append(f"{where}: not in a room")
            lower = module.startswith(("imsd.engine", "imsd.api"))
            if lower and not (target.startswith("imsd.engine") or is_within(target, FOUNDATION)):
                found.append(f"{where}: the engine and the API models use only the foundation")
            if module.startswith("imsd.api") and target.startswith("imsd.engine"):
                found.append(f"{where}: the API models know no engine")
            if module.startswith("imsd.backends") and target.startswith("imsd.engine") and target != SERVICE:
                found.append(f"{where}: a backend uses the engine only through its service")
            if target_room is None or target_room == room:
                continue
            if room is not None and ROOMS.index(target_room) > ROOMS.index(room):
                found.append(f"{where}: a lower room imports a higher one")
            if target != f"imsd.engine.{target_room}":
                found.append(f"{where}: enter a room through its __init__")
    return found


def cycles(graph: dict[str, list[tuple[int, str]]]) -> list[list[str]]:
    """Import circles between modules (Tarjan's strongly connected components of size > 1)."""
    edges = {m: sorted({t for _, t in targets if t in graph and t != m}) for m, targets in graph.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in edges[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in edges:
        if node not in index:
            visit(node)
    return found


def import_graph() -> dict[str, list[tuple[int, str]]]:
    return {module: list(imports(path)) for module, path in modules().items()}


def test_every_engine_module_lives_in_a_room() -> None:
    loose = [m for m in modules() if m.startswith("imsd.engine.") and room_of(m) is None]
    assert loose == []


def test_imports_point_down_the_rooms_and_enter_through_their_init() -> None:
    assert violations(import_graph()) == []


def test_there_is_no_import_circle() -> None:
    assert cycles(import_graph()) == []


def test_every_room_says_what_it_offers() -> None:
    for room in ROOMS:
        tree = ast.parse((PACKAGE / "engine" / room / "__init__.py").read_text(encoding="utf-8"))
        assert ast.get_docstring(tree), room
        assert any(isinstance(n, ast.Assign) and n.targets[0].id == "__all__" for n in tree.body), room  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("module", "target", "complaint"),
    [
        ("imsd.engine.media.probe", "imsd.engine.render", "a lower room imports a higher one"),
        ("imsd.engine.service.worker", "imsd.engine.render.renderer", "enter a room through its __init__"),
        ("imsd.engine.render.compose", "imsd.backends.local", "the engine and the API models use only the foundation"),
        ("imsd.api.timeline", "imsd.engine.media", "the API models know no engine"),
        ("imsd.backends.local", "imsd.engine.render", "a backend uses the engine only through its service"),
    ],
)
def test_the_check_sees_a_wrong_import(module: str, target: str, complaint: str) -> None:
    assert [v.split(": ", 1)[1] for v in violations({module: [(1, target)]})] == [complaint]


def test_the_check_sees_a_circle() -> None:
    graph = {"imsd.a": [(1, "imsd.b")], "imsd.b": [(1, "imsd.c")], "imsd.c": [(1, "imsd.a")], "imsd.d": []}
    assert cycles(graph) == [["imsd.a", "imsd.b", "imsd.c"]]
