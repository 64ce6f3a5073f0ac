"""A run's dataflow graph (C7): its LLM calls as nodes, dataflow edges between them."""

from __future__ import annotations

from typing import Any

from ao_collector.queries.calls import NODE_FIELDS, calls_by_id
from ao_collector.store.base import Store

# When an edge is known both ways, taint tracking is the stronger evidence.
_VIA_RANK = {"taint": 0, "content": 1}


def run_graph(store: Store, run_id: str) -> dict[str, list[dict[str, Any]]]:
    """`{"nodes": [...], "edges": [...]}` of a run.

    Nodes are the run's calls in start order (fields of `calls.NODE_FIELDS`; input/output are previews,
    `get_call` has the full content), plus calls of other runs that feed this run's calls (`external: true`).
    Edges are one per (source, target): `id`, `source`, `target`, `via` (`taint` when any path is tainted,
    else `content`), `path` (the first known), `paths` (all).
    """
    db = store.database
    parameters = {"run": run_id}
    nodes = store.query(
        f"SELECT {NODE_FIELDS}, false AS external FROM {db}.ao_llm_calls FINAL "
        "WHERE RunId = {run:String} ORDER BY Timestamp, SpanId",
        parameters,
    )
    rows = store.query(
        "SELECT SourceSpanId AS source, TargetSpanId AS target, groupUniqArray(Via) AS vias, "
        "arraySort(groupUniqArray(Path)) AS paths "
        f"FROM {db}.ao_dataflow_edges FINAL WHERE RunId = {{run:String}} GROUP BY source, target ORDER BY source, target",
        parameters,
    )
    edges = []
    for row in rows:
        vias = sorted(row["vias"], key=lambda via: _VIA_RANK.get(via, len(_VIA_RANK)))
        paths = [path for path in row["paths"] if path]
        edges.append({
            "id": f"{row['source']}-{row['target']}",
            "source": row["source"],
            "target": row["target"],
            "via": vias[0] if vias else "",
            "path": paths[0] if paths else "",
            "paths": paths,
        })
    known = {node["id"] for node in nodes}
    missing = sorted({edge["source"] for edge in edges} - known)
    for node in calls_by_id(store, missing):
        node["external"] = True
        nodes.append(node)
        known.add(node["id"])
    nodes.extend({"id": span_id, "external": True} for span_id in missing if span_id not in known)
    return {"nodes": nodes, "edges": edges}
