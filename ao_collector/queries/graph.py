"""A run's dataflow graph (C7): its LLM calls as nodes, dataflow edges between them."""

from __future__ import annotations

import json
from typing import Any

from ao_collector.queries.calls import NODE_FIELDS, calls_by_id
from ao_collector.queries.replays import mark_nodes
from ao_collector.store.base import Store

# The run's calls in start order, one row per call (a span sent twice is stored twice until merged).
_NODES = (
    "SELECT {fields}, false AS external FROM {db}.ao_llm_calls "
    "WHERE RunId = {{run:String}} ORDER BY Timestamp, SpanId LIMIT 1 BY id"
)
# One edge per (source, target): taint when any path is tainted (the stronger evidence), else content.
_EDGES = (
    "SELECT concat(SourceSpanId, '-', TargetSpanId) AS id, SourceSpanId AS source, TargetSpanId AS target, "
    "if(has(groupArray(Via), 'taint'), 'taint', any(Via)) AS via, "
    "arraySort(arrayFilter(p -> p != '', groupUniqArray(Path))) AS paths, paths[1] AS path "
    "FROM {db}.ao_dataflow_edges WHERE RunId = {{run:String}} GROUP BY source, target ORDER BY source, target"
)
# Sources of the run's edges that are not calls of the run (calls of other runs feeding it, or unknown).
_EXTERNAL = (
    "SELECT DISTINCT SourceSpanId AS id FROM {db}.ao_dataflow_edges WHERE RunId = {{run:String}} "
    "AND SourceSpanId NOT IN (SELECT SpanId FROM {db}.ao_llm_calls WHERE RunId = {{run:String}}) ORDER BY id"
)


EMPTY_GRAPH = b'{"nodes":[],"edges":[]}'


def run_graph_json(store: Store, run_id: str) -> bytes:
    """The graph of `run_graph` as JSON, encoded by ClickHouse (a 10,000-call graph is ~10 MB);
    `EMPTY_GRAPH` for a run with no calls."""
    db = store.database
    parameters = {"run": run_id}
    nodes = mark_nodes(store, run_id, _array(store.query_json(_NODES.format(fields=NODE_FIELDS, db=db), parameters)))
    edges = _array(store.query_json(_EDGES.format(db=db), parameters))
    missing = [row["id"] for row in store.query(_EXTERNAL.format(db=db), parameters)]
    if missing:
        external = calls_by_id(store, missing)
        found = {node["id"] for node in external}
        external += [{"id": span_id} for span_id in missing if span_id not in found]
        for node in external:
            node["external"] = True
        more = json.dumps(external, separators=(",", ":"), default=str).encode()
        nodes = more if nodes == b"[]" else nodes[:-1] + b"," + more[1:]
    return b'{"nodes":' + nodes + b',"edges":' + edges + b"}"


def _array(rows: bytes) -> bytes:
    """A JSON array as ClickHouse writes it, with an empty one as `[]`."""
    rows = rows.strip()
    return b"[]" if rows[1:-1].strip() == b"" else rows


def run_graph(store: Store, run_id: str) -> dict[str, list[dict[str, Any]]]:
    """`{"nodes": [...], "edges": [...]}` of a run.

    Nodes are the run's calls in start order (fields of `calls.NODE_FIELDS`; input/output are previews,
    `get_call` has the full content), plus calls of other runs that feed this run's calls (`external: true`).
    Edges are one per (source, target): `id`, `source`, `target`, `via` (`taint` when any path is tainted —
    the stronger evidence — else `content`), `path` (the first known), `paths` (all).
    """
    return json.loads(run_graph_json(store, run_id))
