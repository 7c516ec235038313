"""The services room's own shape: an acyclic import graph, and a handler for every hook effect."""

from __future__ import annotations

import ast
from pathlib import Path

import redline.services
from redline.domain.hooks import HOOKS, EffectKind
from redline.services.transitions import EFFECT_HANDLERS

SERVICES = Path(redline.services.__file__).parent
PACKAGE = "redline.services"


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(node: ast.Import | ast.ImportFrom, known: set[str]) -> set[str]:
    """The services modules one import statement names."""
    if isinstance(node, ast.Import):
        return {a.name for a in node.names if a.name in known}
    if node.module == PACKAGE:  # from redline.services import incidents
        return {f"{PACKAGE}.{a.name}" for a in node.names if f"{PACKAGE}.{a.name}" in known}
    return {node.module} & known if node.module else set()


def imports_of(source: str, known: set[str]) -> set[str]:
    """The ``known`` modules ``source`` imports anywhere (at module level or inside a function),
    skipping ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(source)
    skipped = {
        id(n)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and _is_type_checking(block)
        for inner in block.body
        for n in ast.walk(inner)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in skipped:
            found |= _imported(node, known)
    return found


def import_graph() -> dict[str, set[str]]:
    """services module → the services modules it imports (the package's lazy ``__init__`` aside)."""
    known = {f"{PACKAGE}.{p.stem}" for p in SERVICES.glob("*.py") if p.stem != "__init__"}
    return {
        name: imports_of((SERVICES / f"{name.rsplit('.', 1)[1]}.py").read_text("utf-8"), known)
        - {name}
        for name in sorted(known)
    }


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path that returns to its start, or None."""
    state: dict[str, int] = {}  # 1 on the current path, 2 done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)) is not None:
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)) is not None:
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_the_graph_sees_imports_inside_functions_but_not_type_checking_ones() -> None:
    known = {f"{PACKAGE}.a", f"{PACKAGE}.b", f"{PACKAGE}.c", f"{PACKAGE}.d"}
    source = """
from typing import TYPE_CHECKING
from redline.services.a import x
from redline.services import b
if TYPE_CHECKING:
    from redline.services.c import y
def f():
    import redline.services.d
"""
    assert imports_of(source, known) == {f"{PACKAGE}.a", f"{PACKAGE}.b", f"{PACKAGE}.d"}
    assert f"{PACKAGE}.incidents" in import_graph()[f"{PACKAGE}.views"]


def test_services_modules_import_each_other_without_a_cycle() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(m.rsplit(".", 1)[1] for m in cycle or [])


def test_every_effect_kind_has_one_handler() -> None:
    assert set(EFFECT_HANDLERS) == set(EffectKind)
    assert {e.kind for h in HOOKS for e in h.effects} <= set(EFFECT_HANDLERS)
