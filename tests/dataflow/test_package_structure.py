"""The dataflow package's structure: its modules import each other without a cycle (imports inside
functions count), and the handler registry the rewriter reads is explicit and complete."""

from __future__ import annotations

import ast
from pathlib import Path

import ao_instrument.dataflow
from ao_instrument.dataflow import rewrite
from ao_instrument.dataflow.handlers import registry

PACKAGE = Path(ao_instrument.dataflow.__file__).parent
NAME = "ao_instrument.dataflow"


def _module_name(path: Path) -> str:
    """`handlers/guards.py` -> `handlers.guards`, `handlers/__init__.py` -> `handlers`."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(dotted: str, modules: set[str]) -> str | None:
    """The most specific module of the package that `ao_instrument.dataflow.<dotted>` names."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        if (name := ".".join(parts[:end])) in modules:
            return name
    return None


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The modules of the package that the module at `path` imports."""
    named: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and (node.module + ".").startswith(NAME + "."):
            inside = node.module.removeprefix(NAME).removeprefix(".")
            named.extend(f"{inside}.{alias.name}".lstrip(".") for alias in node.names)
        elif isinstance(node, ast.Import):
            named.extend(a.name.removeprefix(NAME + ".") for a in node.names if a.name.startswith(NAME + "."))
    return {found for dotted in named if (found := _resolve(dotted, modules)) is not None}


def import_graph() -> dict[str, set[str]]:
    """Module name -> the package modules it imports, for every module of `ao_instrument/dataflow/`."""
    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    return {name: _imports(path, set(paths)) - {name} for name, path in paths.items()}


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
    assert "handlers.registry" in graph["rewrite"] and "handlers.guards" in graph["patches"]
    assert {"handlers.compiled", "handlers.regex_calls", "regex"} <= graph["handlers.registry"]


def test_a_cycle_is_found_when_there_is_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]


def test_no_module_of_the_package_imports_one_that_imports_it_back() -> None:
    assert find_cycle(import_graph()) == []


def _every_handled_call() -> str:
    """Every call the rewriter handles, at module level (handlers called at once) and in a function
    (behind inline guards)."""
    lines = [f"{name}(x)" for name in registry.FUNCTIONS]
    lines += [f"o.{name}(x, y=1)" for name in registry.METHODS]
    lines += [f"o.{name}({', '.join(['x'] * n)})" for name, n in registry.FIXED_ARITY]
    lines += [f"str.{name}" for name in sorted(registry.UNBOUND)] + ["'%s' % x", "x % y", 'f"{x}"']
    return "\n".join(lines) + "\ndef f():\n" + "".join(f"    {line}\n" for line in lines)


PROLOGUE_NAMES = {rewrite.REGISTRY, *rewrite.PROLOGUE}


def _emitted(tree: ast.Module) -> set[tuple[str, str]]:
    """(name bound by the prologue, attribute) of every handler the rewritten code reaches."""
    return {
        (node.value.id, node.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in PROLOGUE_NAMES
    }


def test_every_handler_the_rewriter_emits_resolves_and_every_registry_entry_is_reached() -> None:
    tree = ast.parse(_every_handled_call())
    assert rewrite.rewrite_tree(tree)
    prologue, body = tree.body[:2], tree.body[2:]
    bound: dict[str, object] = {}
    exec(compile(ast.Module(prologue, []), "<prologue>", "exec"), bound)
    emitted = _emitted(ast.Module(body, []))
    for namespace, attr in emitted:
        assert hasattr(bound[namespace], attr), (namespace, attr)
    assert {(rewrite.FUNCTIONS, name) for name in registry.FUNCTIONS} <= emitted
    assert {(rewrite.METHODS, name) for name in registry.METHODS} <= emitted
    assert {(rewrite.FIXED_ARITY[n], name) for name, n in registry.FIXED_ARITY} <= emitted
    assert {(rewrite.REGISTRY, name) for name in ("unbound", "mod", "STR", "LABELLED", "real_type")} <= emitted


def test_the_namespaces_hold_the_registry_and_nothing_else() -> None:
    def handlers(namespace: object) -> dict[str, object]:
        return {k: v for k, v in vars(namespace).items() if not k.startswith("__")}

    assert handlers(registry.functions) == registry.FUNCTIONS
    assert handlers(registry.methods) == registry.METHODS
    for n, alias in rewrite.FIXED_ARITY.items():
        namespace = getattr(registry, rewrite.PROLOGUE[alias])
        assert handlers(namespace) == {name: h for (name, arity), h in registry.FIXED_ARITY.items() if arity == n}
    assert {n for _, n in registry.FIXED_ARITY} <= set(rewrite.FIXED_ARITY)
    assert rewrite.GUARDED <= registry.FUNCTIONS.keys()
    assert all(callable(h) for h in [*registry.FUNCTIONS.values(), *registry.METHODS.values()])


def test_the_handlers_define_nothing_through_globals() -> None:
    for path in (PACKAGE / "handlers").glob("*.py"):
        assert "globals()" not in path.read_text(), path
