"""The dataflow package's modules import each other without a cycle (imports inside functions count)."""

from __future__ import annotations

import ast
from pathlib import Path

import ao_instrument.dataflow

PACKAGE = Path(ao_instrument.dataflow.__file__).parent
NAME = "ao_instrument.dataflow"


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The modules of the package that the module at `path` imports."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module == NAME:
            found.update(alias.name for alias in node.names if alias.name in modules)
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(NAME + "."):
            found.add(node.module.removeprefix(NAME + ".").split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(
                a.name.removeprefix(NAME + ".").split(".")[0] for a in node.names if a.name.startswith(NAME + ".")
            )
    return found & modules


def import_graph() -> dict[str, set[str]]:
    """Module name -> the package modules it imports, for every `ao_instrument/dataflow/*.py`."""
    paths = {p.stem: p for p in PACKAGE.glob("*.py")}
    return {name: _imports(path, set(paths)) for name, path in paths.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of `graph` (its modules in order, the first repeated at the end), or []."""
    state: dict[str, str] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        state[node] = "done"
        stack.pop()
        return []

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return []


def test_the_walk_sees_the_package_imports() -> None:
    graph = import_graph()
    assert {"formatting", "label_types"} <= graph["labels"]
    assert "label_types" in graph["structures"] and "structures" in graph["formatting"]


def test_a_cycle_is_found_when_there_is_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]


def test_no_module_of_the_package_imports_one_that_imports_it_back() -> None:
    assert find_cycle(import_graph()) == []
