"""Terminal renderings of runs, calls and dataflow graphs (rich tables, a text tree, Graphviz dot)."""

from __future__ import annotations

import json
from typing import Any, Iterable

from rich.table import Table
from rich.text import Text
from rich.tree import Tree


def _short(value: Any, width: int = 60) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        value = json.dumps(value, ensure_ascii=False, default=str)
    value = " ".join(value.split())
    return value if len(value) <= width else value[: width - 1] + "…"


def table(rows: list[dict[str, Any]], columns: Iterable[str], title: str | None = None) -> Table:
    """A table of `rows` showing the given columns that the rows actually have."""
    present = [c for c in columns if any(c in row for row in rows)]
    out = Table(title=title, show_lines=False)
    for column in present:
        if column == "id" or column.endswith("_id") or column == "replay_of":  # ids are never cut: they are copied
            out.add_column(column, no_wrap=True, min_width=max((len(str(row.get(column) or "")) for row in rows), default=0))
        else:
            out.add_column(column)
    for row in rows:
        out.add_row(*(_short(row.get(c), 64 if c.endswith("id") else 40) for c in present))
    return out


RUN_COLUMNS = ("run_id", "name", "start_time", "duration_ms", "status", "call_count", "input_tokens", "output_tokens",
               "cost_usd", "replay_of", "service")
CALL_COLUMNS = ("id", "start_time", "operation", "provider", "model", "input_tokens", "output_tokens", "cost_usd",
                "cached", "status", "error_type", "output")


def node_label(node: dict[str, Any]) -> str:
    model = node.get("model") or node.get("request_model") or node.get("response_model") or "?"
    operation = node.get("operation") or "call"
    flags = " cached" if node.get("cached") else ""
    return f"{operation} {model} [{str(node.get('id', ''))[:16]}]{flags}"


def _adjacency(graph: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], dict[str, list[tuple[str, str]]], list[str]]:
    nodes = {str(n["id"]): n for n in graph.get("nodes", [])}
    children: dict[str, list[tuple[str, str]]] = {}
    has_parent: set[str] = set()
    for edge in graph.get("edges", []):
        source, target = str(edge["source"]), str(edge["target"])
        children.setdefault(source, []).append((target, str(edge.get("via") or "")))
        has_parent.add(target)
    roots = [i for i in nodes if i not in has_parent]
    return nodes, children, roots


def graph_tree(graph: dict[str, Any], title: str) -> Tree:
    """The dataflow as a tree from the calls nothing flows into; a call reached twice is shown once in full."""
    nodes, children, roots = _adjacency(graph)
    tree = Tree(Text(f"{title}  ({len(nodes)} calls, {len(graph.get('edges', []))} edges)", style="bold"))
    shown: set[str] = set()

    def add(parent: Tree, node_id: str, via: str) -> None:
        node = nodes.get(node_id, {"id": node_id})
        label = node_label(node) + (f"  ← {via}" if via else "")
        if node_id in shown:
            parent.add(Text(label + "  (see above)", style="dim"))
            return
        shown.add(node_id)
        output = _short(node.get("output"), 70)
        branch = parent.add(Text(label) + (Text(f"  {output}", style="green") if output else Text("")))
        for child, child_via in children.get(node_id, []):
            add(branch, child, child_via)

    for root in roots:
        add(tree, root, "")
    for node_id in nodes:  # cycles have no root: show what is left
        if node_id not in shown:
            add(tree, node_id, "")
    return tree


def _dot_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def graph_dot(graph: dict[str, Any], name: str) -> str:
    """Graphviz dot text of the dataflow graph."""
    lines = [f"digraph {_dot_quote(name)} {{", "  rankdir=LR;", "  node [shape=box, fontname=Helvetica];"]
    for node in graph.get("nodes", []):
        label = node_label(node)
        output = _short(node.get("output"), 40)
        lines.append(f"  {_dot_quote(str(node['id']))} [label={_dot_quote(label + chr(10) + output if output else label)}];")
    for edge in graph.get("edges", []):
        via = str(edge.get("via") or "")
        attrs = f" [label={_dot_quote(via)}]" if via else ""
        lines.append(f"  {_dot_quote(str(edge['source']))} -> {_dot_quote(str(edge['target']))}{attrs};")
    lines.append("}")
    return "\n".join(lines)


def failure(found: dict[str, Any]) -> str:
    """Why a run failed, in one line: exit status or error type, status message, the last exception."""
    parts = []
    if found.get("exit_code") is not None:
        parts.append(f"exit status {found['exit_code']}")
    elif found.get("error_type"):
        parts.append(str(found["error_type"]))
    if found.get("message") and not str(found["message"]).startswith("exit status"):
        parts.append(str(found["message"]))
    exception = found.get("exception")
    if exception:
        parts.append(f"{exception.get('type')}: {exception.get('message')} (in {exception.get('span')})")
    return "; ".join(parts) or "status error (no reason recorded)"
