"""A run's dataflow graph (C7): its LLM calls as nodes, dataflow edges between them."""

from __future__ import annotations

from typing import Any

from ao_collector.queries.calls import NODE_FIELDS, calls_by_id, unique_calls
from ao_collector.store.base import Store


def run_graph(store: Store, run_id: str) -> dict[str, list[dict[str, Any]]]:
    """`{"nodes": [...], "edges": [...]}` of a run.

    Nodes are the run's calls in start order (fields of `calls.NODE_FIELDS`; input/output are previews,
    `get_call` has the full content), plus calls of other runs that feed this run's calls (`external: true`).
    Edges are one per (source, target): `id`, `source`, `target`, `via` (`taint` when any path is tainted —
    the stronger evidence — else `content`), `path` (the first known), `paths` (all).
    """
    db = store.database
    parameters = {"run": run_id}
    nodes = unique_calls(store.query(
        f"SELECT {NODE_FIELDS}, false AS external FROM {db}.ao_llm_calls "
        "WHERE RunId = {run:String} ORDER BY Timestamp, SpanId",
        parameters,
    ))
    edges = store.query(
        "SELECT concat(SourceSpanId, '-', TargetSpanId) AS id, SourceSpanId AS source, TargetSpanId AS target, "
        "if(has(groupArray(Via), 'taint'), 'taint', any(Via)) AS via, "
        "arraySort(arrayFilter(p -> p != '', groupUniqArray(Path))) AS paths, paths[1] AS path "
        f"FROM {db}.ao_dataflow_edges WHERE RunId = {{run:String}} GROUP BY source, target ORDER BY source, target",
        parameters,
    )
    known = {node["id"] for node in nodes}
    missing = sorted({edge["source"] for edge in edges} - known)
    for node in calls_by_id(store, missing):
        node["external"] = True
        nodes.append(node)
        known.add(node["id"])
    nodes.extend({"id": span_id, "external": True} for span_id in missing if span_id not in known)
    return {"nodes": nodes, "edges": edges}
